/**
 * MINE (Belghazi et al. 2018): a statistics network T(x, y) trained to maximise a variational
 * lower bound on I(X;Y), either Donsker–Varadhan, I ≥ E_P[T] − log E_{P_X⊗P_Y}[e^T] (with the
 * paper's moving-average correction of the biased gradient), or InfoNCE,
 * I ≥ E[T(x_i, y_i) − log (1/B) Σ_j e^{T(x_i, y_j)}] (van den Oord et al. 2018; Poole et al. 2019),
 * which is capped at log B. DV's T is one MLP on the concatenation [x, y]. InfoNCE needs T on all
 * B² pairs of a batch, which a concatenation critic can only get by running its hidden layers on
 * B² rows; it uses the separable critic of CPC / Poole et al. instead, T(x, y) = f(x)ᵀ g(y) with
 * two MLP encoders, so a batch costs 2B encoder rows and one [B, k]·[k, B] matMul.
 * Training stops early on a held-out split, and the reported value is
 * the bound evaluated on that held-out split at the best epoch (selecting the best of a noisy
 * curve on the same split makes it slightly optimistic; the repeated-split interval shows the spread).
 */
import { initEngine, tf } from '../engine/index.js';
import { CmkdError } from '../util/errors.js';
import { makeRng, type Rng } from '../util/rng.js';
import { throwIfAborted, type ProgressEvent } from '../util/progress.js';
import { recordDefaults, type MIEstimatorDefinition } from './estimator.js';
import { standardizeColumns } from './gaussian.js';
import { studentQuantile } from './stats.js';
import { isDiscrete, type MIInput, type NeuralMIOptions } from './types.js';

export interface MineOptions extends NeuralMIOptions {
  bound?: 'dv' | 'infonce';
  /** Moving-average rate for the DV gradient correction (the paper's α). */
  emaRate?: number;
}

export interface MineResult {
  /** Held-out bound at the best epoch, nats. */
  value: number;
  bestEpoch: number;
  epochs: number;
  nTrain: number;
  nHeldOut: number;
  /** Mini-batch size used (the option, capped at the training rows); InfoNCE is at most log of it. */
  batchSize: number;
}

/** Defaults of both bounds. */
export const MINE_DEFAULTS = {
  bound: 'dv',
  hidden: 64,
  epochs: 200,
  batchSize: 128,
  learningRate: 2e-3,
  patience: 15,
  heldOut: 0.3,
  emaRate: 0.01,
} as const;

interface Dense {
  w: tf.Variable;
  b: tf.Variable;
}

function dense(inDim: number, outDim: number, rng: Rng): Dense {
  const limit = Math.sqrt(6 / (inDim + outDim));
  // Glorot-uniform weights; the initial tensors are released once the variables hold them.
  return tf.tidy(() => ({
    w: tf.variable(tf.randomUniform([inDim, outDim], -limit, limit, 'float32', rng.seed())),
    b: tf.variable(tf.zeros([outDim])),
  }));
}

/** A small multilayer perceptron with ReLU hidden layers, as plain variables. */
export class Mlp {
  readonly layers: Dense[];
  constructor(sizes: number[], rng: Rng) {
    this.layers = sizes.slice(1).map((s, i) => dense(sizes[i], s, rng));
  }
  apply(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    this.layers.forEach((l, i) => {
      h = tf.add(tf.matMul(h, l.w), l.b);
      if (i < this.layers.length - 1) h = tf.relu(h);
    });
    return h;
  }
  get variables(): tf.Variable[] {
    return this.layers.flatMap((l) => [l.w, l.b]);
  }
  dispose(): void {
    this.variables.forEach((v) => v.dispose());
  }
}

/** log (1/m) Σ e^{v}, numerically stable. */
function logMeanExp(v: tf.Tensor, axis?: number): tf.Tensor {
  const m = axis === undefined ? v.size : v.shape[axis];
  return tf.sub(tf.logSumExp(v, axis), Math.log(m));
}

