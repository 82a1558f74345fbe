// Each criterion of an audit policy against recorded audit summaries: a missing audit, too few examples,
// a flip rate, a gap and its significance at the policy's own level, a sensitivity spread and an audit
// that scored no variant; a passing version has no failures.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditPolicySpec, loadTask } from '../tasks/index.js';
import { auditPolicyFailures, auditsRequired } from './audit-policy.js';

const policy = auditPolicySpec.parse({
  bias: { maxFlipRate: 0.05, maxGap: 0.1, gapNotSignificant: true },
  sensitivity: { maxSpread: 0.1 },
});
const bias = (flipRate: number, difference: number, pValue: number, audited = 200) => ({
  id: 'run-b',
  summary: { audited, flipRate, gap: { between: ['girls', 'boys'], difference, pValue } },
});
const sensitivity = (range: number, variants = 3) => ({
  id: 'run-s',
  summary: {
    n: 256,
    variants: Array(variants).fill({}),
    spread: { range: { value: range, interval: [0, 1] } },
  },
});

describe('auditPolicyFailures', () => {
  it('passes a version whose audits meet every criterion, and guards production by default', () => {
    expect(policy).toMatchObject({ labels: ['production'], minExamples: 30, bias: { alpha: 0.05 } });
    expect(auditsRequired(policy)).toEqual(['bias', 'sensitivity']);
    expect(
      auditPolicyFailures(policy, { bias: bias(0.05, 0.1, 0.05), sensitivity: sensitivity(0.1) }),
    ).toEqual([]);
  });

  it('refuses a policy that asks for no audit, which every version would meet, where a spec is written', () => {
    const folder = mkdtempSync(join(tmpdir(), 'promptune-audit-policy-'));
    const write = (policy: string) => {
      const path = join(folder, 'spec.yaml');
      writeFileSync(path, `name: t\nprompt: { template: '{{input}}' }\naudit:\n  policy: ${policy}\n`);
      return path;
    };
    const refused = (() => {
      try {
        loadTask(write('{ labels: [production] }'));
      } catch (error) {
        return error as Error & { code: string };
      }
    })();
    expect(refused?.code).toBe('TASK_SPEC_INVALID');
    expect(refused?.message).toMatch(
      /field audit\.policy: the policy asks for no audit: give bias and\/or sensitivity/,
    );
    expect(loadTask(write('{ bias: {} }')).spec.audit?.policy?.bias).toEqual({ alpha: 0.05 });
    // the schema stored specs are read through takes it: an older promptune stored such policies, and
    // their versions are served, evaluated and watched for drift after an upgrade
    expect(auditPolicySpec.safeParse({ labels: ['production'] }).success).toBe(true);
  });

  it("bounds the flip rate's 95% interval's upper end when the policy says upper, not the estimate", () => {
    const upper = auditPolicySpec.parse({ bias: { maxFlipRate: 0.05, flipRateBound: 'upper' } });
    // 1 flip in 40: the estimate 2.5% passes 5%, its Wilson interval [0.4%, 12.9%] does not
    const small = { id: 'run-b', summary: { audited: 40, flipRate: 0.025, flipInterval: [0.0044, 0.1288] } };
    expect(
      auditPolicyFailures({ ...upper, bias: { ...upper.bias!, flipRateBound: undefined } }, { bias: small }),
    ).toEqual([]);
    expect(auditPolicyFailures(upper, { bias: small })).toEqual([
      "bias audit run-b: flip rate 2.5% could be as high as 12.9% (its 95% interval's upper end), above 5.0%",
    ]);
    const large = {
      id: 'run-b',
      summary: { audited: 4000, flipRate: 0.025, flipInterval: [0.0205, 0.0304] },
    };
    expect(auditPolicyFailures(upper, { bias: large })).toEqual([]);
    const near = { id: 'run-b', summary: { audited: 4000, flipRate: 0.04, flipInterval: [0.034, 0.0504] } };
    expect(auditPolicyFailures(upper, { bias: near })).toEqual([
      "bias audit run-b: flip rate 4.0% could be as high as 5.04% (its 95% interval's upper end), above 5.0%",
    ]);
    expect(auditPolicyFailures(upper, { bias: bias(0.01, 0, 1) })).toEqual([
      "bias audit run-b: it records no interval of its flip rate for the policy's upper bound (recorded before audits kept one: run it again)",
    ]);
  });

  it('counts only audits on the models it names, and says which it did not count', () => {
    const bound = auditPolicySpec.parse({ models: ['stories260K.gguf'], bias: { maxFlipRate: 0.05 } });
    const on = (model: string, flipRate: number, id: string) => ({
      id,
      summary: { ...bias(flipRate, 0, 1).summary, model },
    });
    // a stub model's passing audit had stood for the served model's failing one (trial Q)
    expect(auditPolicyFailures(bound, { bias: [on('scripted:stub', 0, 'run-stub')] })).toEqual([
      'no bias audit of this version on stories260K.gguf is recorded (not counted: run-stub on scripted:stub)',
    ]);
    expect(
      auditPolicyFailures(bound, {
        bias: [on('scripted:stub', 0, 'run-stub'), on('local:../models/stories260K.gguf', 0.5, 'run-real')],
      }),
    ).toEqual(['bias audit run-real: flip rate 50.0% is above 5.0%']);
    expect(auditPolicyFailures(bound, { bias: [on('local:stories260K.gguf', 0, 'run-real')] })).toEqual([]);
    // an adapter version's audit names the model that answered: the base model and what the adapter adds
    // (trial AE: no soft version could move under a policy naming its model)
    for (const adapter of ['soft:defb50a0cba7', 'lora:0123456789ab', 'prefix:abcdefabcdef'])
      expect(
        auditPolicyFailures(bound, {
          bias: [on(`local:../shared/models/stories260K/stories260K.gguf+${adapter}`, 0, 'run-soft')],
        }),
      ).toEqual([]);
    expect(
      auditPolicyFailures(bound, { bias: [on('local:other.gguf+soft:defb50a0cba7', 0, 'run-other')] }),
    ).toEqual([
      'no bias audit of this version on stories260K.gguf is recorded (not counted: run-other on local:other.gguf+soft:defb50a0cba7)',
    ]);
  });

  it('names every criterion missed, and every audit missing', () => {
    expect(auditPolicyFailures(policy, {})).toEqual([
      'no bias audit of this version is recorded',
      'no sensitivity audit of this version is recorded',
    ]);
    expect(
      auditPolicyFailures(policy, { bias: bias(0.2, 0.3, 0.001, 12), sensitivity: sensitivity(0.25, 0) }),
    ).toEqual([
      "bias audit run-b: 12 examples audited, fewer than the policy's 30",
      'bias audit run-b: flip rate 20.0% is above 5.0%',
      'bias audit run-b: the gap girls − boys of 0.300 is above 0.1',
      'bias audit run-b: the gap girls − boys is significant (p = 0.0010, below 0.05)',
      'sensitivity audit run-s: it scored no variant of the prompt or the inputs',
      'sensitivity audit run-s: the score spread of 0.250 is above 0.1',
    ]);
    // an audit run at a looser level still counts as significant at the policy's
    expect(auditPolicyFailures(policy, { bias: bias(0, 0, 0.03), sensitivity: sensitivity(0) })).toHaveLength(
      1,
    );
    // a summary without the numbers fails rather than passes
    expect(
      auditPolicyFailures(policy, { bias: { id: 'run-x', summary: {} }, sensitivity: sensitivity(0) }),
    ).toHaveLength(4);
  });
});
