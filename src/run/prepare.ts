/**
 * What a `cmkd run` (or `cmkd cch`) derives from its options before training: the data (loaded,
 * capped, with the fusion teacher's modality), the budget and its looks, the splits, the stage
 * store, the model cells' workspace, and where the cells run (here, a worker pool, a queue).
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  concatModalities,
  constantModalities,
  getModality,
  loadDataset,
  validateDataset,
  type MultimodalDataset,
  type Split,
} from '../data/index.js';
import { initEngine } from '../engine/index.js';
import { readsTables } from '../models/index.js';
import { distilsEmbedding, parseMethodId, REGRESSION_METHOD_IDS } from '../kd/index.js';
import { defaultModelKind } from '../train/index.js';
import { CmkdError, check } from '../util/errors.js';
import { toJson, writeJsonAtomic } from '../util/fs.js';
import type { ProgressFn } from '../util/progress.js';
import { VERSION } from '../version.js';
import {
  architectureFor,
  budgetTraining,
  resolveRunBudget,
  tableFit,
  trainingSchedule,
  type Budget,
  type TrainingSchedule,
} from './budget.js';
import { asJson, execute, type Cell, type Json, type RecipeRunner, type WorkspaceRecipe } from './cells.js';
import { schemeLooks, sequentialLooks } from './decide.js';
import { modelPath, modelRunners, type ModelCellKind, type ModelWorkspace } from './model-cells.js';
import { KFOLD_BELOW, checkRows, foldsOf, planSplits, splitScheme, type SplitPlan } from '../data/index.js';
import { analysisSettings, capRows, checkOptions, FUSION, type RunOptions } from './run-options.js';
import { fingerprintOf, type StageStore } from './stages.js';
import type { AnalysisSettings } from './types.js';

export const RUN_TASK = 'cmkd run';

/** What every cell of a run shares: its splits, and how its model cells train (derived from the run's settings). */
interface Workspace {
  splits: Split[];
  cells: ModelWorkspace;
}

const RUNNERS = modelRunners((w: Workspace) => w.cells);

/** Everything a run's plans share, derived from its options: data, budget, splits, store. */
export interface Prepared {
  loaded: MultimodalDataset;
  base: MultimodalDataset;
  ds: MultimodalDataset;
  budget: Budget;
  schedule: TrainingSchedule;
  scheme: SplitPlan['scheme'];
  /** With 'kfold': the folds k. */
  folds: number;
  /** Split counts at which gains are decided; the last is the cap (one look: a fixed count). */
  looks: number[];
  /** The modalities the fusion teacher concatenates (null: no fusion teacher). */
  fusionOf: string[] | null;
  /** Rows too few for the MI estimates or the model choice (checkRows), and constant modalities, in words. */
  warnings: string[];
  teachers: string[];
  methods: string[];
  analysis: AnalysisSettings;
  store: StageStore;
  workspace: Workspace;
  /** Processes running the cells, and the recipe from which a worker rebuilds the workspace (pool.ts). */
  workers: number;
  recipe?: WorkspaceRecipe;
  /** About how the run ran (e.g. on one process despite --workers), in words. */
  notes: string[];
  /** What settings.json records. */
  settings: Record<string, unknown>;
}

/** Where the cells run: the worker count (checked), and the recipe workers rebuild the workspace from (none: in this process). */
function executorOf(o: RunOptions): { workers: number; recipe?: WorkspaceRecipe; notes: string[] } {
  const workers = o.pool?.size ?? o.workers ?? 1;
  check(Number.isInteger(workers) && workers >= 1, `--workers must be a positive integer (got ${workers})`, 'invalid-option');
  check(!(o.queue && workers > 1), '--workers and --queue: give one (queued cells run on the workers serving the queue)', 'invalid-option');
  // What a worker process rebuilds the dataset from: its spec, or the recipe of a dataset given loaded.
  const rebuildable = typeof o.dataset === 'string' || o.datasetRecipe !== undefined;
  check(
    !o.queue || rebuildable,
    '--queue: queue workers load the dataset from its spec; give the dataset as a spec, not loaded',
    'invalid-option',
  );
  const { onProgress: _p, signal: _s, queue: _q, workers: _w, pool: _pool, dataset: _d, ...rest } = o;
  const recipeOptions = { ...rest, dataset: typeof o.dataset === 'string' ? o.dataset : undefined };
  const recipe: WorkspaceRecipe | undefined =
    (workers > 1 || o.queue) && rebuildable ? { family: 'run', options: asJson(recipeOptions) } : undefined;
  const notes =
    workers > 1 && !recipe
      ? [`ran on one process: ${workers} workers each load the dataset from its spec, and this dataset was given loaded`]
      : [];
  return { workers, recipe, notes };
}

