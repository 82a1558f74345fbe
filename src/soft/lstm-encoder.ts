// P-tuning's LSTM prompt encoder (PEFT's P_TUNING with encoder_reparameterization_type LSTM): P learned
// rows of the hidden size C run, as one sequence, through a bidirectional LSTM of `layers` layers and
// hidden size H (torch.nn.LSTM: gates i, f, g, o; each layer reads the last one's forward and backward
// outputs side by side), then through Linear(2H, 2H), ReLU, Linear(2H, C). Its output is the soft prompt.
// The parameters live in one vector in PEFT's order (the rows; each layer's forward then reverse
// direction: weight_ih, weight_hh, bias_ih, bias_hh; the head's weights and biases); the backward is
// backpropagation through time, each direction from its last step to its first.
import type { Kernels, Random } from '../engine/index.js';
import { mlpBackward, runMlp, viewMlp, type EncoderMlp, type MlpRun } from './encoder-mlp.js';
import { standardNormal } from './soft-prompt.js';

/** P rows of C through an LSTM of `layers` bidirectional layers of `hidden` (H), then the head. */
export interface LstmEncoderShape {
  rows: number; // P
  size: number; // C: the rows' and the output's
  hidden: number; // H
  layers: number;
}

/** One direction of one layer: views of the encoder's vector. */
interface LstmDirection {
  input: number; // what it reads: C in the first layer, 2H after
  weightInput: Float32Array; // (4H, input)
  weightHidden: Float32Array; // (4H, H)
  biasInput: Float32Array; // (4H)
  biasHidden: Float32Array; // (4H)
}

/** An LSTM prompt encoder whose parts view one vector, `values`. */
export interface LstmEncoder {
  kind: 'lstm';
  shape: LstmEncoderShape;
  values: Float32Array;
  rows: Float32Array; // (P, C)
  directions: LstmDirection[][]; // [layer][forward, reverse]
  /** The head, Linear(2H, 2H), ReLU, Linear(2H, C), as weights and biases (the MLP's rows are the LSTM's output). */
  headWeights: Float32Array[];
  headBiases: Float32Array[];
}

/** The sizes of the parts of `values`, in PEFT's parameter order. */
function partSizes(shape: LstmEncoderShape): number[] {
  const { rows: P, size: C, hidden: H, layers } = shape;
  const parts = [P * C];
  for (let layer = 0; layer < layers; layer++)
    for (let direction = 0; direction < 2; direction++)
      parts.push(4 * H * (layer === 0 ? C : 2 * H), 4 * H * H, 4 * H, 4 * H);
  parts.push(2 * H * 2 * H, 2 * H, C * 2 * H, C);
  return parts;
}

/** The number of parameters of an encoder of `shape`. */
export const lstmEncoderSize = (shape: LstmEncoderShape): number =>
  partSizes(shape).reduce((sum, size) => sum + size, 0);

/** The encoder viewing `values`. */
export function viewLstmEncoder(values: Float32Array, shape: LstmEncoderShape): LstmEncoder {
  let offset = 0;
  const parts = partSizes(shape).map((size) => values.subarray(offset, (offset += size)));
  const directions: LstmDirection[][] = [];
  let next = 1;
  for (let layer = 0; layer < shape.layers; layer++) {
    const both: LstmDirection[] = [];
    for (let direction = 0; direction < 2; direction++) {
      const [weightInput, weightHidden, biasInput, biasHidden] = parts.slice(next, (next += 4));
      both.push({
        input: layer === 0 ? shape.size : 2 * shape.hidden,
        weightInput,
        weightHidden,
        biasInput,
        biasHidden,
      });
    }
    directions.push(both);
  }
  const [weight0, bias0, weight1, bias1] = parts.slice(next);
  return {
    kind: 'lstm',
    shape,
    values,
    rows: parts[0],
    directions,
    headWeights: [weight0, weight1],
    headBiases: [bias0, bias1],
  };
}

/**
 * A new encoder as PyTorch starts one: rows standard normal (nn.Embedding), every LSTM parameter uniform in
 * ±1/sqrt(H), each Linear uniform in ±1/sqrt(in).
 */
