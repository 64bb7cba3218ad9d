/**
 * The CCH criterion on a dataset: build each modality's representation, then score every
 * candidate teacher with cchFromRepresentations.
 *
 * Rows: the project's seeded stratified 70/10/20 split (the one `cmkd train` uses for the same
 * seed). Encoders are fitted on its train rows (early stopping on val), standardisation on
 * train; MI is estimated only on the test rows, which no encoder saw (not even for early
 * stopping), so overfit representations cannot inflate it. Both representations use the same
 * estimation rows.
 *
 * Representations:
 * - raw: the modality's features, standardised with train statistics (per column for tables,
 *   per channel for images). Wide ones (images) are then reduced by PCA like any other
 *   representation (cchFromRepresentations' `dims`).
 * - embedding: the penultimate layer of an encoder trained per modality on the labels, with the
 *   same small budget for every modality (MLP for tables, CNN for images, the models module's
 *   architectures), then PCA to `dims`.
 */
import { featureSize, gatherRows, getModality, modalityNames } from '../data/access.js';
import { stratifiedSplit } from '../data/split.js';
import { applyStandardizer, fitStandardizer } from '../data/standardize.js';
import type { MultimodalDataset, Split } from '../data/types.js';
import { initEngine } from '../engine/index.js';
import type { ModelKind, SpecOverrides } from '../models/index.js';
import { predictOutputs, trainOnModality } from '../train/index.js';
import { check, oneOf } from '../util/errors.js';
import { throwIfAborted } from '../util/progress.js';
import { makeRng } from '../util/rng.js';
import { cchFromRepresentations } from './cch.js';
import type { CchEstimationOptions, CchResult, NamedRepresentation, Representation } from './types.js';

export type RepresentationKind = 'raw' | 'embedding';
export const REPRESENTATIONS: readonly RepresentationKind[] = ['raw', 'embedding'];

/** The per-modality encoder budget (embedding representation). */
export interface EncoderBudget {
  /** Maximum epochs (default 3). */
  epochs?: number;
  /** Default 128. */
  batchSize?: number;
  /** Adam learning rate (default 2e-3). */
  lr?: number;
  /** Early-stopping patience on the val loss (default 2). */
  patience?: number;
  /** Architecture per modality kind (defaults: MLP [64, 32] for tables, CNN [4, 8] + dense 32 for images). */
  table?: { kind?: ModelKind } & SpecOverrides;
  image?: { kind?: ModelKind } & SpecOverrides;
}

export const ENCODER_DEFAULTS = {
  epochs: 3,
  batchSize: 128,
  lr: 2e-3,
  patience: 2,
  table: { kind: 'mlp' as ModelKind, hidden: [64, 32] },
  image: { kind: 'cnn' as ModelKind, channels: [4, 8], hidden: [32] },
};

export interface CchDatasetOptions extends CchEstimationOptions {
  student: string;
  /** Candidate teachers (default: every other modality). */
  teachers?: string[];
  /** Default 'embedding' (as the CLI). */
  representation?: RepresentationKind;
  /** Rows to use (default: the stratified 70/10/20 split seeded by `seed`); MI on its `test` rows. */
  split?: Split;
  /** Estimate on at most this many of the estimation rows (seeded subsample). */
  samples?: number;
  encoder?: EncoderBudget;
}

export interface EncoderInfo {
  modality: string;
  kind: ModelKind;
  embeddingSize: number;
  epochs: number;
  bestEpoch: number;
  /** Validation accuracy (classification) or MSE (regression) at the best epoch. */
  valMetric: number | null;
}

export interface CchDatasetResult extends CchResult {
  dataset: string;
  representation: RepresentationKind;
  /** How the estimation rows were chosen. */
  rows: { train: number; val: number; estimation: number; splitSeed: number };
  encoders?: EncoderInfo[];
}

function checkNames(ds: MultimodalDataset, student: string, teachers: string[] | undefined): string[] {
  check(typeof student === 'string' && student !== '', 'cch: no student modality given', 'invalid-option');
  getModality(ds, student);
  const list = teachers ?? modalityNames(ds).filter((m) => m !== student);
  check(
    list.length > 0,
    `cch: dataset '${ds.name}' has no modality other than the student '${student}' to use as a teacher`,
    'invalid-option',
  );
  for (const t of list) {
    getModality(ds, t);
    check(
      t !== student,
      `cch: the student '${student}' is also listed as a teacher; teachers must be other modalities (${modalityNames(ds)
        .filter((m) => m !== student)
        .join(', ')})`,
      'invalid-option',
    );
  }
  check(new Set(list).size === list.length, `cch: a teacher is listed twice in [${list.join(', ')}]`, 'invalid-option');
  return list;
}

/** Standardised raw features of `name` on the rows `rows`, with statistics of `trainRows`. */
export function rawRepresentation(ds: MultimodalDataset, name: string, trainRows: Int32Array, rows: Int32Array): Representation {
  const m = getModality(ds, name);
  const d = featureSize(m);
  const st = applyStandardizer({ ...m, data: gatherRows(m.data, d, rows) }, fitStandardizer(m, trainRows));
  return { data: st.data, n: rows.length, d };
}

