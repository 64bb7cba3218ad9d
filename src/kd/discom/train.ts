/**
 * trainDiscom: DisCoM-KD (Ienco & Fraga Dantas, BMVC 2024) trains one classifier per modality
 * jointly, with no teacher; each trained branch is a standalone single-modality student.
 */
import { tf } from '../../engine/index.js';
import { batchOrder, gatherRows } from '../../engine/step.js';
import { CmkdError, check, oneOf } from '../../util/errors.js';
import { throwIfAborted, type ProgressFn } from '../../util/progress.js';
import { makeRng } from '../../util/rng.js';
import { accuracy, argmaxRows, f1Weighted } from '../../metrics/index.js';
import type { ModalityKind } from '../../data/types.js';
import {
  buildDiscomNet,
  discomBackbone,
  encoderWidth,
  MODEL_KINDS,
  REPRESENTATIONS,
  type DiscomBackbone,
  type DiscomNet,
  type Representation,
} from '../../models/index.js';
import {
  Optimizer,
  OPTIMIZERS,
  SCHEDULES,
  epochRng,
  gatherAugmented,
  learningRateAt,
  predictOutputs,
  resolveOptimizer,
  type AugmentSettings,
  type OptimizerName,
  type ScheduleName,
  type ScheduleSettings,
} from '../../train/index.js';
import type { OrthPenalty } from './losses.js';
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
  backbone?: DiscomBackbone;
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
  /** Optimiser (the trainer's; paper: Adam). */
  optimizer?: OptimizerName;
  /** Base learning rate. Paper: 1e-4. */
  lr?: number;
  momentum?: number;
  /** Weight decay on kernels, as in the trainer (paper: none). */
  weightDecay?: number;
  /** Learning-rate schedule, as in the trainer (paper: constant). */
  schedule?: ScheduleName | ScheduleSettings;
  /** Paper: 300. */
  epochs?: number;
  /** Paper: 128. */
  batchSize?: number;
  /**
   * Flips / 90° rotations of image modalities while batching (the trainer's augmentation).
   * Paper: on. Turn it off where orientation carries the class (digits: 6 ↔ 9).
   */
  augment?: boolean | Partial<AugmentSettings>;
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
  /** 1-based, as the trainer's EpochRecord. */
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
  /** Per modality: epoch whose weights were kept (1-based) and its validation weighted F1. */
  best: Record<string, { epoch: number; f1: number | null }>;
  settings: Record<string, number | string | boolean>;
}

export const DISCOM_DEFAULTS = {
  representation: 'inv+inf' as Representation,
  orthPenalty: 'abs' as OrthPenalty,
  grlLambda: 1,
  optimizer: 'adam' as OptimizerName,
  lr: 1e-4,
  epochs: 300,
  batchSize: 128,
  augment: true as boolean | Partial<AugmentSettings>,
  pairing: 'paired' as 'paired' | 'unpaired',
  seed: 0,
};

