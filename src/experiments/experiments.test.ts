// Experiments' statistics in simulation, with seeded scripted users (controlled behaviour is what is
// tested): a user stays in one arm and traffic follows the weights; the sample-ratio check's chi-square
// matches its tables; over 200 seeded A/A experiments looked at after every request the sequential test
// declares a difference in at most alpha of them; a treatment 10 points better is found within a stated
// number of requests; a canary whose error rate rises is rolled back, and a healthy one promoted; over 200
// A/A canaries looked at after every request at most alpha are promoted (measured: 3 of 200), and a
// canary 10 points better is promoted in 49 of 50 runs (median 3,108 requests, 95th percentile 4,270,
// on a 5% → 25% → 50% schedule).
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../engine/index.js';
import { armOf, unitPosition } from './assignment.js';
import { canaryDecision, startCanary, type ArmMetrics, type CanaryStep } from './canary.js';
import { chiSquaredSurvival } from '../observe/index.js';
import { sampleRatioCheck } from './sample-ratio.js';
import { experimentConfigSchema, newConfigProblem } from './experiment-config.js';
import { addObservation, emptyMoments, sequentialTest, type Moments } from './sequential-test.js';

describe('assignment', () => {
  it('keeps a user in one arm, follows the weights, and differs between experiments', () => {
    const arms = [
      { name: 'a', weight: 0.9 },
      { name: 'b', weight: 0.1 },
    ];
    expect(armOf('exp', arms, 'user-1')).toBe(armOf('exp', arms, 'user-1'));
    const counts = { a: 0, b: 0 };
    for (let user = 0; user < 20_000; user++) counts[armOf('exp', arms, `user-${user}`) as 'a' | 'b']++;
    expect(counts.b / 20_000).toBeGreaterThan(0.09);
    expect(counts.b / 20_000).toBeLessThan(0.11);
    // raising b's weight moves only users into b, never out of it
    const wider = [
      { name: 'a', weight: 0.75 },
      { name: 'b', weight: 0.25 },
    ];
    for (let user = 0; user < 2000; user++)
      if (armOf('exp', arms, `user-${user}`) === 'b') expect(armOf('exp', wider, `user-${user}`)).toBe('b');
    expect(unitPosition('exp', 'user-1')).not.toBe(unitPosition('other', 'user-1'));
    expect(() => armOf('exp', [{ name: 'a', weight: 0 }], 'u')).toThrow(
      expect.objectContaining({ code: 'EXPERIMENT_INVALID_ARMS' }),
    );
  });
});

describe('sample-ratio check', () => {
  it('matches chi-square tables and flags a broken split', () => {
    expect(chiSquaredSurvival(3.841, 1)).toBeCloseTo(0.05, 3);
    expect(chiSquaredSurvival(5.991, 2)).toBeCloseTo(0.05, 3);
    expect(chiSquaredSurvival(18.307, 10)).toBeCloseTo(0.05, 3);
    expect(sampleRatioCheck([5000, 5000], [0.5, 0.5]).mismatch).toBe(false);
    expect(sampleRatioCheck([9020, 980], [0.9, 0.1]).mismatch).toBe(false);
    const broken = sampleRatioCheck([5300, 4700], [0.5, 0.5]);
    expect(broken.chiSquare).toBeCloseTo(36, 6);
    expect(broken.mismatch).toBe(true);
  });
});

/** Runs one simulated experiment: users split 50/50, each converting with its arm's rate; looks after every request. */
function simulate(rates: [number, number], seed: number, requests: number, experiment = `exp-${seed}`) {
  const random = seededRandom(seed);
  const arms = [
    { name: 'a', weight: 1 },
    { name: 'b', weight: 1 },
  ];
  let control: Moments = emptyMoments();
  let treatment: Moments = emptyMoments();
  let pValue = 1;
  for (let request = 1; request <= requests; request++) {
    const arm = armOf(experiment, arms, `user-${seed}-${request}`);
    const converted = random() < rates[arm === 'a' ? 0 : 1] ? 1 : 0;
    if (arm === 'a') control = addObservation(control, converted);
    else treatment = addObservation(treatment, converted);
    const result = sequentialTest(control, treatment, pValue);
    pValue = result.pValue;
    if (result.decision !== 'continue') return { decision: result.decision, request, result };
  }
  return { decision: 'continue' as const, request: requests, result: undefined };
}

