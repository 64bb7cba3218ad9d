/**
 * trainDiscom: DisCoM-KD (Ienco & Fraga Dantas, BMVC 2024) trains one classifier per modality
 * jointly, with no teacher; each trained branch is a standalone single-modality student.
 */
import { tf } from '../../engine/index.js';
import { LossMeter, batchOrder, gatherRows, trainStep } from '../../engine/step.js';
import { CmkdError, check, oneOf } from '../../util/errors.js';
import { throwIfAborted, type ProgressFn } from '../../util/progress.js';
import { makeRng } from '../../util/rng.js';
import type { ModalityKind } from '../../data/types.js';
import { augmentImages } from './augment.js';
import { makeSpec, MODEL_KINDS, type ModelKind, type ModelSpec, type SpecOverrides } from '../../models/index.js';
import { encoderWidth } from './encoder.js';
import type { OrthPenalty } from './losses.js';
import { REPRESENTATIONS, buildDiscomNet, type DiscomNet, type Representation } from './model.js';
import { LOSS_TERMS, discomLossTerms, type DiscomBatch, type LossTerm, type LossWeights } from './objective.js';

export interface DiscomModalityInput {
  name: string;
  kind: ModalityKind;
  /** Per-sample shape: [d] for a table, [H, W, C] for an image. */
  shape: number[];
  /** nTrain × prod(shape) values, sample-major, row i paired with row i of the other modalities. */
  train: Float32Array;
  /** nVal × prod(shape) values, for per-branch model selection. */
  val?: Float32Array;
  /**
   * Architecture of both encoders (a src/models backbone cut at its embedding); default an
   * MLP for tables, a CNN for images, with the models module's default widths and no dropout.
   */
  backbone?: { kind?: ModelKind } & SpecOverrides;
}

