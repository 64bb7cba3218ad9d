/**
 * The cells the digits experiments (cch-digits, cch-noise, fusion) are planned from, and the
 * runners they share:
 *
 * - 'train': one model on one view (the no-KD student, or a teacher): the model cell of
 *   src/run/model-cells.ts, with its record, saved under the run folder (models/seed<s>/<name>),
 *   where later cells load it;
 * - 'margin': the CCH margins of teacher representations against the no-KD student's
 *   embedding on the test rows, per estimator (one cchMargins call over all the teachers);
 * - 'kd': a fresh student distilled from a teacher, with the no-KD student's initial weights
 *   and batch order (a paired comparison), scored on the test rows.
 *
 * A teacher is named by where its outputs come from (TeacherSource): a saved model, the mean of
 * saved models' logits (late fusion), or a saved model's logits plus Gaussian noise. The
 * workspace holds the dataset, each seed's split, the fit and each view's architecture; cells
 * hold names, seeds and settings only.
 */
import path from 'node:path';
import type { MultimodalDataset, Split } from '../../data/index.js';
import { loadModel, type ModelKind, type SpecOverrides } from '../../models/index.js';
import type { Cell, CellRunner, Json } from '../../run/cells.js';
import { cellInputs, trainRunner, type TrainCellInputs, type TrainingWorkspace } from '../../run/model-cells.js';
import { predictOutputs, prepareModality, specFor, type ModelOutputs, type TeacherOutputs } from '../../train/index.js';
import { check } from '../../util/errors.js';
import { throwIfAborted } from '../../util/progress.js';
import {
  accuracyOfLogits,
  addGaussianNoise,
  cchMargins,
  concatRepresentations,
  embeddingOf,
  fitAndScore,
  logitScale,
  meanArrays,
  seedsFor,
  type FitSettings,
  type MarginEstimate,
  type MarginEstimator,
  type Representation,
} from './common.js';

/** What every cell of a digits plan shares and none changes (built from the settings alone: see src/worker/families.ts). */
export interface DigitsWorkspace {
  ds: MultimodalDataset;
  /** The split of each experiment seed (index = seed). */
  splits: Split[];
  fit: FitSettings;
  /** The model family (the view's default, CNN for images and MLP for tables, when absent) and widths of a model on `modality`. */
  model(modality: string): { kind?: ModelKind; architecture: SpecOverrides };
}

/** The workspace and the run folder (the cell's context's), where a cell saves its models and reads its dependencies'. */
type InRun = DigitsWorkspace & { outDir: string };

/** A model to train: its view and initial weights (its family and widths are the workspace's, its batch order the seed's). */
export type ModelInputs = { modality: string; initSeed: number };

/** A saved model: its folder (relative to the run folder) and the view it reads. */
export type SavedModel = { dir: string; modality: string };

/** Where a teacher's outputs come from. */
export type TeacherSource =
  | { from: 'model'; model: SavedModel }
  /** Late fusion: the mean of the models' logits; embedding (for KD) of the first, representation (for the margin) all side by side. */
  | { from: 'mean-logits'; models: SavedModel[] }
  /** The model's logits + N(0, sd²) drawn once per row, sd = noise × its logit scale on the training rows; distinct draws on training and test rows. */
  | { from: 'noisy-logits'; model: SavedModel; noise: number; noiseSeeds: { train: number; test: number } };

export type MarginInputs = {
  seed: number;
  student: SavedModel;
  teachers: { name: string; source: TeacherSource }[];
  estimators: MarginEstimator[];
  dims: number;
  miSeed: number;
};
/** Per teacher: the test accuracy of its logits, the noise sd (noisy sources), and its margin per estimator. */
export type MarginRecord = {
  teachers: { name: string; accuracy: number; noiseSd?: number; margins: Partial<Record<MarginEstimator, MarginEstimate>> }[];
};

export type KdInputs = {
  seed: number;
  student: ModelInputs;
  teacher: TeacherSource;
  temperature: number;
  lambda: number;
  /** How the experiment's results name this KD student (e.g. its σ); not read by the runner. */
  tags: Record<string, string | number>;
};
export type KdRecord = { accuracy: number };

/** Where a digits plan keeps the model `name` of experiment seed `seed` (relative to the run folder; '/' on every platform, as it is part of the cell inputs). */
export function modelDir(seed: number, name: string): string {
  return path.posix.join('models', `seed${seed}`, name.replace(/[^A-Za-z0-9_.-]+/g, '-'));
}

/**
 * How a digits plan trains its models (the model cells' training workspace): Adam at the fit's
 * rate for its epochs without early stopping, the best validation epoch kept, batches in the
 * order of experiment seed s (shared by every model of the seed, so a KD student and the no-KD
 * student differ only by KD), each view's architecture.
 */
export function digitsTraining(w: DigitsWorkspace): TrainingWorkspace {
  return {
    ds: w.ds,
    split: (seed) => w.splits[seed],
    training: (seed) => ({
      optimizer: 'adam',
      lr: w.fit.learningRate,
      epochs: w.fit.epochs,
      batchSize: w.fit.batchSize,
      earlyStopping: false,
      seed: seedsFor(seed).shuffle,
    }),
    model: (modality) => w.model(modality),
  };
}

/** A 'train' cell (a model cell, src/run/model-cells.ts) of experiment seed `seed`: it depends on nothing (its data is the workspace's). */
export function trainCell(
  id: string,
  o: { seed: number; role: TrainCellInputs['role']; model: ModelInputs; dir: string },
  label: string,
): Cell {
  const inputs: TrainCellInputs = { repeat: o.seed, modality: o.model.modality, role: o.role, dir: o.dir, initSeed: o.model.initSeed };
  return { id, kind: 'train', inputs: cellInputs(inputs), dependsOn: [], label };
}

