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
