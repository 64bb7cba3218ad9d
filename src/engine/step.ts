/**
 * Lean training-loop primitives every model shares.
 *
 *   trainStep(optimizer, lossFn, varList?) → tf.Scalar
 *       One optimisation step (gradients of lossFn, optimizer update) inside one tidy. Returns
 *       the loss tensor, unread: reading it every batch costs a sync on backends that queue
 *       work; hand it to a LossMeter (which takes ownership) and read once per epoch.
 *   new LossMeter(); meter.add(loss, weight?); meter.mean() → number; meter.dispose()
 *       Weighted running mean of per-batch losses, summed on the device.
 *   batchOrder(n, { batchSize, seed?, dropRemainder? }) → Int32Array[]
 *       The epoch's batches as row indices: a seeded shuffle (no seed: in order), cut into
 *       batchSize pieces (last one shorter unless dropRemainder).
 *   adam(lr?, beta1?, beta2?, epsilon?) → tf.AdamOptimizer      (from ./adam.js)
 *       tf.train.adam with the update fused into one pass per variable on wasm (same maths,
 *       state and serialisation); the MLP step spends a fifth of its time in TF.js's Adam.
 *   adamStepInPlace(w, g, m, v, step) → boolean                    (from ./adam.js)
 *       The trainer's Adam/AdamW update of one variable in one pass on wasm, bit for bit the
 *       op-by-op float32 arithmetic; false (nothing changed) where it cannot run.
 *   gatherRows(data, sampleShape, rows) → tf.Tensor
 *       Tensor [rows.length, ...sampleShape] from a flat sample-major array, copying only the
 *       chosen rows (the dataset is never copied whole). Float32Array → float32, Int32Array → int32.
 *
 * Typical epoch:
 *   const meter = new LossMeter();
 *   for (const rows of batchOrder(n, { batchSize: 128, seed })) {
 *     const [x, y] = [gatherRows(xs, [28, 28, 1], rows), gatherRows(labels, [], rows)];
 *     meter.add(trainStep(opt, () => lossOf(model, x, y)), rows.length);
 *     tf.dispose([x, y]);
 *   }
 *   const epochLoss = meter.mean();  // the only read of the epoch
 *   meter.dispose();
 */
import { tf } from './index.js';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapF32, heapI32 } from './kernels/wasm.js';
import { check } from '../util/errors.js';
export { adam, adamStepInPlace, FusedAdam, type AdamStep } from './adam.js';
import { makeRng } from '../util/rng.js';

/** One step of `optimizer` on `lossFn` (over `varList`, default all trainable variables); returns the loss, unread. */
export function trainStep(optimizer: tf.Optimizer, lossFn: () => tf.Scalar, varList?: tf.Variable[]): tf.Scalar {
  const loss = optimizer.minimize(lossFn, true, varList);
  if (!loss) throw new Error('trainStep: the optimizer returned no loss');
  return loss;
}

/** Weighted mean of per-batch losses accumulated on the device; one read in mean(). */
export class LossMeter {
  private sum: tf.Scalar | null = null;
  private weight = 0;

  /** Adds `loss` (taking ownership: it is disposed) with weight `weight`, e.g. the batch size. */
  add(loss: tf.Scalar, weight = 1): void {
    const next = tf.tidy(() => {
      const term = weight === 1 ? loss : tf.mul(loss, weight);
      return (this.sum ? tf.add(this.sum, term) : term.clone()) as tf.Scalar;
    });
    this.sum?.dispose();
    loss.dispose();
    this.sum = next;
    this.weight += weight;
  }

  /** The weighted mean so far (NaN before any add). */
  mean(): number {
    if (!this.sum || this.weight === 0) return Number.NaN;
    return this.sum.dataSync()[0] / this.weight;
  }

  reset(): void {
    this.sum?.dispose();
    this.sum = null;
    this.weight = 0;
  }

  dispose(): void {
    this.reset();
  }
}

export interface BatchOrderOptions {
  batchSize: number;
  /** Shuffle with this seed; omitted: rows in order. */
  seed?: number;
  /** Drop the last batch if it is short. */
  dropRemainder?: boolean;
}

/** The batches of one epoch over n rows, as row indices. */
export function batchOrder(n: number, options: BatchOrderOptions): Int32Array[] {
  const { batchSize, seed, dropRemainder = false } = options;
  check(Number.isInteger(batchSize) && batchSize >= 1, `batch size must be a positive integer, got ${batchSize}`, 'invalid-option');
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (seed !== undefined) makeRng(seed).shuffle(order);
  const out: Int32Array[] = [];
  for (let from = 0; from < n; from += batchSize) {
    const to = Math.min(n, from + batchSize);
    if (dropRemainder && to - from < batchSize) break;
    out.push(order.subarray(from, to));
  }
  return out;
}

/**
 * Tensor [rows.length, ...sampleShape] gathered from the flat sample-major `data`. On wasm the rows
 * are copied straight into the tensor's memory on the heap (one copy instead of two).
 */
export function gatherRows(data: Float32Array | Int32Array, sampleShape: readonly number[], rows: ArrayLike<number>): tf.Tensor {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  check(
    data.length % size === 0,
    `data length ${data.length} is not a multiple of the sample size ${size} (shape [${sampleShape.join(', ')}])`,
  );
  const n = data.length / size;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    if (!(r >= 0 && r < n)) check(false, `row ${r} out of range: the data has ${n} rows`);
  }
  const shape = [rows.length, ...sampleShape];
  const dtype = data instanceof Float32Array ? 'float32' : 'int32';
  const copyInto = (out: Float32Array | Int32Array): void => {
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i];
      if (size === 1) out[i] = data[r];
      else out.set(data.subarray(r * size, (r + 1) * size), i * size);
    }
  };
  if (tf.getBackend() === 'wasm') {
    const backend = tf.backend() as unknown as BackendWasm;
    const info = backend.makeOutput(shape, dtype);
    copyInto(dtype === 'float32' ? heapF32(backend, info) : heapI32(backend, info));
    return tf.engine().makeTensorFromTensorInfo(info);
  }
  const out = new (data instanceof Float32Array ? Float32Array : Int32Array)(rows.length * size);
  copyInto(out);
  return tf.tensor(out, shape, dtype);
}