/** Train one encoder per modality on the split's train rows and return its embedding of the estimation rows. */
async function embeddingRepresentations(
  ds: MultimodalDataset,
  names: string[],
  split: Split,
  rows: Int32Array,
  opts: CchDatasetOptions,
): Promise<{ reps: Representation[]; encoders: EncoderInfo[] }> {
  await initEngine();
  const b = opts.encoder ?? {};
  const seed = opts.seed ?? 0;
  const reps: Representation[] = [];
  const encoders: EncoderInfo[] = [];
  // Estimation rows as positions within the split's test part, where prepareModality puts them.
  const position = new Map<number, number>();
  split.test.forEach((r, j) => position.set(r, j));
  for (const [i, name] of names.entries()) {
    throwIfAborted(opts.signal);
    const m = getModality(ds, name);
    const arch = m.kind === 'image' ? { ...ENCODER_DEFAULTS.image, ...b.image } : { ...ENCODER_DEFAULTS.table, ...b.table };
    const { kind, ...architecture } = arch;
    const trained = await trainOnModality(ds, {
      modality: name,
      split,
      kind,
      architecture,
      epochs: b.epochs ?? ENCODER_DEFAULTS.epochs,
      batchSize: b.batchSize ?? ENCODER_DEFAULTS.batchSize,
      lr: b.lr ?? ENCODER_DEFAULTS.lr,
      earlyStopping: { patience: b.patience ?? ENCODER_DEFAULTS.patience },
      seed: seed + 101 * i,
      label: `encoder ${name}`,
      onProgress: opts.onProgress,
      signal: opts.signal,
    });
    try {
      const test = trained.prepared.test;
      const size = test.x.length / test.n;
      const x = gatherRows(
        test.x,
        size,
        Int32Array.from(rows, (r) => position.get(r)!),
      );
      const out = await predictOutputs(trained.model, x, rows.length, 256, { signal: opts.signal });
      reps.push({ data: out.embedding, n: rows.length, d: out.embeddingSize });
      const best = trained.result.history[trained.result.bestEpoch - 1];
      encoders.push({
        modality: name,
        kind: trained.spec.kind,
        embeddingSize: out.embeddingSize,
        epochs: trained.result.history.length,
        bestEpoch: trained.result.bestEpoch,
        valMetric: best?.valMetric ?? null,
      });
    } finally {
      trained.model.dispose();
    }
  }
  return { reps, encoders };
}

/**
 * CCH margins, verdicts and ranking of every candidate teacher for `student` on dataset `ds`
 * (see the module comment for rows and representations, cch.ts for the criterion).
 */
export async function cch(ds: MultimodalDataset, opts: CchDatasetOptions): Promise<CchDatasetResult> {
  check(opts !== null && typeof opts === 'object', 'cch: options must be an object with at least {student}', 'invalid-option');
  const teachers = checkNames(ds, opts.student, opts.teachers);
  const representation = oneOf('representation', String(opts.representation ?? 'embedding'), REPRESENTATIONS);
  const seed = opts.seed ?? 0;
  check(Number.isInteger(seed), `seed must be an integer, got ${String(opts.seed)}`, 'invalid-option');
  const split = opts.split ?? stratifiedSplit(ds, { seed });
  check(split.test.length > 0, 'cch: the split has no estimation (test) rows', 'invalid-option');
  let rows = split.test;
  if (opts.samples !== undefined) {
    check(Number.isInteger(opts.samples) && opts.samples >= 2, `samples must be an integer ≥ 2, got ${opts.samples}`, 'invalid-option');
    if (opts.samples < rows.length) {
      const shuffled = makeRng(seed + 1).shuffle(Int32Array.from(rows)) as Int32Array;
      rows = shuffled.slice(0, opts.samples).sort();
    }
  }
  const names = [opts.student, ...teachers];
  let reps: Representation[];
  let encoders: EncoderInfo[] | undefined;
  if (representation === 'raw') {
    reps = names.map((name) => rawRepresentation(ds, name, split.train, rows));
  } else {
    ({ reps, encoders } = await embeddingRepresentations(ds, names, split, rows, opts));
  }
  const labels =
    ds.labels instanceof Int32Array ? Int32Array.from(rows, (r) => ds.labels[r]) : Float32Array.from(rows, (r) => ds.labels[r]);
  const named: NamedRepresentation[] = names.map((name, i) => ({ name, h: reps[i] }));
  const { student: _s, teachers: _t, representation: _r, split: _sp, samples: _n, encoder: _e, ...estimation } = opts;
  const result = await cchFromRepresentations({
    ...estimation,
    student: named[0],
    teachers: named.slice(1),
    labels,
  });
  return {
    dataset: ds.name,
    representation,
    rows: {
      train: split.train.length,
      val: split.val.length,
      estimation: rows.length,
      splitSeed: split.seed,
    },
    ...(encoders ? { encoders } : {}),
    ...result,
  };
}