/** The budget with the run's overrides, and its looks: one for a fixed --repeats N, the budget's (capped) for 'auto'. */
function budgetOf(o: RunOptions): { budget: Budget; fixed: number | undefined; looks: number[] } {
  const fixed = typeof o.repeats === 'number' ? o.repeats : undefined;
  check(
    o.repeats === undefined || o.repeats === 'auto' || fixed !== undefined,
    `--repeats must be a positive integer or 'auto' (got ${String(o.repeats)})`,
    'invalid-option',
  );
  const budget = resolveRunBudget(
    o.budget ?? 'quick',
    {
      repeats: fixed,
      maxSteps: o.maxSteps,
      epochs: o.epochs,
      patience: o.patience,
      samples: o.samples,
    },
    { model: o.model, architecture: o.architecture },
  );
  const looks = fixed !== undefined ? [fixed] : sequentialLooks(budget.looks, o.maxRepeats);
  check(
    o.delta === undefined || (Number.isFinite(o.delta) && o.delta > 0),
    `--delta must be a number > 0 (got ${o.delta})`,
    'invalid-option',
  );
  return { budget, fixed, looks };
}

/** The data the run trains on: loaded (or given), capped to the budget's rows, with the fusion teacher's modality when there is one. */
async function dataOf(o: RunOptions, budget: Budget, seed: number) {
  const loaded =
    typeof o.dataset === 'string' ? await loadDataset(o.dataset, { ...o.load, onProgress: o.onProgress, signal: o.signal }) : o.dataset;
  if (typeof o.dataset !== 'string') validateDataset(loaded);
  const analysis = analysisSettings(o, budget, loaded.task.kind);
  const { teachers, methods: asked } = checkOptions(loaded, o);
  const base = capRows(loaded, budget.maxRows, seed);
  const useFusion = o.fusion ?? teachers.length >= 2;
  const fusion = () =>
    concatModalities(
      FUSION,
      teachers.map((t) => getModality(base, t)),
    );
  const ds: MultimodalDataset = useFusion ? { ...base, modalities: [...base.modalities, fusion()] } : base;
  return { loaded, base, ds, analysis, teachers, asked, useFusion };
}

/** --model cnn|resnet reads images only (readsTables): refuse it at once, naming the first table modality of the run, rather than in a cell. */
function checkModelReads(budget: Budget, ds: MultimodalDataset, modalities: string[]): void {
  if (budget.model === undefined || readsTables(budget.model)) return;
  const table = modalities.find((m) => getModality(ds, m).kind !== 'image');
  check(
    table === undefined,
    `--model ${budget.model}: reads images, and modality '${table}' of this run is a table` +
      (table === FUSION
        ? ' (the fusion teacher concatenates the teachers; --no-fusion drops it)'
        : '; use --model mlp, or leave it out of --teachers'),
    'invalid-option',
  );
}

/**
 * Whether the run fits logistic regression instead of training the budget's models (budget.ts
 * tableFit): classification on fewer than KFOLD_BELOW rows, every modality a table, and no
 * --model, widths (--hidden, --blocks, --dropout, --channels) or schedule (--epochs, --max-steps,
 * --patience) flags, which keep the budget's models as they say.
 */