function featureSize(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function validate(o: DiscomOptions): void {
  check(
    Array.isArray(o.modalities) && o.modalities.length >= 2,
    `discom: needs at least two modalities, got ${o.modalities?.length ?? 0}`,
    'invalid-option',
  );
  const names = new Set<string>();
  check(
    Number.isInteger(o.numClasses) && o.numClasses >= 2,
    `discom: numClasses must be an integer ≥ 2, got ${o.numClasses}`,
    'invalid-option',
  );
  const n = o.trainLabels.length;
  check(n > 0, 'discom: trainLabels is empty');
  const nVal = o.valLabels?.length;
  for (const m of o.modalities) {
    check(!names.has(m.name), `discom: modality '${m.name}' given twice`, 'invalid-option');
    names.add(m.name);
    const okShape = m.kind === 'image' ? m.shape.length === 3 : m.shape.length === 1;
    check(
      okShape && m.shape.every((s) => Number.isInteger(s) && s > 0),
      () =>
        `discom: modality '${m.name}' (${m.kind}) has shape [${m.shape.join(', ')}]; expected ${m.kind === 'image' ? '[H, W, C]' : '[d]'} with positive integers`,
    );
    const d = featureSize(m.shape);
    check(
      m.train.length === n * d,
      () =>
        `discom: modality '${m.name}' train data has ${m.train.length} values; expected ${n} rows × ${d} = ${n * d} (one row per train label)`,
    );
    if (nVal !== undefined) {
      check(m.val !== undefined, `discom: valLabels given but modality '${m.name}' has no val data`);
      check(
        m.val.length === nVal * d,
        () => `discom: modality '${m.name}' val data has ${m.val!.length} values; expected ${nVal} rows × ${d} = ${nVal * d}`,
      );
    }
    if (m.backbone?.kind !== undefined) oneOf(`backbone kind for modality '${m.name}'`, m.backbone.kind, MODEL_KINDS);
  }
  for (const [what, labels] of [
    ['trainLabels', o.trainLabels],
    ['valLabels', o.valLabels],
  ] as const) {
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
  if (o.lr !== undefined) check(o.lr > 0 && Number.isFinite(o.lr), `discom: lr = ${o.lr}; expected a positive number`, 'invalid-option');
  if (o.optimizer !== undefined) oneOf('optimizer', o.optimizer, OPTIMIZERS);
  if (o.schedule !== undefined) oneOf('schedule', typeof o.schedule === 'object' ? o.schedule.name : o.schedule, SCHEDULES);
  const w = { cl: 1, adv: 1, mod: 1, aux: 1, orth: 1, ...o.lossWeights };
  check(
    LOSS_TERMS.some((k) => w[k] > 0),
    'discom: every loss weight is 0; nothing to train',
    'invalid-option',
  );
  if (o.grlLambda !== undefined)
    check(Number.isFinite(o.grlLambda) && o.grlLambda >= 0, `discom: grlLambda = ${o.grlLambda}; expected ≥ 0`, 'invalid-option');
  if (o.patience !== undefined)
    check(
      Number.isInteger(o.patience) && o.patience > 0,
      `discom: patience = ${o.patience}; expected a positive integer`,
      'invalid-option',
    );
}

/** Class predictions (argmax of the logits) of a student on the rows of `data`. */
export async function predictClasses(
  student: tf.LayersModel,
  data: Float32Array,
  shape: number[],
  signal?: AbortSignal,
): Promise<Int32Array> {
  const n = data.length / featureSize(shape);
  const { logits, logitsSize } = await predictOutputs(student, data, n, 512, { signal });
  return argmaxRows(logits, logitsSize);
}

/** Train DisCoM-KD on paired multi-modal data; returns one standalone student per modality. */
export async function trainDiscom(options: DiscomOptions): Promise<DiscomResult> {
  validate(options);
  const o = { ...DISCOM_DEFAULTS, ...options };
  const weights: LossWeights = { cl: 1, adv: 1, mod: 1, aux: 1, orth: 1, ...options.lossWeights };
  const mods = o.modalities;
  const n = o.trainLabels.length;
  const optimizerSettings = resolveOptimizer({ name: o.optimizer, momentum: o.momentum, weightDecay: o.weightDecay });
  const schedule: ScheduleSettings = typeof o.schedule === 'object' ? o.schedule : { name: o.schedule ?? 'constant' };
  const augment: AugmentSettings | null = !o.augment
    ? null
    : o.augment === true
      ? { flips: true, rotations: true }
      : { flips: o.augment.flips ?? false, rotations: o.augment.rotations ?? false };
  const backbones = mods.map((m) => discomBackbone(m, o.numClasses));
  const embeddingDim = options.embeddingDim ?? Math.max(1, Math.floor(Math.min(...backbones.map(encoderWidth)) / 2));
  const net: DiscomNet = buildDiscomNet(
    mods.map((m, i) => ({ name: m.name, backbone: backbones[i] })),
    { embeddingDim, numClasses: o.numClasses, representation: o.representation, seed: makeRng(o.seed).seed() },
  );
  // TF.js dropout reuses its seed on every call; draw a fresh one per step (only if a backbone asks for dropout).
  const dropouts = net.branches.flatMap((b) => b.train.layers.filter((l) => l.getClassName() === 'Dropout')) as unknown as {
    seed?: number;
  }[];
  const vars = net.variables();
  const optimizer = new Optimizer(
    optimizerSettings,
    vars,
    vars.map((v) => v.rank >= 2),
  );
  const stepsPerEpoch = Math.ceil(n / o.batchSize);
  const hasVal = o.valLabels !== undefined && o.valLabels.length > 0;
  const best: DiscomResult['best'] = {};
  const snapshots: (tf.Tensor[] | null)[] = mods.map(() => null);
  const history: DiscomEpoch[] = [];
  const objective = { weights, grlLambda: o.grlLambda, orthPenalty: o.orthPenalty, training: true };
  const task = `distill discom (${mods.map((m) => m.name).join(', ')})`;
  let sinceImproved = 0;
  let sums: tf.Tensor | null = null;

  try {
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      // Shuffles, augmentation and dropout of an epoch: a pure function of (seed, epoch), as in the trainer.
      const rng = epochRng(o.seed, epoch);
      // Paired: one shuffle for all modalities; unpaired: one per modality (reference code).
      const shared = o.pairing === 'paired' ? batchOrder(n, { batchSize: o.batchSize, seed: rng.seed() }) : null;
      const orders = mods.map(() => shared ?? batchOrder(n, { batchSize: o.batchSize, seed: rng.seed() }));
      // Batch-size-weighted sums of [total, ...LOSS_TERMS], kept on the device; read once per epoch.
      sums = tf.zeros([1 + LOSS_TERMS.length]);
      for (let b = 0; b < stepsPerEpoch; b++) {
        throwIfAborted(o.signal);
        const lr = learningRateAt(schedule, o.lr, epoch * stepsPerEpoch + b, stepsPerEpoch * o.epochs, epoch, o.epochs);
        for (const d of dropouts) d.seed = rng.seed();
        const augmented = mods.map((m, i) =>
          augment && m.kind === 'image' ? gatherAugmented(m.train, m.shape, orders[i][b], 0, orders[i][b].length, augment, rng) : null,
        );
        const prev: tf.Tensor = sums;
        sums = tf.tidy(() => {
          const batch: DiscomBatch = {
            xs: mods.map((m, i) => {
              const a = augmented[i];
              return a ? tf.tensor(a, [orders[i][b].length, ...m.shape]) : gatherRows(m.train, m.shape, orders[i][b]);
            }),
            labels: mods.map((_, i) => gatherRows(o.trainLabels, [], orders[i][b]) as tf.Tensor1D),
          };
          let terms: tf.Scalar[] = [];
          const { value, grads } = tf.variableGrads(() => {
            const r = discomLossTerms(net, batch, objective);
            terms = LOSS_TERMS.map((k) => tf.keep(r.terms[k] ?? tf.scalar(0)));
            return r.total;
          }, vars);
          optimizer.apply(
            vars.map((v) => grads[v.name]),
            lr,
          );
          const row = tf.stack([value, ...terms]);
          tf.dispose(terms);
          return tf.add(prev, tf.mul(row, orders[0][b].length));
        });
        prev.dispose();
        await new Promise((r) => setImmediate(r));
      }
      const epochSums = await sums.data();
      sums.dispose();
      sums = null;
      const rec: DiscomEpoch = {
        epoch: epoch + 1,
        loss: epochSums[0] / n,
        terms: Object.fromEntries(LOSS_TERMS.filter((k) => weights[k] !== 0).map((k) => [k, epochSums[1 + LOSS_TERMS.indexOf(k)] / n])),
      };
      let improved = false;
      if (hasVal) {
        rec.val = {};
        for (const [i, b] of net.branches.entries()) {
          const pred = await predictClasses(b.student, mods[i].val!, mods[i].shape, o.signal);
          // Model selection on weighted F1, as the reference code.
          const score = { accuracy: accuracy(o.valLabels!, pred), f1: f1Weighted(o.valLabels!, pred, o.numClasses) };
          rec.val[b.name] = score;
          const prevBest = best[b.name];
          if (!prevBest || (prevBest.f1 !== null && score.f1 > prevBest.f1)) {
            improved = true;
            best[b.name] = { epoch: epoch + 1, f1: score.f1 };
            if (snapshots[i]) tf.dispose(snapshots[i]!);
            snapshots[i] = b.student.getWeights().map((w) => w.clone());
          }
        }
      }
      history.push(rec);
      const valText = rec.val
        ? ' ' +
          Object.entries(rec.val)
            .map(([k, v]) => `${k} acc ${v.accuracy.toFixed(3)}`)
            .join(' ')
        : '';
      o.onProgress?.({ task, done: epoch + 1, total: o.epochs, detail: `loss ${rec.loss.toFixed(4)}${valText}` });
      sinceImproved = improved ? 0 : sinceImproved + 1;
      if (o.patience !== undefined && hasVal && sinceImproved >= o.patience) break;
    }
    // Keep each branch's best-validation weights (the reference code's per-modality checkpoint).
    net.branches.forEach((b, i) => {
      if (snapshots[i]) b.student.setWeights(snapshots[i]!);
      if (!hasVal) best[b.name] = { epoch: history.length, f1: null };
    });
  } catch (err) {
    net.dispose();
    throw err;
  } finally {
    sums?.dispose();
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
      optimizer: o.optimizer,
      lr: o.lr,
      momentum: optimizerSettings.momentum,
      weightDecay: optimizerSettings.weightDecay,
      schedule: schedule.name,
      epochs: o.epochs,
      epochsRun: history.length,
      batchSize: o.batchSize,
      augment: augment
        ? `${augment.flips ? 'flips' : ''}${augment.flips && augment.rotations ? '+' : ''}${augment.rotations ? 'rotations' : ''}`
        : 'off',
      pairing: o.pairing,
      seed: o.seed,
      ...Object.fromEntries(LOSS_TERMS.map((k) => [`weight_${k}`, weights[k]])),
    },
  };
}
