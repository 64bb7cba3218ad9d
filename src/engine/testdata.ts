/** Test inputs the engine's kernel tests share (not shipped: tsconfig.build.json leaves testdata.ts out). */
import { tf } from './index.js';

/**
 * A deterministic tensor whose values spread over orders of magnitude, both signs:
 * ±10^u with u uniform in [lowExp, highExp] (default 1e-3 to 1e3), from a seeded LCG — inputs
 * that expose a kernel summing in another order than the stock one.
 */
export function spread(shape: number[], seed: number, lowExp = -3, highExp = 3): tf.Tensor {
  const out = new Float32Array(tf.util.sizeFromShape(shape));
  let s = seed >>> 0 || 1;
  const next = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  for (let i = 0; i < out.length; i++) out[i] = (next() < 0.5 ? -1 : 1) * 10 ** (lowExp + (highExp - lowExp) * next());
  return tf.tensor(out, shape);
}

/** A layer's training forward pass y = layer(x, W, b). */
export type LayerFn = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** The layer's output on the tape and the gradients of Σ r ⊙ y with respect to x, W and b, as bit patterns. */
export function layerBits(layer: LayerFn, x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, r: tf.Tensor): number[][] {
  return tf.tidy(() => {
    let y: tf.Tensor | null = null;
    const grads = tf.grads((xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => {
      y = tf.keep(layer(xx, ww, bb));
      return tf.sum(tf.mul(y, r));
    })([x, w, b]);
    const out = [y as unknown as tf.Tensor, ...grads].map((t) =>
      Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer)),
    );
    tf.dispose(y as unknown as tf.Tensor);
    return out;
  });
}
