/**
 * The model cells every plan is made of — the main job (job.ts) and the method sweep (sweep.ts):
 * - `train`: a model trained alone on one modality (the no-KD student, or a teacher), saved;
 * - `distill`: a student distilled with a method of the registry (src/kd/registry.ts): from the
 *   split's saved teacher, or — a method trained without a teacher (DisCoM-KD) — together with a
 *   student of the teacher's modality;
 * - `cch`: the CCH analysis of a split's student and teachers on its held-out rows.
 * Each returns one `ModelRecord` (src/run/types.ts; the analysis its CchResult). What differs
 * between plans — their splits, seeds, training settings, architectures and model folders — is
 * the plan's `ModelWorkspace`; the cells' inputs are JSON.
 */
import path from 'node:path';
import { cchFromRepresentations, type Representation } from '../criteria/index.js';
import { type MultimodalDataset, type Split } from '../data/index.js';
import type { tf } from '../engine/index.js';
import { methodIdLabel, parseMethodId, type ObjectiveSettings } from '../kd/index.js';
import { argmaxRows } from '../metrics/index.js';
import { loadModel, saveModel, type ModelKind, type SpecOverrides } from '../models/index.js';
import { discomOnDataset, saveDiscomStudents } from '../train/discom/index.js';
import { discomTrainingOptions, distill, loadTeacher, type TrainSettings } from '../train/distill.js';
import {
  evaluateModel,
  predictOutputs,
  prepareModality,
  trainOnModality,
  type EpochRecord,
  type PreparedModality,
} from '../train/index.js';
import { check } from '../util/errors.js';
import { asJson, fromJson, type Cell, type CellContext, type CellRunner, type Json } from './plan.js';
import type { AnalysisSettings, ModelRecord } from './types.js';

/** What a plan's `train` cells need: the data, and how the plan splits, seeds and trains models. */
export interface TrainingWorkspace {
  ds: MultimodalDataset;
  /** The split of repeat `repeat`. */
  split(repeat: number): Split;
  /** The optimisation settings of every model of repeat `repeat`, and its seed (initial weights, shuffling, dropout). */
  training(repeat: number): TrainSettings & { seed: number };
  /** The architecture of a model reading `modality` as the student or as a teacher. */
  model(modality: string, role: 'student' | 'teacher'): { kind?: ModelKind; architecture?: SpecOverrides };
}

/** What a plan's model cells share: the training workspace, and where the plan stores the models the other cells read. */
export interface ModelWorkspace extends TrainingWorkspace {
  model(modality: string, role: 'student' | 'teacher'): { kind: ModelKind; architecture?: SpecOverrides };
  /** Where repeat `repeat`'s no-KD student and its teacher on `teacher` are saved, relative to the run folder. */
  studentDir(repeat: number): string;
  teacherDir(repeat: number, teacher: string): string;
}

/** Where a plan keeps its model `name` of repeat `repeat`, relative to the run folder: models/r<repeat>/<name>. */
export const modelPath = (repeat: number, name: string): string => path.join('models', `r${repeat}`, name);

/** A `train` cell: a model on `modality` alone, saved in `dir` (relative to the run folder). */
export interface TrainCellInputs {
  repeat: number;
  modality: string;
  role: 'student' | 'teacher';
  dir: string;
  /** A fused teacher's modality: the modalities it concatenates (so that its fingerprint names them). */
  parts?: string[];
  /** The seed of the initial weights when it is not the training seed (a plan pairing models by their initial weights). */
  initSeed?: number;
}

/** A `distill` cell: the student on `student` with method id `methodId` ('kd', 'dkd+ls', …) and `teacher`'s modality. */
export interface DistillCellInputs {
  repeat: number;
  student: string;
  teacher: string;
  methodId: string;
  /** The method's settings (temperature, kdWeight, …); the reference defaults without. */
  settings?: ObjectiveSettings;
  dir: string;
}

/** A `cch` cell: the analysis settings, the repeat and the modalities. */
export interface AnalysisCellInputs extends AnalysisSettings {
  repeat: number;
  student: string;
  teachers: string[];
}

export type ModelCellKind = 'train' | 'distill' | 'cch';

/** Whether a method id trains without a teacher (its students of both modalities together). */
export const teacherless = (methodId: string): boolean => parseMethodId(methodId).method.family === 'teacherless';

/**
 * Checks that a method can run on this task and these modalities (before anything is trained): a
 * method without a teacher trains a classifier per modality, so it needs a classification task and
 * two different modalities.
 */