function fitsTables(o: RunOptions, budget: Budget, ds: MultimodalDataset, modalities: string[]): boolean {
  const asked = [budget.model, o.maxSteps, ...Object.values(o.architecture ?? {})];
  return (
    ds.task.kind === 'classification' &&
    ds.n < KFOLD_BELOW &&
    asked.every((v) => v === undefined) &&
    budget.epochs === null &&
    budget.patience === null &&
    modalities.every((m) => getModality(ds, m).kind !== 'image')
  );
}

/** What the report and the summary say of a fitted run's models. */
function fitNote(budget: Budget): string {
  const f = budget.fit!;
  return (
    `every model is logistic regression fitted to convergence (${f.steps} full-batch Adam steps at rate ${f.lr}, ` +
    `L2 as scikit-learn's C = ${f.c}, the last step kept): below ${KFOLD_BELOW} rows of tables the budget's MLP, ` +
    `its epoch chosen on a few validation rows, scored below the nearest-centroid baseline (docs/your-own-data.md); ` +
    `--model mlp trains the MLP instead`
  );
}

/** How the run's model cells train: split r, the budget's training for split 0's training rows (budgetTraining), seed·1000 + r, the budget's widths. */
function runCells(ds: MultimodalDataset, splits: Split[], budget: Budget, seed: number): ModelWorkspace {
  const training = budgetTraining(budget, splits[0].train.length);
  return {
    ds,
    split: (r) => splits[r],
    training: (r) => ({ ...training, seed: seed * 1000 + r }),
    model: (m) => {
      const kind = budget.model ?? defaultModelKind(getModality(ds, m));
      return { kind, architecture: architectureFor(budget, kind) };
    },
    studentDir: (r) => modelPath(r, 'student'),
    teacherDir: (r, t) => modelPath(r, `teacher-${t}`),
  };
}

/**
 * A warning for each modality the run trains on whose every feature is constant: a model on it
 * sees the same input for every sample, so a gain distilled from it is regularisation, not
 * knowledge of the modality, whatever the verdict says.
 */
function constantWarnings(ds: MultimodalDataset, used: string[]): string[] {
  const constant = new Set(constantModalities(ds));
  return used
    .filter((m) => constant.has(m))
    .map(
      (m) =>
        `Modality '${m}' is constant: every sample has the same values, so a model on it sees no input; a gain distilled from it can only come from regularisation (as label smoothing gives), not from what the modality knows.`,
    );
}

/**
 * Runs `f` on `ds`, the rows of `loaded` the run takes: when the budget's row cap (or --samples)
 * subsampled them, a refusal `f` throws names its counts as the subsample's, not the file's.
 */
function countedIn<T>(loaded: MultimodalDataset, ds: MultimodalDataset, f: () => T): T {
  if (ds.n === loaded.n) return f();
  try {
    return f();
  } catch (e) {
    if (!(e instanceof CmkdError)) throw e;
    const n = (x: number) => x.toLocaleString('en-US');
    throw new CmkdError(
      `${e.message}; counted in the ${n(ds.n)}-row stratified subsample of the ${n(loaded.n)} rows this run takes (--samples or the budget's row cap)`,
      e.code,
    );
  }
}

