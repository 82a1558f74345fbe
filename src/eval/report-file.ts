// Reading a JSON evaluation report (`promptune eval --report-json`) back, for `promptune compare`:
// through a schema of the fields a comparison relies on, so a wrong or damaged file is a coded error
// that names the field at fault. Fields a comparison does not read are not checked.
import { z } from 'zod';
import { readJsonFile } from '../errors/index.js';

const count = z.number().int().nonnegative();

/** One example's results as a JSON report holds them. */
const reportExampleSchema = z.object({
  index: count,
  id: z.string().min(1),
  line: z.number().int().positive(),
  fields: z.record(z.string(), z.unknown()),
  target: z.unknown(),
  outputs: z.array(z.string()),
  scores: z.array(z.number()),
  score: z.number(),
});

/** The part of a JSON evaluation report that comparisons read. */
export const evaluationReportSchema = z.object({
  task: z.string().min(1),
  split: z.string().min(1),
  model: z.string().min(1),
  n: count,
  repeats: count,
  score: z.number(),
  interval: z.tuple([z.number(), z.number()]),
  examples: z.array(reportExampleSchema),
});

/** A JSON evaluation report as read back. */
export type ReadReport = z.infer<typeof evaluationReportSchema>;

/** Reads a full JSON evaluation report. */
export function readReport(path: string): ReadReport {
  return readJsonFile(path, evaluationReportSchema, {
    where: `evaluation report ${path}`,
    code: 'COMPARE_BAD_REPORT',
    hint: 'Write reports with promptune eval --report-json <file> (the HTML report cannot be compared).',
    notFoundCode: 'COMPARE_REPORT_NOT_FOUND',
  });
}
