// Before a spec is pushed: its guards and constraint are built as eval and the service build them (a
// regex that is not valid, a constraint the engine cannot compile is refused with its code, and
// nothing is stored), and what the service would refuse to serve is said (a custom validator, a judge
// without `serve --judge`; an input bounded in tokens, where the service has no tokenizer of the
// version's model): a label moved onto such a version makes every request to it a 404.
import { boundsTokens, preflightGuards } from '../guard/index.js';
import { whySpecNotServed } from '../serve/index.js';
import type { TaskSpec } from '../tasks/index.js';

/** Refuses a spec whose guards cannot be built; warns (on stderr) of guards the service does not run. */
export async function checkPushedGuards(
  spec: TaskSpec,
  baseDirectory: string,
  label?: string,
): Promise<void> {
  await preflightGuards(spec, baseDirectory);
  const why = whySpecNotServed(spec, { countsInputTokens: true });
  if (why)
    process.stderr.write(
      `warning: promptune serve will not serve this version of ${spec.name}: ${why}${label ? `; the label ${label} will name it, and requests to ${spec.name}@${label} answer 404` : ''}. eval and the library run it.\n`,
    );
  const counted = (spec.guards?.input ?? []).find(boundsTokens);
  if (counted && !why)
    process.stderr.write(
      `note: the input validator ${counted.name ?? counted.validator} of ${spec.name} bounds the length in tokens: promptune serve counts them on its local model (serve --model), and answers 404 for the version where a provider's model runs it (--hard-model).\n`,
    );
}