/** Loads the data and derives the run's settings, splits, store and workspace (nothing written). */
async function deriveRun(o: RunOptions): Promise<Prepared> {
  await initEngine();
  const executor = executorOf(o);
  const { budget: given, fixed, looks: planned } = budgetOf(o);
  const seed = o.seed ?? 0;
  const { loaded, base, ds, analysis, teachers, asked, useFusion } = await dataOf(o, given, seed);
  const allTeachers = useFusion ? [...teachers, FUSION] : teachers;
  const fitted = fitsTables(o, given, ds, [o.student, ...allTeachers]);
  const budget = fitted ? tableFit(given) : given;
  // The scheme asked (--splits) or the default; k-fold on small data whatever is asked.
  const chosen = splitScheme(ds.n, o.splits);
  const folds = foldsOf(ds.n);
  // Sequential splits on k-fold: small data starts with every fold tested, not the first 3 of 5; otherwise the budget's looks stay within one round.
  const looks = fixed === undefined ? schemeLooks(planned, chosen, ds.n, o.maxRepeats !== undefined) : planned;
  checkModelReads(budget, ds, [o.student, ...allTeachers]);
  // The budget's methods that take the task: for regression, those that distil by regression (the logit methods and DisCoM-KD need classes).
  // A linear student's embedding is its input, which FeatKD(emb) cannot move: not among a linear run's defaults.
  const methods = asked.length
    ? asked
    : (ds.task.kind === 'classification'
        ? budget.methods
        : budget.methods.filter((m) => REGRESSION_METHOD_IDS.includes(parseMethodId(m).method.name))
      ).filter((m) => budget.model !== 'linear' || !distilsEmbedding(m, ds.task.kind));
  // Random 70/10/20 splits, or stratified 5-fold on small data, up to the cap (split r depends on the seed and r alone);
  // the budget's steps in epochs for split 0's training rows.
  const { scheme, splits, warnings } = countedIn(loaded, ds, () => {
    const plan = planSplits(ds, looks[looks.length - 1], seed, chosen);
    const rows = checkRows(ds, plan.splits, { allowSmall: o.allowSmall, predicted: analysis.representation === 'predicted', fitted });
    // Row counts of a subsample are the subsample's: said so, as a refusal says it.
    const n = (x: number) => x.toLocaleString('en-US');
    const of = ` (Counted in the ${n(ds.n)}-row stratified subsample of the ${n(loaded.n)} rows loaded: --samples or the budget's row cap.)`;
    return { ...plan, warnings: ds.n === loaded.n ? rows : rows.map((w) => w + of) };
  });
  warnings.push(...constantWarnings(ds, [o.student, ...allTeachers]));
  const schedule = trainingSchedule(budget, splits[0].train.length);
  const settings = { dataset: ds.name, n: ds.n, student: o.student, teachers: allTeachers, methods, budget };
  const more = { repeats: fixed ?? 'auto', looks, splits: scheme, schedule, seed, version: VERSION };
  const store: StageStore = {
    runDir: o.outDir,
    fingerprint: fingerprintOf(modelSettings({ ...settings, ...more })),
    resume: Boolean(o.resume),
    reused: [],
  };
  return {
    ...{ loaded, base, ds, budget, schedule, scheme, folds, looks, warnings, teachers: allTeachers, fusionOf: useFusion ? teachers : null },
    ...{ methods, analysis, store, workspace: { splits, cells: runCells(ds, splits, budget, seed) } },
    workers: executor.workers,
    recipe: executor.recipe,
    // What loading changed (a renamed CSV column): kept with the results, whoever loaded the dataset.
    notes: [...(loaded.warnings ?? []), ...executor.notes, ...(fitted ? [fitNote(budget)] : [])],
    // The estimate that ran: predicted classes are discrete, so every MI term is the plug-in one whatever `estimator` names.
    settings: {
      ...settings,
      ...more,
      analysis: { ...analysis, ran: analysis.representation === 'predicted' ? 'plug-in' : analysis.estimator },
    },
  };
}

/**
 * What every model depends on, from a run's settings (settings.json): the stages' fingerprint. Not
 * the number of splits, the teachers or the methods: those are the cells' own inputs, so a resumed
 * run with more splits, teachers or methods trains only what is new (a split's models are the same
 * whatever the rest of the run). The analysis settings are their cells' inputs too, so another
 * representation or estimator reuses every trained model.
 */
function modelSettings(s: Record<string, unknown>): Record<string, unknown> {
  const { repeats: _r, looks: _l, methods: _m, ...models } = (s.budget ?? {}) as Record<string, unknown>;
  return {
    dataset: s.dataset,
    n: s.n,
    student: s.student,
    budget: models,
    splits: s.splits,
    schedule: s.schedule,
    seed: s.seed,
    version: s.version,
  };
}

