/**
 * MINE (Belghazi et al. 2018): a statistics network T(x, y) trained to maximise a variational
 * lower bound on I(X;Y), either Donsker–Varadhan, I ≥ E_P[T] − log E_{P_X⊗P_Y}[e^T] (with the
 * paper's moving-average correction of the biased gradient), or InfoNCE,
 * I ≥ E[T(x_i, y_i) − log (1/B) Σ_j e^{T(x_i, y_j)}] (van den Oord et al. 2018; Poole et al. 2019),
 * which is capped at log B. Training stops early on a held-out split, and the reported value is
 * the bound evaluated on that held-out split at the best epoch (selecting the best of a noisy
 * curve on the same split makes it slightly optimistic; the repeated-split interval shows the spread).
 */
import { initEngine, tf } from '../engine/index.js';
import { CmkdError } from '../util/errors.js';
import { makeRng, type Rng } from '../util/rng.js';
import { throwIfAborted } from '../util/progress.js';
import type { NeuralMIOptions } from './types.js';

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
}

/** Defaults; InfoNCE scores all B² pairs of a batch, so its batch defaults to 64 rather than 128. */
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
  /**
   * Scores of all pairs (x_i, y_j) as a [B, B] matrix. The first layer acts on [x, y] linearly,
   * so it is split as x·Wx + y·Wy and broadcast rather than materialising B² concatenated rows.
   */
  applyPairs(x: tf.Tensor2D, y: tf.Tensor2D): tf.Tensor2D {
    const b = x.shape[0];
    const [first, ...rest] = this.layers;
    const h = first.w.shape[1]!;
    const wx = first.w.slice([0, 0], [x.shape[1], h]);
    const wy = first.w.slice([x.shape[1], 0], [y.shape[1], h]);
    const pre = tf.add(tf.add(tf.expandDims(tf.matMul(x, wx), 1), tf.expandDims(tf.matMul(y, wy), 0)), first.b);
    let out = tf.reshape(pre, [b * b, h]) as tf.Tensor2D;
    rest.forEach((l) => {
      out = tf.add(tf.matMul(tf.relu(out), l.w), l.b);
    });
    return tf.reshape(out, [b, b]);
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

/** InfoNCE bound of one batch: mean_i [T_ii − log mean_j e^{T_ij}]. */
function infoNceBatch(net: Mlp, x: tf.Tensor2D, y: tf.Tensor2D): tf.Scalar {
  const b = x.shape[0];
  const scores = net.applyPairs(x, y);
  const positive = tf.sum(tf.mul(scores, tf.eye(b)), 1);
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
  const batchSize = opts.batchSize ?? (o.bound === 'infonce' ? 64 : MINE_DEFAULTS.batchSize);
  const rng = makeRng(opts.seed ?? 0);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  rng.shuffle(perm);
  const nHeld = Math.max(2, Math.round(o.heldOut * n));
  const heldIdx = perm.slice(0, nHeld);
  const trainIdx = perm.slice(nHeld);
  const nTrain = trainIdx.length;
  const batch = Math.min(batchSize, nTrain);
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
  const net = new Mlp([dx + dy, o.hidden, o.hidden, 1], rng);
  const optimizer = tf.train.adam(o.learningRate);

  const heldOutBound = (): number =>
    tf.tidy(() => {
      if (o.bound === 'dv') {
        const joint = tf.mean(net.apply(tf.concat([xHeld, yHeld], 1) as tf.Tensor2D));
        const marg = logMeanExp(net.apply(tf.concat([xHeldRep, yHeldPerm], 1) as tf.Tensor2D));
        return tf.sub(joint, marg).dataSync()[0];
      }
      // InfoNCE over fixed consecutive held-out batches of the training batch size.
      let sum = 0;
      let count = 0;
      const hb = Math.min(batch, nHeld);
      for (let s = 0; s + hb <= nHeld; s += hb) {
        sum += infoNceBatch(net, xHeld.slice([s, 0], [hb, dx]), yHeld.slice([s, 0], [hb, dy])).dataSync()[0] * hb;
        count += hb;
      }
      return sum / count;
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
            if (o.bound === 'infonce') return tf.neg(infoNceBatch(net, xb, yb));
            const tJoint = net.apply(tf.concat([xb, yb], 1) as tf.Tensor2D);
            const tMarg = net.apply(tf.concat([xb, ym], 1) as tf.Tensor2D);
            const lme = logMeanExp(tMarg);
            batchLme = tf.keep(lme);
            // Belghazi et al. §3.2: the gradient of log E[e^T] is ∇E[e^T] / E[e^T]; the denominator is a moving average.
            const denomLog = Number.isNaN(logMa) ? lme.dataSync()[0] : logMa;
            return tf.neg(tf.sub(tf.mean(tJoint), tf.mean(tf.exp(tf.sub(tMarg, denomLog))))) as tf.Scalar;
          },
          true,
          net.variables,
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
    return { value: best, bestEpoch, epochs: epoch, nTrain, nHeldOut: nHeld };
  } finally {
    net.dispose();
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
