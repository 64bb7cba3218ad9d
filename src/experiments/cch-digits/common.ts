/**
 * Pieces shared by the digits experiments (cch-digits, cch-noise, fusion): paired training of
 * a student with and without KD, scoring on held-out rows, the CCH margin of a teacher
 * representation against a student's, per-group mean ± sd, sign changes along a sweep and
 * Gaussian noise injection. Everything here is a thin layer over src/train, src/kd,
 * src/criteria and src/metrics; the experiments differ only in which teachers they build.
 */
import { cchFromRepresentations } from '../../criteria/index.js';
import type { tf } from '../../engine/index.js';
import { createObjective } from '../../kd/index.js';
import { accuracy, argmaxRows, meanSd } from '../../metrics/index.js';
import type { MIEstimatorName } from '../../mi/index.js';
import { buildModel, type ModelSpec } from '../../models/index.js';
import {
  predictOutputs,
  trainModel,
  type ModelOutputs,
  type PreparedModality,
  type TeacherOutputs,
  type TrainData,
} from '../../train/index.js';
import { check } from '../../util/errors.js';
import { toCsv, writeFileAtomic } from '../../util/fs.js';
import type { ProgressFn } from '../../util/progress.js';
import { makeRng } from '../../util/rng.js';

/** Optimiser settings shared by every model of an experiment (Adam, fixed epochs, best-validation epoch kept). */
export interface FitSettings {
  epochs: number;
  learningRate: number;
  batchSize: number;
}

