/**
 * trainDiscom: DisCoM-KD (Ienco & Fraga Dantas, BMVC 2024) trains one classifier per modality
 * jointly, with no teacher; each trained branch is a standalone single-modality student.
 */
import { tf } from '../../engine/index.js';
import { gatherRows } from '../../engine/step.js';
import type { ModalityKind } from '../../data/types.js';
import {
  LOSS_TERMS,
  discom,
  discomLossTerms,
  type DiscomBatch,
  type LossTerm,
  type LossWeights,
  type OrthPenalty,
} from '../../kd/discom/index.js';
import { accuracy, argmaxRows, f1Weighted } from '../../metrics/index.js';
import {
  buildDiscomNet,
  discomBackbone,
  dropoutLayers,
  encoderWidth,
  MODEL_KINDS,
  REPRESENTATIONS,
  type DiscomBackbone,
  type DiscomNet,
  type Representation,
} from '../../models/index.js';
import { CmkdError, check, oneOf } from '../../util/errors.js';
import type { ProgressFn } from '../../util/progress.js';
import { makeRng } from '../../util/rng.js';
import { augmentSettings, gatherAugmented, type AugmentSettings } from '../batches.js';
import { runLoop, type Learner } from '../loop.js';
import { OPTIMIZERS, resolveOptimizer, type OptimizerName } from '../optim.js';
import { predictOutputs } from '../predict.js';
import { SCHEDULES, scheduleSettings, type ScheduleName, type ScheduleSettings } from '../schedule.js';

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
   * Flips / 90° rotations of image modalities while batching (the trainer's augmentation, gated
   * per sample as the reference gates it: ≈ 59% of samples unchanged). Reference: on for image
   * modalities (main_DisCoM-KD.py `createDataLoader2`). Turn it off where orientation carries
   * the class (digits: 6 ↔ 9); `cmkd distill`, `sweep` and `run` train DisCoM-KD without it.
   */
  augment?: boolean | Partial<AugmentSettings>;
  /**
   * 'paired' (default): a batch holds the same samples in every modality. 'unpaired': each
   * modality is shuffled on its own, as in the reference code (pairing is not needed).
   */
  pairing?: 'paired' | 'unpaired';
  /** Stop when no branch's validation score improved for this many epochs; default: never. */
  patience?: number;
  /** Never stop early before this many epochs (default 0); each branch still keeps its best epoch. */
  minEpochs?: number;
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
  // The reference's (createDataLoader2 augments every image modality); the CLI commands turn it off (docs/methods.md).
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
  if (o.minEpochs !== undefined)
    check(
      Number.isInteger(o.minEpochs) && o.minEpochs >= 0,
      `discom: minEpochs = ${o.minEpochs}; expected an integer ≥ 0`,
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
  const schedule = scheduleSettings(o.schedule);
  const augment = augmentSettings(o.augment);
  const backbones = mods.map((m) => discomBackbone(m, o.numClasses));
  const embeddingDim = options.embeddingDim ?? Math.max(1, Math.floor(Math.min(...backbones.map(encoderWidth)) / 2));
  const net: DiscomNet = buildDiscomNet(
    mods.map((m, i) => ({ name: m.name, backbone: backbones[i] })),
    { embeddingDim, numClasses: o.numClasses, representation: o.representation, seed: makeRng(o.seed).seed() },
  );
  const hasVal = o.valLabels !== undefined && o.valLabels.length > 0;
  const objective = { weights, grlLambda: o.grlLambda, orthPenalty: o.orthPenalty, training: true };
  const vars = net.variables();

  // Every branch and shared head trained jointly; each branch's student is selected on its own validation F1.
  const learner: Learner<DiscomEpoch> = {
    variables: vars,
    decay: vars.map((v) => v.rank >= 2),
    // Only present if a backbone asks for dropout.
    dropouts: net.branches.flatMap((b) => dropoutLayers(b.train)) as unknown as { seed?: number }[],
    rows: n,
    // Paired: one shuffle for all modalities; unpaired: one per modality (reference code).
    shuffles: o.pairing === 'paired' ? 1 : mods.length,
    groups: net.branches.map((b) => ({ read: () => b.student.getWeights(), write: (values) => b.student.setWeights(values) })),
    step: (orders, rng) => {
      const rows = mods.map((_, i) => orders[o.pairing === 'paired' ? 0 : i]);
      const augmented = mods.map((m, i) =>
        augment && m.kind === 'image' ? gatherAugmented(m.train, m.shape, rows[i], 0, rows[i].length, augment, rng) : null,
      );
      const batch: DiscomBatch = {
        xs: mods.map((m, i) => {
          const a = augmented[i];
          return a ? tf.tensor(a, [rows[i].length, ...m.shape]) : gatherRows(m.train, m.shape, rows[i]);
        }),
        labels: mods.map((_, i) => gatherRows(o.trainLabels, [], rows[i]) as tf.Tensor1D),
      };
      return () => {
        const r = discomLossTerms(net, batch, objective);
        return [r.total, ...LOSS_TERMS.map((k) => r.terms[k] ?? tf.scalar(0))];
      };
    },
    endEpoch: async ({ epoch, means }) => {
      const record: DiscomEpoch = {
        epoch: epoch + 1,
        loss: means[0],
        terms: Object.fromEntries(LOSS_TERMS.filter((k) => weights[k] !== 0).map((k) => [k, means[1 + LOSS_TERMS.indexOf(k)]])),
      };
      if (!hasVal) return { record, scores: net.branches.map(() => null) };
      const val: Record<string, { accuracy: number; f1: number }> = {};
      for (const [i, b] of net.branches.entries()) {
        const pred = await predictClasses(b.student, mods[i].val!, mods[i].shape, o.signal);
        // Model selection on weighted F1, as the reference code.
        val[b.name] = { accuracy: accuracy(o.valLabels!, pred), f1: f1Weighted(o.valLabels!, pred, o.numClasses) };
      }
      record.val = val;
      return { record, scores: net.branches.map((b) => val[b.name].f1) };
    },
    describe: (rec) => {
      const valText = rec.val
        ? ' ' +
          Object.entries(rec.val)
            .map(([k, v]) => `${k} acc ${v.accuracy.toFixed(3)}`)
            .join(' ')
        : '';
      return `loss ${rec.loss.toFixed(4)}${valText}`;
    },
  };

  const result = await runLoop(learner, {
    optimizer: optimizerSettings,
    lr: o.lr,
    schedule,
    epochs: o.epochs,
    batchSize: o.batchSize,
    seed: o.seed,
    // Stop when no branch improved its validation F1 for `patience` epochs.
    selection: { maximise: true, minDelta: 0, patience: o.patience ?? null, minEpochs: o.minEpochs ?? 0 },
    label: `distill discom (${mods.map((m) => m.name).join(', ')})`,
    onProgress: o.onProgress,
    signal: o.signal,
  }).catch((err: unknown) => {
    net.dispose();
    throw err;
  });
  const history = result.history;
  // Each branch keeps its best-validation weights (the reference code's per-modality checkpoint).
  const best: DiscomResult['best'] = Object.fromEntries(
    net.branches.map((b, i) => [b.name, { epoch: result.best[i].epoch, f1: result.best[i].value }]),
  );
  net.releaseTraining();
  return {
    branches: Object.fromEntries(net.branches.map((b) => [b.name, b.student])),
    history,
    best,
    settings: {
      method: discom.name,
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
