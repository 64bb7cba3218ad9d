/**
 * Linear teachers and KD students fitted on samples: the closed form (float64 normal
 * equations) and gradient training with TF.js Adam, for comparison.
 */
import { initEngine, tf } from '../../engine/index.js';
import { check } from '../../util/errors.js';
import { crossGram, gram, solveSPD } from '../../util/linalg.js';
import { throwIfAborted } from '../../util/progress.js';

/** OLS without intercept: w = (XᵀX)⁻¹Xᵀy (the model is zero-mean). */
export function olsFit(x: ArrayLike<number>, n: number, d: number, y: ArrayLike<number>, what: string): Float64Array {
  return solveSPD(gram(x, n, d), crossGram(x, d, y, 1, n), `sample second moments of ${what} (collinear columns or n < p?)`).data;
}

/** Predictions Xw for n rows. */
export function predict(x: ArrayLike<number>, n: number, d: number, w: ArrayLike<number>): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    const o = i * d;
    for (let j = 0; j < d; j++) s += x[o + j] * w[j];
    out[i] = s;
  }
  return out;
}

/**
 * Closed-form KD students for several λ: minimisers of Σ(yᵢ − w2ᵀx2ᵢ)² + λΣ(w2ᵀx2ᵢ − h1ᵢ)²,
 * i.e. (1+λ)X2ᵀX2 w2 = X2ᵀy + λX2ᵀh1, computed as w2(λ) = (ŵ_OLS + λv̂)/(1+λ) with
 * ŵ_OLS = (X2ᵀX2)⁻¹X2ᵀy and v̂ = (X2ᵀX2)⁻¹X2ᵀh1.
 */
export function kdStudentsClosedForm(
  x2: ArrayLike<number>,
  n: number,
  p: number,
  y: ArrayLike<number>,
  teacherOut: ArrayLike<number>,
  lambdas: readonly number[],
): Float64Array[] {
  const rhs = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    rhs[2 * i] = y[i];
    rhs[2 * i + 1] = teacherOut[i];
  }
  const sol = solveSPD(gram(x2, n, p), crossGram(x2, p, rhs, 2, n), 'sample second moments of x2 (collinear columns or n < p?)');
  return lambdas.map((lambda) => {
    const w = new Float64Array(p);
    for (let j = 0; j < p; j++) w[j] = (sol.data[2 * j] + lambda * sol.data[2 * j + 1]) / (1 + lambda);
    return w;
  });
}

export interface AdamStudentOptions {
  /** Full-batch Adam steps. */
  steps: number;
  learningRate: number;
  signal?: AbortSignal;
  /** Called every `reportEvery` steps with the step count and the summed loss. */
  onStep?: (step: number, loss: number) => void;
  reportEvery?: number;
}

export interface AdamStudents {
  weights: Float64Array[];
  /** Final value of each student's own objective (per-sample means). */
  finalLoss: number[];
}

/**
 * Gradient training of the same KD students with TF.js Adam (linear model, no bias, zero
 * init, full batch so the run is deterministic). All λ are trained at once as the columns of
 * one p×L weight matrix: the summed loss separates by column and Adam is per-coordinate, so
 * this is exactly L independent trainings.
 */
export async function trainKdStudentsAdam(
  x2: ArrayLike<number>,
  n: number,
  p: number,
  y: ArrayLike<number>,
  teacherOut: ArrayLike<number>,
  lambdas: readonly number[],
  opts: AdamStudentOptions,
): Promise<AdamStudents> {
  check(x2.length === n * p, `cch-gaussian: x2 has ${x2.length} values, expected n·p = ${n * p}`);
  check(y.length === n && teacherOut.length === n, `cch-gaussian: y and teacher outputs need n = ${n} values`);
  check(opts.steps >= 1 && opts.learningRate > 0, `cch-gaussian: Adam needs steps ≥ 1 and learningRate > 0`);
  await initEngine();
  const L = lambdas.length;
  const x = tf.tensor2d(Float32Array.from(x2), [n, p]);
  // The wasm backend transposes X physically for Xᵀ·dy on every step; keep Xᵀ once instead.
  const xT = tf.transpose(x);
  const linear = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
    value: tf.matMul(x, args[0] as tf.Tensor2D),
    gradFunc: (dy: tf.Tensor) => tf.matMul(xT, dy as tf.Tensor2D),
  }));
  const yt = tf.tensor2d(Float32Array.from(y), [n, 1]);
  const ht = tf.tensor2d(Float32Array.from(teacherOut), [n, 1]);
  const lam = tf.tensor2d(Float32Array.from(lambdas), [1, L]);
  const w = tf.variable(tf.zeros([p, L]), true);
  const optimizer = tf.train.adam(opts.learningRate);
  // Eq. (KD objective) per column j: mean(y − Xw_j)² + λ_j mean(Xw_j − h1)².
  const perStudentLoss = (): tf.Tensor1D =>
    tf.tidy(() => {
      const pred = linear(w) as tf.Tensor2D;
      const task = tf.mean(tf.square(tf.sub(yt, pred)), 0);
      const distill = tf.mean(tf.square(tf.sub(pred, ht)), 0);
      return tf.add(task, tf.mul(lam.reshape([L]), distill)) as tf.Tensor1D;
    });
  const every = opts.reportEvery ?? 50;
  try {
    for (let step = 1; step <= opts.steps; step++) {
      const lossT = optimizer.minimize(() => tf.sum(perStudentLoss()) as tf.Scalar, opts.onStep !== undefined && step % every === 0, [w]);
      if (lossT) {
        opts.onStep?.(step, (await lossT.data())[0]);
        lossT.dispose();
      }
      if (step % 25 === 0) {
        // Let SIGINT handlers run, then honour an abort.
        await new Promise((r) => setImmediate(r));
        throwIfAborted(opts.signal);
      }
    }
    const finalT = perStudentLoss();
    const finalLoss = Array.from(await finalT.data());
    finalT.dispose();
    const wv = await w.data();
    const weights = lambdas.map((_, j) => Float64Array.from({ length: p }, (_, i) => wv[i * L + j]));
    return { weights, finalLoss };
  } finally {
    optimizer.dispose();
    tf.dispose([x, xT, yt, ht, lam, w]);
  }
}

/** Mean squared error of predictions Xw against targets, float64. */
export function mse(x: ArrayLike<number>, n: number, d: number, w: ArrayLike<number>, target: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    let pred = 0;
    const o = i * d;
    for (let j = 0; j < d; j++) pred += x[o + j] * w[j];
    s += (target[i] - pred) ** 2;
  }
  return s / n;
}
