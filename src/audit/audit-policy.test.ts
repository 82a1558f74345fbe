// Each criterion of an audit policy against recorded audit summaries: a missing audit, a flip rate, a
// gap and its significance, a sensitivity spread; a passing version has no failures.
import { describe, expect, it } from 'vitest';
import { auditPolicySpec } from '../tasks/index.js';
import { auditPolicyFailures, auditsRequired } from './audit-policy.js';

const policy = auditPolicySpec.parse({
  bias: { maxFlipRate: 0.05, maxGap: 0.1, gapNotSignificant: true },
  sensitivity: { maxSpread: 0.1 },
});
const bias = (flipRate: number, difference: number, significant: boolean) => ({
  id: 'run-b',
  summary: { flipRate, gap: { between: ['girls', 'boys'], difference, significant } },
});
const sensitivity = (range: number) => ({
  id: 'run-s',
  summary: { spread: { range: { value: range, interval: [0, 1] } } },
});

describe('auditPolicyFailures', () => {
  it('passes a version whose audits meet every criterion, and guards production by default', () => {
    expect(policy.labels).toEqual(['production']);
    expect(auditsRequired(policy)).toEqual(['bias', 'sensitivity']);
    expect(
      auditPolicyFailures(policy, { bias: bias(0.05, 0.1, false), sensitivity: sensitivity(0.1) }),
    ).toEqual([]);
  });

  it('names every criterion missed, and every audit missing', () => {
    expect(auditPolicyFailures(policy, {})).toEqual([
      'no bias audit of this version is recorded',
      'no sensitivity audit of this version is recorded',
    ]);
    expect(
      auditPolicyFailures(policy, { bias: bias(0.2, 0.3, true), sensitivity: sensitivity(0.25) }),
    ).toEqual([
      'bias audit run-b: flip rate 20.0% is above 5.0%',
      'bias audit run-b: the gap girls − boys of 0.300 is above 0.1',
      'bias audit run-b: the gap girls − boys is significant',
      'sensitivity audit run-s: the score spread of 0.250 is above 0.1',
    ]);
    // a summary without the number fails rather than passes
    expect(
      auditPolicyFailures(policy, { bias: { id: 'run-x', summary: {} }, sensitivity: sensitivity(0) }),
    ).toHaveLength(3);
  });
});
