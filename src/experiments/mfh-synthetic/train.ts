/**
 * Linear two-class classifiers trained full-batch with SGD, as in the MFH reference: a teacher
 * on x1, a student on x2 without KD, and a student on x2 distilled from the teacher's logits.
 *
 * The models are tiny (≤ 50 inputs, 200 samples, 1000 full-batch steps), where TF.js's per-op
 * dispatch dominates, so the loop is plain float64 JS with the closed-form gradient of the
 * same objective as kdLoss (task weight 1, KD weight 1/C, T = 1); a test checks the two agree.
 */
import { makeRng } from '../../util/rng.js';

const CLASSES = 2;

export interface LinearTraining {
  epochs: number;
  learningRate: number;
  seed: number;
}

export interface LinearModel {
  /** Weights [d, 2] row-major and bias [2]. */
  w: Float64Array;
  b: Float64Array;
  d: number;
}

/** PyTorch's nn.Linear initialisation: U(−1/√d, 1/√d) for weights and bias. */
export function initLinear(d: number, seed: number): LinearModel {
  const rng = makeRng(seed);
  const bound = 1 / Math.sqrt(d);
  const draw = (size: number) => Float64Array.from({ length: size }, () => (2 * rng.next() - 1) * bound);
  return { w: draw(d * CLASSES), b: draw(CLASSES), d };
}

/** Logits [n, 2] of inputs x (n × d). */
export function linearLogits(model: LinearModel, x: ArrayLike<number>, n: number): Float64Array {
  const { w, b, d } = model;
  const out = new Float64Array(n * CLASSES);
  for (let i = 0; i < n; i++) {
    let z0 = b[0];
    let z1 = b[1];
    const o = i * d;
    for (let j = 0; j < d; j++) {
      const v = x[o + j];
      z0 += v * w[2 * j];
      z1 += v * w[2 * j + 1];
    }
    out[2 * i] = z0;
    out[2 * i + 1] = z1;
  }
  return out;
}

function softmax2(z0: number, z1: number): [number, number] {
  const m = Math.max(z0, z1);
  const e0 = Math.exp(z0 - m);
  const e1 = Math.exp(z1 - m);
  return [e0 / (e0 + e1), e1 / (e0 + e1)];
}

/**
 * Gradient w.r.t. the logits of L = CE(y, s) + kdWeight·KL(softmax(t) ‖ softmax(s)), batch mean:
 * ∂L/∂s_i = (p_i − onehot(y_i) + kdWeight·(p_i − q_i)) / n, with p = softmax(s), q = softmax(t).
 */
export function logitGradient(logits: Float64Array, y: Int32Array, teacherLogits: Float64Array | null, kdWeight: number): Float64Array {
  const n = y.length;
  const g = new Float64Array(n * CLASSES);
  for (let i = 0; i < n; i++) {
    const p = softmax2(logits[2 * i], logits[2 * i + 1]);
    for (let c = 0; c < CLASSES; c++) {
      let gc = p[c] - (y[i] === c ? 1 : 0);
      if (teacherLogits) gc += kdWeight * (p[c] - softmax2(teacherLogits[2 * i], teacherLogits[2 * i + 1])[c]);
      g[2 * i + c] = gc / n;
    }
  }
  return g;
}

/**
 * Train on (x, y) by full-batch SGD. With teacherLogits the objective is the reference's
 * CE + KLDivLoss(mean over all n·C elements) = CE + (1/C)·KL.
 */
export function trainLinear(
  x: ArrayLike<number>,
  d: number,
  y: Int32Array,
  settings: LinearTraining,
  teacherLogits?: Float64Array,
): LinearModel {
  const n = y.length;
  const model = initLinear(d, settings.seed);
  const lr = settings.learningRate;
  for (let epoch = 0; epoch < settings.epochs; epoch++) {
    const g = logitGradient(linearLogits(model, x, n), y, teacherLogits ?? null, 1 / CLASSES);
    const gw = new Float64Array(d * CLASSES);
    let gb0 = 0;
    let gb1 = 0;
    for (let i = 0; i < n; i++) {
      const g0 = g[2 * i];
      const g1 = g[2 * i + 1];
      gb0 += g0;
      gb1 += g1;
      const o = i * d;
      for (let j = 0; j < d; j++) {
        const v = x[o + j];
        gw[2 * j] += v * g0;
        gw[2 * j + 1] += v * g1;
      }
    }
    for (let k = 0; k < gw.length; k++) model.w[k] -= lr * gw[k];
    model.b[0] -= lr * gb0;
    model.b[1] -= lr * gb1;
  }
  return model;
}

/** The scalar representation of a two-class linear model: the logit margin z₁ − z₀. */
export function logitMargin(logits: Float64Array): Float64Array {
  const m = new Float64Array(logits.length / 2);
  for (let i = 0; i < m.length; i++) m[i] = logits[2 * i + 1] - logits[2 * i];
  return m;
}

/** Predicted classes from two-class logits. */
export function predictedClasses(logits: Float64Array): Int32Array {
  const p = new Int32Array(logits.length / 2);
  for (let i = 0; i < p.length; i++) p[i] = logits[2 * i + 1] > logits[2 * i] ? 1 : 0;
  return p;
}