describe('the sequential test', () => {
  it('declares a difference in at most alpha of 200 A/A experiments, looked at after every request', () => {
    let declared = 0;
    for (let seed = 0; seed < 200; seed++)
      if (simulate([0.3, 0.3], seed, 3000).decision !== 'continue') declared++;
    expect(declared).toBeLessThanOrEqual(10); // alpha 0.05 of 200
  });

  it('finds a treatment 10 points better (0.30 → 0.40) within 3,000 requests in at least 95 of 100 runs', () => {
    const found = Array.from({ length: 100 }, (_, seed) => simulate([0.3, 0.4], 1000 + seed, 3000));
    const better = found.filter((run) => run.decision === 'treatment-better');
    expect(better.length).toBeGreaterThanOrEqual(95);
    expect(found.some((run) => run.decision === 'treatment-worse')).toBe(false);
    // the confidence sequence at the decision holds the true difference in (nearly) every run
    const covered = better.filter(({ result }) => result!.interval[0] <= 0.1 && 0.1 <= result!.interval[1]);
    expect(covered.length).toBeGreaterThanOrEqual(90);
  });
});

describe('canary rollouts', () => {
  const schedule: CanaryStep[] = [0.05, 0.25, 0.5, 1].map((weight) => ({
    weight,
    minimumDurationMs: 0,
    minimumRequests: 150,
  }));

  /**
   * A rollout with the treatment's error rate `errors[1]` against the control's `errors[0]`, and users
   * liking answers that did not fail with `liked` (both arms 0.5 unless given).
   */
  function rollout(
    errors: [number, number],
    seed: number,
    options: {
      liked?: [number, number];
      promoteWhen?: 'better' | 'no-harm';
      margin?: number;
      maximumObservations?: number;
    } = {},
  ) {
    const liked = options.liked ?? [0.5, 0.5];
    const random = seededRandom(seed);
    let state = startCanary(0);
    const fresh = (): ArmMetrics => ({ primary: emptyMoments(), guardrails: { errors: emptyMoments() } });
    const metrics: [ArmMetrics, ArmMetrics] = [fresh(), fresh()];
    const actions: string[] = [];
    for (let request = 1; request <= 20_000; request++) {
      const weight = schedule[state.step].weight;
      const arm =
        armOf(
          `canary-${seed}`,
          [
            { name: 'control', weight: 1 - weight },
            { name: 'treatment', weight },
          ],
          `user-${request}`,
        ) === 'control'
          ? 0
          : 1;
      const failed = random() < errors[arm] ? 1 : 0;
      metrics[arm] = {
        primary: addObservation(metrics[arm].primary, failed ? 0 : random() < liked[arm] ? 1 : 0),
        guardrails: { errors: addObservation(metrics[arm].guardrails.errors, failed) },
      };
      state = {
        ...state,
        stepCounts: {
          control: state.stepCounts.control + (arm === 0 ? 1 : 0),
          treatment: state.stepCounts.treatment + arm,
        },
      };
      const decision = canaryDecision(state, metrics[0], metrics[1], request, {
        schedule,
        minimumPerArm: 50,
        promoteWhen: options.promoteWhen ?? 'no-harm',
        margin: options.margin,
        maximumObservations: options.maximumObservations ?? 5000,
      });
      state = decision.state;
      if (decision.action !== 'hold') actions.push(decision.action);
      if (decision.action !== 'hold' && decision.action !== 'advance')
        return { actions, request, decision, step: state.step };
    }
    return { actions, request: 20_000, decision: undefined, step: state.step };
  }

  it('rolls back a canary whose error rate rises from 2% to 20%, before it reaches everyone', () => {
    for (let seed = 0; seed < 20; seed++) {
      const result = rollout([0.02, 0.2], seed);
      expect(result.actions.at(-1)).toBe('rollback');
      expect(result.decision!.reason).toMatch(/^guardrail errors is higher in the treatment/);
      expect(result.step).toBeLessThan(3);
    }
  });

  it('walks a healthy canary through every step and promotes it', () => {
    const result = rollout([0.02, 0.02], 7);
    expect(result.actions).toEqual(['advance', 'advance', 'advance', 'promote']);
    expect(result.decision!.reason).toMatch(
      /^the schedule completed with no guardrail worse and the primary metric's difference at least -0\.0\d+, within the margin of 0\.05$/,
    );
  });

  it("holds a step until the treatment's requests (not its users) reach the minimum, saying how far it is", () => {
    const step = [{ weight: 0.05, minimumDurationMs: 3_600_000, minimumRequests: 100 }, ...schedule];
    const quiet: ArmMetrics = { primary: emptyMoments(), guardrails: {} };
    // 180 users, 9 of them treated (5%), who sent 60 requests, then 120
    const state = (treatmentRequests: number) => ({
      ...startCanary(0),
      stepCounts: { control: 171, treatment: 9 },
      stepRequests: { control: 1200, treatment: treatmentRequests },
    });
    const early = canaryDecision(state(60), quiet, quiet, 1_800_000, { schedule: step });
    expect([early.action, early.reason]).toEqual([
      'hold',
      'step 1 (5%) has not met its minimums: 30 min of 60 min, 60 of 100 treatment requests',
    ]);
    expect(canaryDecision(state(60), quiet, quiet, 7_200_000, { schedule: step }).reason).toBe(
      'step 1 (5%) has not met its minimums: 120 min of 60 min, 60 of 100 treatment requests',
    );
    expect(canaryDecision(state(120), quiet, quiet, 7_200_000, { schedule: step }).action).toBe('advance');
  });

  it('refuses new schedules whose shares fall or reach 100%, and a guardrail named twice; reads stored ones', () => {
    const problem = (config: object) =>
      newConfigProblem(experimentConfigSchema.parse({ primary: 'helpful', ...config }));
    const steps = (...weights: number[]) =>
      weights.map((weight) => ({ weight, minimumDurationMs: 0, minimumRequests: 0 }));
    expect(problem({ schedule: steps(0.05, 0.25) })).toBeUndefined();
    expect(problem({ schedule: steps(0.5, 0.1) })).toBe("the schedule's shares must rise from step to step");
    expect(problem({ schedule: steps(0.5, 0.5) })).toBe("the schedule's shares must rise from step to step");
    expect(problem({ schedule: steps(1) })).toBe("a step's share must be below 1 (100% is the promotion)");
    expect(problem({ guardrails: ['errors', 'errors'] })).toBe('a guardrail is named twice');
  });

  it('holds a no-harm canary at its last step while its primary metric has too few observations', () => {
    // a primary nobody records (a misspelt score name): every step passes, then no promotion on nothing
    const silent = (requests: number): ArmMetrics => ({
      primary: emptyMoments(),
      guardrails: {
        errors: Array.from({ length: requests }, () => 0).reduce(addObservation, emptyMoments()),
      },
    });
    const last = {
      step: schedule.length - 1,
      stepStartedAt: 0,
      stepCounts: { control: 200, treatment: 200 },
    };
    const options = { schedule, minimumPerArm: 50, promoteWhen: 'no-harm' as const };
    const state = { ...last, pValues: { primary: 1, guardrails: {} } };
    const unscored = canaryDecision(state, silent(200), silent(200), 1e9, options);
    expect(unscored.action).toBe('hold');
    expect(unscored.reason).toBe(
      'the schedule completed, but the primary metric has 0 control and 0 treatment observations (50 each needed to judge it no worse)',
    );
    // one arm short of the minimum still holds; both at it promote
    const scored = (n: number): ArmMetrics => ({
      ...silent(200),
      primary: Array.from({ length: n }, (_, i) => i % 2).reduce(addObservation, emptyMoments()),
    });
    const wide = { ...options, margin: 0.5 };
    expect(canaryDecision(state, scored(50), scored(49), 1e9, wide).action).toBe('hold');
    expect(canaryDecision(state, scored(50), scored(50), 1e9, wide).action).toBe('promote');
  });

  it('rolls back on a guardrail only past its margin: a latency 0.2 s higher is tolerated under a margin of 0.5', () => {
    const latency = (mean: number) =>
      Array.from({ length: 400 }, (_, i) => mean + (i % 2 ? 0.1 : -0.1)).reduce(
        addObservation,
        emptyMoments(),
      );
    const arm = (mean: number): ArmMetrics => ({
      primary: emptyMoments(),
      guardrails: { latency: latency(mean) },
    });
    const state = { ...startCanary(0), stepCounts: { control: 200, treatment: 200 } };
    const options = { schedule, minimumPerArm: 50, guardrailMixtures: { latency: 0.5 } };
    const strict = canaryDecision(state, arm(1), arm(1.2), 1, options);
    expect(strict.action).toBe('rollback');
    expect(strict.reason).toMatch(
      /^guardrail latency is higher in the treatment by 0\.2000 \(always-valid p [\d.]+; a guardrail margin tolerates a rise: guardrailMargins, --guardrail-margin latency=<how much>\)$/,
    );
    const tolerant = canaryDecision(state, arm(1), arm(1.2), 1, {
      ...options,
      guardrailMargins: { latency: 0.5 },
    });
    expect(tolerant.action).not.toBe('rollback');
    // past the margin it rolls back all the same
    const slow = canaryDecision(state, arm(1), arm(2), 1, { ...options, guardrailMargins: { latency: 0.5 } });
    expect([slow.action, slow.reason]).toEqual([
      'rollback',
      expect.stringContaining('more than its margin 0.5'),
    ]);
  });

  it("holds a no-harm canary until its primary's difference is bounded above minus the margin, then concludes", () => {
    const last = {
      step: schedule.length - 1,
      stepStartedAt: 0,
      stepCounts: { control: 200, treatment: 200 },
      pValues: { primary: 1, guardrails: {} },
    };
    // liked by 60% in each arm: equal means, so nothing tells them apart but the interval's width
    const liked = (n: number): ArmMetrics => ({
      primary: Array.from({ length: n }, (_, i) => (i % 5 < 3 ? 1 : 0)).reduce(
        addObservation,
        emptyMoments(),
      ),
      guardrails: {},
    });
    const options = {
      schedule,
      minimumPerArm: 50,
      promoteWhen: 'no-harm' as const,
      maximumObservations: 5000,
    };
    // 100 each: "not significantly worse", but the difference may still be -0.2
    const early = canaryDecision(last, liked(100), liked(100), 1e9, options);
    expect(early.primary.decision).toBe('continue');
    expect(early.action).toBe('hold');
    expect(early.reason).toMatch(
      /^the schedule completed; the primary metric is not yet shown within 0\.05 of the control's: its difference may be as low as -0\.\d+ \(200 of at most 5000 observations\)$/, // at 100% to the treatment the control grows no more: no estimate
    );
    expect(early.primary.interval[0]).toBeLessThan(-0.2);
    // the estimate of what it still needs holds for arms that go on as they were, split as the last
    // step splits them (50%): at it, it promotes; a tenth short of it, it still holds
    const halves = { ...options, schedule: schedule.filter((step) => step.weight < 1) };
    const atHalf = { ...last, step: halves.schedule.length - 1 };
    const waiting = canaryDecision(atHalf, liked(100), liked(100), 1e9, halves);
    expect(waiting.reason).toMatch(
      /; at this difference and spread, about \d+ more observations \(at 50% to the treatment\)$/,
    );
    const more = Number(/about (\d+) more observations/.exec(waiting.reason)![1]);
    const half = (total: number) => 100 + Math.round(total / 2);
    expect(canaryDecision(atHalf, liked(half(more)), liked(half(more)), 1e9, halves).action).toBe('promote');
    expect(canaryDecision(atHalf, liked(half(more * 0.9)), liked(half(more * 0.9)), 1e9, halves).action).toBe(
      'hold',
    );
    // unequal arms (control grew through the early small steps): what the split adds, not a multiple
    // of each arm's count
    const lopsided = canaryDecision(atHalf, liked(2000), liked(150), 1e9, halves).reason;
    const extra = Number(/about (\d+) more observations/.exec(lopsided)![1]);
    expect(canaryDecision(atHalf, liked(2000 + extra / 2), liked(150 + extra / 2), 1e9, halves).action).toBe(
      'promote',
    );
    // more than the observations left before it concludes, said so
    expect(
      canaryDecision(atHalf, liked(100), liked(100), 1e9, { ...halves, maximumObservations: 1000 }).reason,
    ).toMatch(
      /; at this difference and spread it needs about \d+ more observations \(at 50% to the treatment\), more than the 800 left before it concludes$/,
    );
    // a treatment lower than the margin: waiting would not promote it
    const halfLiked = (n: number): ArmMetrics => ({
      primary: Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 1 : 0)).reduce(
        addObservation,
        emptyMoments(),
      ),
      guardrails: {},
    });
    expect(canaryDecision(last, liked(100), halfLiked(100), 1e9, options).reason).toMatch(
      /; its difference itself, -0\.1000, is below −0\.05: more observations would not clear it unless it rises$/,
    );
    // enough of them bound it within 0.05 (the interval narrows as 1/sqrt(n))
    const late = canaryDecision(last, liked(2400), liked(2400), 1e9, options);
    expect(late.action).toBe('promote');
    expect(late.primary.interval[0]).toBeGreaterThan(-0.05);
    // a tighter margin never reached: concluded with nothing promoted once the observations run out
    const strict = canaryDecision(last, liked(2500), liked(2500), 1e9, { ...options, margin: 0.01 });
    expect(strict.action).toBe('conclude');
    expect(strict.reason).toMatch(
      /^the primary metric was not shown within 0\.01 of the control's after 5000 observations/,
    );
    // scores that do not vary yet bound nothing
    const constant = (n: number): ArmMetrics => ({
      primary: Array.from({ length: n }, () => 1).reduce(addObservation, emptyMoments()),
      guardrails: {},
    });
    expect(canaryDecision(last, constant(100), constant(100), 1e9, options).reason).toContain(
      'its scores do not vary yet, so its difference has no bound',
    );
  });

  it('promotes at most alpha of 100 no-harm canaries whose primary is lower by exactly the margin', () => {
    const outcomes = { promote: 0, rollback: 0, conclude: 0 };
    for (let seed = 0; seed < 100; seed++) {
      // 0.45 → 0.40 liked with a margin of 0.05: the boundary, where promoting is most often wrong
      const result = rollout([0.02, 0.02], 7000 + seed, { liked: [0.45, 0.4], margin: 0.05 });
      outcomes[result.actions.at(-1) as keyof typeof outcomes]++;
    }
    expect(outcomes.promote).toBeLessThanOrEqual(5); // alpha 0.05 of 100
    expect(outcomes.promote + outcomes.rollback + outcomes.conclude).toBe(100);
    // while equal arms are promoted in most of them before the observations run out
    const equal = Array.from({ length: 20 }, (_, seed) =>
      rollout([0.02, 0.02], 7000 + seed, { liked: [0.45, 0.45], margin: 0.05, maximumObservations: 20_000 }),
    );
    expect(equal.filter((run) => run.actions.at(-1) === 'promote').length).toBeGreaterThanOrEqual(18);
  });

  it('promotes at most alpha of 200 A/A canaries when only a better primary promotes, looked at after every request', () => {
    const outcomes = { promote: 0, rollback: 0, conclude: 0 };
    for (let seed = 0; seed < 200; seed++) {
      const result = rollout([0.02, 0.02], 5000 + seed, { liked: [0.3, 0.3], promoteWhen: 'better' });
      const last = result.actions.at(-1) as keyof typeof outcomes;
      expect(last).toBeDefined();
      outcomes[last]++;
    }
    expect(outcomes.promote).toBeLessThanOrEqual(10); // alpha 0.05 of 200
    expect(outcomes.promote + outcomes.rollback + outcomes.conclude).toBe(200);
  });

  it('promotes a canary 10 points better (0.30 → 0.40) before the schedule concludes', () => {
    const runs = Array.from({ length: 50 }, (_, seed) =>
      rollout([0.02, 0.02], 9000 + seed, { liked: [0.3, 0.4], promoteWhen: 'better' }),
    );
    const promoted = runs.filter((run) => run.actions.at(-1) === 'promote');
    expect(promoted.length).toBeGreaterThanOrEqual(45);
    const requests = promoted.map((run) => run.request).sort((a, b) => a - b);
    expect(requests[Math.floor(requests.length / 2)]).toBeLessThan(4000);
  });
});