export interface FitContext {
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

/** The estimators the experiments report the CCH margin with. */
export const MARGIN_ESTIMATORS = ['ksg', 'latent', 'gaussian'] as const;
export type MarginEstimator = (typeof MARGIN_ESTIMATORS)[number];

/** How an experiment estimates the CCH margin. */
export interface MarginSettings {
  estimators: MarginEstimator[];
  /** Principal components each embedding is reduced to before MI estimation. */
  miDims: number;
}

/** Training and margin settings the digits experiments share by default (CNN conv filters per block). */
export const DIGITS_PROTOCOL: FitSettings & MarginSettings & { channels: number[] } = {
  epochs: 4,
  learningRate: 2e-3,
  batchSize: 32,
  estimators: ['ksg', 'latent'],
  miDims: 4,
  channels: [16, 32],
};

/** The views of the built-in digits. */
export const DIGITS_VIEWS = ['pixels', 'textured', 'blocks', 'profiles', 'fourier'] as const;

/** The options given, without those set to undefined (which would hide the defaults). */
export function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Rejects training settings no optimiser can run, naming the experiment. */
export function checkFit(what: string, o: { epochs: number; learningRate: number; batchSize: number }): void {
  check(Number.isInteger(o.epochs) && o.epochs >= 1, `${what}: epochs must be an integer ≥ 1, got ${o.epochs}`, 'invalid-option');
  check(
    Number.isFinite(o.learningRate) && o.learningRate > 0,
    `${what}: learning rate must be > 0, got ${o.learningRate}`,
    'invalid-option',
  );
  check(
    Number.isInteger(o.batchSize) && o.batchSize >= 1,
    `${what}: batch size must be an integer ≥ 1, got ${o.batchSize}`,
    'invalid-option',
  );
}

/** Rejects unknown margin estimators and a non-positive number of principal components. */
export function checkEstimators(what: string, estimators: string[], dims: number): void {
  check(
    estimators.length > 0 && estimators.every((e) => (MARGIN_ESTIMATORS as readonly string[]).includes(e)),
    `${what}: estimators must be among ${MARGIN_ESTIMATORS.join(', ')}, got [${estimators.join(', ')}]`,
    'invalid-option',
  );
  check(Number.isInteger(dims) && dims >= 1, `${what}: --mi-dims must be an integer ≥ 1, got ${dims}`, 'invalid-option');
}

/** Mean ± sd over seeds of the KD gain and of each estimator's CCH margin. */
export interface GainMarginSummary {
  seeds: number;
  kdGainMean: number;
  kdGainSd: number;
  marginMean: Partial<Record<MarginEstimator, number>>;
  marginSd: Partial<Record<MarginEstimator, number>>;
}

/** Progress label of the model being trained (one bar, reused by every model). */
export const FIT_TASK = 'current model (epochs)';

/**
 * Train a fresh model of `spec` (initial weights from `initSeed`) on the prepared rows, with
 * KD from `teacher` at temperature T and KD weight λ when given:
 * L = (1 − λ)·CE(y, s) + λ·T²·KL(softmax(t/T) ‖ softmax(s/T))  (Hinton et al., 2015).
 * With the same initSeed and seed, the KD and no-KD students share initial weights and batch
 * order, so their accuracy difference is a paired comparison.
 */
export async function fitModel(
  spec: ModelSpec,
  prepared: PreparedModality,
  o: FitSettings & { initSeed: number; seed: number; kd?: { teacher: TeacherOutputs; temperature: number; lambda: number } },
  ctx: FitContext = {},
): Promise<tf.LayersModel> {
  const model = buildModel(spec, o.initSeed);
  const objective = o.kd
    ? createObjective('kd', { temperature: o.kd.temperature, taskWeight: 1 - o.kd.lambda, kdWeight: o.kd.lambda })
    : null;
  try {
    await trainModel({
      model,
      train: prepared.train,
      val: prepared.val,
      task: 'classification',
      optimizer: 'adam',
      lr: o.learningRate,
      epochs: o.epochs,
      batchSize: o.batchSize,
      earlyStopping: false,
      seed: o.seed,
      ...(objective && o.kd ? { distill: { objective, teacher: o.kd.teacher } } : {}),
      label: FIT_TASK,
      onProgress: ctx.onProgress,
      signal: ctx.signal,
    });
    return model;
  } catch (err) {
    model.dispose();
    throw err;
  } finally {
    objective?.dispose();
  }
}

export interface Scored {
  accuracy: number;
  outputs: ModelOutputs;
}

/** Test accuracy of `model` on `rows` together with its logits and embeddings there. */
export async function scoreModel(model: tf.LayersModel, rows: TrainData, signal?: AbortSignal): Promise<Scored> {
  const outputs = await predictOutputs(model, rows.x, rows.n, 256, { signal });
  return { accuracy: accuracyOfLogits(outputs.logits, outputs.logitsSize, rows.y), outputs };
}

/** fitModel, then scoreModel on the prepared test rows; the model is disposed either way. */
export async function fitAndScore(
  spec: ModelSpec,
  prepared: PreparedModality,
  o: Parameters<typeof fitModel>[2],
  ctx: FitContext = {},
): Promise<Scored> {
  const model = await fitModel(spec, prepared, o, ctx);
  try {
    return await scoreModel(model, prepared.test, ctx.signal);
  } finally {
    model.dispose();
  }
}

/** Accuracy of the arg-max of n × C logits against class labels. */
export function accuracyOfLogits(logits: ArrayLike<number>, classes: number, labels: ArrayLike<number>): number {
  return accuracy(labels, argmaxRows(logits, classes));
}

/** The CCH margin of one teacher by one estimator (a type alias, not an interface, so the cell records holding it are JSON). */
export type MarginEstimate = {
  /** I(H1;H2): teacher representation vs student representation (nats). */
  miTeacherStudent: number;
  /** I(H2;Y): student representation vs label (nats). */
  miStudentLabel: number;
  /** CCH margin I(H1;H2) − I(H2;Y); > 0 predicts that KD helps. */
  margin: number;
};

export interface Representation {
  data: Float32Array | Float64Array;
  n: number;
  d: number;
}

/**
 * CCH margins of several teacher representations against one student representation on the
 * same held-out rows, each reduced to its top `dims` principal components (src/criteria).
 */
export async function cchMargins(
  student: Representation,
  teachers: { name: string; h: Representation }[],
  labels: Int32Array,
  o: { estimator: MarginEstimator; dims: number; seed: number; signal?: AbortSignal },
): Promise<MarginEstimate[]> {
  const r = await cchFromRepresentations({
    student: { name: '(student)', h: student },
    teachers,
    labels,
    estimator: o.estimator as MIEstimatorName,
    dims: o.dims,
    bootstrap: 0,
    mfh: false,
    seed: o.seed,
    signal: o.signal,
  });
  return teachers.map(({ name }) => {
    const t = r.teachers.find((s) => s.teacher === name);
    check(t !== undefined, `internal: no CCH score for teacher '${name}'`);
    return { miTeacherStudent: t.miTeacherStudent.value, miStudentLabel: t.miStudentLabel.value, margin: t.margin.value };
  });
}

/** Embeddings (or logits) of a model output as a representation. */
export function embeddingOf(o: ModelOutputs): Representation {
  return { data: o.embedding, n: o.embedding.length / o.embeddingSize, d: o.embeddingSize };
}

export function logitsOf(o: ModelOutputs): Representation {
  return { data: o.logits, n: o.logits.length / o.logitsSize, d: o.logitsSize };
}

/** Element-wise mean of equally sized arrays (late fusion of logits). */
export function meanArrays(arrays: Float32Array[]): Float32Array {
  check(arrays.length > 0, 'meanArrays: nothing to average');
  const out = new Float32Array(arrays[0].length);
  for (const a of arrays) {
    check(a.length === out.length, `meanArrays: lengths ${a.length} and ${out.length} differ`);
    for (let i = 0; i < a.length; i++) out[i] += a[i] / arrays.length;
  }
  return out;
}

/** Row-wise concatenation of representations over the same rows. */
export function concatRepresentations(reps: Representation[]): Representation {
  const n = reps[0].n;
  const d = reps.reduce((s, r) => s + r.d, 0);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let at = i * d;
    for (const r of reps) {
      data.set(r.data.subarray(i * r.d, (i + 1) * r.d), at);
      at += r.d;
    }
  }
  return { data, n, d };
}