export interface DiscomOptions {
  /** Two (or more) modalities, all with the same number of rows. */
  modalities: DiscomModalityInput[];
  trainLabels: Int32Array;
  valLabels?: Int32Array;
  numClasses: number;
  /**
   * Size D of z_inv, z_inf and z_irr. Default, as in the paper (ResNet-18: 512 = 2·256): half
   * the backbone's embedding width (the smallest over modalities). A specific encoder whose
   * width is not 2D gets an extra ReLU layer of width 2D.
   */
  embeddingDim?: number;
  /** What the task classifier sees. Paper: 'inv+inf'. */
  representation?: Representation;
  /** Weights of the loss terms, default 1 each; 0 removes a term (ablation). */
  lossWeights?: Partial<LossWeights>;
  orthPenalty?: OrthPenalty;
  /** Gradient-reversal factor λ. Paper: 1. */
  grlLambda?: number;
  /** Adam learning rate. Paper: 1e-4. */
  learningRate?: number;
  /** Paper: 300. */
  epochs?: number;
  /** Paper: 128. */
  batchSize?: number;
  /** Flip/rotation augmentation of image modalities. Paper: on. */
  augment?: boolean;
  /**
   * 'paired' (default): a batch holds the same samples in every modality. 'unpaired': each
   * modality is shuffled on its own, as in the reference code (pairing is not needed).
   */
  pairing?: 'paired' | 'unpaired';
  /** Stop when no branch's validation score improved for this many epochs; default: never. */
  patience?: number;
  seed?: number;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export interface DiscomEpoch {
  epoch: number;
  /** Mean total loss over the epoch's batches. */
  loss: number;
  /** Mean weighted terms. */
  terms: Partial<Record<LossTerm, number>>;
  /** Validation accuracy and weighted F1 per modality (when validation data was given). */
  val?: Record<string, { accuracy: number; f1: number }>;
}

export interface DiscomResult {
  /** Per modality: input → [logits, embedding], weights from its best validation epoch. */
  branches: Record<string, tf.LayersModel>;
  history: DiscomEpoch[];
  /** Per modality: epoch whose weights were kept (0-based) and its validation weighted F1. */
  best: Record<string, { epoch: number; f1: number | null }>;
  settings: Record<string, number | string | boolean>;
}

export const DISCOM_DEFAULTS = {
  representation: 'inv+inf' as Representation,
  orthPenalty: 'abs' as OrthPenalty,
  grlLambda: 1,
  learningRate: 1e-4,
  epochs: 300,
  batchSize: 128,
  augment: true,
  pairing: 'paired' as 'paired' | 'unpaired',
  seed: 0,
};

function featureSize(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function validate(o: DiscomOptions): void {
  check(Array.isArray(o.modalities) && o.modalities.length >= 2, `discom: needs at least two modalities, got ${o.modalities?.length ?? 0}`, 'invalid-option');
  const names = new Set<string>();
  check(Number.isInteger(o.numClasses) && o.numClasses >= 2, `discom: numClasses must be an integer ≥ 2, got ${o.numClasses}`, 'invalid-option');
  const n = o.trainLabels.length;
  check(n > 0, 'discom: trainLabels is empty');
  const nVal = o.valLabels?.length;
  for (const m of o.modalities) {
    check(!names.has(m.name), `discom: modality '${m.name}' given twice`, 'invalid-option');
    names.add(m.name);
    const okShape = m.kind === 'image' ? m.shape.length === 3 : m.shape.length === 1;
    check(okShape && m.shape.every((s) => Number.isInteger(s) && s > 0), () => `discom: modality '${m.name}' (${m.kind}) has shape [${m.shape.join(', ')}]; expected ${m.kind === 'image' ? '[H, W, C]' : '[d]'} with positive integers`);
    const d = featureSize(m.shape);
    check(m.train.length === n * d, () => `discom: modality '${m.name}' train data has ${m.train.length} values; expected ${n} rows × ${d} = ${n * d} (one row per train label)`);
    if (nVal !== undefined) {
      check(m.val !== undefined, `discom: valLabels given but modality '${m.name}' has no val data`);
      check(m.val.length === nVal * d, () => `discom: modality '${m.name}' val data has ${m.val!.length} values; expected ${nVal} rows × ${d} = ${nVal * d}`);
    }
    if (m.backbone?.kind !== undefined) oneOf(`backbone kind for modality '${m.name}'`, m.backbone.kind, MODEL_KINDS);
  }
  for (const [what, labels] of [['trainLabels', o.trainLabels], ['valLabels', o.valLabels]] as const) {
    if (!labels) continue;
    for (let i = 0; i < labels.length; i++) {
      const y = labels[i];
      if (!(Number.isInteger(y) && y >= 0 && y < o.numClasses)) {
        throw new CmkdError(`discom: ${what}[${i}] = ${y}; expected a class index in [0, ${o.numClasses})`);
      }
    }
  }
  if (o.representation !== undefined) oneOf('discom representation', o.representation, REPRESENTATIONS);
  if (o.orthPenalty !== undefined) oneOf('discom orthogonality penalty', o.orthPenalty, ['abs', 'square']);
  if (o.pairing !== undefined) oneOf('discom pairing', o.pairing, ['paired', 'unpaired']);
  for (const [k, v] of Object.entries(o.lossWeights ?? {})) {
    oneOf('discom loss term', k, LOSS_TERMS);
    check(Number.isFinite(v) && v >= 0, `discom: loss weight '${k}' = ${v}; expected a finite number ≥ 0`, 'invalid-option');
  }
  const positive = { embeddingDim: o.embeddingDim, epochs: o.epochs, batchSize: o.batchSize } as const;
  for (const [k, v] of Object.entries(positive)) {
    if (v !== undefined) check(Number.isInteger(v) && v > 0, `discom: ${k} = ${v}; expected a positive integer`, 'invalid-option');
  }
  if (o.learningRate !== undefined) check(o.learningRate > 0 && Number.isFinite(o.learningRate), `discom: learningRate = ${o.learningRate}; expected > 0`, 'invalid-option');
  if (o.grlLambda !== undefined) check(Number.isFinite(o.grlLambda) && o.grlLambda >= 0, `discom: grlLambda = ${o.grlLambda}; expected ≥ 0`, 'invalid-option');
  if (o.patience !== undefined) check(Number.isInteger(o.patience) && o.patience > 0, `discom: patience = ${o.patience}; expected a positive integer`, 'invalid-option');
}

function gather(data: Float32Array, size: number, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * size);
  for (let i = 0; i < idx.length; i++) out.set(data.subarray(idx[i] * size, (idx[i] + 1) * size), i * size);
  return out;
}

/** Accuracy and support-weighted F1 of predictions against labels. */
export function accuracyAndWeightedF1(pred: Int32Array, labels: Int32Array, numClasses: number): { accuracy: number; f1: number } {
  const tp = new Float64Array(numClasses);
  const predicted = new Float64Array(numClasses);
  const support = new Float64Array(numClasses);
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    predicted[pred[i]]++;
    support[labels[i]]++;
    if (pred[i] === labels[i]) {
      correct++;
      tp[labels[i]]++;
    }
  }
  let f1 = 0;
  for (let c = 0; c < numClasses; c++) {
    const denom = predicted[c] + support[c];
    f1 += denom > 0 ? (support[c] * 2 * tp[c]) / denom : 0;
  }
  return { accuracy: correct / labels.length, f1: f1 / labels.length };
}