/**
 * Width k of the InfoNCE encoders' output. The optimal critic is log p(y|x)/p(y) up to a function
 * of x, which the softmax over j ignores; for Gaussian-like dependence it is a bilinear term xᵀMy
 * (rank ≤ min(dx, dy)) plus a function of y alone (one more dimension, paired with a constant
 * f component from the bias), so k = 32 leaves room for 31 dependent directions. The scores'
 * matMul costs B²k, at B = 128 about what the last encoder layer costs (B·h·k per side).
 */
export const INFONCE_EMBEDDING = 32;

/** The separable InfoNCE critic T(x, y) = f(x)ᵀ g(y), f and g MLPs with two hidden ReLU layers. */
export class SeparableCritic {
  readonly f: Mlp;
  readonly g: Mlp;
  constructor(dx: number, dy: number, hidden: number, k: number, rng: Rng) {
    this.f = new Mlp([dx, hidden, hidden, k], rng);
    this.g = new Mlp([dy, hidden, hidden, k], rng);
  }
  /** The [B, B] scores T_ij = f(x_i)ᵀ g(y_j). */
  scores(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
    return separableScores(this.f.apply(x), this.g.apply(y));
  }
  get variables(): tf.Variable[] {
    return [...this.f.variables, ...this.g.variables];
  }
  dispose(): void {
    this.f.dispose();
    this.g.dispose();
  }
}

/** Scores of all B² pairs from the encodings fx = f(X), gy = g(Y) ([B, k] each): one matMul. */
export function separableScores(fx: tf.Tensor2D, gy: tf.Tensor2D): tf.Tensor2D {
  return tf.matMul(fx, gy, false, true);
}

/** InfoNCE bound of one batch from its encodings fx = f(X), gy = g(Y), both [B, k]. */
export function infoNceBatch(fx: tf.Tensor2D, gy: tf.Tensor2D): tf.Scalar {
  // I_NCE = mean_i [T_ii − log (1/B) Σ_j e^{T_ij}],  T = f(X) g(Y)ᵀ  (T_ij = f(x_i)ᵀ g(y_j))
  const scores = separableScores(fx, gy);
  // T_ii as row-wise dot products: B·k work rather than masking the B² matrix.
  const positive = tf.sum(tf.mul(fx, gy), 1);
  return tf.mean(tf.sub(positive, logMeanExp(scores, 1))) as tf.Scalar;
}

/**
 * MINE between standardised features x (n × dx) and y (n × dy) (labels go in one-hot).
 */
