/**
 * The softmax losses every training step ends in, each as one wasm kernel with a one-kernel
 * gradient, instead of the ~14 forward and ~12 backward TF.js kernels of their op-by-op forms
 * (src/kd/losses.ts crossEntropy, src/kd/common.ts softTargetLoss): on the small MLP those
 * dispatches, their tape nodes and scalar tensors were a fifth of the step.
 *
 * Same bits: every kernel below repeats the float32 operations of the op-by-op form and of the
 * gradients TF.js derives from it, in the same order — max and sequential row sums as wasm's Max
 * and Sum, each product, quotient and difference rounded to float32 (Math.fround; IEEE results
 * are the exact results rounded once), and exp and log computed by wasm's own Exp and Log kernels
 * (its expf/logf, not JavaScript's). src/kd/losses.test.ts compares values and gradients bit for
 * bit with the op-by-op forms.
 *
 * Registered for the wasm backend only; `fusedCrossEntropy`, `fusedSoftTargetLoss` and
 * `fusedKdLoss` return null elsewhere (tfjs-node, cpu) and the callers run the op-by-op form.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { free, heapF32, heapI32, runWasm, type Info } from './wasm.js';

const CE = 'CmkdSoftmaxCrossEntropy';
const CE_GRAD = 'CmkdSoftmaxCrossEntropyGrad';
const KL = 'CmkdSoftTargetLoss';
const KL_GRAD = 'CmkdSoftTargetLossGrad';
const KD = 'CmkdKdLoss';
const KD_GRAD = 'CmkdKdLossGrad';

type Reduction = 'mean' | 'sum';
type Args = { inputs: Record<string, Info>; backend: BackendWasm; attrs: Record<string, unknown> };

const f = Math.fround;

/** A fresh float32 tensor holding `values`. */
function upload(backend: BackendWasm, shape: number[], values: ArrayLike<number>): Info {
  const out = backend.makeOutput(shape, 'float32');
  heapF32(backend, out).set(values);
  return out;
}

/** Runs wasm's unary kernel `name` (Exp, Log) on `values`: its own float32 results. */
function wasmUnary(backend: BackendWasm, name: 'Exp' | 'Log', values: Float32Array): Float32Array {
  const x = upload(backend, [values.length], values);
  const y = runWasm(backend, name, { x });
  const out = heapF32(backend, y).slice();
  free(backend, x, y);
  return out;
}

/**
 * log softmax of each row of x [rows × cols] as tf.logSoftmax computes it on wasm:
 * shifted = x − max (wasm's Max: the first value, replaced by any greater one), value = shifted − log Σ exp(shifted).
 */
function logSoftmaxRows(backend: BackendWasm, x: Float32Array, rows: number, cols: number): Float32Array {
  const shifted = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let m = x[o];
    for (let c = 0; c < cols; c++) if (x[o + c] > m) m = x[o + c];
    for (let c = 0; c < cols; c++) shifted[o + c] = x[o + c] - m;
  }
  const e = wasmUnary(backend, 'Exp', shifted);
  const sums = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s = f(s + e[i * cols + c]);
    sums[i] = s;
  }
  const logs = wasmUnary(backend, 'Log', sums);
  const value = new Float32Array(x.length);
  for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) value[i * cols + c] = shifted[i * cols + c] - logs[i];
  return value;
}

/** The batch reduction of row values r as tf.mean (sequential sum, then ÷ rows) or tf.sum. */
function reduceRows(r: Float32Array, reduction: Reduction): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s = f(s + r[i]);
  return reduction === 'mean' ? f(s / r.length) : s;
}

/** The gradient the batch reduction passes to every row for upstream gradient g: g/rows (mean) or g (sum), in float32. */
function rowGradient(g: number, rows: number, reduction: Reduction): number {
  return reduction === 'mean' ? f(g / rows) : g;
}

/** logSoftmax's custom gradient on one row: dx = dy − (Σ dy)·exp(value). */
function logSoftmaxGradRows(dy: Float32Array, softmax: Float32Array, rows: number, cols: number): Float32Array {
  const dx = new Float32Array(dy.length);
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    let s = 0;
    for (let c = 0; c < cols; c++) s = f(s + dy[o + c]);
    for (let c = 0; c < cols; c++) dx[o + c] = dy[o + c] - f(s * softmax[o + c]);
  }
  return dx;
}

