/** The options of `cmkd run` (and `cmkd cch`), and what is derived from them alone: the teachers, the methods, the rows, the analysis settings. */
import { CCH_REPRESENTATIONS, type CchRepresentation } from '../criteria/index.js';
import { getModality, modalityNames, stratifiedSplit, subsetRows, type LoadOptions, type MultimodalDataset } from '../data/index.js';
import { parseMethodId, REGRESSION_METHOD_IDS } from '../kd/index.js';
import type { ModelKind, SpecOverrides } from '../models/index.js';
import { MI_ESTIMATORS, type MIEstimatorName, type MIUnits } from '../mi/index.js';
import { check, oneOf } from '../util/errors.js';
import type { ProgressFn } from '../util/progress.js';
import type { Budget, BudgetName } from './budget.js';
import type { CellPool, DatasetRecipe, QueueTarget } from './cells.js';
import type { SplitScheme } from '../data/index.js';
import type { AnalysisSettings } from './types.js';

export const FUSION = 'fusion';

export interface RunOptions {
  /** Dataset spec ('digits', a folder with cmkd.json, a CSV…) or a loaded dataset. */
  dataset: string | MultimodalDataset;
  /** How to load a dataset spec (the CSV column options…); JSON, so pool workers load it the same way. */
  load?: Omit<LoadOptions, 'onProgress' | 'signal'>;
  /** The modality available at deployment. */
  student: string;
  /** Candidate teacher modalities (default: every other modality). */
  teachers?: string[];
  /** Add a fusion teacher on all candidate teachers' features (default: when there are ≥ 2). */
  fusion?: boolean;
  /** Methods distilled from the recommended teacher (default: the budget's list). */
  methods?: string[];
  budget?: BudgetName | Budget;
  /**
   * Repeated splits: a fixed count, or 'auto' (the default): sequential splits at the budget's
   * planned looks, added only for the gains still open (src/run/decide.ts)…
   */
  repeats?: number | 'auto';
  /** …with 'auto', the cap on the splits (the budget's last look; looks above it are dropped and it becomes the last)… */
  maxRepeats?: number;
  /** How rows are split from KFOLD_BELOW rows on (src/data/rows.ts; default DEFAULT_SPLITS): random 70/10/20, or stratified 10-fold. */
  splits?: SplitScheme;
  /** Practical margin δ of the headline gain, in its units (default per metric: src/metrics/gains.ts PRACTICAL_MARGINS). */
  delta?: number;
  /** Overrides of the budget (see BudgetOverrides): …
  /** …training length in optimizer steps… */
  maxSteps?: number;
  /** …a fixed number of epochs instead (with `patience`, both in epochs)… */
  epochs?: number;
  /** …early-stopping patience in epochs instead of the budget's patience in steps… */
  patience?: number;
  /** …and a cap on the rows (a stratified subsample). */
  samples?: number;
  /** The architecture of every model of the run: student, teachers, distilled students (default: CNN for images, MLP for tables)… */
  model?: ModelKind;
  /** …and its widths over the budget's (--hidden, --channels, --blocks, --dropout). */
  architecture?: SpecOverrides;
  /** Run on data below the floor of checkRows (too few rows, or a class with fewer than 5). */
  allowSmall?: boolean;
  /** MI estimator of the CCH analysis (default 'ksg'; 'latent' with the latent representation). */
  estimator?: MIEstimatorName;
  /** What the CCH analysis measures of each model (default: 'predicted' for classification, else 'embedding'; see analysisSettings). */
  representation?: CchRepresentation;
  /** Paired resamples per repeat for the estimator's part of the intervals (default: the budget's). */
  bootstrap?: number;
  /** Neighbours for ksg / latent (the estimator's default otherwise). */
  k?: number;
  /** Confidence level of the margins' intervals (default 0.95). */
  ci?: number;
  units?: MIUnits;
  /** PCA width before estimation (default per estimator, criteria/cch.ts DEFAULT_DIMS); false: none. */
  dims?: number | false;
  /** Also estimate the MFH view (default true). */
  mfh?: boolean;
  outDir: string;
  /** Reuse the finished stages of an interrupted run in outDir. */
  resume?: boolean;
  /**
   * Processes training models at once (default 1): more run the cells on a pool of local worker
   * processes, each loading the dataset spec again (or building `datasetRecipe`); a loaded dataset
   * without a recipe runs in this process.
   */
  workers?: number;
  /** Worker processes the caller keeps across runs (pool.ts `WorkerPool`), in place of `workers`. */
  pool?: CellPool;
  /** Run the cells on `cmkd worker` processes through this Redis queue instead (queue.ts); needs a dataset spec or `datasetRecipe`. */
  queue?: QueueTarget;
  /**
   * With `dataset` given loaded: how worker processes (--workers, --queue) rebuild it — a dataset
   * source of the workers' table (src/worker/families.ts). Without it a loaded dataset runs in this process.
   */
  datasetRecipe?: DatasetRecipe;
  seed?: number;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export function checkOptions(ds: MultimodalDataset, o: RunOptions): { teachers: string[]; methods: string[] } {
  const names = modalityNames(ds);
  getModality(ds, o.student);
  const teachers = o.teachers ?? names.filter((m) => m !== o.student);
  check(teachers.length > 0, `dataset '${ds.name}' has only the student modality '${o.student}'; cross-modal KD needs a teacher modality`);
  for (const t of teachers) {
    getModality(ds, t);
    check(t !== o.student, `--teachers lists the student modality '${o.student}'; a teacher must see another modality`, 'invalid-option');
  }
  check(
    !names.includes(FUSION),
    `dataset '${ds.name}' already has a modality named '${FUSION}', which the run uses for the fusion teacher; rename it`,
  );
  const methods = o.methods ?? [];
  for (const m of methods) {
    const { method } = parseMethodId(m);
    // Logit methods distil class probabilities and DisCoM-KD trains a classifier per modality: classification only.
    check(
      ds.task.kind === 'classification' || REGRESSION_METHOD_IDS.includes(method.name),
      `--methods: method '${m}' needs a classification task; dataset '${ds.name}' is regression (methods for regression: ${REGRESSION_METHOD_IDS.join(', ')})`,
      'invalid-option',
    );
  }
  return { teachers, methods };
}

/** The rows of a stratified subsample of at most `max` rows (seeded, ascending), or null to keep every row. */
export function cappedRows(ds: MultimodalDataset, max: number | null, seed: number): Int32Array | null {
  if (max === null || ds.n <= max) return null;
  const keep = max / ds.n;
  const split = stratifiedSplit(ds, { seed, fractions: { train: keep, val: 0, test: 1 - keep } });
  return Int32Array.from(split.train).sort();
}

/** Stratified subsample of at most `max` rows (seeded), or the dataset itself. */
export function capRows(ds: MultimodalDataset, max: number | null, seed: number): MultimodalDataset {
  const rows = cappedRows(ds, max, seed);
  if (rows === null) return ds;
  return { ...subsetRows(ds, rows), description: `${ds.description ?? ds.name} (stratified subsample of ${rows.length} of ${ds.n} rows)` };
}

/**
 * The analysis settings of a run's options. Default representation: the predicted classes for
 * classification — the calibration's winner (docs/verdicts.md: on 64 built-in pairs, 9 of 11
 * decided-and-clear verdicts agreed, against 4 of 13 at best for the continuous ones) — and the
 * embedding for regression (not calibrated) or when an estimator of continuous data is named.
 * The latent representation and estimator go together.
 */
export function analysisSettings(
  o: Omit<RunOptions, 'dataset' | 'student' | 'outDir'>,
  budget: Budget,
  task: 'classification' | 'regression' = 'classification',
): AnalysisSettings {
  const byDefault: CchRepresentation =
    o.estimator === 'latent' ? 'latent' : o.estimator !== undefined || task === 'regression' ? 'embedding' : 'predicted';
  const representation = oneOf<CchRepresentation>('representation', o.representation ?? byDefault, CCH_REPRESENTATIONS);
  check(
    representation !== 'predicted' || task === 'classification',
    `--representation predicted needs a classification task; this dataset is regression (use output or embedding)`,
    'invalid-option',
  );
  const estimator = oneOf<MIEstimatorName>('estimator', o.estimator ?? (representation === 'latent' ? 'latent' : 'ksg'), MI_ESTIMATORS);
  check(
    (representation === 'latent') === (estimator === 'latent'),
    representation === 'latent'
      ? `--representation latent learns its codes with the latent estimator; got --estimator ${estimator} (drop it or use latent)`
      : `--estimator latent measures learned codes: use --representation latent (got ${representation})`,
    'invalid-option',
  );
  const out: AnalysisSettings = {
    representation,
    estimator,
    bootstrap: o.bootstrap ?? budget.bootstrap,
    ci: o.ci ?? 0.95,
    units: o.units ?? 'nats',
    mfh: o.mfh ?? true,
  };
  if (o.k !== undefined) out.k = o.k;
  if (o.dims !== undefined) out.dims = o.dims;
  return out;
}