/** deriveRun, and the run folder's settings.json (a resume whose models would differ is refused before it is overwritten). */
export async function prepareRun(o: RunOptions): Promise<Prepared> {
  const p = await deriveRun(o);
  const file = path.join(o.outDir, 'settings.json');
  if (o.resume) await checkResumable(file, p);
  await writeJsonAtomic(file, p.settings);
  return p;
}

/**
 * A run folder whose settings.json records other model settings (modelSettings) than this run's cannot be
 * resumed: refused in one line naming what differs — for the split scheme (random 70/10/20 was the default
 * before 10-fold), the --splits that resumes it.
 */
async function checkResumable(file: string, p: Prepared): Promise<void> {
  let before: Record<string, unknown>;
  try {
    before = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    return; // no readable settings.json: the stages' fingerprints decide
  }
  if (typeof before !== 'object' || before === null || fingerprintOf(modelSettings(before)) === p.store.fingerprint) return;
  const [was, now] = [modelSettings(before), modelSettings(p.settings)];
  if ((was.splits === 'random' || was.splits === 'kfold') && was.splits !== now.splits)
    throw new CmkdError(
      `--resume: ${file} records a run split by ${was.splits} and this one would split by ${now.splits}; add --splits ${was.splits} to resume it, or use a new --out folder`,
      'invalid-option',
    );
  const wasBudget = (was.budget ?? {}) as Partial<Budget>;
  const nowBudget = (now.budget ?? {}) as Partial<Budget>;
  if (!wasBudget.fit && nowBudget.fit)
    throw new CmkdError(
      `--resume: ${file} records a run whose table models were the budget's ${wasBudget.model ?? 'MLP'}, and this one would fit logistic regression (fewer than ${KFOLD_BELOW} rows of tables); add --model ${wasBudget.model ?? 'mlp'} to resume it, or use a new --out folder`,
      'invalid-option',
    );
  const differ = settingChanges(was, now);
  throw new CmkdError(
    `--resume: ${file} records a run with other settings (${differ.slice(0, 4).join('; ')}${differ.length > 4 ? '; …' : ''}); resume it with the options it was run with, or use a new --out folder`,
    'invalid-option',
  );
}

/** The settings that differ, as 'path (was → now)' down to their leaves, e.g. 'budget.table.hidden ([64,64] → [16])'. */
function settingChanges(was: unknown, now: unknown, at = ''): string[] {
  const plain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (plain(was) && plain(now))
    return [...new Set([...Object.keys(was), ...Object.keys(now)])].flatMap((k) => settingChanges(was[k], now[k], at ? `${at}.${k}` : k));
  const [a, b] = [toJson(was), toJson(now)];
  const shown = (t: string | undefined) => (t === undefined ? 'none' : t.length > 40 ? `${t.slice(0, 37)}…` : t);
  return a === b ? [] : [`${at} (${shown(a)} → ${shown(b)})`];
}

/** Runs one of the run's plans where its options say: here, on the worker pool, or through the queue. */
export function executePlan(
  p: Prepared,
  o: RunOptions,
  plan: readonly Cell[],
  onProgress: ProgressFn | undefined,
): Promise<Map<string, Json>> {
  return execute(plan, {
    workspace: p.workspace,
    store: p.store,
    runners: RUNNERS,
    task: RUN_TASK,
    onProgress,
    signal: o.signal,
    workers: p.workers,
    queue: o.queue,
    recipe: p.recipe,
    pool: o.pool,
  });
}

/** A worker's builder of a run's workspace (src/worker/families.ts): the options of the recipe deriveRun made, the dataset rebuilt from its recipe. */
export async function runWorkspace(o: RunOptions, env: { onProgress?: ProgressFn; signal?: AbortSignal }): Promise<RecipeRunner> {
  const p = await deriveRun({ ...o, ...env });
  return (cell, ctx) => RUNNERS[cell.kind as ModelCellKind](cell, { ...ctx, workspace: p.workspace });
}
