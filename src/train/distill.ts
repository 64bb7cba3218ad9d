/**
 * Cross-modal distillation on a dataset: a teacher on one modality (trained here on the
 * split's training rows, or a saved model), then a student on another modality trained with a
 * KD method's loss against the frozen teacher's outputs on the same rows. DisCoM-KD, which
 * has no teacher, trains one student per modality (distillDiscom). What `cmkd distill` and
 * the sweep run; saved students load in `cmkd evaluate` like any trained model.
 *
 * The teacher's architecture defaults to the student's (the CCH papers' protocol), falling
 * back to the modality's default family when the student's cannot read the teacher's inputs
 * (a CNN for a table). Schedules are counted in epochs as the reference code counts them (DKD's
 * 20-epoch warm-up, CTKD's 10-epoch λ ramp) unless given; a run shorter than a schedule stays
 * inside it, and `scheduleNotes` says so in the result.
 */
import path from 'node:path';
import { getModality, hasModality, type MultimodalDataset, type Split } from '../data/index.js';
import type { Standardizer } from '../data/standardize.js';
import type { tf } from '../engine/index.js';
import {
  createObjective,
  DISTILL_METHODS,
  LOGIT_METHODS,
  methodDefinition,
  resolveSettings,
  scheduleNotes,
  type MethodDefinition,
  type ObjectiveSettings,
  type ResolvedSettings,
  type RunContext,
} from '../kd/index.js';
import { DISCOM_DEFAULTS, discomOnDataset, type DiscomOptions } from './discom/index.js';
import {
  buildModel,
  embeddingSize,
  loadModel,
  modelSpecOf,
  readsTables,
  saveModel,
  type ModelKind,
  type ModelMeta,
  type ModelSpec,
  type SavedModelMeta,
  type SpecOverrides,
} from '../models/index.js';
import { CmkdError, check } from '../util/errors.js';
import type { ProgressFn } from '../util/progress.js';
import { evaluateModel, type Evaluation } from './evaluate.js';
import { defaultModelKind, modelMetaFor, prepareModality, specFor, trainOnModality, type PreparedModality } from './pipeline.js';
import { predictOutputs } from './predict.js';
import { trainModel, type EpochRecord, type TrainOptions } from './trainer.js';

/** Optimisation settings shared by teacher, students and DisCoM-KD. */
export type TrainSettings = Pick<
  TrainOptions,
  'epochs' | 'lr' | 'batchSize' | 'optimizer' | 'momentum' | 'weightDecay' | 'schedule' | 'earlyStopping' | 'keep' | 'augment'
>;

/** Validation and test metrics of one model on its modality's rows of the split. */
export interface SplitMetrics {
  val: Evaluation | null;
  test: Evaluation | null;
}

export interface TeacherSource {
  /** The modality the teacher reads. */
  modality: string;
  /** A trained teacher (frozen; never disposed here). Without it a teacher is trained on the split. */
  model?: tf.LayersModel;
  /** How a given teacher's inputs are scaled (its saved standardiser); default: fitted on the split's training rows. */
  standardizer?: Standardizer;
  /** Where a given teacher came from (a model directory), for the student's metadata. */
  source?: string;
  /** Architecture of a teacher trained here (default: the student's, when it fits the modality). */
  kind?: ModelKind;
  architecture?: SpecOverrides;
  /** Settings of a teacher trained here that differ from the student's. */
  training?: Partial<TrainSettings>;
}