/*
 * A gradient kernel reads the same logits as its forward kernel did a moment before. Tensors never
 * change (cmkd's in-place writes touch only an optimiser's own moments), so what the forward pass
 * computed from a tensor's data holds while that data lives: the log-softmaxes are kept per data
 * id (weakly: they go with the tensor) and the backward pass reuses them instead of running wasm's
 * Exp and Log again. The same values either way.
 */
const logSoftmaxes = new WeakMap<object, { shape: string; value: Float32Array; softmax?: Float32Array }>();

/** logSoftmax of logits [rows × cols] (and, on demand, its exp), computed once per tensor. */
function logSoftmaxOf(backend: BackendWasm, logits: Info) {
  const shape = logits.shape.join();
  let m = logSoftmaxes.get(logits.dataId);
  if (!m || m.shape !== shape) {
    m = { shape, value: logSoftmaxRows(backend, heapF32(backend, logits), logits.shape[0], logits.shape[1]) };
    logSoftmaxes.set(logits.dataId, m);
  }
  return m;
}

// −(1/B) Σ_i log softmax(s_i)[y_i] (reduction 'mean') or −Σ_i … ('sum'): neg(mean|sum(Σ_c onehot(y)_c · logSoftmax(s)_c))
function crossEntropyValue(backend: BackendWasm, logits: Info, labels: Info, reduction: Reduction): number {
  const [rows, cols] = logits.shape;
  const { value } = logSoftmaxOf(backend, logits);
  const y = heapI32(backend, labels);
  const r = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s = f(s + f((y[i] === c ? 1 : 0) * value[i * cols + c]));
    r[i] = s;
  }
  return -reduceRows(r, reduction);
}

// d/ds of the above for upstream gradient dy: neg, mean (÷B) or sum, the row sum's broadcast, × onehot, logSoftmax's gradient
function crossEntropyGradient(backend: BackendWasm, logits: Info, labels: Info, reduction: Reduction, dy: number): Float32Array {
  const [rows, cols] = logits.shape;
  const m = logSoftmaxOf(backend, logits);
  const softmax = (m.softmax ??= wasmUnary(backend, 'Exp', m.value));
  const g = rowGradient(-dy, rows, reduction);
  const y = heapI32(backend, labels);
  const d = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let c = 0; c < cols; c++) d[i * cols + c] = g * (y[i] === c ? 1 : 0);
  return logSoftmaxGradRows(d, softmax, rows, cols);
}

const crossEntropyForward = ({ inputs, backend, attrs }: Args): Info =>
  upload(backend, [], [crossEntropyValue(backend, inputs.logits, inputs.labels, attrs.reduction as Reduction)]);

function crossEntropyBackward({ inputs, backend, attrs }: Args): Info {
  const { dy, logits, labels } = inputs;
  const d = crossEntropyGradient(backend, logits, labels, attrs.reduction as Reduction, heapF32(backend, dy)[0]);
  return upload(backend, [...logits.shape], d);
}

/**
 * Both inputs' log-softmaxes at temperature T and their probabilities: the student's rows and the
 * teacher's stacked, so that each of wasm's Exp, Log and Exp runs once (rows are independent).
 */
function softTargets(backend: BackendWasm, s: Info, t: Info, temperature: number): SoftTargets {
  const shape = s.shape.join();
  const m = softTargetsKept.get(s.dataId);
  if (m && m.t === t.dataId && m.temperature === temperature && m.shape === shape) return m.value;
  const value = computeSoftTargets(backend, s, t, temperature);
  softTargetsKept.set(s.dataId, { t: t.dataId, temperature, shape, value });
  return value;
}

type SoftTargets = ReturnType<typeof computeSoftTargets>;
/** softTargets per student data id (see logSoftmaxes above), with the teacher and temperature they were computed for. */
const softTargetsKept = new WeakMap<object, { t: object; temperature: number; shape: string; value: SoftTargets }>();

function computeSoftTargets(backend: BackendWasm, s: Info, t: Info, temperature: number) {
  const [rows, cols] = s.shape;
  const n = rows * cols;
  const T = f(temperature);
  const scaled = new Float32Array(2 * n);
  const [sv, tv] = [heapF32(backend, s), heapF32(backend, t)];
  for (let k = 0; k < n; k++) {
    scaled[k] = sv[k] / T;
    scaled[n + k] = tv[k] / T;
  }
  const logP = logSoftmaxRows(backend, scaled, 2 * rows, cols);
  const p = wasmUnary(backend, 'Exp', logP);
  const [logPs, logPt, ps, pt] = [logP.subarray(0, n), logP.subarray(n), p.subarray(0, n), p.subarray(n)];
  const diff = new Float32Array(n);
  for (let k = 0; k < n; k++) diff[k] = logPt[k] - logPs[k];
  return { rows, cols, T, logPs, logPt, ps, pt, diff };
}

