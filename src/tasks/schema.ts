// The task spec as JSON Schema text (published as schemas/task.schema.json).
import { z } from 'zod';
import { taskSpec } from './spec.js';

/** The JSON Schema of task spec files, as formatted JSON. */
export function taskSchemaJson(): string {
  const schema = z.toJSONSchema(taskSpec, { io: 'input', target: 'draft-7' });
  return JSON.stringify({ title: 'promptune task spec', ...schema }, null, 2) + '\n';
}