/**
 * Rows grouped by `key` (first-seen order), with mean and sample sd of each numeric field.
 * sd is NaN for a group of one (metrics' meanSd).
 */
export function groupMeanSd<R extends Record<string, unknown>>(
  rows: R[],
  key: (r: R) => string,
  fields: (keyof R & string)[],
): { key: string; rows: R[]; stats: Record<string, { mean: number; sd: number; n: number }> }[] {
  const order: string[] = [];
  const groups = new Map<string, R[]>();
  for (const r of rows) {
    const k = key(r);
    if (!groups.has(k)) {
      groups.set(k, []);
      order.push(k);
    }
    groups.get(k)?.push(r);
  }
  return order.map((k) => {
    const g = groups.get(k) ?? [];
    const stats: Record<string, { mean: number; sd: number; n: number }> = {};
    for (const f of fields) stats[f] = meanSd(g.map((r) => Number(r[f])));
    return { key: k, rows: g, stats };
  });
}

/** A result row as flat CSV columns: its margins as margin_<estimator>, miTeacherStudent_<estimator>, miStudentLabel_<estimator>. */
export function flatMarginRow<R extends { margins: Partial<Record<MarginEstimator, MarginEstimate>> }>(
  r: R,
): Omit<R, 'margins'> & Record<string, number> {
  const { margins, ...rest } = r;
  const out: Record<string, unknown> = { ...rest };
  for (const [e, m] of Object.entries(margins)) {
    out[`miTeacherStudent_${e}`] = m.miTeacherStudent;
    out[`miStudentLabel_${e}`] = m.miStudentLabel;
    out[`margin_${e}`] = m.margin;
  }
  return out as Omit<R, 'margins'> & Record<string, number>;
}

/** A summary as flat CSV columns: its other fields, then each per-estimator field f (in the order given) as f_<estimator>. */
export function flatSummary<S extends object>(s: S, perEstimator: (keyof S & string)[]): Record<string, unknown> {
  const out: Record<string, unknown> = Object.fromEntries(Object.entries(s).filter(([k]) => !(perEstimator as string[]).includes(k)));
  for (const f of perEstimator) {
    for (const [e, v] of Object.entries(s[f] as Record<string, unknown>)) out[`${f}_${e}`] = v;
  }
  return out;
}

/**
 * Append a finished row, rewrite results.csv atomically (an interrupted run keeps every finished
 * row) and report progress: '<label>: KD gain g[, <estimator> margin m]'.
 */
export async function recordRow<R extends { kdGain: number; margins: Partial<Record<MarginEstimator, MarginEstimate>> }>(
  rows: R[],
  row: R,
  file: string,
  ctx: FitContext,
  progress: { task: string; total: number; label: string; estimator?: MarginEstimator },
): Promise<void> {
  rows.push(row);
  await writeFileAtomic(file, toCsv(rows.map(flatMarginRow)));
  const e = progress.estimator;
  const margin = e === undefined ? '' : `, ${e} margin ${row.margins[e]?.margin.toFixed(3)}`;
  ctx.onProgress?.({
    task: progress.task,
    done: rows.length,
    total: progress.total,
    detail: `${progress.label}: KD gain ${row.kdGain.toFixed(3)}${margin}`,
  });
}

/** The flat columns flatMarginRow writes for these estimators. */
export function marginFields(estimators: MarginEstimator[]): string[] {
  return estimators.flatMap((e) => [`margin_${e}`, `miTeacherStudent_${e}`, `miStudentLabel_${e}`]);
}

type GroupStats = Record<string, { mean: number; sd: number }>;

/** Per estimator, the mean (or sd) of the group's `<prefix>_<estimator>` column. */
export function byEstimator(
  stats: GroupStats,
  estimators: MarginEstimator[],
  prefix: string,
  what: 'mean' | 'sd',
): Partial<Record<MarginEstimator, number>> {
  return Object.fromEntries(estimators.map((e) => [e, stats[`${prefix}_${e}`][what]]));
}