/** A saved model's outputs on the training or test rows of its view. */
async function savedOutputs(w: InRun, m: SavedModel, seed: number, rows: 'train' | 'test', signal?: AbortSignal) {
  const { model } = await loadModel(path.join(w.outDir, m.dir));
  try {
    const data = prepareModality(w.ds, m.modality, w.splits[seed])[rows];
    return await predictOutputs(model, data.x, data.n, 256, { signal });
  } finally {
    model.dispose();
  }
}

async function savedOutputsAll(w: InRun, models: SavedModel[], seed: number, rows: 'train' | 'test', signal?: AbortSignal) {
  const out: ModelOutputs[] = [];
  for (const m of models) out.push(await savedOutputs(w, m, seed, rows, signal));
  return out;
}

/** What KD distils: the teacher's logits and embedding on the training rows. */
async function teacherOnTrain(w: InRun, t: TeacherSource, seed: number, signal?: AbortSignal): Promise<TeacherOutputs> {
  if (t.from === 'model') {
    const o = await savedOutputs(w, t.model, seed, 'train', signal);
    return { logits: o.logits, embedding: o.embedding };
  }
  if (t.from === 'mean-logits') {
    const outs = await savedOutputsAll(w, t.models, seed, 'train', signal);
    return { logits: meanArrays(outs.map((o) => o.logits)), embedding: outs[0].embedding };
  }
  const o = await savedOutputs(w, t.model, seed, 'train', signal);
  const sd = t.noise * logitScale(o.logits, o.logitsSize);
  return { logits: addGaussianNoise(o.logits, sd, t.noiseSeeds.train), embedding: o.embedding };
}

/** The teacher on the test rows: the representation the margin reads, its logits, and the noise sd of a noisy source. */
async function teacherOnTest(
  w: InRun,
  t: TeacherSource,
  seed: number,
  signal?: AbortSignal,
): Promise<{ h: Representation; logits: Float32Array; classes: number; noiseSd?: number }> {
  if (t.from === 'model') {
    const o = await savedOutputs(w, t.model, seed, 'test', signal);
    return { h: embeddingOf(o), logits: o.logits, classes: o.logitsSize };
  }
  if (t.from === 'mean-logits') {
    const outs = await savedOutputsAll(w, t.models, seed, 'test', signal);
    return { h: concatRepresentations(outs.map(embeddingOf)), logits: meanArrays(outs.map((o) => o.logits)), classes: outs[0].logitsSize };
  }
  const train = await savedOutputs(w, t.model, seed, 'train', signal);
  const test = await savedOutputs(w, t.model, seed, 'test', signal);
  const noiseSd = t.noise * logitScale(train.logits, train.logitsSize);
  const noisy = addGaussianNoise(test.logits, noiseSd, t.noiseSeeds.test);
  const classes = test.logitsSize;
  return { h: { data: noisy, n: noisy.length / classes, d: classes }, logits: noisy, classes, noiseSd };
}

function prepared(w: DigitsWorkspace, m: ModelInputs, seed: number) {
  const data = prepareModality(w.ds, m.modality, w.splits[seed]);
  const { kind, architecture } = w.model(m.modality);
  return { data, spec: specFor(w.ds, data.modality, kind, architecture) };
}

export const DIGITS_RUNNERS: Record<string, CellRunner<DigitsWorkspace>> = {
  train: trainRunner(digitsTraining),
  // CCH margin on held-out rows: each teacher representation H1 vs the no-KD student's embedding H2.
  margin: async (cell, { workspace, outDir, signal }) => {
    const i = cell.inputs as MarginInputs;
    const w: InRun = { ...workspace, outDir };
    const student = embeddingOf(await savedOutputs(w, i.student, i.seed, 'test', signal));
    const labels = prepareModality(w.ds, i.student.modality, w.splits[i.seed]).test.y as Int32Array;
    const teachers = [];
    for (const t of i.teachers) teachers.push({ name: t.name, ...(await teacherOnTest(w, t.source, i.seed, signal)) });
    const margins = teachers.map(() => ({}) as Partial<Record<MarginEstimator, MarginEstimate>>);
    for (const estimator of i.estimators) {
      throwIfAborted(signal);
      const ms = await cchMargins(
        student,
        teachers.map((t) => ({ name: t.name, h: t.h })),
        labels,
        { estimator, dims: i.dims, seed: i.miSeed, signal },
      );
      ms.forEach((m, k) => (margins[k][estimator] = m));
    }
    return {
      teachers: teachers.map((t, k) => ({
        name: t.name,
        accuracy: accuracyOfLogits(t.logits, t.classes, labels),
        ...(t.noiseSd === undefined ? {} : { noiseSd: t.noiseSd }),
        margins: margins[k],
      })),
    } satisfies MarginRecord;
  },
  kd: async (cell, { workspace, outDir, onProgress, signal }) => {
    const i = cell.inputs as KdInputs;
    const w: InRun = { ...workspace, outDir };
    const { data, spec } = prepared(w, i.student, i.seed);
    const teacher = await teacherOnTrain(w, i.teacher, i.seed, signal);
    const { accuracy } = await fitAndScore(
      spec,
      data,
      {
        ...w.fit,
        initSeed: i.student.initSeed,
        seed: seedsFor(i.seed).shuffle,
        kd: { teacher, temperature: i.temperature, lambda: i.lambda },
      },
      { onProgress, signal },
    );
    return { accuracy } satisfies KdRecord;
  },
};

/** The record of cell `id` among those finished so far (as computed: NaN, not null). */
export function recordOf<T>(records: Map<string, Json>, id: string): T {
  const r = records.get(id);
  check(r !== undefined, `internal: no record of cell '${id}' yet`);
  return r as T;
}