export function initLstmEncoder(shape: LstmEncoderShape, random: Random): LstmEncoder {
  const encoder = viewLstmEncoder(new Float32Array(lstmEncoderSize(shape)), shape);
  const uniform = (values: Float32Array, bound: number) =>
    values.forEach((_, i) => (values[i] = (random() * 2 - 1) * bound));
  encoder.rows.forEach((_, i) => (encoder.rows[i] = standardNormal(random)));
  const bound = 1 / Math.sqrt(shape.hidden);
  for (const direction of encoder.directions.flat())
    for (const part of [
      direction.weightInput,
      direction.weightHidden,
      direction.biasInput,
      direction.biasHidden,
    ])
      uniform(part, bound);
  encoder.headWeights.forEach((weight, layer) => {
    const headBound = 1 / Math.sqrt(2 * shape.hidden);
    uniform(weight, headBound);
    uniform(encoder.headBiases[layer], headBound);
  });
  return encoder;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** What one direction's forward keeps for its backward, per step (in its own order): gates and states. */
interface DirectionRun {
  input: Float32Array; // (P, input): the layer's input
  gates: Float32Array; // (P, 4H): i, f, g, o after their activations
  cells: Float32Array; // (P, H): c after the step
  previousHidden: Float32Array; // (P, H): h before the step
  previousCells: Float32Array; // (P, H): c before the step
}

/** A forward pass: each direction's record, the head's run, and the output (P, C). */
export interface LstmEncoderRun {
  directions: DirectionRun[][];
  head: { mlp: EncoderMlp; run: MlpRun };
  output: Float32Array;
}

/** The step order of a direction: forward 0..P-1, reverse P-1..0. */
const stepOrder = (rows: number, direction: number): number[] =>
  Array.from({ length: rows }, (_, i) => (direction === 0 ? i : rows - 1 - i));

/** Runs one direction over `input` (P, in), writing its H outputs into `output` (P, 2H) at `column`. */
function runDirection(
  kernels: Kernels,
  parameters: LstmDirection,
  input: Float32Array,
  rows: number,
  hidden: number,
  direction: number,
  output: Float32Array,
): DirectionRun {
  const H = hidden;
  // every step's input projection at once: x W_ihᵀ + b_ih + b_hh
  const projected = new Float32Array(rows * 4 * H);
  for (let t = 0; t < rows; t++)
    for (let j = 0; j < 4 * H; j++)
      projected[t * 4 * H + j] = parameters.biasInput[j] + parameters.biasHidden[j];
  kernels.gemm(
    false,
    true,
    rows,
    4 * H,
    parameters.input,
    1,
    input,
    parameters.input,
    parameters.weightInput,
    parameters.input,
    1,
    projected,
    4 * H,
  );
  const record: DirectionRun = {
    input,
    gates: new Float32Array(rows * 4 * H),
    cells: new Float32Array(rows * H),
    previousHidden: new Float32Array(rows * H),
    previousCells: new Float32Array(rows * H),
  };
  let h = new Float32Array(H);
  let c = new Float32Array(H);
  for (const t of stepOrder(rows, direction)) {
    record.previousHidden.set(h, t * H);
    record.previousCells.set(c, t * H);
    const gates = record.gates.subarray(t * 4 * H, (t + 1) * 4 * H);
    for (let j = 0; j < 4 * H; j++) {
      let sum = projected[t * 4 * H + j];
      const row = j * H;
      for (let k = 0; k < H; k++) sum += parameters.weightHidden[row + k] * h[k];
      gates[j] = j >= 2 * H && j < 3 * H ? Math.tanh(sum) : sigmoid(sum);
    }
    const nextH = new Float32Array(H);
    const nextC = new Float32Array(H);
    for (let k = 0; k < H; k++) {
      nextC[k] = gates[H + k] * c[k] + gates[k] * gates[2 * H + k];
      nextH[k] = gates[3 * H + k] * Math.tanh(nextC[k]);
      output[t * 2 * H + direction * H + k] = nextH[k];
    }
    record.cells.set(nextC, t * H);
    h = nextH;
    c = nextC;
  }
  return record;
}

/** Runs the encoder: its rows through the LSTM's layers, then the head. */
export function runLstmEncoder(kernels: Kernels, encoder: LstmEncoder): LstmEncoderRun {
  const { rows: P, size: C, hidden: H } = encoder.shape;
  let input = encoder.rows;
  const directions: DirectionRun[][] = [];
  for (const layer of encoder.directions) {
    const output = new Float32Array(P * 2 * H);
    directions.push(layer.map((parameters, d) => runDirection(kernels, parameters, input, P, H, d, output)));
    input = output;
  }
  // the head is an MLP whose rows are the LSTM's output
  const shape = { rows: P, sizes: [2 * H, 2 * H, C], activation: 'relu' as const };
  const packed = new Float32Array(lstmHeadSize(shape.sizes) + P * 2 * H);
  const mlp = viewMlp(packed, shape);
  mlp.rows.set(input);
  encoder.headWeights.forEach((weight, layer) => {
    mlp.weights[layer].set(weight);
    mlp.biases[layer].set(encoder.headBiases[layer]);
  });
  const run = runMlp(kernels, mlp);
  return { directions, head: { mlp, run }, output: run.output };
}

/** The head's weights and biases, counted. */
function lstmHeadSize(sizes: number[]): number {
  let total = 0;
  for (let i = 0; i + 1 < sizes.length; i++) total += sizes[i + 1] * sizes[i] + sizes[i + 1];
  return total;
}

/**
 * Backpropagation through one direction: from d loss / d its outputs (columns `direction` of
 * `outputGradient`, (P, 2H)), its parameters' gradients into `gradient` and d loss / d its input added to
 * `inputGradient` (P, in).
 */
function directionBackward(
  kernels: Kernels,
  parameters: LstmDirection,
  gradient: LstmDirection,
  record: DirectionRun,
  outputGradient: Float32Array,
  rows: number,
  hidden: number,
  direction: number,
  inputGradient: Float32Array,
): void {
  const H = hidden;
  const dPre = new Float32Array(rows * 4 * H); // d loss / d each step's gate pre-activations
  let dHidden = new Float32Array(H); // from the step after (in this direction's order)
  let dCell = new Float32Array(H);
  for (const t of stepOrder(rows, direction).reverse()) {
    const gates = record.gates.subarray(t * 4 * H, (t + 1) * 4 * H);
    const d = dPre.subarray(t * 4 * H, (t + 1) * 4 * H);
    const nextDCell = new Float32Array(H);
    for (let k = 0; k < H; k++) {
      const [i, f, g, o] = [gates[k], gates[H + k], gates[2 * H + k], gates[3 * H + k]];
      const dh = outputGradient[t * 2 * H + direction * H + k] + dHidden[k];
      const tanhCell = Math.tanh(record.cells[t * H + k]);
      const dc = dh * o * (1 - tanhCell * tanhCell) + dCell[k];
      d[k] = dc * g * i * (1 - i);
      d[H + k] = dc * record.previousCells[t * H + k] * f * (1 - f);
      d[2 * H + k] = dc * i * (1 - g * g);
      d[3 * H + k] = dh * tanhCell * o * (1 - o);
      nextDCell[k] = dc * f;
    }
    // d h_prev = W_hhᵀ d; d W_hh += d ⊗ h_prev
    const nextDHidden = new Float32Array(H);
    for (let j = 0; j < 4 * H; j++) {
      const dj = d[j];
      if (dj === 0) continue;
      const row = j * H;
      for (let k = 0; k < H; k++) {
        nextDHidden[k] += parameters.weightHidden[row + k] * dj;
        gradient.weightHidden[row + k] += dj * record.previousHidden[t * H + k];
      }
    }
    dHidden = nextDHidden;
    dCell = nextDCell;
  }
  for (let t = 0; t < rows; t++)
    for (let j = 0; j < 4 * H; j++) {
      gradient.biasInput[j] += dPre[t * 4 * H + j];
      gradient.biasHidden[j] += dPre[t * 4 * H + j];
    }
  const input = parameters.input;
  // d W_ih = dPreᵀ x; d x += dPre W_ih
  kernels.gemm(
    true,
    false,
    4 * H,
    input,
    rows,
    1,
    dPre,
    4 * H,
    record.input,
    input,
    1,
    gradient.weightInput,
    input,
  );
  kernels.gemm(
    false,
    false,
    rows,
    input,
    4 * H,
    1,
    dPre,
    4 * H,
    parameters.weightInput,
    input,
    1,
    inputGradient,
    input,
  );
}

/** d loss / d the encoder's parameters (in `values` order) from d loss / d its output. */
export function lstmEncoderBackward(
  kernels: Kernels,
  encoder: LstmEncoder,
  run: LstmEncoderRun,
  outputGradient: Float32Array,
): Float32Array {
  const { rows: P, hidden: H } = encoder.shape;
  const gradient = viewLstmEncoder(new Float32Array(encoder.values.length), encoder.shape);
  const head = viewMlp(mlpBackward(kernels, run.head.mlp, run.head.run, outputGradient), run.head.mlp.shape);
  head.weights.forEach((weight, layer) => {
    gradient.headWeights[layer].set(weight);
    gradient.headBiases[layer].set(head.biases[layer]);
  });
  let upstream = head.rows; // d loss / d the last layer's output (P, 2H)
  for (let layer = encoder.directions.length - 1; layer >= 0; layer--) {
    const inputGradient = layer === 0 ? gradient.rows : new Float32Array(P * 2 * H);
    encoder.directions[layer].forEach((parameters, direction) =>
      directionBackward(
        kernels,
        parameters,
        gradient.directions[layer][direction],
        run.directions[layer][direction],
        upstream,
        P,
        H,
        direction,
        inputGradient,
      ),
    );
    upstream = inputGradient;
  }
  return gradient.values;
}
