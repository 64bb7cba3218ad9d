/**
 * The main job, `cmkd run`: validate the data, train the student alone and a teacher per
 * candidate modality (plus a fusion teacher), predict with the CCH margin which teachers KD
 * will help, distill with the KD family, and compare the prediction with the outcome over
 * repeated splits. Every unit of work is a resumable stage (stages.ts); models are saved in the
 * TF.js format under <outDir>/models.
 */
import path from 'node:path';
import { CCH_REPRESENTATIONS, combineRepeats, heldOutOverlap, type CchRepresentation, type CchResult } from '../criteria/index.js';
import {
  describeDataset,
  concatModalities,
  getModality,
  loadDataset,
  modalityNames,
  stratifiedSplit,
  subsetRows,
  validateDataset,
  type MultimodalDataset,
  type LoadOptions,
  type Split,
} from '../data/index.js';
import { initEngine } from '../engine/index.js';
import { methodIdLabel, parseMethodId, PLAIN_KD } from '../kd/index.js';
import type { MeanSd } from '../metrics/index.js';
import { MI_ESTIMATORS, type MIEstimatorName, type MIUnits } from '../mi/index.js';
import { loadModel, saveModel } from '../models/index.js';
import { defaultModelKind, predictOutputs, prepareModality } from '../train/index.js';
import { check, oneOf } from '../util/errors.js';
import { formatMeanSd, formatNumber } from '../util/format.js';
import { toCsv, writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import type { ProgressFn } from '../util/progress.js';
import { VERSION } from '../version.js';
import { summariseRecords, summariseValues } from './summarise.js';
import { DEPLOY_RULE, deployChoice, gainDesign, gainUnits, openCandidates, pairedGains, sequentialLooks, summariseGain } from './decide.js';
import { modelRunners, teacherless, type DistillCellInputs, type ModelCellKind, type ModelWorkspace } from './model-cells.js';
import { architectureFor, resolveRunBudget, trainingSchedule, type Budget, type BudgetName, type TrainingSchedule } from './budget.js';
import { checkRows, planSplits, type SplitPlan } from './rows.js';
import {
  execute,
  type Cell,
  type CellPool,
  type DatasetRecipe,
  type Json,
  type QueueTarget,
  type RecipeRunner,
  type WorkspaceRecipe,
} from './cells.js';
import { planPool } from './pool.js';
import { fingerprintOf, type StageStore } from './stages.js';
import { writeRunReport } from './report.js';
import { METHODS_CSV, methodsRecords, PREDICTIONS_CSV, predictionRecords, TEACHERS_CSV, teachersRecords } from './exports.js';
import type { AnalysisSettings, MethodRow, ModelRecord, RunResult, TeacherAnalysis } from './types.js';
import { agreementOf, plainVerdict, teacherOutcomes } from './verdict.js';
import { REPORT_HTML } from '../report/index.js';

export const FUSION = 'fusion';
export type { ModelRecord, MethodRow, TeacherOutcome, RunResult, TeacherAnalysis, AnalysisSettings } from './types.js';

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

function checkOptions(ds: MultimodalDataset, o: RunOptions): { teachers: string[]; methods: string[] } {
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
  for (const m of methods) parseMethodId(m);
  return { teachers, methods };
}

/** The rows of a stratified subsample of at most `max` rows (seeded, ascending), or null to keep every row. */
function cappedRows(ds: MultimodalDataset, max: number | null, seed: number): Int32Array | null {
  if (max === null || ds.n <= max) return null;
  const keep = max / ds.n;
  const split = stratifiedSplit(ds, { seed, fractions: { train: keep, val: 0, test: 1 - keep } });
  return Int32Array.from(split.train).sort();
}

/** Stratified subsample of at most `max` rows (seeded), or the dataset itself. */
function capRows(ds: MultimodalDataset, max: number | null, seed: number): MultimodalDataset {
  const rows = cappedRows(ds, max, seed);
  if (rows === null) return ds;
  return { ...subsetRows(ds, rows), description: `${ds.description ?? ds.name} (stratified subsample of ${rows.length} of ${ds.n} rows)` };
}

/** Everything a run's plans share, derived from its options: data, budget, splits, store. */
interface Prepared {
  loaded: MultimodalDataset;
  base: MultimodalDataset;
  ds: MultimodalDataset;
  budget: Budget;
  schedule: TrainingSchedule;
  scheme: SplitPlan['scheme'];
  /** Split counts at which gains are decided; the last is the cap (one look: a fixed count). */
  looks: number[];
  /** The modalities the fusion teacher concatenates (null: no fusion teacher). */
  fusionOf: string[] | null;
  /** Rows too few for the MI estimates or the model choice (checkRows), in words. */
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

/** Loads the data and derives the run's settings, splits, store and workspace (nothing written). */
async function deriveRun(o: RunOptions): Promise<Prepared> {
  await initEngine();
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
  const fixed = typeof o.repeats === 'number' ? o.repeats : undefined;
  check(
    o.repeats === undefined || o.repeats === 'auto' || fixed !== undefined,
    `--repeats must be a positive integer or 'auto' (got ${String(o.repeats)})`,
    'invalid-option',
  );
  const budget = resolveRunBudget(o.budget ?? 'quick', {
    repeats: fixed,
    maxSteps: o.maxSteps,
    epochs: o.epochs,
    patience: o.patience,
    samples: o.samples,
  });
  const seed = o.seed ?? 0;
  const loaded =
    typeof o.dataset === 'string' ? await loadDataset(o.dataset, { ...o.load, onProgress: o.onProgress, signal: o.signal }) : o.dataset;
  if (typeof o.dataset !== 'string') validateDataset(loaded);
  const analysis = analysisSettings(o, budget, loaded.task.kind);
  const { teachers, methods: asked } = checkOptions(loaded, o);
  const base = capRows(loaded, budget.maxRows, seed);
  const useFusion = o.fusion ?? teachers.length >= 2;
  const ds: MultimodalDataset = useFusion
    ? {
        ...base,
        modalities: [
          ...base.modalities,
          concatModalities(
            FUSION,
            teachers.map((t) => getModality(base, t)),
          ),
        ],
      }
    : base;
  const allTeachers = useFusion ? [...teachers, FUSION] : teachers;
  const methods = asked.length ? asked : budget.methods;
  const looks = fixed !== undefined ? [fixed] : sequentialLooks(budget.looks, o.maxRepeats);
  check(
    o.delta === undefined || (Number.isFinite(o.delta) && o.delta > 0),
    `--delta must be a number > 0 (got ${o.delta})`,
    'invalid-option',
  );
  // Random 70/10/20 splits, or stratified 5-fold on small data, up to the cap (split r depends on the seed and r alone);
  // the budget's steps in epochs for split 0's training rows.
  const { scheme, splits } = planSplits(ds, looks[looks.length - 1], seed);
  const warnings = checkRows(ds, splits, { allowSmall: o.allowSmall, predicted: analysis.representation === 'predicted' });
  const schedule = trainingSchedule(budget, splits[0].train.length);
  // What every model depends on. Not the number of splits, the teachers or the methods: those are
  // the cells' own inputs, so a resumed run with more splits, teachers or methods trains only what
  // is new (a split's models are the same whatever the rest of the run). The analysis settings are
  // their cells' inputs too, so another representation or estimator reuses every trained model.
  const { repeats: _r, looks: _l, methods: _m, ...models } = budget;
  const store: StageStore = {
    runDir: o.outDir,
    fingerprint: fingerprintOf({
      dataset: ds.name,
      n: ds.n,
      student: o.student,
      budget: models,
      splits: scheme,
      schedule,
      seed,
      version: VERSION,
    }),
    resume: Boolean(o.resume),
    reused: [],
  };
  const settings = {
    dataset: ds.name,
    n: ds.n,
    student: o.student,
    teachers: allTeachers,
    methods,
    budget,
    repeats: fixed ?? 'auto',
    looks,
    splits: scheme,
    schedule,
    seed,
    version: VERSION,
  };
  const cells: ModelWorkspace = {
    ds,
    split: (r) => splits[r],
    // Select on validation accuracy (MSE for regression): with LSKD the logit scale is free, so validation CE does not compare students fairly.
    training: (r) => ({
      lr: budget.lr,
      epochs: schedule.epochs,
      batchSize: budget.batchSize,
      earlyStopping: { patience: schedule.patience, metric: 'val_metric', minEpochs: schedule.minEpochs },
      seed: seed * 1000 + r,
    }),
    model: (m) => {
      const kind = defaultModelKind(getModality(ds, m));
      return { kind, architecture: architectureFor(budget, kind) };
    },
    studentDir: (r) => modelPath(r, 'student'),
    teacherDir: (r, t) => modelPath(r, `teacher-${t}`),
  };
  const { onProgress: _p, signal: _s, queue: _q, workers: _w, pool: _pool, dataset: _d, ...rest } = o;
  const recipeOptions = { ...rest, dataset: typeof o.dataset === 'string' ? o.dataset : undefined };
  const recipe: WorkspaceRecipe | undefined =
    (workers > 1 || o.queue) && rebuildable ? { family: 'run', options: recipeOptions as unknown as Json } : undefined;
  const notes = [
    // What loading changed (a renamed CSV column): kept with the results, whoever loaded the dataset.
    ...(loaded.warnings ?? []),
    ...(workers > 1 && !recipe
      ? [`ran on one process: ${workers} workers each load the dataset from its spec, and this dataset was given loaded`]
      : []),
  ];
  return {
    loaded,
    base,
    ds,
    budget,
    schedule,
    scheme,
    looks,
    warnings,
    teachers: allTeachers,
    fusionOf: useFusion ? teachers : null,
    methods,
    analysis,
    store,
    workspace: { splits, cells },
    workers,
    recipe,
    notes,
    settings: { ...settings, analysis },
  };
}

/** deriveRun, and the run folder's settings.json. */
async function prepareRun(o: RunOptions): Promise<Prepared> {
  const p = await deriveRun(o);
  await writeJsonAtomic(path.join(o.outDir, 'settings.json'), p.settings);
  return p;
}

/** Runs one of the run's plans where its options say: here, on the worker pool, or through the queue. */
function executePlan(p: Prepared, o: RunOptions, plan: readonly Cell[], onProgress: ProgressFn | undefined): Promise<Map<string, Json>> {
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

/** Trains the student alone and a teacher per candidate on every repeat, then the CCH analysis of each repeat, combined. */
async function modelsAndAnalysis(
  p: Prepared,
  o: RunOptions,
  onProgress: ProgressFn | undefined,
): Promise<{ cch: CchResult; records: ModelRecord[] }> {
  const plan = planModels({
    student: o.student,
    teachers: p.teachers,
    splits: Array.from({ length: p.looks[0] }, (_, r) => r),
    analysis: p.analysis,
    fusionOf: p.fusionOf,
  });
  const done = await executePlan(p, o, plan, onProgress);
  const records: ModelRecord[] = [];
  const perRepeat: CchResult[] = [];
  for (const cell of plan) (cell.kind === 'cch' ? perRepeat : records).push(done.get(cell.id) as never);
  // ρ of the interval over repeats: the share of held-out rows (val + test, where the CCH is estimated) repeats have in common.
  const heldOut = p.workspace.splits.slice(0, perRepeat.length).map((s) => [...s.val, ...s.test]);
  return { cch: combineRepeats(perRepeat, heldOut.length >= 2 ? { overlap: heldOutOverlap(heldOut) } : {}), records };
}

/**
 * The CCH analysis of `cmkd run` alone (`cmkd cch`): the same models, rows, representation and
 * estimator, so the same numbers for the same data and seed.
 */
export async function analyseTeachers(o: RunOptions): Promise<TeacherAnalysis> {
  const started = Date.now();
  const p = await prepareRun(o);
  const { cch, records } = await modelsAndAnalysis(p, o, o.onProgress);
  const split = p.workspace.splits[0];
  const result: TeacherAnalysis = {
    ...cch,
    dataset: p.ds.name,
    representation: p.analysis.representation,
    budget: p.budget.name,
    rows: { train: split.train.length, val: split.val.length, heldOut: split.val.length + split.test.length },
    models: records.map((r) => ({
      role: r.role,
      modality: r.modality,
      repeat: r.repeat,
      epochs: r.history.length,
      val: r.val,
      modelDir: r.modelDir,
    })),
    warnings: p.warnings,
    ...(p.notes.length ? { notes: p.notes } : {}),
    reusedStages: p.store.reused,
    seconds: (Date.now() - started) / 1000,
  };
  await writeJsonAtomic(path.join(o.outDir, 'cch.json'), result);
  return result;
}

export async function runMainJob(o: RunOptions): Promise<RunResult> {
  // One pool of worker processes for the run's two plans (models and analysis, then distillation).
  const { pool, close } = planPool(o);
  try {
    return await mainJob({ ...o, pool });
  } finally {
    await close();
  }
}

async function mainJob(o: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const p = await prepareRun(o);
  const { loaded, base, ds, budget, schedule, scheme, warnings, methods, store, workspace, looks } = p;
  const allTeachers = p.teachers;
  const classification = ds.task.kind === 'classification';
  const headline = classification ? { metric: 'f1Weighted', higherIsBetter: true } : { metric: 'mse', higherIsBetter: false };
  const metrics = classification ? ['accuracy', 'f1Weighted', 'f1Macro', 'auc'] : ['mse', 'rmse', 'mae', 'r2'];
  const splits = workspace.splits;
  const summary = describeDataset(ds);

  // Every cell's record, by id, as the looks add them.
  const done = new Map<string, Json>();
  let planned = 0;
  const run = async (cells: Cell[]) => {
    const fresh = cells.filter((c) => !done.has(c.id));
    if (!fresh.length) return;
    const offset = planned;
    planned += fresh.length;
    const onProgress: ProgressFn | undefined =
      o.onProgress && ((ev) => o.onProgress!(ev.task === RUN_TASK ? { ...ev, done: ev.done + offset, total: planned } : ev));
    for (const [id, rec] of await executePlan(p, o, fresh, onProgress)) done.set(id, rec);
  };
  const range = (R: number, from = 0) => Array.from({ length: R - from }, (_, i) => from + i);

  // 1–3: the student alone and a teacher per candidate on the first look's splits, then the CCH analysis of each.
  const first = looks[0];
  const modelsPlan = planModels({
    student: o.student,
    teachers: allTeachers,
    splits: range(first),
    analysis: p.analysis,
    fusionOf: p.fusionOf,
  });
  await run(modelsPlan);
  const cch = combineRepeats(modelsPlan.filter((c) => c.kind === 'cch').map((c) => done.get(c.id) as unknown as CchResult));
  const recommended = cch.ranking[0];

  // 4: distillation, split by split as the looks go. Plain KD from every teacher (in the CCH ranking's order); the
  // method family from the teacher whose plain-KD gain is the largest so far (ties: the CCH ranking).
  const records = (): ModelRecord[] =>
    [...done.values()].filter((r) => (r as { role?: string }).role !== undefined) as unknown as ModelRecord[];
  const recsOf = (pred: (r: ModelRecord) => boolean) => records().filter(pred);
  const studentRecs = () => recsOf((r) => r.role === 'student');
  const gainsOf = (teacher: string, methodId: string) =>
    pairedGains(
      recsOf((r) => r.role === 'distilled' && r.teacher === teacher && r.methodId === methodId),
      studentRecs(),
      headline.metric,
      headline.higherIsBetter,
    );
  const studentMean = () => summariseValues(studentRecs().map((r) => r.test[headline.metric])).mean;
  const design = () =>
    gainDesign({
      scheme,
      nTrain: splits[0].train.length,
      nTest: splits[0].test.length,
      looks,
      metric: headline.metric,
      baselineMean: studentMean(),
      delta: o.delta,
    });
  const byRank = [...cch.ranking, ...allTeachers.filter((t) => !cch.ranking.includes(t))];
  // Each distilled student: the splits it was trained on (0, 1, … splits − 1), and whether the last look closed it.
  const candidates: { teacher: string; methodId: string; splits: number; closed: boolean }[] = byRank.map((teacher) => ({
    teacher,
    methodId: PLAIN_KD,
    splits: 0,
    closed: false,
  }));
  const idOf = (c: { teacher: string; methodId: string }) => `${methodIdLabel(c.methodId)} ← ${c.teacher}`;
  let familyFrom: string[] = [];
  let R = first;
  for (;;) {
    // The no-KD student (and the teachers the open candidates need) on the splits up to R.
    const openNow = candidates.filter((c) => !c.closed && c.splits < R);
    const newSplits = [...new Set(openNow.flatMap((c) => range(R, c.splits)))].sort((x, y) => x - y);
    await run(
      planModels({
        student: o.student,
        teachers: [...new Set(openNow.map((c) => c.teacher))],
        splits: newSplits.filter((r) => r >= first),
        analysis: null,
        fusionOf: p.fusionOf,
      }),
    );
    await run(
      planDistillation({
        student: o.student,
        cells: openNow.filter((c) => c.methodId === PLAIN_KD).flatMap((c) => range(R, c.splits).map((r) => ({ ...c, repeat: r }))),
      }),
    );
    for (const c of openNow.filter((x) => x.methodId === PLAIN_KD)) c.splits = R;
    // The family follows the measurements: the teacher with the largest plain-KD gain so far gets every method.
    const kdMean = (t: string) => summariseValues(gainsOf(t, PLAIN_KD)).mean;
    const best = byRank.reduce((x, y) => (kdMean(y) > kdMean(x) || !Number.isFinite(kdMean(x)) ? y : x));
    if (!familyFrom.includes(best)) {
      familyFrom = [...familyFrom, best];
      for (const m of methods.filter((id) => id !== PLAIN_KD)) candidates.push({ teacher: best, methodId: m, splits: 0, closed: false });
    }
    const family = candidates.filter((c) => c.methodId !== PLAIN_KD && !c.closed && c.splits < R);
    await run(planDistillation({ student: o.student, cells: family.flatMap((c) => range(R, c.splits).map((r) => ({ ...c, repeat: r }))) }));
    for (const c of family) c.splits = R;
    const next = openCandidates(
      candidates.map((c) => ({ id: idOf(c), gains: gainsOf(c.teacher, c.methodId) })),
      design(),
    );
    if (next.splits === null) break;
    for (const c of candidates) c.closed = !next.open.includes(idOf(c));
    R = next.splits;
  }

  // 5. Tables: teachers, the student, each distilled configuration; gains paired by split, decided under the design.
  const d = design();
  const all = records();
  const byKey = new Map<string, ModelRecord[]>();
  for (const rec of all) {
    const key = rec.role === 'distilled' ? `${rec.methodId}|${rec.teacher}` : `${rec.role}|${rec.modality}`;
    byKey.set(key, [...(byKey.get(key) ?? []), rec]);
  }
  const order = (k: string) => {
    const rec = byKey.get(k)![0];
    return rec.role === 'distilled'
      ? 2 + candidates.findIndex((c) => c.teacher === rec.teacher && c.methodId === rec.methodId)
      : rec.role === 'student'
        ? 0
        : 1;
  };
  const gainOf = (teacher: string, methodId: string) => summariseGain(gainsOf(teacher, methodId), d);
  const table: MethodRow[] = [];
  for (const key of [...byKey.keys()].sort((x, y) => order(x) - order(y))) {
    const recs = byKey.get(key)!.sort((x, y) => x.repeat - y.repeat);
    const first = recs[0];
    const label =
      first.role === 'teacher'
        ? `TEACHER (${first.modality})`
        : first.role === 'student'
          ? `STUDENT (${first.modality}, no KD)`
          : `${first.method} ← ${first.teacher}`;
    table.push({
      label,
      role: first.role,
      modality: first.modality,
      teacher: first.teacher,
      methodId: first.methodId,
      ...summariseRecords(recs, metrics),
      ...(first.role === 'distilled' ? gainOf(first.teacher!, first.methodId!) : {}),
    });
  }
  const outcomes = teacherOutcomes(cch, (teacher) => gainOf(teacher, PLAIN_KD));

  // 6. The student to deploy: DEPLOY_RULE (src/run/decide.ts).
  const deploy = deployChoice(
    candidates.map((c) => ({ id: idOf(c), gains: gainsOf(c.teacher, c.methodId) })),
    d,
    gainUnits(headline.metric),
  );
  const studentRow = table.find((row) => row.role === 'student')!;
  const bestRow = deploy.chosen === null ? studentRow : table.find((row) => row.label === deploy.chosen)!;
  const bestRecord = all.find(
    (rec) =>
      rec.repeat === 0 &&
      (bestRow.role === 'student' ? rec.role === 'student' : rec.methodId === bestRow.methodId && rec.teacher === bestRow.teacher),
  )!;
  const best = {
    label: bestRow.label,
    modelDir: 'best-student',
    sourceDir: bestRecord.modelDir,
    valHeadline: bestRow.val[headline.metric],
    testHeadline: bestRow.test[headline.metric],
    beatsStudent: bestRow !== studentRow,
  };
  await exportBestStudent(o.outDir, bestRecord, {
    dataset: ds.name,
    student: o.student,
    label: best.label,
    metrics: bestRow.test,
    budget: budget.name,
    why: deploy.sentence,
  });
  const splitsUsed = Math.max(...all.map((r) => r.repeat)) + 1;
  const undecidedRows = table.filter((row) => row.effect === 'undecided at the cap' || row.effect === 'undecided');
  const undecided = undecidedRows.length;
  // The next step when some gains stay open at the cap: the next planned look (about 1.6× the cap), its cost at this run's pace.
  const cap = looks[looks.length - 1];
  const nextCap = budget.looks.find((x) => x > cap) ?? Math.ceil(cap * 1.6);
  const extra = nextCap - cap;
  const models = extra * (undecided + 1 + new Set(undecidedRows.map((row) => row.teacher)).size);
  const pace = summariseValues(all.map((rec) => rec.seconds)).mean;
  const next = undecidedRows.some((row) => row.effect === 'undecided at the cap')
    ? { maxRepeats: nextCap, models, seconds: models * pace }
    : null;
  const decision = {
    rule: DEPLOY_RULE,
    sentence: deploy.sentence,
    chosen: deploy.chosen,
    familywiseError: deploy.familywiseError,
    looks,
    delta: d.delta,
    splitsUsed,
    familyFrom,
    undecided,
    next,
  };

  const result: RunResult = {
    version: VERSION,
    dataset: { name: ds.name, n: ds.n, summary, subsampledFrom: base === loaded ? null : loaded.n },
    student: o.student,
    teachers: allTeachers,
    budget,
    schedule,
    splits: scheme,
    methods,
    headline,
    cch,
    recommended,
    records: all,
    decision,
    table,
    analysis: p.analysis,
    outcomes,
    agreement: agreementOf(outcomes),
    best,
    verdict: '',
    warnings,
    notes: [...p.notes, ...new Set(all.flatMap((x) => (x.method && x.notes ? x.notes.map((n) => `${x.method}: ${n}`) : [])))],
    reusedStages: store.reused,
    seconds: (Date.now() - started) / 1000,
    report: REPORT_HTML,
  };
  result.verdict = plainVerdict(result);
  await writeJsonAtomic(path.join(o.outDir, 'results.json'), result);
  await writeFileAtomic(path.join(o.outDir, METHODS_CSV), toCsv(methodsRecords(table, best.label)));
  await writeFileAtomic(path.join(o.outDir, TEACHERS_CSV), toCsv(teachersRecords(outcomes, cch)));
  // Rows are named by their place in the dataset as loaded, also when the budget ran on a subsample of it.
  const kept = cappedRows(loaded, budget.maxRows, o.seed ?? 0);
  await writePredictions(o.outDir, ds, o.student, splits[0], kept);
  await writeRunReport(result, ds, splits[0], o.outDir, new Date(started).toISOString());
  return result;
}

/** What every cell of a run shares: its splits, and how its model cells train (derived from the run's settings). */
interface Workspace {
  splits: Split[];
  cells: ModelWorkspace;
}

const RUNNERS = modelRunners((w: Workspace) => w.cells);

const RUN_TASK = 'cmkd run';

const modelPath = (r: number, name: string) => path.join('models', `r${r}`, name);

/**
 * Cells 1–3 on the given splits: the student alone, a teacher per candidate (the fusion teacher's
 * inputs name the modalities it concatenates), and, with `analysis`, the CCH analysis on each
 * split's held-out rows. A split's cells do not depend on how many splits, teachers or methods the
 * run has, so a run extends.
 */
export function planModels(o: {
  student: string;
  teachers: string[];
  splits: readonly number[];
  analysis: AnalysisSettings | null;
  fusionOf?: string[] | null;
}): Cell[] {
  const cells: Cell[] = [];
  for (const r of o.splits) {
    cells.push({
      id: `r${r}-student`,
      kind: 'train',
      inputs: { repeat: r, modality: o.student, role: 'student', dir: modelPath(r, 'student') },
      dependsOn: [],
      label: `repeat ${r + 1}: student (${o.student})`,
    });
    for (const t of o.teachers) {
      const parts = t === FUSION && o.fusionOf ? { parts: o.fusionOf } : {};
      cells.push({
        id: `r${r}-teacher-${t}`,
        kind: 'train',
        inputs: { repeat: r, modality: t, role: 'teacher', dir: modelPath(r, `teacher-${t}`), ...parts },
        dependsOn: [],
        label: `repeat ${r + 1}: teacher (${t})`,
      });
    }
    if (o.analysis)
      cells.push({
        id: `r${r}-cch-${o.analysis.representation}-${o.analysis.estimator}`,
        kind: 'cch',
        inputs: { repeat: r, student: o.student, teachers: o.teachers, ...o.analysis } as unknown as Json,
        dependsOn: [`r${r}-student`, ...o.teachers.map((t) => `r${r}-teacher-${t}`)],
        label: `repeat ${r + 1}: CCH analysis`,
      });
  }
  return cells;
}

/** Cells 4: one distilled student per (split, teacher, method), loading the split's saved teacher. */
export function planDistillation(o: { student: string; cells: { repeat: number; teacher: string; methodId: string }[] }): Cell[] {
  return o.cells.map(({ repeat: r, teacher: t, methodId: id }) => {
    const inputs: DistillCellInputs = {
      repeat: r,
      student: o.student,
      teacher: t,
      methodId: id,
      dir: modelPath(r, teacherless(id) ? `${id}-${t}` : `${id}-from-${t}`),
    };
    return {
      id: `r${r}-${id}-from-${t}`,
      kind: 'distill',
      inputs: inputs as unknown as Json,
      dependsOn: [],
      label: `repeat ${r + 1}: ${methodIdLabel(id)} ← ${t}`,
    };
  });
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

/**
 * predictions.csv: the deployed student (best-student/) on the test rows of the first split — the
 * rows of the report's confusion matrices — with each row's id in the dataset as loaded (`kept`:
 * the subsample's rows in it, when the budget capped the rows).
 */
async function writePredictions(
  outDir: string,
  ds: MultimodalDataset,
  student: string,
  split: Split,
  kept: Int32Array | null,
): Promise<void> {
  const { model } = await loadModel(path.join(outDir, 'best-student'));
  try {
    // The training rows' standardiser, as the model was trained with (the split fixes it).
    const p = prepareModality(ds, student, split);
    const { logits } = await predictOutputs(model, p.test.x, p.test.n);
    const records = predictionRecords({
      ids: Array.from(split.test, (r) => (kept ? kept[r] : r)),
      labels: p.test.y,
      outputs: logits,
      classes: ds.task.kind === 'classification' ? ds.task.classes : undefined,
    });
    await writeFileAtomic(path.join(outDir, PREDICTIONS_CSV), toCsv(records));
  } finally {
    model.dispose();
  }
}

/** Copy the chosen student to <outDir>/best-student with a model card. */
async function exportBestStudent(
  outDir: string,
  rec: ModelRecord,
  card: { dataset: string; student: string; label: string; metrics: Record<string, MeanSd>; budget: string; why: string },
): Promise<void> {
  const { model, meta } = await loadModel(path.join(outDir, rec.modelDir));
  try {
    const dir = path.join(outDir, 'best-student');
    const modelCard = {
      ...card,
      cmkdVersion: VERSION,
      trainedOn: rec.modality,
      repeat: rec.repeat,
      method: rec.method ?? 'no KD',
      teacher: rec.teacher ?? null,
      testMetricsThisModel: rec.test,
    };
    await saveModel(dir, model, {
      modality: meta.modality,
      task: meta.task,
      standardizer: meta.standardizer,
      extra: { ...meta.extra, modelCard },
    });
    await writeJsonAtomic(path.join(dir, 'model-card.json'), modelCard);
    const lines = [
      `# Model card: ${card.label}`,
      '',
      `- Input modality: \`${rec.modality}\` (the student modality); dataset: ${card.dataset}`,
      `- Why this student: ${card.why} (the rule: ${DEPLOY_RULE}.)`,
      `- Training: ${rec.method ?? 'no KD'}${rec.teacher ? ` from the \`${rec.teacher}\` teacher` : ''}, repeat 1 of the run's splits, cmkd ${VERSION}, budget ${card.budget}`,
      `- Test metrics over the run's repeats (mean ± sd): ${Object.entries(card.metrics)
        .map(([k, v]) => `${k} ${formatMeanSd(v.mean, v.sd)}`)
        .join(', ')}`,
      `- This model's own test metrics: ${Object.entries(rec.test)
        .map(([k, v]) => `${k} ${formatNumber(Number(v))}`)
        .join(', ')}`,
      `- Files: model.json + weights.bin (TF.js Layers format; outputs [logits, embedding]); inputs must be standardised with the mean/std stored in model.json's userDefinedMetadata.cmkd.standardizer.`,
      '',
    ];
    await writeFileAtomic(path.join(dir, 'MODEL_CARD.md'), lines.join('\n'));
  } finally {
    model.dispose();
  }
}
