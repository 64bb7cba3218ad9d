/**
 * Adam with the update fused into one pass per variable on the wasm heap.
 *
 * TF.js's AdamOptimizer spends ~13 kernels per variable per step (moments, bias correction,
 * sqrt, division, assign), each allocating a tensor; on a small MLP that is a fifth of the
 * step. FusedAdam is the same optimizer (same class name, config, weights and maths:
 * m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², w ← w − lr·m̂/(√v̂ + ε) with m̂ = m/(1−β₁ᵗ),
 * v̂ = v/(1−β₂ᵗ)) that, on the wasm backend, computes all three in one loop: m and v in
 * place, w into a fresh buffer that the variable is then assigned. (w must not change in
 * place: wasm caches XNNPACK operators, with packed weights, by tensor id.) It falls back to
 * TF.js's implementation on other backends, and whenever some tensor other than the
 * optimizer's own moment variables shares their memory, so nothing outside the optimizer
 * ever sees values change under it.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdAdam } from './kernels/simd.js';
import { heapF32 } from './kernels/wasm.js';

type Named = Parameters<tf.AdamOptimizer['applyGradients']>[0];

interface AdamState {
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export class FusedAdam extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Named): void {
    if (tf.getBackend() !== 'wasm' || !this.updateInPlace(variableGradients)) super.applyGradients(variableGradients);
  }

  /** The fused update; false (having changed nothing) if some variable cannot be updated in place. */
  private updateInPlace(variableGradients: Named): boolean {
    const self = this as unknown as AdamState;
    const backend = tf.backend() as unknown as BackendWasm;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const gradientOf = (i: number): tf.Tensor | undefined =>
      Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[names[i]];
    const registered = tf.engine().registeredVariables;
    // Moment slots are created exactly as TF.js does, so getWeights/setWeights stay compatible.
    names.forEach((name, i) => {
      const value = registered[name];
      self.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
      self.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
    });
    const owned = (t: tf.Tensor): boolean => t.dtype === 'float32' && backend.refCount(t.dataId) === 1;
    const safe = names.every((name, i) => {
      if (!gradientOf(i)) return true;
      return (
        registered[name].dtype === 'float32' &&
        owned(self.accumulatedFirstMoment[i].variable) &&
        owned(self.accumulatedSecondMoment[i].variable)
      );
    });
    if (!safe || !owned(self.accBeta1) || !owned(self.accBeta2)) return false;

    const { beta1, beta2, epsilon, learningRate } = self;
    const correction1 = 1 - heapF32(backend, self.accBeta1)[0];
    const correction2 = 1 - heapF32(backend, self.accBeta2)[0];
    names.forEach((name, i) => {
      const gradient = gradientOf(i);
      if (!gradient) return;
      const value = registered[name];
      const next = backend.makeOutput([...value.shape], 'float32');
      const g = heapF32(backend, gradient);
      const w = heapF32(backend, value);
      const m = heapF32(backend, self.accumulatedFirstMoment[i].variable);
      const v = heapF32(backend, self.accumulatedSecondMoment[i].variable);
      adamUpdate(g, w, m, v, heapF32(backend, next), beta1, beta2, learningRate / correction1, 1 / correction2, epsilon);
      const nextTensor = tf.engine().makeTensorFromTensorInfo(next);
      value.assign(nextTensor);
      nextTensor.dispose();
    });
    // Views taken after the allocations above (heap growth detaches older ones).
    heapF32(backend, self.accBeta1)[0] *= beta1;
    heapF32(backend, self.accBeta2)[0] *= beta2;
    (this as unknown as { incrementIterations(): void }).incrementIterations();
    return true;
  }
}

/** m ← β₁m + (1−β₁)g, v ← β₂v + (1−β₂)g², out = w − (lr/c₁)·m / (√(v/c₂) + ε); a plain loop V8 compiles tightly. */
function adamUpdate(
  g: Float32Array,
  w: Float32Array,
  m: Float32Array,
  v: Float32Array,
  out: Float32Array,
  beta1: number,
  beta2: number,
  stepSize: number,
  invCorrection2: number,
  epsilon: number,
): void {
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  for (let k = 0; k < w.length; k++) {
    const gk = g[k];
    const mk = beta1 * m[k] + a1 * gk;
    const vk = beta2 * v[k] + a2 * gk * gk;
    m[k] = mk;
    v[k] = vk;
    out[k] = w[k] - (stepSize * mk) / (Math.sqrt(vk * invCorrection2) + epsilon);
  }
}

