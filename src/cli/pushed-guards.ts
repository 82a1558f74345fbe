// Before a spec is pushed: its guards and constraint are built as eval and the service build them (a
// regex that is not valid, a constraint the engine cannot compile is refused with its code, and
// nothing is stored), and what the service would refuse to serve is said (a custom validator, an
// input bounded in tokens, a judge without `serve --judge`): a label moved onto such a version makes
// every request to it a 404.
import { preflightGuards } from '../guard/index.js';
import { whySpecNotServed } from '../serve/index.js';
import type { TaskSpec } from '../tasks/index.js';

/** Refuses a spec whose guards cannot be built; warns (on stderr) of guards the service does not run. */
export async function checkPushedGuards(
  spec: TaskSpec,
  baseDirectory: string,
  label?: string,
): Promise<void> {
  await preflightGuards(spec, baseDirectory);
  const why = whySpecNotServed(spec);
  if (why)
    process.stderr.write(
      `warning: promptune serve will not serve this version of ${spec.name}: ${why}${label ? `; the label ${label} will name it, and requests to ${spec.name}@${label} answer 404` : ''}. eval and the library run it.\n`,
    );
}
