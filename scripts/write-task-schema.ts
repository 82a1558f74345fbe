// Writes schemas/task.schema.json from the zod task spec (npm run schema). A test checks the
// committed file is current, so editors validate against exactly what the loader accepts.
import { writeFileSync } from 'node:fs';
import { taskSchemaJson } from '../src/tasks/schema.js';

writeFileSync(new URL('../schemas/task.schema.json', import.meta.url), taskSchemaJson());
