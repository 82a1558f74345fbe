// A compare-methods measurement to build tests on: LoRA on `name` at one training-set size, every number
// plausible, any field overridden.
import type { MethodMeasurement } from '../src/cli/method-measurement.js';

/** A LoRA measurement of `trainExamples` examples, with `fields` in place of the defaults. */
export const sampleMeasurement = (
  trainExamples: number,
  fields: Partial<MethodMeasurement> = {},
): MethodMeasurement => ({
  task: 'name',
  method: 'lora',
  trainExamples,
  trainableParameters: 23_120,
  learningRate: 0.001,
  steps: 8,
  secondsPerStep: 0.1,
  peakResidentMegabytes: 200,
  testAccuracy: 0.75,
  devAccuracy: 0.5,
  heldOutPerplexity: { before: 2.5, after: 2.75 },
  serving: {
    bytesPerTask: 92_480,
    extraMultiplyAddsPerToken: 23_120,
    extraPositionsPerRequest: 0,
    sharesModel: true,
  },
  ...fields,
});
