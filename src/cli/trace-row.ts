// One line of `traces ls`: a served request as a person scans for it. The version is the one that
// answered, by number, with the label it was asked by beside it: during a canary a label's traffic is
// answered by two versions, which the label alone would not tell apart. Text only.
import { traceInput } from '../observe/index.js';
import type { TraceRecord } from '../registry/index.js';
import { cutText } from '../errors/index.js';
import { versionText, type VersionNumbers } from './version-numbers.js';

const oneLine = (text: string, width: number) => cutText(text.replace(/\s+/g, ' ').trim(), width);

/** The text a person recognises a trace's input by. */
function inputText(trace: TraceRecord): string {
  const input = traceInput(trace);
  return typeof input === 'string' ? input : JSON.stringify(input);
}

/** The columns of `traces ls`. */
export const traceHeader = [
  'at',
  'id',
  'task@version',
  'status',
  'outcome',
  'latency',
  'tokens in/out',
  'input',
  '',
  'output',
];

/** The name of the version that answered: gender@5 (production), gender@5, or gender@production without one. */
function answeredBy(trace: TraceRecord, numbers: VersionNumbers): string {
  const task = trace.task ?? '-';
  if (trace.version === null) return `${task}@${trace.label ?? '-'}`;
  return `${task}${versionText(trace.version, numbers)}${trace.label ? ` (${trace.label})` : ''}`;
}

/** A trace's cells; `numbers` holds the numbers of the versions met. */
export function traceCells(trace: TraceRecord, numbers: VersionNumbers): string[] {
  return [
    new Date(trace.at).toISOString(),
    trace.id,
    answeredBy(trace, numbers),
    String(trace.status),
    trace.errorCode ?? trace.finishReason ?? '',
    `${Math.round(trace.latencyMs)}ms`,
    `${trace.inputTokens}/${trace.outputTokens}`,
    JSON.stringify(oneLine(inputText(trace), 40)),
    '->',
    JSON.stringify(oneLine(trace.output ?? '', 40)),
  ];
}
