// A label task pushed under its spec: served constrained to its labels only when the spec constrains
// decoding. soft train says which, and the push warns of a label spec that does not, with how to.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Registry } from '../src/registry/index.js';
import { slice, softTrain } from './cli-soft-helpers.js';
import { repositoryRoot } from './models.js';

describe('soft train --push of a label task under its spec', () => {
  it('warns when the spec does not constrain decoding, and says nothing when it does', async () => {
    const data = slice('animal', { train: 8, dev: 4, test: 24 });
    const database = join(data, 'registry.sqlite');
    const spec = join(repositoryRoot, 'examples', 'animal.yaml');
    const push = (out: string, baseline: string) =>
      softTrain(
        data,
        join(data, out),
        ...['--steps', '1', '--no-search', '--baseline', baseline, '--push', '--db', database],
      );
    // served with the text it writes: said, with how to serve it as a label
    const unconstrained = push('unconstrained', spec);
    expect(unconstrained.status, unconstrained.stderr).toBe(0);
    expect(unconstrained.stderr).toContain(
      `warning: --baseline ${spec} does not constrain decoding to its labels: the service answers with the text the adapter writes`,
    );
    expect(unconstrained.stdout).toContain('its spec serves it unconstrained');
    const constrained = join(data, 'animal-constrained.yaml');
    writeFileSync(
      constrained,
      readFileSync(spec, 'utf8').replaceAll('../../shared', join(repositoryRoot, '..', 'shared')) +
        'decoding:\n  constrain: true\n',
    );
    const served = push('constrained', constrained);
    expect(served.status, served.stderr).toBe(0);
    expect(served.stderr).not.toContain('does not constrain decoding');
    expect(served.stdout).toContain('(served constrained to its labels)');
    // the runs say the same (the dashboard's card reads it): the first's accuracy is not as served
    const registry = await Registry.open({ path: database });
    const runs = (await registry.runs.list({ kind: 'soft-training' })).data;
    await registry.close();
    expect(runs.map((run) => run.summary?.servedUnconstrained)).toEqual([undefined, true]);
  });
});