// T² · (1/B) Σ_i Σ_c p_t (log p_t − log p_s), p = softmax(logits/T): mul(mean(sum(mul(exp(logPt), sub(logPt, logPs)), 1)), T²)
function softTargetValue(backend: BackendWasm, s: Info, t: Info, temperature: number): number {
  const { rows, cols, pt, diff } = softTargets(backend, s, t, temperature);
  const r = new Float32Array(rows);
  for (let i = 0; i < rows; i++) {
    let sum = 0;
    for (let c = 0; c < cols; c++) sum = f(sum + f(pt[i * cols + c] * diff[i * cols + c]));
    r[i] = sum;
  }
  return f(reduceRows(r, 'mean') * f(temperature * temperature));
}

// d/ds (wrt 's') or d/dt (wrt 't') of the above for upstream gradient dy, through the same chain of TF.js gradients
function softTargetGradient(backend: BackendWasm, s: Info, t: Info, temperature: number, dy: number, wrt: 's' | 't'): Float32Array {
  const { rows, cols, T, ps, pt, diff } = softTargets(backend, s, t, temperature);
  // mul(·, T²), then mean: every row's sum passes g on to each of its terms p_t·(log p_t − log p_s)
  const g = rowGradient(f(dy * f(temperature * temperature)), rows, 'mean');
  const n = rows * cols;
  const dDiff = new Float32Array(n);
  for (let k = 0; k < n; k++) dDiff[k] = g * pt[k];
  const dLog = new Float32Array(n);
  let softmax: Float32Array;
  if (wrt === 's') {
    for (let k = 0; k < n; k++) dLog[k] = -dDiff[k]; // sub's gradient for its second input
    softmax = ps;
  } else {
    // log p_t feeds sub (gradient dDiff) and exp (gradient g·diff·p_t); the tape adds the two
    for (let k = 0; k < n; k++) dLog[k] = dDiff[k] + f(f(g * diff[k]) * pt[k]);
    softmax = pt;
  }
  const d = logSoftmaxGradRows(dLog, softmax, rows, cols);
  for (let k = 0; k < n; k++) d[k] = d[k] / T;
  return d;
}

const softTargetForward = ({ inputs, backend, attrs }: Args): Info =>
  upload(backend, [], [softTargetValue(backend, inputs.s, inputs.t, attrs.temperature as number)]);

function softTargetBackward({ inputs, backend, attrs }: Args): Info {
  const { dy, s, t } = inputs;
  const d = softTargetGradient(backend, s, t, attrs.temperature as number, heapF32(backend, dy)[0], attrs.wrt as 's' | 't');
  return upload(backend, [...s.shape], d);
}

type KdAttrs = { temperature: number; taskWeight: number; kdWeight: number };

// addN([mul(CE(y, s), w_task), mul(T²·KL, w_kd)]): AddN sums from 0, each weight a float32 scalar
function kdForward({ inputs, backend, attrs }: Args): Info {
  const { s, t, labels } = inputs;
  const a = attrs as unknown as KdAttrs;
  const task = f(crossEntropyValue(backend, s, labels, 'mean') * f(a.taskWeight));
  const kd = f(softTargetValue(backend, s, t, a.temperature) * f(a.kdWeight));
  return upload(backend, [], [f(f(0 + task) + kd)]);
}

// AddN passes dy to both terms, each mul scales it by its weight; the tape adds the two gradients of s
function kdBackward({ inputs, backend, attrs }: Args): Info {
  const { dy, s, t, labels } = inputs;
  const a = attrs as unknown as KdAttrs;
  const g = heapF32(backend, dy)[0];
  const dKd = softTargetGradient(backend, s, t, a.temperature, f(g * f(a.kdWeight)), attrs.wrt as 's' | 't');
  if (attrs.wrt === 's') {
    const dTask = crossEntropyGradient(backend, s, labels, 'mean', f(g * f(a.taskWeight)));
    for (let k = 0; k < dKd.length; k++) dKd[k] = dKd[k] + dTask[k];
  }
  return upload(backend, [...s.shape], dKd);
}