export interface DistillOptions extends TrainSettings {
  dataset: MultimodalDataset;
  split: Split;
  student: string;
  teacher: TeacherSource;
  /** kd | dkd | ctkd | mlkd | feature (DisCoM-KD: distillDiscom). */
  method: string;
  /** The method's options (createObjective's names: alpha, beta, temperature, kdWeight, …). */
  settings?: ObjectiveSettings;
  /** Logit standardisation (LSKD) on a logit method. */
  lskd?: boolean;
  /** Student architecture (default: CNN for images, MLP for tables). */
  kind?: ModelKind;
  architecture?: SpecOverrides;
  /** Seeds initial weights, shuffling, dropout and a feature projection (default 0). */
  seed?: number;
  /** Save the student here (model.json + weights.bin) and a teacher trained here under `teacher/`. */
  out?: string;
  /** Return a teacher trained here in the result instead of disposing it. */
  keepTeacher?: boolean;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export interface DistillResult {
  student: tf.LayersModel;
  spec: ModelSpec;
  /** The metadata the student is (or would be) saved with. */
  meta: ModelMeta;
  method: string;
  /** Report label, e.g. 'DKD+LS'. */
  label: string;
  settings: ResolvedSettings;
  /** Schedules this run does not finish (e.g. DKD's 20-epoch warm-up in a 6-epoch run), in words; see scheduleNotes. */
  notes: string[];
  metrics: SplitMetrics;
  history: EpochRecord[];
  bestEpoch: number;
  stoppedEarly: boolean;
  /** The teacher on its modality's rows of the same split. */
  teacherMetrics: SplitMetrics;
  teacher: {
    modality: string;
    /** True when it was trained by this call. */
    trained: boolean;
    /** A teacher trained here, when keepTeacher was set (the caller disposes it); else null. */
    model: tf.LayersModel | null;
    spec: ModelSpec;
    meta: ModelMeta;
  };
  /** Directories written (with `out`). */
  saved: { student: string; teacher: string | null } | null;
  /** Release the student and a kept teacher. */
  dispose(): void;
}

/** Scores of a model on the val and test rows of its modality. */
export async function splitMetrics(model: tf.LayersModel, prepared: PreparedModality, ds: MultimodalDataset): Promise<SplitMetrics> {
  const score = (d: PreparedModality['val']) => (d.n > 0 ? evaluateModel(model, d.x, d.y, ds.task) : Promise.resolve(null));
  return { val: await score(prepared.val), test: await score(prepared.test) };
}

/** A model kind that can read `m` (CNN and ResNet need images; MLP and linear read any): `wanted` if it fits, else the modality's default. */
export function kindFor(m: { kind: 'table' | 'image'; shape: number[] }, wanted: ModelKind | undefined): ModelKind {
  if (wanted === undefined) return defaultModelKind(m);
  return readsTables(wanted) || m.shape.length === 3 ? wanted : defaultModelKind(m);
}

/** The method's definition, with a pointer to distillDiscom for a method trained without a teacher. */
export function checkMethod(method: string): MethodDefinition {
  const m = methodDefinition(method, 'distillation method', DISTILL_METHODS);
  if (!m.build) {
    throw new CmkdError(
      `method '${m.name}' trains one student per modality without a teacher; use distillDiscom (cmkd distill --method ${m.name} --modalities a,b)`,
      'invalid-option',
    );
  }
  return m;
}

/**
 * The objective settings a run uses: the caller's, plus the task, the LSKD switch and what the
 * method takes from the run (feature KD: the embedding sizes and projection seed). Validated
 * here, before anything is trained.
 */
export function objectiveSettings(method: string, given: ObjectiveSettings, ctx: RunContext & { lskd?: boolean }): ObjectiveSettings {
  const m = checkMethod(method);
  const s: Record<string, ObjectiveSettings[string]> = { ...given, task: ctx.task };
  if (ctx.lskd) {
    check(
      m.family === 'logit',
      `--lskd (logit standardisation) applies to the logit methods ${LOGIT_METHODS.join(', ')}, not '${m.name}'`,
      'invalid-option',
    );
    s.lskd = true;
  }
  const full = m.fromRun?.(s, ctx) ?? s;
  resolveSettings(m.name, full);
  return full;
}

/** Metadata fields a distilled or trained model records about its training. */
function trainingRecord(
  o: TrainSettings,
  seed: number,
  splitSeed: number,
  r: { bestEpoch: number; history: unknown[]; stoppedEarly: boolean },
): Record<string, unknown> {
  return {
    epochs: o.epochs,
    lr: o.lr ?? DISCOM_DEFAULTS.lr,
    batchSize: o.batchSize ?? DISCOM_DEFAULTS.batchSize,
    optimizer: o.optimizer ?? 'adam',
    schedule: o.schedule ?? 'constant',
    earlyStopping: o.earlyStopping ?? { patience: 10, metric: 'val_loss' },
    ...(o.keep ? { keep: o.keep } : {}),
    ...(o.weightDecay !== undefined ? { weightDecay: o.weightDecay } : {}),
    augment: o.augment ?? false,
    seed,
    splitSeed,
    bestEpoch: r.bestEpoch,
    epochsRun: r.history.length,
    stoppedEarly: r.stoppedEarly,
  };
}

function trainSettingsOf(o: TrainSettings): TrainSettings {
  return {
    epochs: o.epochs,
    lr: o.lr,
    batchSize: o.batchSize,
    optimizer: o.optimizer,
    momentum: o.momentum,
    weightDecay: o.weightDecay,
    schedule: o.schedule,
    earlyStopping: o.earlyStopping,
    keep: o.keep,
    augment: o.augment,
  };
}

/** A saved model read back as a teacher for `ds`, checked against the dataset and the split seed. */
export interface LoadedTeacher {
  model: tf.LayersModel;
  meta: SavedModelMeta;
  modality: string;
  standardizer?: Standardizer;
  /** The split seed it was trained with (undefined if it does not record one). */
  splitSeed?: number;
  source: string;
}

/** The split seed a saved model records (cmkd train: extra.training.splitSeed; distill: extra.splitSeed). */
export function savedSplitSeed(meta: Pick<SavedModelMeta, 'extra'>): number | undefined {
  const fromTraining = (meta.extra?.training as { splitSeed?: unknown } | undefined)?.splitSeed;
  const seed = fromTraining ?? meta.extra?.splitSeed;
  return typeof seed === 'number' ? seed : undefined;
}

/**
 * Load the model in `dir` as a teacher for `ds`: its modality must exist in the dataset with
 * the shape it reads, the task and classes must agree, it must come from the same dataset (name
 * and row count, when recorded), and it must have been trained on the split with seed
 * `splitSeed` (when given), else its training rows would overlap the student's test rows.
 */
export async function loadTeacher(dir: string, ds: MultimodalDataset, splitSeed?: number): Promise<LoadedTeacher> {
  const { model, meta } = await loadModel(dir);
  try {
    const name = meta.modality;
    check(name !== undefined, `teacher ${dir}: the model does not record the modality it reads`, 'invalid-input');
    if (!hasModality(ds, name)) {
      throw new CmkdError(
        `teacher ${dir} reads modality '${name}', which dataset '${ds.name}' does not have (it has: ${ds.modalities.map((m) => m.name).join(', ')})`,
        'invalid-input',
      );
    }
    const m = getModality(ds, name);
    check(
      m.shape.join('x') === meta.spec.inputShape.join('x'),
      () =>
        `teacher ${dir} reads '${name}' samples of shape [${meta.spec.inputShape.join(', ')}]; dataset '${ds.name}' has [${m.shape.join(', ')}]`,
    );
    check(ds.task.kind === meta.spec.task, () => `teacher ${dir} does ${meta.spec.task}; dataset '${ds.name}' is a ${ds.task.kind} task`);
    if (ds.task.kind === 'classification' && meta.classes) {
      const classes = ds.task.classes;
      check(
        classes.join('\u0000') === meta.classes.join('\u0000'),
        () => `teacher ${dir} was trained on classes [${meta.classes?.join(', ')}]; dataset '${ds.name}' has [${classes.join(', ')}]`,
      );
    }
    const dsName = meta.extra?.dataset;
    check(dsName === undefined || dsName === ds.name, () => `teacher ${dir} was trained on dataset '${String(dsName)}', not '${ds.name}'`);
    const rows = meta.extra?.datasetRows;
    check(
      rows === undefined || rows === ds.n,
      () =>
        `teacher ${dir} was trained on ${String(rows)} rows of '${ds.name}'; this dataset has ${ds.n} (load the same subsample, e.g. 'digits?n=${String(rows)}')`,
    );
    const teacherSeed = savedSplitSeed(meta);
    if (splitSeed !== undefined && teacherSeed !== undefined && teacherSeed !== splitSeed) {
      throw new CmkdError(
        `teacher ${dir} was trained on the split with seed ${teacherSeed}, but this run uses split seed ${splitSeed}; its training rows would overlap the student's test rows (use --split-seed ${teacherSeed} or retrain the teacher)`,
        'invalid-option',
      );
    }
    const s = meta.standardizer;
    const standardizer: Standardizer | undefined = s && {
      modality: name,
      per: s.per,
      mean: Float32Array.from(s.mean),
      std: Float32Array.from(s.std),
    };
    return { model, meta, modality: name, standardizer, splitSeed: teacherSeed, source: dir };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/** Train a student on `student` with a KD method against a (given or trained) teacher. */
export async function distill(o: DistillOptions): Promise<DistillResult> {
  const ds = o.dataset;
  const seed = o.seed ?? 0;
  const method = checkMethod(o.method).name;
  const student = getModality(ds, o.student);
  const teacherModality = getModality(ds, o.teacher.modality);
  const studentKind = o.kind ?? defaultModelKind(student);
  const spec = specFor(ds, student, studentKind, o.architecture, o.split.train);
  const training = trainSettingsOf(o);

  // The teacher: given (frozen) or trained here with the student's architecture where it fits.
  const given = o.teacher.model;
  const teacherKind = o.teacher.kind ?? kindFor(teacherModality, studentKind);
  const teacherArch = o.teacher.architecture ?? (teacherKind === studentKind ? o.architecture : undefined);
  const teacherSpec = given ? modelSpecOf(given) : specFor(ds, teacherModality, teacherKind, teacherArch, o.split.train);
  if (given) {
    check(
      teacherSpec.inputShape.join('x') === teacherModality.shape.join('x'),
      () =>
        `teacher model reads inputs of shape [${teacherSpec.inputShape.join(', ')}]; modality '${teacherModality.name}' has [${teacherModality.shape.join(', ')}]`,
    );
    check(
      teacherSpec.task === ds.task.kind && teacherSpec.outputs === spec.outputs,
      () => `teacher model has ${teacherSpec.outputs} ${teacherSpec.task} outputs; the student needs ${spec.outputs} (${ds.task.kind})`,
    );
  }
  const settings = objectiveSettings(method, o.settings ?? {}, {
    task: ds.task.kind,
    lskd: o.lskd,
    studentDim: embeddingSize(spec),
    teacherDim: embeddingSize(teacherSpec),
    seed,
  });

  let teacherModel: tf.LayersModel | null = given ?? null;
  let trainedTeacher: tf.LayersModel | null = null;
  let studentModel: tf.LayersModel | null = null;
  let objective: ReturnType<typeof createObjective> | null = null;
  try {
    let teacherPrep: PreparedModality;
    let teacherMeta: ModelMeta;
    if (given) {
      teacherPrep = prepareModality(ds, teacherModality.name, o.split, o.teacher.standardizer);
      teacherMeta = modelMetaFor(ds, teacherPrep, {
        splitSeed: o.split.seed,
        source: o.teacher.source ?? 'given',
      });
    } else {
      const teacherTraining = { ...training, ...o.teacher.training };
      const t = await trainOnModality(ds, {
        ...teacherTraining,
        modality: teacherModality.name,
        split: o.split,
        kind: teacherKind,
        architecture: teacherArch,
        seed,
        label: `teacher (${teacherModality.name})`,
        onProgress: o.onProgress,
        signal: o.signal,
      });
      trainedTeacher = teacherModel = t.model;
      teacherPrep = t.prepared;
      teacherMeta = {
        ...t.meta,
        extra: {
          ...t.meta.extra,
          role: 'teacher',
          training: trainingRecord(teacherTraining, seed, o.split.seed, t.result),
        },
      };
    }
    const teacher = teacherModel as tf.LayersModel;
    const teacherMetrics = await splitMetrics(teacher, teacherPrep, ds);
    if (teacherMeta.extra) teacherMeta.extra.test = teacherMetrics.test?.summary ?? null;

    // The frozen teacher's outputs on the training rows (same rows, same order as the student's).
    const studentPrep = prepareModality(ds, student.name, o.split);
    check(studentPrep.train.n > 0, `split has no training rows for dataset '${ds.name}'`);
    const teacherOutputs = await predictOutputs(teacher, teacherPrep.train.x, teacherPrep.train.n, 256, {
      signal: o.signal,
    });

    objective = createObjective(method, settings);
    studentModel = buildModel(spec, seed);
    const label = objective.label ?? method;
    const result = await trainModel({
      ...training,
      model: studentModel,
      train: studentPrep.train,
      val: studentPrep.val,
      task: ds.task.kind,
      seed,
      distill: {
        objective,
        teacher: {
          logits: teacherOutputs.logits,
          embedding: teacherOutputs.embedding,
          strongView: objective.strongView ? { model: teacher, x: teacherPrep.train.x } : undefined,
        },
      },
      label: `${label} student (${student.name})`,
      onProgress: o.onProgress,
      signal: o.signal,
    });
    const resolved = objective.settings as ResolvedSettings;
    objective.dispose();
    objective = null;
    const metrics = await splitMetrics(studentModel, studentPrep, ds);
    const meta = modelMetaFor(ds, studentPrep, {
      splitSeed: o.split.seed,
      role: 'student',
      method,
      label,
      settings: resolved,
      teacher: {
        modality: teacherModality.name,
        source: o.teacher.source ?? (given ? 'given' : 'trained'),
        test: teacherMetrics.test?.summary ?? null,
      },
      training: trainingRecord(training, seed, o.split.seed, result),
      test: metrics.test?.summary ?? null,
    });

    let saved: DistillResult['saved'] = null;
    if (o.out) {
      await saveModel(o.out, studentModel, meta);
      const teacherDir = trainedTeacher ? path.join(o.out, 'teacher') : null;
      if (teacherDir && trainedTeacher) await saveModel(teacherDir, trainedTeacher, teacherMeta);
      saved = { student: o.out, teacher: teacherDir };
    }
    if (trainedTeacher && !o.keepTeacher) {
      trainedTeacher.dispose();
      trainedTeacher = null;
    }
    const kept = trainedTeacher;
    const out = studentModel;
    trainedTeacher = null;
    studentModel = null;
    return {
      student: out,
      spec,
      meta,
      method,
      label,
      settings: resolved,
      notes: scheduleNotes(method, resolved, o.epochs),
      metrics,
      history: result.history,
      bestEpoch: result.bestEpoch,
      stoppedEarly: result.stoppedEarly,
      teacherMetrics,
      teacher: {
        modality: teacherModality.name,
        trained: !given,
        model: kept,
        spec: teacherSpec,
        meta: teacherMeta,
      },
      saved,
      dispose: () => {
        out.dispose();
        kept?.dispose();
      },
    };
  } finally {
    objective?.dispose();
    studentModel?.dispose();
    trainedTeacher?.dispose();
  }
}

export interface DiscomDistillOptions extends TrainSettings {
  dataset: MultimodalDataset;
  split: Split;
  /** The (two or more) modalities; each gets its own student. */
  modalities: string[];
  /** Encoder family for the modalities it fits (others: their default) and its width/depth. */
  kind?: ModelKind;
  architecture?: SpecOverrides;
  /** DisCoM-KD's own settings (paper defaults otherwise). */
  discom?: Partial<Pick<DiscomOptions, 'embeddingDim' | 'representation' | 'lossWeights' | 'orthPenalty' | 'grlLambda' | 'pairing'>>;
  seed?: number;
  /** Save each student to `${out}/${modality}`. */
  out?: string;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export interface DiscomStudent {
  model: tf.LayersModel;
  meta: ModelMeta;
  metrics: SplitMetrics;
  /** 1-based epoch whose weights the student holds. */
  bestEpoch: number;
}

export interface DiscomDistillResult {
  students: Record<string, DiscomStudent>;
  history: Awaited<ReturnType<typeof discomOnDataset>>['history'];
  settings: Record<string, number | string | boolean>;
  /** Per modality, the directory written (with `out`). */
  saved: Record<string, string> | null;
  dispose(): void;
}

/**
 * The training settings DisCoM-KD's pipeline takes from the trainer's: epochs; the rate and batch
 * size (the paper's defaults when unset); augmentation off unless asked; the seed (default 0); of
 * the others only those that are set (it spreads its options over the paper's defaults); early
 * stopping maps to its patience (10 when unset) and minEpochs.
 */
export function discomTrainingOptions(o: TrainSettings & { seed?: number }) {
  const es = o.earlyStopping;
  const optional = Object.fromEntries(
    Object.entries({
      optimizer: o.optimizer,
      momentum: o.momentum,
      weightDecay: o.weightDecay,
      schedule: o.schedule,
      patience: es === false ? undefined : (es?.patience ?? 10),
      minEpochs: es === false ? undefined : es?.minEpochs,
    }).filter(([, v]) => v !== undefined),
  ) as Partial<Pick<TrainSettings, 'optimizer' | 'momentum' | 'weightDecay' | 'schedule'>> & { patience?: number; minEpochs?: number };
  return {
    ...optional,
    epochs: o.epochs,
    lr: o.lr ?? DISCOM_DEFAULTS.lr,
    batchSize: o.batchSize ?? DISCOM_DEFAULTS.batchSize,
    augment: o.augment ?? false,
    seed: o.seed ?? 0,
  };
}

/**
 * DisCoM-KD between `modalities`: one student per modality, selected on validation weighted F1,
 * each saved as a single-modality model. The trainer's early stopping (patience, minEpochs)
 * maps to DisCoM-KD's; augmentation is off unless asked (the paper's flips change some digits).
 */
export async function distillDiscom(o: DiscomDistillOptions): Promise<DiscomDistillResult> {
  const ds = o.dataset;
  const backbones = Object.fromEntries(
    o.modalities.map((name) => {
      const m = getModality(ds, name);
      const kind = kindFor(m, o.kind);
      return [name, { kind, ...(kind === (o.kind ?? kind) ? o.architecture : undefined) }];
    }),
  );
  const result = await discomOnDataset(ds, {
    ...o.discom,
    ...discomTrainingOptions(o),
    modalities: o.modalities,
    split: o.split,
    backbones,
    onProgress: o.onProgress,
    signal: o.signal,
  });
  const models = Object.values(result.branches);
  try {
    const students: Record<string, DiscomStudent> = {};
    const saved: Record<string, string> = {};
    for (const name of o.modalities) {
      const model = result.branches[name];
      const metrics = await splitMetrics(model, result.prepared[name], ds);
      const base = result.meta[name];
      const meta: ModelMeta = {
        ...base,
        extra: { ...base.extra, role: 'student', label: 'DisCoM-KD', test: metrics.test?.summary ?? null },
      };
      students[name] = { model, meta, metrics, bestEpoch: result.best[name].epoch };
      if (o.out) {
        saved[name] = path.join(o.out, name);
        await saveModel(saved[name], model, meta);
      }
    }
    return {
      students,
      history: result.history,
      settings: result.settings,
      saved: o.out ? saved : null,
      dispose: () => models.forEach((m) => m.dispose()),
    };
  } catch (err) {
    models.forEach((m) => m.dispose());
    throw err;
  }
}