/** Drop-in for tf.train.adam, fused on wasm. */
export function adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number): tf.AdamOptimizer {
  return new FusedAdam(learningRate, beta1, beta2, epsilon);
}

/** One Adam (or AdamW) update of one variable, as the trainer's optimiser (src/train/optim.ts) does it. */
export interface AdamStep {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ). */
  stepSize: number;
  /** AdamW: the factor (1 − lr·λ) the weight is multiplied by before the step; 1: none. */
  keep: number;
}

/**
 * The trainer's Adam update of `w` given gradient `g` and moments `m`, `v` in one pass on the wasm
 * heap, with exactly the float32 arithmetic of the op-by-op form (every product, sum, quotient and
 * square root rounded to float32 as its TF.js kernel rounds it, Math.fround here; IEEE f32 results
 * are the doubles' results rounded once):
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  w ← κw − s·m/(√v + ε).
 * m and v change in place, w gets a fresh buffer (XNNPACK caches packed weights by tensor).
 * Returns false, having changed nothing, when not on wasm or when m or v share their memory.
 */
export function adamStepInPlace(w: tf.Variable, g: tf.Tensor, m: tf.Variable, v: tf.Variable, s: AdamStep): boolean {
  if (tf.getBackend() !== 'wasm') return false;
  const backend = tf.backend() as unknown as BackendWasm;
  const owned = (t: tf.Tensor): boolean => t.dtype === 'float32' && backend.refCount(t.dataId) === 1;
  if (w.dtype !== 'float32' || g.dtype !== 'float32' || !owned(m) || !owned(v) || g.size !== w.size) return false;
  const next = backend.makeOutput([...w.shape], 'float32');
  // Four floats at a time in wasm SIMD where it runs (same float32 operations, ≈10× faster), the rest in the scalar loop.
  const simd = simdAdam(backend);
  const chunks = simd ? w.size >> 2 : 0;
  if (simd && chunks > 0) {
    const at = (t: tf.TensorInfo): number => backend.dataIdMap.get(t.dataId)!.memoryOffset;
    const f = Math.fround;
    simd(
      at(g),
      at(w),
      at(m),
      at(v),
      at(next),
      chunks,
      f(s.beta1),
      f(1 - s.beta1),
      f(s.beta2),
      f(1 - s.beta2),
      f(s.epsilon),
      f(s.stepSize),
      f(s.keep),
    );
  }
  // Views after the allocation (heap growth detaches older ones); none when SIMD took every value.
  if (chunks * 4 < w.size) {
    const tail = (t: tf.TensorInfo): Float32Array => heapF32(backend, t).subarray(chunks * 4);
    fusedAdamLoop(tail(g), tail(w), tail(m), tail(v), tail(next), s);
  }
  const nextTensor = tf.engine().makeTensorFromTensorInfo(next);
  w.assign(nextTensor);
  nextTensor.dispose();
  return true;
}

function fusedAdamLoop(g: Float32Array, w: Float32Array, m: Float32Array, v: Float32Array, out: Float32Array, s: AdamStep): void {
  const f = Math.fround;
  // The scalars as TF.js makes them: float32 tensors of the JS numbers.
  const b1 = f(s.beta1);
  const a1 = f(1 - s.beta1);
  const b2 = f(s.beta2);
  const a2 = f(1 - s.beta2);
  const eps = f(s.epsilon);
  const step = f(s.stepSize);
  const keep = f(s.keep);
  const decoupled = s.keep !== 1;
  for (let k = 0; k < w.length; k++) {
    const wk = w[k];
    const gk = g[k];
    const mk = f(f(m[k] * b1) + f(gk * a1));
    const vk = f(f(v[k] * b2) + f(f(gk * gk) * a2));
    m[k] = mk;
    v[k] = vk;
    const base = decoupled ? f(wk * keep) : wk;
    out[k] = f(base - f(f(mk / f(f(Math.sqrt(vk)) + eps)) * step));
  }
}