const asKernel = (fn: (a: Args) => Info): tf.KernelFunc => fn as unknown as tf.KernelFunc;

/** The kernels and their gradients (the gradients are backend-independent; the kernels exist on wasm only). */
export const softmaxLossKernels: Omit<tf.KernelConfig, 'backendName'>[] = [
  { kernelName: CE, kernelFunc: asKernel(crossEntropyForward) },
  { kernelName: CE_GRAD, kernelFunc: asKernel(crossEntropyBackward) },
  { kernelName: KL, kernelFunc: asKernel(softTargetForward) },
  { kernelName: KL_GRAD, kernelFunc: asKernel(softTargetBackward) },
  { kernelName: KD, kernelFunc: asKernel(kdForward) },
  { kernelName: KD_GRAD, kernelFunc: asKernel(kdBackward) },
];

export const softmaxLossGradients: tf.GradConfig[] = [
  {
    kernelName: CE,
    inputsToSave: ['logits', 'labels'],
    gradFunc: (dy, saved, attrs) => {
      const [logits, labels] = saved;
      return {
        logits: () => tf.engine().runKernel(CE_GRAD, { dy: dy as tf.Tensor, logits, labels }, attrs) as tf.Tensor,
      };
    },
  },
  {
    kernelName: KL,
    inputsToSave: ['s', 't'],
    gradFunc: (dy, saved, attrs) => {
      const [s, t] = saved;
      const along = (wrt: 's' | 't') => () => tf.engine().runKernel(KL_GRAD, { dy: dy as tf.Tensor, s, t }, { ...attrs, wrt }) as tf.Tensor;
      return { s: along('s'), t: along('t') };
    },
  },
  {
    kernelName: KD,
    inputsToSave: ['s', 't', 'labels'],
    gradFunc: (dy, saved, attrs) => {
      const [s, t, labels] = saved;
      const along = (wrt: 's' | 't') => () =>
        tf.engine().runKernel(KD_GRAD, { dy: dy as tf.Tensor, s, t, labels }, { ...attrs, wrt }) as tf.Tensor;
      return { s: along('s'), t: along('t') };
    },
  },
];

const fusedHere = (name: string): boolean => tf.getKernel(name, tf.getBackend()) !== undefined;

/**
 * crossEntropy(logits, labels) (reduction 'mean') or crossEntropySum ('sum') in one kernel, or
 * null where the kernel does not run (another backend, labels not int32, not [B, C] and [B]).
 */
export function fusedCrossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, reduction: Reduction = 'mean'): tf.Scalar | null {
  if (!fusedHere(CE) || logits.dtype !== 'float32' || labels.dtype !== 'int32' || logits.rank !== 2 || labels.rank !== 1) return null;
  return tf.engine().runKernel(CE, { logits, labels }, { reduction }) as tf.Scalar;
}

/** softTargetLoss(s, t, T) for a fixed temperature in one kernel, or null where the kernel does not run. */
export function fusedSoftTargetLoss(s: tf.Tensor2D, t: tf.Tensor2D, temperature: number): tf.Scalar | null {
  if (!fusedHere(KL) || s.dtype !== 'float32' || t.dtype !== 'float32' || s.rank !== 2 || t.rank !== 2) return null;
  return tf.engine().runKernel(KL, { s, t }, { temperature }) as tf.Scalar;
}

/**
 * Vanilla KD's loss w_task·CE(y, s) + w_kd·softTargetLoss(s, t, T) (src/kd/kd.ts kdLoss, unstandardised,
 * a fixed T) in one kernel, the same bits as its terms' sum; null where the kernel does not run.
 */
export function fusedKdLoss(
  s: tf.Tensor2D,
  t: tf.Tensor2D,
  labels: tf.Tensor1D,
  o: { temperature: number; taskWeight: number; kdWeight: number },
): tf.Scalar | null {
  if (!fusedHere(KD) || s.dtype !== 'float32' || t.dtype !== 'float32' || labels.dtype !== 'int32') return null;
  if (s.rank !== 2 || t.rank !== 2 || labels.rank !== 1) return null;
  return tf
    .engine()
    .runKernel(KD, { s, t, labels }, { temperature: o.temperature, taskWeight: o.taskWeight, kdWeight: o.kdWeight }) as tf.Scalar;
}