export async function mineMI(
  x: Float32Array,
  dx: number,
  y: Float32Array,
  dy: number,
  n: number,
  opts: MineOptions = {},
): Promise<MineResult> {
  await initEngine();
  const o = { ...MINE_DEFAULTS, ...stripUndefined(opts) };
  const rng = makeRng(opts.seed ?? 0);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  rng.shuffle(perm);
  const nHeld = Math.max(2, Math.round(o.heldOut * n));
  const heldIdx = perm.slice(0, nHeld);
  const trainIdx = perm.slice(nHeld);
  const nTrain = trainIdx.length;
  const batch = Math.min(o.batchSize, nTrain);
  if (batch < 2) throw new CmkdError(`${n} samples leave ${nTrain} for training; need at least 2`);
  const xAll = tf.tensor2d(x, [n, dx]);
  const yAll = tf.tensor2d(y, [n, dy]);
  const heldT = tf.tensor1d(heldIdx, 'int32');
  const xHeld = tf.gather(xAll, heldT) as tf.Tensor2D;
  const yHeld = tf.gather(yAll, heldT) as tf.Tensor2D;
  // Held-out product-of-marginals pairs: y from 5 fixed random permutations.
  const marginalPerms = 5;
  const heldPairsIdx = new Int32Array(nHeld * marginalPerms);
  for (let r = 0; r < marginalPerms; r++) {
    const p = Int32Array.from({ length: nHeld }, (_, i) => i);
    rng.shuffle(p);
    heldPairsIdx.set(p, r * nHeld);
  }
  const xHeldRep = tf.tile(xHeld, [marginalPerms, 1]) as tf.Tensor2D;
  const yHeldPerm = tf.tidy(() => tf.gather(yHeld, tf.tensor1d(heldPairsIdx, 'int32')) as tf.Tensor2D);
  const net = o.bound === 'dv' ? new Mlp([dx + dy, o.hidden, o.hidden, 1], rng) : null;
  const critic = o.bound === 'infonce' ? new SeparableCritic(dx, dy, o.hidden, INFONCE_EMBEDDING, rng) : null;
  const variables = net ? net.variables : critic!.variables;
  const optimizer = tf.train.adam(o.learningRate);

  const heldOutBound = (): number =>
    tf.tidy(() => {
      if (net) {
        const joint = tf.mean(net.apply(tf.concat([xHeld, yHeld], 1) as tf.Tensor2D));
        const marg = logMeanExp(net.apply(tf.concat([xHeldRep, yHeldPerm], 1) as tf.Tensor2D));
        return tf.sub(joint, marg).dataSync()[0];
      }
      // InfoNCE over fixed consecutive held-out batches of the training batch size (the bound depends on B).
      const fx = critic!.f.apply(xHeld);
      const gy = critic!.g.apply(yHeld);
      const hb = Math.min(batch, nHeld);
      const k = INFONCE_EMBEDDING;
      const blocks: tf.Scalar[] = [];
      for (let s = 0; s + hb <= nHeld; s += hb) blocks.push(infoNceBatch(fx.slice([s, 0], [hb, k]), gy.slice([s, 0], [hb, k])));
      return tf.mean(tf.stack(blocks)).dataSync()[0];
    });

  let logMa = Number.NaN;
  let best = -Infinity;
  let bestEpoch = -1;
  let epoch = 0;
  try {
    for (; epoch < o.epochs; epoch++) {
      throwIfAborted(opts.signal);
      rng.shuffle(trainIdx);
      const marginalIdx = Int32Array.from(trainIdx);
      rng.shuffle(marginalIdx);
      for (let s = 0; s + batch <= nTrain; s += batch) {
        const bi = tf.tensor1d(trainIdx.subarray(s, s + batch), 'int32');
        const bm = tf.tensor1d(marginalIdx.subarray(s, s + batch), 'int32');
        const xb = tf.gather(xAll, bi) as tf.Tensor2D;
        const yb = tf.gather(yAll, bi) as tf.Tensor2D;
        const ym = tf.gather(yAll, bm) as tf.Tensor2D;
        let batchLme: tf.Tensor | null = null;
        const lossT = optimizer.minimize(
          () => {
            if (critic) return tf.neg(infoNceBatch(critic.f.apply(xb), critic.g.apply(yb)));
            const tJoint = net!.apply(tf.concat([xb, yb], 1) as tf.Tensor2D);
            const tMarg = net!.apply(tf.concat([xb, ym], 1) as tf.Tensor2D);
            const lme = logMeanExp(tMarg);
            batchLme = tf.keep(lme);
            // Belghazi et al. §3.2: the gradient of log E[e^T] is ∇E[e^T] / E[e^T]; the denominator is a moving average.
            const denomLog = Number.isNaN(logMa) ? lme.dataSync()[0] : logMa;
            return tf.neg(tf.sub(tf.mean(tJoint), tf.mean(tf.exp(tf.sub(tMarg, denomLog))))) as tf.Scalar;
          },
          true,
          variables,
        );
        lossT?.dispose();
        if (batchLme) {
          const v = (batchLme as tf.Tensor).dataSync()[0];
          (batchLme as tf.Tensor).dispose();
          logMa = Number.isNaN(logMa) ? v : logAddExp(Math.log(1 - o.emaRate) + logMa, Math.log(o.emaRate) + v);
        }
        tf.dispose([bi, bm, xb, yb, ym]);
      }
      const held = heldOutBound();
      if (held > best) {
        best = held;
        bestEpoch = epoch;
      }
      opts.onProgress?.({
        task: `MINE (${o.bound})`,
        done: epoch + 1,
        total: o.epochs,
        detail: `held-out ${held.toFixed(4)} nats`,
      });
      if (epoch - bestEpoch >= o.patience) {
        epoch++;
        break;
      }
      // Let other work (progress bars, abort signals) run between epochs.
      await new Promise((r) => setImmediate(r));
    }
    return { value: best, bestEpoch, epochs: epoch, nTrain, nHeldOut: nHeld, batchSize: batch };
  } finally {
    net?.dispose();
    critic?.dispose();
    optimizer.dispose();
    tf.dispose([xAll, yAll, heldT, xHeld, yHeld, xHeldRep, yHeldPerm]);
  }
}

