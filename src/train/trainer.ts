/**
 * trainModel: plain training and distillation of one model, as a learner of the one training
 * loop (loop.ts). A step gathers a mini-batch by index from flat arrays (with augmentation, and
 * the strong view some KD methods train on); its loss is the task loss, or a KD method's full
 * loss given the frozen teacher's precomputed outputs, and the method's own variables train
 * with the model's. Validation (task loss and accuracy / MSE sums, read back with the epoch's
 * training loss) gives the early-stopping signal, and the best epoch's weights are restored at
 * the end. With a checkpoint directory the run writes, after every epoch, the best model so far
 * in TF.js format (best/), a JSON log (log.json) and a resume file (resume.ckpt) holding the
 * current and best weights, the optimiser state and the KD variables; `resume: true` continues
 * from it exactly (optimiser moments included), repeating an uninterrupted run.
 */
import path from 'node:path';
import { tf } from '../engine/index.js';
import { gatherRows } from '../engine/step.js';
import { squaredErrorSum, taskLoss, taskLossSum } from '../kd/losses.js';
import type { DistillObjective } from '../kd/types.js';
import { applyForTraining, dropoutLayers, modelSpecOf, saveModel, type ModelMeta, type ModelTask } from '../models/index.js';
import { CmkdError, check, oneOf } from '../util/errors.js';
import { writeJsonAtomic } from '../util/fs.js';
import type { ProgressFn } from '../util/progress.js';
import { makeRng } from '../util/rng.js';
import { augmentSettings, gatherAugmented, type AugmentSettings } from './batches.js';
import { gatherStrong } from './strong.js';
import { readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { runLoop, type Learner, type LoopResume } from './loop.js';
import { OPTIMIZERS, resolveOptimizer, type OptimizerName, type ResolvedOptimizer } from './optim.js';
import { SCHEDULES, scheduleSettings, type ScheduleName, type ScheduleSettings } from './schedule.js';

/** Rows of one modality with their labels: x is n × prod(inputShape), sample-major. */
export interface TrainData {
  x: Float32Array;
  /** Class indices (classification) or targets (regression). */
  y: Int32Array | Float32Array;
  n: number;
}

/** The frozen teacher's outputs for every training row, aligned with `train`. */
export interface TeacherOutputs {
  /** n × C logits (or n × 1 predictions). */
  logits: Float32Array;
  /** n × Dt embeddings. */
  embedding: Float32Array;
  /**
   * For objectives that train on a strong-augmentation view too (MLKD, `objective.strongView`):
   * the frozen teacher and its training inputs (n × its per-sample size, aligned with `train`).
   * Each batch's rows are augmented (strong.ts) for teacher and student with the same random
   * draws, and the teacher is run on its view.
   */
  strongView?: { model: tf.LayersModel; x: Float32Array };
}

export type EarlyStoppingMetric = 'val_loss' | 'val_metric';

export interface EarlyStopping {
  /** Epochs without improvement before stopping. */
  patience: number;
  /** 'val_loss' (task loss on validation, lower is better; default) or 'val_metric' (accuracy ↑ / MSE ↓). */
  metric?: EarlyStoppingMetric;
  /** Smallest change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Never stop before this many epochs (default 0); the best epoch is still restored. */
  minEpochs?: number;
}

export interface TrainOptions {
  model: tf.LayersModel;
  train: TrainData;
  /** Validation rows: early stopping and best-epoch selection. Without them the last epoch is kept. */
  val?: TrainData;
  task: ModelTask;
  optimizer?: OptimizerName;
  /** Base learning rate (default 1e-3). */
  lr?: number;
  /** SGD momentum (default 0.9). */
  momentum?: number;
  /** See OptimizerSettings.weightDecay. */
  weightDecay?: number;
  schedule?: ScheduleName | ScheduleSettings;
  epochs: number;
  /** Default 32. */
  batchSize?: number;
  /** Default { patience: 10, metric: 'val_loss' }; false disables it (the best epoch is still restored). */
  earlyStopping?: EarlyStopping | false;
  /**
   * Which epoch's weights the model ends with: 'best' (default) on the monitored validation score,
   * or 'last', a fit to convergence whose validation scores are only recorded (with early stopping off).
   */
  keep?: 'best' | 'last';
  /** Seeds shuffling, dropout and augmentation (default 0). Initial weights come from buildModel's seed. */
  seed?: number;
  /**
   * Image augmentation while gathering batches (see batches.ts): true = flips and 90° rotations.
   * Off by default; leave it off for digits, where flips change the class of some digits.
   */
  augment?: boolean | Partial<AugmentSettings>;
  /** Distillation: the method's objective and the frozen teacher's outputs on the training rows. */
  distill?: { objective: DistillObjective; teacher: TeacherOutputs };
  /** Progress task name (default 'train'). */
  label?: string;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  /** Write best/ (TF.js model), log.json and resume.ckpt here after every epoch. */
  checkpointDir?: string;
  /** Metadata for the checkpointed best model. */
  checkpointMeta?: ModelMeta;
  /** Continue from checkpointDir/resume.ckpt if present (settings must match). */
  resume?: boolean;
}

export interface EpochRecord {
  /** 1-based. */
  epoch: number;
  /** Mean training loss over the epoch (the objective's loss when distilling). */
  trainLoss: number;
  /** Mean task loss (CE or MSE) on the validation rows; null without validation. */
  valLoss: number | null;
  /** Validation accuracy (classification) or MSE (regression); null without validation. */
  valMetric: number | null;
  /** Learning rate at the epoch's first step. */
  lr: number;
  /** Wall-clock seconds (noisy; not part of any determinism guarantee). */
  seconds: number;
  /** The KD method's diagnostics (e.g. CTKD temperature), if it reports any. */
  diagnostics?: Record<string, number>;
}

export interface TrainResult {
  model: tf.LayersModel;
  history: EpochRecord[];
  /** 1-based epoch whose weights the model now holds (0 if no epoch ran). */
  bestEpoch: number;
  /** Name of valMetric. */
  metricName: 'accuracy' | 'mse';
  stoppedEarly: boolean;
  /** Epochs already done in the checkpoint this run resumed from (0 for a fresh run). */
  resumedFrom: number;
}

export const RESUME_FILE = 'resume.ckpt';
export const LOG_FILE = 'log.json';
export const BEST_DIR = 'best';

interface ResumeHeader {
  format: 1;
  fingerprint: Record<string, unknown>;
  epochsDone: number;
  history: EpochRecord[];
  bestEpoch: number;
  bestValue: number | null;
  wait: number;
  stoppedEarly: boolean;
  optimizerStep: number;
}

interface Resolved {
  task: ModelTask;
  optimizer: ResolvedOptimizer;
  lr: number;
  schedule: ScheduleSettings;
  epochs: number;
  batchSize: number;
  earlyStopping: Required<EarlyStopping> | null;
  keep: 'best' | 'last';
  seed: number;
  augment: AugmentSettings | null;
}

function resolveOptions(o: TrainOptions, inputShape: number[]): Resolved {
  const task = oneOf<ModelTask>('task', o.task, ['classification', 'regression']);
  const optimizer = resolveOptimizer({
    name: oneOf<OptimizerName>('optimizer', o.optimizer ?? 'adam', OPTIMIZERS),
    momentum: o.momentum,
    weightDecay: o.weightDecay,
  });
  const lr = o.lr ?? 1e-3;
  check(Number.isFinite(lr) && lr > 0, `learning rate must be a positive number, got ${lr}`, 'invalid-option');
  const schedule = scheduleSettings(o.schedule);
  oneOf('schedule', schedule.name, SCHEDULES);
  check(Number.isInteger(o.epochs) && o.epochs >= 1, `epochs must be an integer ≥ 1, got ${o.epochs}`, 'invalid-option');
  const batchSize = o.batchSize ?? 32;
  check(Number.isInteger(batchSize) && batchSize >= 1, `batch size must be an integer ≥ 1, got ${batchSize}`, 'invalid-option');
  const given = o.earlyStopping === false ? null : { patience: 10, metric: 'val_loss' as const, minDelta: 0, ...o.earlyStopping };
  const es = given && { ...given, minEpochs: given.minEpochs ?? 0 };
  if (es) {
    check(
      Number.isInteger(es.patience) && es.patience >= 1,
      `early-stopping patience must be an integer ≥ 1, got ${es.patience}`,
      'invalid-option',
    );
    check(
      Number.isInteger(es.minEpochs) && es.minEpochs >= 0,
      `early-stopping minEpochs must be an integer ≥ 0, got ${es.minEpochs}`,
      'invalid-option',
    );
    oneOf('early-stopping metric', es.metric, ['val_loss', 'val_metric']);
  }
  const keep = oneOf<'best' | 'last'>('kept epoch', o.keep ?? 'best', ['best', 'last']);
  check(!(keep === 'last' && es), 'keeping the last epoch stops nothing early: give earlyStopping false with it', 'invalid-option');
  let augment = augmentSettings(o.augment);
  if (augment) {
    check(
      inputShape.length === 3,
      `augmentation (flips, rotations) applies to images [H, W, C]; this model reads inputs of shape [${inputShape.join(', ')}]`,
      'invalid-option',
    );
    if (!augment.flips && !augment.rotations) augment = null;
  }
  return { task, optimizer, lr, schedule, epochs: o.epochs, batchSize, earlyStopping: es, keep, seed: o.seed ?? 0, augment };
}

function checkData(what: string, d: TrainData, rowSize: number, inputShape: number[], task: ModelTask, outputs: number): void {
  check(Number.isInteger(d.n) && d.n >= 0, `${what}: n must be a non-negative integer, got ${d.n}`);
  check(
    d.x.length === d.n * rowSize,
    () => `${what}: x has ${d.x.length} values; expected n × [${inputShape.join(', ')}] = ${d.n} × ${rowSize} = ${d.n * rowSize}`,
  );
  check(d.y.length === d.n, () => `${what}: ${d.y.length} labels for ${d.n} rows`);
  if (task === 'classification') {
    for (let i = 0; i < d.n; i++) {
      const c = d.y[i];
      if (!(Number.isInteger(c) && c >= 0 && c < outputs)) {
        throw new CmkdError(`${what}: label ${c} of row ${i} is not a class index in 0..${outputs - 1}`, 'invalid-input');
      }
    }
  } else {
    for (let i = 0; i < d.n; i++) {
      if (!Number.isFinite(d.y[i])) throw new CmkdError(`${what}: regression target of row ${i} is ${d.y[i]}`, 'invalid-input');
    }
  }
}

// Σ over the batch of the validation metric's numerator: correct predictions Σ_i [argmax s_i = y_i], or Σ_i (y_i − ŷ_i)²
export function metricSum(task: ModelTask, outputs: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  if (task === 'regression') return squaredErrorSum(outputs, labels);
  return tf.sum(tf.cast(tf.equal(tf.argMax(outputs, 1), tf.cast(labels, 'int32')), 'float32'));
}

/** Sums of the task loss and of the metric numerator over `d` (device scalars, not read back). */
function evaluateSums(model: tf.LayersModel, d: TrainData, inputShape: number[], task: ModelTask, batchSize: number): tf.Tensor[] {
  const rowSize = inputShape.reduce((a, b) => a * b, 1);
  let sums: tf.Tensor[] = [tf.scalar(0), tf.scalar(0)];
  for (let from = 0; from < d.n; from += batchSize) {
    const to = Math.min(d.n, from + batchSize);
    const next = tf.tidy(() => {
      const x = tf.tensor(d.x.subarray(from * rowSize, to * rowSize), [to - from, ...inputShape]);
      const y = tf.tensor1d(d.y.subarray(from, to), task === 'classification' ? 'int32' : 'float32');
      const [logits] = model.apply(x, { training: false }) as tf.Tensor2D[];
      return [tf.add(sums[0], taskLossSum(task, logits, y)), tf.add(sums[1], metricSum(task, logits, y))];
    });
    tf.dispose(sums);
    sums = next;
  }
  return sums;
}

function fingerprint(o: TrainOptions, r: Resolved): Record<string, unknown> {
  let spec: unknown;
  try {
    spec = modelSpecOf(o.model);
  } catch {
    spec = o.model.weights.map((w) => w.shape);
  }
  return {
    spec,
    task: r.task,
    optimizer: r.optimizer,
    lr: r.lr,
    schedule: r.schedule,
    epochs: r.epochs,
    batchSize: r.batchSize,
    earlyStopping: withoutZeroMinEpochs(r.earlyStopping),
    seed: r.seed,
    augment: r.augment,
    nTrain: o.train.n,
    nVal: o.val?.n ?? 0,
    objective: o.distill ? { name: o.distill.objective.name, settings: o.distill.objective.settings } : null,
  };
}

/** Early stopping as checkpoints recorded it before minEpochs existed, when it is the default 0 (old checkpoints still resume). */
function withoutZeroMinEpochs(es: Required<EarlyStopping> | null): EarlyStopping | null {
  if (!es || es.minEpochs !== 0) return es;
  const { minEpochs: _m, ...rest } = es;
  return rest;
}

function diffKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

/**
 * Train `model` (in place) and return it holding the best epoch's weights, with the per-epoch
 * history. Throws an AbortError when `signal` aborts (the last completed epoch's checkpoint,
 * if any, stays on disk for `resume`).
 */
export async function trainModel(o: TrainOptions): Promise<TrainResult> {
  const { model } = o;
  check(
    model.inputs.length === 1 && model.outputs.length === 2,
    `model '${model.name}' must have one input and two outputs [logits, embedding]`,
    'invalid-option',
  );
  const inputShape = model.inputs[0].shape.slice(1) as number[];
  const rowSize = inputShape.reduce((a, b) => a * b, 1);
  const outputs = model.outputs[0].shape[1] as number;
  const r = resolveOptions(o, inputShape);
  checkData('training data', o.train, rowSize, inputShape, r.task, outputs);
  check(o.train.n >= 1, 'training data: no rows', 'invalid-input');
  const val = o.val && o.val.n > 0 ? o.val : null;
  if (val) checkData('validation data', val, rowSize, inputShape, r.task, outputs);
  check(!o.resume || o.checkpointDir, 'resume needs a checkpoint directory', 'invalid-option');

  const teacher = o.distill?.teacher;
  let teacherLogitsSize = 0;
  let teacherEmbSize = 0;
  if (teacher) {
    const n = o.train.n;
    teacherLogitsSize = teacher.logits.length / n;
    teacherEmbSize = teacher.embedding.length / n;
    check(
      Number.isInteger(teacherLogitsSize) && teacherLogitsSize >= 1 && Number.isInteger(teacherEmbSize) && teacherEmbSize >= 1,
      () =>
        `teacher outputs: ${teacher.logits.length} logit values and ${teacher.embedding.length} embedding values are not whole rows for ${n} training samples`,
    );
  }
  const objective = o.distill?.objective;
  const strongTeacher = objective?.strongView ? teacher?.strongView : undefined;
  check(
    !objective?.strongView || strongTeacher !== undefined,
    () => `${objective?.name}: the objective trains on a strong-augmentation view, but no teacher model and inputs were given for it`,
    'invalid-option',
  );
  const teacherShape = strongTeacher ? (strongTeacher.model.inputs[0].shape.slice(1) as number[]) : [];
  if (strongTeacher) {
    const size = teacherShape.reduce((a, b) => a * b, 1);
    check(
      strongTeacher.x.length === o.train.n * size,
      () =>
        `teacher inputs for the strong view: ${strongTeacher.x.length} values are not ${o.train.n} rows of [${teacherShape.join(', ')}]`,
    );
  }
  const metricName = r.task === 'classification' ? 'accuracy' : 'mse';
  const label = o.label ?? 'train';
  const modelVars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const vars = [...modelVars, ...(objective?.variables ?? [])];
  // A method whose variables have an optimiser of their own (CTKD's θ: the reference's SGD).
  const ownOpt = objective?.optimizer;
  const ownRule = ownOpt
    ? { settings: resolveOptimizer({ name: ownOpt.name, momentum: ownOpt.momentum, weightDecay: ownOpt.weightDecay }), lr: ownOpt.lr }
    : null;
  const fp = fingerprint(o, r);
  const resumeFile = o.checkpointDir ? path.join(o.checkpointDir, RESUME_FILE) : null;

  // The model (and the objective's variables) as the loop trains it.
  const learner: Learner<EpochRecord> = {
    variables: vars,
    decay: vars.map((v, i) => i < modelVars.length && v.rank >= 2),
    own: vars.map((v, i) => (i >= modelVars.length && ownRule ? ownRule : null)),
    dropouts: dropoutLayers(model) as unknown as { seed?: number }[],
    rows: o.train.n,
    groups: [{ read: () => model.weights.map((w) => w.read()), write: (values) => model.setWeights(values) }],
    step: ([rows], rng, epoch) => {
      const b = rows.length;
      const xAug = r.augment ? gatherAugmented(o.train.x, inputShape, rows, 0, b, r.augment, rng) : null;
      // Strong view: the same draws (one seed) for the student's and the teacher's rows.
      const strongSeed = strongTeacher ? rng.seed() : 0;
      const xStrong = strongTeacher ? gatherStrong(o.train.x, inputShape, rows, makeRng(strongSeed)) : null;
      const tStrongX = strongTeacher ? gatherStrong(strongTeacher.x, teacherShape, rows, makeRng(strongSeed)) : null;
      const x = xAug ? tf.tensor(xAug, [b, ...inputShape]) : gatherRows(o.train.x, inputShape, rows);
      const y = gatherRows(o.train.y, [], rows) as tf.Tensor1D;
      const tLogits = teacher ? (gatherRows(teacher.logits, [teacherLogitsSize], rows) as tf.Tensor2D) : null;
      const tEmb = teacher ? (gatherRows(teacher.embedding, [teacherEmbSize], rows) as tf.Tensor2D) : null;
      const sStrongX = xStrong ? tf.tensor(xStrong, [b, ...inputShape]) : null;
      const tStrongLogits =
        strongTeacher && tStrongX
          ? ((strongTeacher.model.apply(tf.tensor(tStrongX, [b, ...teacherShape]), { training: false }) as tf.Tensor2D[])[0] as tf.Tensor2D)
          : undefined;
      return () => {
        const [logits, embedding] = applyForTraining(model, x) as tf.Tensor2D[];
        if (!objective) return [taskLoss(r.task, logits, y)];
        const studentLogitsStrong = sStrongX ? (applyForTraining(model, sStrongX) as tf.Tensor2D[])[0] : undefined;
        return [
          objective.loss({
            studentLogits: logits,
            studentEmbedding: embedding,
            teacherLogits: tLogits as tf.Tensor2D,
            teacherEmbedding: tEmb as tf.Tensor2D,
            labels: y,
            epoch,
            totalEpochs: r.epochs,
            studentLogitsStrong,
            teacherLogitsStrong: tStrongLogits,
          }),
        ];
      };
    },
    validation: () => (val ? evaluateSums(model, val, inputShape, r.task, Math.max(r.batchSize, 256)) : []),
    endEpoch: async ({ epoch, lr, means, validation, seconds }) => {
      const record: EpochRecord = {
        epoch: epoch + 1,
        trainLoss: means[0],
        valLoss: val ? validation[0] / val.n : null,
        valMetric: val ? validation[1] / val.n : null,
        lr,
        seconds,
      };
      const diag = objective?.diagnostics?.(epoch, r.epochs);
      if (diag) record.diagnostics = diag;
      // Early stopping / best epoch: monitor validation, or keep the last epoch without it (or when asked to).
      const monitored = !val || r.keep === 'last' ? null : r.earlyStopping?.metric === 'val_metric' ? record.valMetric : record.valLoss;
      return { record, scores: [monitored] };
    },
    describe: (record) => {
      const v =
        record.valLoss === null
          ? ''
          : ` val_loss ${record.valLoss.toFixed(4)} val_${metricName} ${(record.valMetric as number).toFixed(4)}`;
      return `loss ${record.trainLoss.toFixed(4)}${v}`;
    },
  };

  let resume: LoopResume<EpochRecord> | null = null;
  if (o.resume && resumeFile) {
    const ck = await readCheckpoint<ResumeHeader>(resumeFile);
    if (ck) {
      const h = ck.header;
      const differ = diffKeys(h.fingerprint, fp);
      if (h.format !== 1 || differ.length) {
        tf.dispose(Object.values(ck.groups).flat());
        throw new CmkdError(
          `cannot resume from ${resumeFile}: this run's settings differ in ${differ.join(', ') || 'format'}; use the same settings or another checkpoint directory`,
          'invalid-option',
        );
      }
      model.setWeights(ck.groups.model);
      (objective?.variables ?? []).forEach((v, i) => v.assign(ck.groups.objective[i]));
      tf.dispose([...ck.groups.model, ...ck.groups.objective]);
      resume = {
        state: {
          epochsDone: h.epochsDone,
          history: h.history,
          best: [{ epoch: h.bestEpoch, value: h.bestValue }],
          wait: h.wait,
          stoppedEarly: h.stoppedEarly,
        },
        bestWeights: [ck.groups.best.length ? ck.groups.best : null],
        optimizer: { state: ck.groups.optimizer, step: h.optimizerStep },
      };
    }
  }
  o.onProgress?.({ task: label, done: resume?.state.epochsDone ?? 0, total: r.epochs });

  const es = r.earlyStopping;
  const result = await runLoop(learner, {
    optimizer: r.optimizer,
    lr: r.lr,
    schedule: r.schedule,
    epochs: r.epochs,
    batchSize: r.batchSize,
    seed: r.seed,
    selection: {
      maximise: es?.metric === 'val_metric' && metricName === 'accuracy',
      minDelta: es?.minDelta ?? 0,
      patience: es ? es.patience : null,
      minEpochs: es?.minEpochs ?? 0,
    },
    label,
    onProgress: o.onProgress,
    signal: o.signal,
    resume,
    afterEpoch:
      o.checkpointDir && resumeFile
        ? async ({ state, improved, bestWeights, optimizer }) => {
            const dir = o.checkpointDir as string;
            if (improved[0]) await saveModel(path.join(dir, BEST_DIR), model, o.checkpointMeta);
            const header: ResumeHeader = {
              format: 1,
              fingerprint: fp,
              epochsDone: state.epochsDone,
              history: state.history,
              bestEpoch: state.best[0].epoch,
              bestValue: state.best[0].value,
              wait: state.wait,
              stoppedEarly: state.stoppedEarly,
              optimizerStep: optimizer.step,
            };
            await writeCheckpoint(resumeFile, header, {
              model: model.weights.map((w) => w.read()),
              best: bestWeights[0] ?? [],
              optimizer: optimizer.stateTensors(),
              objective: objective?.variables ?? [],
            });
            await writeJsonAtomic(path.join(dir, LOG_FILE), {
              settings: fp,
              metricName,
              bestEpoch: state.best[0].epoch,
              stoppedEarly: state.stoppedEarly,
              history: state.history,
            });
          }
        : undefined,
  });
  return {
    model,
    history: result.history,
    bestEpoch: result.best[0].epoch,
    metricName,
    stoppedEarly: result.stoppedEarly,
    resumedFrom: result.resumedFrom,
  };
}
