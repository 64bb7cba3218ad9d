/** Inference helpers: a model's outputs over many rows, in batches. */
import { tf } from '../engine/index.js';
import { check } from '../util/errors.js';
import { throwIfAborted, type ProgressFn } from '../util/progress.js';

export interface ModelOutputs {
  /** n × C logits (or n × 1 regression predictions). */
  logits: Float32Array;
  /** n × D penultimate embeddings. */
  embedding: Float32Array;
  /** C (columns of logits). */
  logitsSize: number;
  /** D (columns of embedding). */
  embeddingSize: number;
}

/**
 * Logits and embeddings of `model` (inference mode) on `n` rows of `x` (flat, sample-major),
 * e.g. a frozen teacher's outputs for distillation.
 */
export async function predictOutputs(
  model: tf.LayersModel,
  x: Float32Array,
  n: number,
  batchSize = 256,
  opts: { onProgress?: ProgressFn; signal?: AbortSignal; label?: string } = {},
): Promise<ModelOutputs> {
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  const rowSize = inputShape.reduce((a, b) => a * b, 1);
  check(
    x.length === n * rowSize,
    () => `inputs have ${x.length} values; model '${model.name}' expects n × [${inputShape.join(', ')}] = ${n} × ${rowSize}`,
  );
  check(model.outputs.length === 2, `model '${model.name}' must have two outputs [logits, embedding]`, 'invalid-option');
  const logitsSize = model.outputs[0].shape[1] as number;
  const embeddingSize = model.outputs[1].shape[1] as number;
  const logits = new Float32Array(n * logitsSize);
  const embedding = new Float32Array(n * embeddingSize);
  for (let from = 0; from < n; from += batchSize) {
    throwIfAborted(opts.signal);
    const to = Math.min(n, from + batchSize);
    const [l, e] = tf.tidy(() => {
      const xb = tf.tensor(x.subarray(from * rowSize, to * rowSize), [to - from, ...inputShape]);
      return model.apply(xb, { training: false }) as tf.Tensor[];
    });
    const [lv, ev] = await Promise.all([l.data(), e.data()]);
    tf.dispose([l, e]);
    logits.set(lv as Float32Array, from * logitsSize);
    embedding.set(ev as Float32Array, from * embeddingSize);
    opts.onProgress?.({ task: opts.label ?? 'predict', done: to, total: n });
  }
  return { logits, embedding, logitsSize, embeddingSize };
}