export function checkMethodCell(
  methodId: string,
  o: { what: string; dataset: string; task: string; student: string; teacher: string },
): void {
  if (!teacherless(methodId)) return;
  const name = parseMethodId(methodId).method.name;
  check(o.task === 'classification', `${o.what}: ${name} needs a classification task; dataset '${o.dataset}' is ${o.task}`, 'unsupported');
  check(
    o.student !== o.teacher,
    `${o.what}: ${name} needs two different modalities; student and teacher are both '${o.student}'`,
    'invalid-option',
  );
}

function slim(history: EpochRecord[]): ModelRecord['history'] {
  return history.map(({ epoch, trainLoss, valLoss, valMetric }) => ({ epoch, trainLoss, valLoss, valMetric }));
}

async function scores(
  ds: MultimodalDataset,
  model: tf.LayersModel,
  prepared: PreparedModality,
): Promise<Pick<ModelRecord, 'test' | 'val' | 'confusion'>> {
  const test = await evaluateModel(model, prepared.test.x, prepared.test.y, ds.task);
  const val = await evaluateModel(model, prepared.val.x, prepared.val.y, ds.task);
  const confusion = test.report.kind === 'classification' ? test.report.confusion : undefined;
  return { test: test.summary, val: val.summary, confusion };
}

/** Train one model on `modality` alone (the no-KD student, or a teacher) and save it. */
async function trainAlone(i: TrainCellInputs, w: TrainingWorkspace, ctx: CellContext<unknown>): Promise<ModelRecord> {
  const started = Date.now();
  const dir = path.join(ctx.outDir, i.dir);
  const trained = await trainOnModality(w.ds, {
    ...w.training(i.repeat),
    label: `${i.role} ${i.modality} r${i.repeat + 1}`,
    onProgress: ctx.onProgress,
    signal: ctx.signal,
    modality: i.modality,
    split: w.split(i.repeat),
    ...w.model(i.modality, i.role),
    ...(i.initSeed !== undefined ? { initSeed: i.initSeed } : {}),
  });
  try {
    const s = await scores(w.ds, trained.model, trained.prepared);
    await saveModel(dir, trained.model, trained.meta);
    return {
      role: i.role,
      modality: i.modality,
      repeat: i.repeat,
      ...s,
      history: slim(trained.result.history),
      bestEpoch: trained.result.bestEpoch,
      modelDir: path.relative(ctx.outDir, dir),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    trained.model.dispose();
  }
}

/** Distill the student from the split's saved teacher with one method of the registry (src/train/distill.ts). */
async function distilledStudent(i: DistillCellInputs, w: ModelWorkspace, ctx: CellContext<unknown>): Promise<ModelRecord> {
  const started = Date.now();
  const dir = path.join(ctx.outDir, i.dir);
  const { method, lskd } = parseMethodId(i.methodId);
  const split = w.split(i.repeat);
  const teacherDir = path.join(ctx.outDir, w.teacherDir(i.repeat, i.teacher));
  const teacher = await loadTeacher(teacherDir, w.ds, split.seed);
  try {
    const res = await distill({
      ...w.training(i.repeat),
      dataset: w.ds,
      split,
      student: i.student,
      teacher: {
        modality: i.teacher,
        model: teacher.model,
        standardizer: teacher.standardizer,
        source: path.relative(ctx.outDir, teacherDir),
      },
      method: method.name,
      settings: i.settings,
      lskd,
      ...w.model(i.student, 'student'),
      out: dir,
      onProgress: ctx.onProgress,
      signal: ctx.signal,
    });
    try {
      const test = res.metrics.test!;
      return {
        ...distilledOf(i, w.ds),
        test: test.summary,
        val: res.metrics.val!.summary,
        confusion: test.report.kind === 'classification' ? test.report.confusion : undefined,
        history: slim(res.history),
        bestEpoch: res.bestEpoch,
        modelDir: path.relative(ctx.outDir, dir),
        seconds: (Date.now() - started) / 1000,
        ...(res.notes.length ? { notes: res.notes } : {}),
      };
    } finally {
      res.dispose();
    }
  } finally {
    teacher.model.dispose();
  }
}

/** What a distilled student's record says of itself: its role, split, method (labelled with the task's defaults) and teacher. */
const distilledOf = (i: DistillCellInputs, ds: MultimodalDataset) => ({
  role: 'distilled' as const,
  modality: i.student,
  repeat: i.repeat,
  method: methodIdLabel(i.methodId, ds.task.kind),
  methodId: i.methodId,
  teacher: i.teacher,
});

/**
 * A method without a teacher (DisCoM-KD): students of the student's and the teacher's modality
 * trained together, each saved in dir/<modality>; the record scores the student modality's. The
 * training settings map to the method's pipeline as in src/train/distill.ts distillDiscom.
 */
async function teacherlessStudent(i: DistillCellInputs, w: ModelWorkspace, ctx: CellContext<unknown>): Promise<ModelRecord> {
  const started = Date.now();
  const dir = path.join(ctx.outDir, i.dir);
  const modalities = [i.student, i.teacher];
  const backbones = Object.fromEntries(
    modalities.map((m, k) => {
      const { kind, architecture } = w.model(m, k === 0 ? 'student' : 'teacher');
      return [m, { kind, ...architecture }];
    }),
  );
  const res = await discomOnDataset(w.ds, {
    ...discomTrainingOptions(w.training(i.repeat)),
    modalities,
    split: w.split(i.repeat),
    backbones,
    onProgress: ctx.onProgress,
    signal: ctx.signal,
  });
  try {
    await saveDiscomStudents(dir, res);
    const s = await scores(w.ds, res.branches[i.student], res.prepared[i.student]);
    return {
      ...distilledOf(i, w.ds),
      ...s,
      history: [],
      bestEpoch: res.best[i.student].epoch,
      modelDir: path.relative(ctx.outDir, path.join(dir, i.student)),
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    for (const m of Object.values(res.branches)) m.dispose();
  }
}

/** The saved model's outputs on the held-out (val + test) rows of its modality, standardised as at training. */
async function heldOutOutputs(
  w: ModelWorkspace,
  outDir: string,
  modelDir: string,
  modality: string,
  split: Split,
): Promise<{ logits: Float32Array; embedding: Float32Array; embeddingSize: number; n: number }> {
  const { model } = await loadModel(path.join(outDir, modelDir));
  try {
    const p = prepareModality(w.ds, modality, split);
    const x = new Float32Array(p.val.x.length + p.test.x.length);
    x.set(p.val.x);
    x.set(p.test.x, p.val.x.length);
    const n = p.val.n + p.test.n;
    const out = await predictOutputs(model, x, n);
    return { logits: out.logits, embedding: out.embedding, embeddingSize: out.embeddingSize, n };
  } finally {
    model.dispose();
  }
}

function heldOutLabels(ds: MultimodalDataset, split: Split): Int32Array | Float32Array {
  const rows = [...split.val, ...split.test];
  const out = ds.labels instanceof Int32Array ? new Int32Array(rows.length) : new Float32Array(rows.length);
  rows.forEach((r, i) => (out[i] = ds.labels[r]));
  return out;
}

/** The CCH margin on this repeat's held-out rows (never the rows the models were trained on). */
async function analysis(i: AnalysisCellInputs, w: ModelWorkspace, ctx: CellContext<unknown>): Promise<Json> {
  const { repeat, student, teachers, representation, ...estimation } = i;
  const split = w.split(repeat);
  const rep = async (modelDir: string, modality: string): Promise<Representation> => {
    const h = await heldOutOutputs(w, ctx.outDir, modelDir, modality, split);
    if (representation === 'predicted') return { labels: argmaxRows(h.logits, h.logits.length / h.n), n: h.n };
    return representation === 'output'
      ? { data: h.logits, n: h.n, d: h.logits.length / h.n }
      : { data: h.embedding, n: h.n, d: h.embeddingSize };
  };
  const teacherReps = [];
  for (const t of teachers) teacherReps.push({ name: t, h: await rep(w.teacherDir(repeat, t), t) });
  const result = await cchFromRepresentations({
    ...estimation,
    student: { name: student, h: await rep(w.studentDir(repeat), student) },
    teachers: teacherReps,
    labels: heldOutLabels(w.ds, split),
    seed: w.training(repeat).seed,
    signal: ctx.signal,
  });
  return asJson(result);
}

/** A model cell's inputs as JSON, for its plan (the types above are JSON). */
export const cellInputs = <T extends TrainCellInputs | DistillCellInputs | AnalysisCellInputs>(i: T): Json => asJson(i);

/** A cell's inputs as the runner of its kind reads them. */
const inputs = <T>(cell: Cell): T => fromJson<T>(cell.inputs);

const record = async (r: Promise<ModelRecord>) => asJson(await r);

/** The runner of `train` cells, for a training workspace `of` the plan's (a plan with no other model cells uses it alone). */
export function trainRunner<W>(of: (w: W) => TrainingWorkspace): CellRunner<W> {
  return (cell, ctx) => record(trainAlone(inputs(cell), of(ctx.workspace), ctx));
}

/** The runners of the model cells, by kind, for a workspace `of` the plan's. */
export function modelRunners<W>(of: (w: W) => ModelWorkspace): Record<ModelCellKind, CellRunner<W>> {
  return {
    train: trainRunner(of),
    distill: (cell, ctx) => {
      const i = inputs<DistillCellInputs>(cell);
      return record((teacherless(i.methodId) ? teacherlessStudent : distilledStudent)(i, of(ctx.workspace), ctx));
    },
    cch: (cell, ctx) => analysis(inputs(cell), of(ctx.workspace), ctx),
  };
}