/** The KD gain and margin summary of a group of seeds (groupMeanSd over kdGain and the margin columns). */
export function gainMarginSummary(g: { rows: unknown[]; stats: GroupStats }, estimators: MarginEstimator[]): GainMarginSummary {
  return {
    seeds: g.rows.length,
    kdGainMean: g.stats.kdGain.mean,
    kdGainSd: g.stats.kdGain.sd,
    marginMean: byEstimator(g.stats, estimators, 'margin', 'mean'),
    marginSd: byEstimator(g.stats, estimators, 'margin', 'sd'),
  };
}

/**
 * Where a piecewise-linear curve through (xs[i], ys[i]) (xs increasing) crosses zero: the
 * linearly interpolated x of every sign change between neighbours, and x itself where y = 0
 * exactly. Non-finite points are skipped.
 */
export function zeroCrossings(xs: number[], ys: number[]): number[] {
  check(xs.length === ys.length, `zeroCrossings: ${xs.length} x values for ${ys.length} y values`);
  const pts = xs.map((x, i) => [x, ys[i]] as const).filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y));
  const out: number[] = [];
  for (let i = 0; i < pts.length; i++) {
    const [x1, y1] = pts[i];
    if (y1 === 0) {
      out.push(x1);
      continue;
    }
    if (i + 1 < pts.length) {
      const [x2, y2] = pts[i + 1];
      if (y2 !== 0 && Math.sign(y1) !== Math.sign(y2)) out.push(x1 + ((x2 - x1) * y1) / (y1 - y2));
    }
  }
  return out;
}

/** The first x from which every later y is negative (xs increasing); NaN if the last y is not negative. */
export function negativeFrom(xs: number[], ys: number[]): number {
  check(xs.length === ys.length, `negativeFrom: ${xs.length} x values for ${ys.length} y values`);
  let from = Number.NaN;
  for (let i = ys.length - 1; i >= 0 && ys[i] < 0; i--) from = xs[i];
  return from;
}

/** Root mean square of the values (the scale noise is measured against). */
export function rms(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] * values[i];
  return values.length === 0 ? 0 : Math.sqrt(s / values.length);
}

/** The rms of row-centred n × C logits: the scale a softmax is sensitive to. */
export function logitScale(logits: Float32Array, classes: number): number {
  const centred = new Float32Array(logits.length);
  for (let i = 0; i < logits.length; i += classes) {
    let mean = 0;
    for (let c = 0; c < classes; c++) mean += logits[i + c];
    mean /= classes;
    for (let c = 0; c < classes; c++) centred[i + c] = logits[i + c] - mean;
  }
  return rms(centred);
}

/** values + scale·z with z ~ N(0, 1) i.i.d., drawn from `seed`; a new array (scale 0: a copy). */
export function addGaussianNoise(values: Float32Array, scale: number, seed: number): Float32Array {
  check(Number.isFinite(scale) && scale >= 0, `noise scale must be a finite number ≥ 0, got ${scale}`);
  const out = new Float32Array(values);
  if (scale === 0) return out;
  const rng = makeRng(seed);
  for (let i = 0; i < out.length; i++) out[i] += scale * rng.normal();
  return out;
}

/** Fraction of the pairs whose signs agree (pairs where either is 0 or non-finite are skipped); NaN if none count. */
export function signAgreement(a: number[], b: number[]): number {
  let agree = 0;
  let total = 0;
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i]) || !Number.isFinite(b[i]) || a[i] === 0 || b[i] === 0) continue;
    total++;
    if (Math.sign(a[i]) === Math.sign(b[i])) agree++;
  }
  return total === 0 ? Number.NaN : agree / total;
}

/** '+0.012 ± 0.004', '+0.012' (sd undefined), or 'n/a'. */
export function signedMeanSd(mean: number, sd: number, digits = 3): string {
  if (!Number.isFinite(mean)) return 'n/a';
  const m = `${mean >= 0 ? '+' : '−'}${Math.abs(mean).toFixed(digits)}`;
  return Number.isFinite(sd) ? `${m} ± ${sd.toFixed(digits)}` : m;
}

/** Seeds of the models of one experiment seed: data split, student init, teacher inits, shuffling. */
export function seedsFor(seed: number): { split: number; student: number; teacher: (i: number) => number; shuffle: number } {
  return { split: seed, student: 1000 * seed + 1, teacher: (i) => 1000 * seed + 101 + i, shuffle: 1000 * seed + 7 };
}