function logAddExp(a: number, b: number): number {
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Standardised columns (continuous) or one-hot codes (discrete), float32 for TF.js. */
export function networkFeatures(v: MIInput): { data: Float32Array; d: number } {
  if (isDiscrete(v)) {
    const classes = [...new Set(v.labels)].sort((a, b) => a - b);
    const col = new Map(classes.map((c, j) => [c, j]));
    const data = new Float32Array(v.n * classes.length);
    for (let i = 0; i < v.n; i++) data[i * classes.length + col.get(v.labels[i])!] = 1;
    return { data, d: classes.length };
  }
  const s = standardizeColumns(v.data, v.n, v.d);
  if (s.p === 0) return { data: new Float32Array(v.n), d: 1 };
  return { data: Float32Array.from(s.z), d: s.p };
}

// I ≥ E_P[T] − log E_{P_X⊗P_Y}[e^T] (Donsker–Varadhan bound, MINE: Belghazi et al. 2018), or InfoNCE; R reruns: mean ± t_{R−1}·sd/√R.
export const mine: MIEstimatorDefinition = {
  name: 'mine',
  selectable: true,
  takes: ['continuous', 'mixed'],
  defaults: MINE_DEFAULTS,
  resamples: 3,
  minSamples: 20,
  async estimate(a, b, ctx) {
    const { opts, n, resamples, level, rng, settings } = ctx;
    let batchSize = 0;
    const repeats = Math.max(1, resamples);
    const values: number[] = [];
    for (let r = 0; r < repeats; r++) {
      throwIfAborted(opts.signal);
      const runSeed = rng.seed();
      const onProgress = opts.onProgress && ((e: ProgressEvent) => opts.onProgress!({ ...e, task: `${e.task} (run ${r + 1}/${repeats})` }));
      const fa = networkFeatures(a);
      const fb = networkFeatures(b);
      const res = await mineMI(fa.data, fa.d, fb.data, fb.d, n, { ...opts, seed: runSeed, onProgress });
      values.push(res.value);
      batchSize = res.batchSize;
      const bound = opts.bound ?? MINE_DEFAULTS.bound;
      Object.assign(settings, {
        method: bound === 'infonce' ? 'MINE (infonce, separable critic)' : `MINE (${bound})`,
        epochsRun: res.epochs,
        nHeldOut: res.nHeldOut,
      });
    }
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    // A bound or estimate below 0 means no detectable dependence, as sklearn clips.
    const value = Math.max(0, mean);
    settings.repeats = repeats;
    settings.runs = values.map((v) => v.toFixed(6)).join(',');
    let ci: [number, number] | null = null;
    if (resamples >= 2) {
      const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (repeats - 1));
      const half = (studentQuantile(0.5 + level / 2, repeats - 1) * sd) / Math.sqrt(repeats);
      ci = [Math.max(0, mean - half), Math.max(0, mean + half)];
    }
    recordDefaults(settings, MINE_DEFAULTS, opts);
    // The batch actually used: the option capped at the training rows (InfoNCE is at most its log).
    settings.batchSize = batchSize;
    return { value, ci, scheme: ci ? 'repeated-split' : 'none' };
  },
};