/** Class predictions of a student (input → [logits, embedding]) on n rows, in chunks. */
export function predictClasses(student: tf.LayersModel, data: Float32Array, shape: number[], chunk = 512): Int32Array {
  const d = featureSize(shape);
  const n = data.length / d;
  const out = new Int32Array(n);
  for (let s = 0; s < n; s += chunk) {
    const e = Math.min(n, s + chunk);
    const cls = tf.tidy(() => {
      const x = tf.tensor(data.subarray(s * d, e * d), [e - s, ...shape]);
      const [logits] = student.predict(x) as tf.Tensor[];
      return tf.argMax(logits, 1);
    });
    out.set(cls.dataSync() as Int32Array, s);
    cls.dispose();
  }
  return out;
}

/** The backbone spec of a modality's encoders. */
export function discomBackbone(m: Pick<DiscomModalityInput, 'name' | 'kind' | 'shape' | 'backbone'>, numClasses: number): ModelSpec {
  const { kind, ...overrides } = m.backbone ?? {};
  try {
    return makeSpec(kind ?? (m.kind === 'image' ? 'cnn' : 'mlp'), m.shape, numClasses, 'classification', { dropout: 0, ...overrides });
  } catch (err) {
    if (err instanceof CmkdError) throw new CmkdError(`discom: modality '${m.name}' backbone: ${err.message}`, err.code);
    throw err;
  }
}

/** Train DisCoM-KD on paired multi-modal data; returns one standalone student per modality. */
export async function trainDiscom(options: DiscomOptions): Promise<DiscomResult> {
  validate(options);
  const o = { ...DISCOM_DEFAULTS, ...options };
  const weights: LossWeights = { cl: 1, adv: 1, mod: 1, aux: 1, orth: 1, ...options.lossWeights };
  const mods = o.modalities;
  const n = o.trainLabels.length;
  const sizes = mods.map((m) => featureSize(m.shape));
  const rng = makeRng(o.seed);
  const backbones = mods.map((m) => discomBackbone(m, o.numClasses));
  const embeddingDim = options.embeddingDim ?? Math.max(1, Math.floor(Math.min(...backbones.map(encoderWidth)) / 2));
  const net: DiscomNet = buildDiscomNet(
    mods.map((m, i) => ({ name: m.name, backbone: backbones[i] })),
    { embeddingDim, numClasses: o.numClasses, representation: o.representation, seed: rng.seed() },
  );
  // TF.js dropout reuses its seed on every call; draw a fresh one per step (only if a backbone asks for dropout).
  const dropouts = net.branches.flatMap((b) => b.train.layers.filter((l) => l.getClassName() === 'Dropout')) as unknown as { seed?: number }[];
  const optimizer = tf.train.adam(o.learningRate);
  const varList = net.variables();
  const hasVal = o.valLabels !== undefined && o.valLabels.length > 0;
  const best: DiscomResult['best'] = {};
  const snapshots: (tf.Tensor[] | null)[] = mods.map(() => null);
  const history: DiscomEpoch[] = [];
  const objective = { weights, grlLambda: o.grlLambda, orthPenalty: o.orthPenalty, training: true };
  const task = `distill discom (${mods.map((m) => m.name).join(', ')})`;
  let sinceImproved = 0;

  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      // Paired: one shuffle for all modalities; unpaired: one per modality (reference code).
      const shared = o.pairing === 'paired' ? batchOrder(n, { batchSize: o.batchSize, seed: rng.seed() }) : null;
      const orders = mods.map(() => shared ?? batchOrder(n, { batchSize: o.batchSize, seed: rng.seed() }));
      const totalMeter = new LossMeter();
      const termMeters = new Map<LossTerm, LossMeter>();
      let rec: DiscomEpoch;
      try {
        for (let b = 0; b < orders[0].length; b++) {
          throwIfAborted(o.signal);
          const batch: DiscomBatch = { xs: [], labels: [] };
          mods.forEach((m, i) => {
            const rows = orders[i][b];
            if (o.augment && m.kind === 'image') {
              const x = augmentImages(gather(m.train, sizes[i], rows), rows.length, m.shape, rng);
              batch.xs.push(tf.tensor(x, [rows.length, ...m.shape]));
            } else {
              batch.xs.push(gatherRows(m.train, m.shape, rows));
            }
            batch.labels.push(gatherRows(o.trainLabels, [], rows) as tf.Tensor1D);
          });
          for (const d of dropouts) d.seed = rng.seed();
          const kept: [LossTerm, tf.Scalar][] = [];
          const total = trainStep(
            optimizer,
            () => {
              const r = discomLossTerms(net, batch, objective);
              for (const [k, v] of Object.entries(r.terms)) kept.push([k as LossTerm, tf.keep(v)]);
              return r.total;
            },
            varList,
          );
          totalMeter.add(total);
          for (const [k, v] of kept) {
            if (!termMeters.has(k)) termMeters.set(k, new LossMeter());
            termMeters.get(k)!.add(v);
          }
          tf.dispose([...batch.xs, ...batch.labels]);
          await new Promise((r) => setImmediate(r));
        }
        rec = { epoch, loss: totalMeter.mean(), terms: Object.fromEntries([...termMeters].map(([k, m]) => [k, m.mean()])) };
      } finally {
        totalMeter.dispose();
        for (const m of termMeters.values()) m.dispose();
      }
      let improved = false;
      if (hasVal) {
        rec.val = {};
        net.branches.forEach((b, i) => {
          const pred = predictClasses(b.student, mods[i].val!, mods[i].shape);
          const score = accuracyAndWeightedF1(pred, o.valLabels!, o.numClasses);
          rec.val![b.name] = score;
          const prev = best[b.name];
          if (!prev || (prev.f1 !== null && score.f1 > prev.f1)) {
            improved = true;
            best[b.name] = { epoch, f1: score.f1 };
            if (snapshots[i]) tf.dispose(snapshots[i]!);
            snapshots[i] = b.student.getWeights().map((w) => w.clone());
          }
        });
      }
      history.push(rec);
      const valText = rec.val ? ' ' + Object.entries(rec.val).map(([k, v]) => `${k} acc ${v.accuracy.toFixed(3)}`).join(' ') : '';
      o.onProgress?.({ task, done: epoch + 1, total: o.epochs, detail: `loss ${rec.loss.toFixed(4)}${valText}` });
      sinceImproved = improved ? 0 : sinceImproved + 1;
      if (o.patience !== undefined && hasVal && sinceImproved >= o.patience) break;
    }
    // Keep each branch's best-validation weights (the reference code's per-modality checkpoint).
    net.branches.forEach((b, i) => {
      if (snapshots[i]) b.student.setWeights(snapshots[i]!);
      if (!hasVal) best[b.name] = { epoch: history.length - 1, f1: null };
    });
  } catch (err) {
    net.dispose();
    throw err;
  } finally {
    for (const s of snapshots) if (s) tf.dispose(s);
    optimizer.dispose();
  }
  net.releaseTraining();
  return {
    branches: Object.fromEntries(net.branches.map((b) => [b.name, b.student])),
    history,
    best,
    settings: {
      method: 'discom',
      modalities: mods.map((m) => m.name).join(','),
      embeddingDim,
      backbones: backbones.map((b) => `${b.kind}(${[...b.hidden, ...b.channels].join('-')})`).join(','),
      representation: o.representation,
      orthPenalty: o.orthPenalty,
      grlLambda: o.grlLambda,
      learningRate: o.learningRate,
      epochs: o.epochs,
      epochsRun: history.length,
      batchSize: o.batchSize,
      augment: o.augment,
      pairing: o.pairing,
      seed: o.seed,
      ...Object.fromEntries(LOSS_TERMS.map((k) => [`weight_${k}`, weights[k]])),
    },
  };
}
