/**
 * A method sweep in the papers' layout, as a plan of cells: on repeated stratified 70/10/20
 * splits, the TEACHER (teacher modality), the STUDENT without KD, and a student per
 * distillation method (± LSKD, feature KD, DisCoM-KD), each scored on the split's test rows and
 * summarised as mean ± sd over repeats.
 *
 * `planSweep`: per repeat r (split seed and training seed `seed + r`) a `teacher` cell (trained
 * on its modality, saved to models/r<r>/teacher), a `student` cell (the no-KD student), and a
 * cell per method: `distill` (depends on the teacher cell; loads the frozen teacher from its
 * folder) or `discom` (DisCoM-KD, no teacher). Every student of a repeat starts from the same
 * initial weights. Cell inputs are JSON (modality names, seeds, budget, method id and
 * settings); the dataset is the workspace every cell shares. `SWEEP_RUNNERS` runs them by kind.
 *
 * `sweep`: executes the plan (src/run/cells.ts). After every finished cell, results.json (the
 * settings, every cell's record, the table), results.csv (one line per cell) and table.csv are
 * rewritten atomically from the records; at the end methods.svg/png, the table as a chart. With
 * `resume`, finished cells are read back from stages/ and skipped; a folder of other settings
 * is refused. Training is a pure function of the seeds, so a resumed sweep ends with the same
 * table.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { initEngine } from '../engine/index.js';
import { getModality, loadDataset, stratifiedSplit, type LoadOptions, type MultimodalDataset } from '../data/index.js';
import {
  describeMethod,
  LSKD_SUFFIX,
  METHOD_IDS,
  NO_KD,
  REGRESSION_METHOD_IDS,
  parseMethodId,
  resolveSettings,
  scheduleNotes,
  type ObjectiveSettings,
} from '../kd/index.js';
import type { MeanSd } from '../metrics/index.js';
import type { ModelKind, SpecOverrides } from '../models/index.js';
import { renderChart, type VegaLiteSpec } from '../report/charts.js';
import { methodsSpec } from '../report/figures.js';
import { metricLabel } from '../report/format.js';
import { kindFor, objectiveSettings, type TrainSettings } from '../train/distill.js';
import { defaultModelKind } from '../train/pipeline.js';
import { CmkdError, check } from '../util/errors.js';
import { decimalsFor, formatAt, formatMeanSd, formatNumber } from '../util/format.js';
import { toCsv, writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import type { ProgressFn } from '../util/progress.js';
import { VERSION } from '../version.js';
import { execute, type Cell, type Json, type QueueTarget, type RecipeRunner } from './cells.js';
import {
  cellInputs,
  checkMethodCell,
  modelRunners,
  teacherless,
  type DistillCellInputs,
  type ModelCellKind,
  type ModelWorkspace,
  type TrainCellInputs,
} from './model-cells.js';
import { fingerprintOf } from './stages.js';
import type { ModelRecord } from './types.js';
import { meanInterval, pairedGain, summariseRecords } from './summarise.js';

/** The default method list: every method id of the registry (the KD family with and without logit standardisation, feature KD, DisCoM-KD). */
export const DEFAULT_SWEEP_METHODS = METHOD_IDS;

export const RESULTS_JSON = 'results.json';
export const RESULTS_CSV = 'results.csv';
export const TABLE_CSV = 'table.csv';
export const METHODS_FIGURE = 'methods';

/** One row of the sweep: a method with fixed settings. */
export interface SweepEntry {
  /** Unique key, also the models/ sub-directory: 'kd+ls', 'kd@T=2', 'feature@λ=0.5'. */
  id: string;
  label: string;
  /** A registry method name. */
  method: string;
  lskd: boolean;
  settings: ObjectiveSettings;
}

/** The model and optimisation budget of every training in the sweep. */
export interface SweepBudget extends TrainSettings {
  /** Architecture of teacher and students (default: CNN for images, MLP for tables). */
  kind?: ModelKind;
  architecture?: SpecOverrides;
}

/** What a sweep trains and how; everything but where it goes. */
export interface SweepPlanOptions {
  dataset: MultimodalDataset;
  /** The modality every student reads. */
  student: string;
  /** The modality the teacher reads ('a+b' for a fused one the dataset has). */
  teacher: string;
  /** Method ids of the registry, METHOD_IDS (default: all of them; regression: REGRESSION_METHOD_IDS). */
  methods?: readonly string[];
  /** A row per temperature for the methods that take one (kd, dkd, mlkd). */
  temperatures?: number[];
  /** A row per KD-term weight λ for the methods that take one (kd, ctkd, mlkd, feature). */
  lambdas?: number[];
  /** Repeated splits (default 3); repeat r uses split seed and training seed `seed + r`. */
  repeats?: number;
  seed?: number;
  budget: SweepBudget;
}

export interface SweepOptions extends SweepPlanOptions {
  /** Where results, models and the cells' stage files go. */
  outDir: string;
  /** Continue the sweep in outDir, skipping finished cells. */
  resume?: boolean;
  /**
   * How `dataset` was loaded, for worker processes to load it the same way: with it, `workers` > 1
   * runs the cells on a local pool and `queue` on `cmkd worker` processes (see cells.ts).
   */
  source?: SweepSource;
  workers?: number;
  queue?: QueueTarget;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

/** A dataset spec and the loader's options (JSON): what a worker loads the sweep's dataset from. */
export interface SweepSource {
  spec: string;
  load: Omit<LoadOptions, 'onProgress' | 'signal'>;
}

/** One finished (row, repeat), the record of its cell: the test (and validation) metrics of its model. */
export type SweepCell = {
  row: string;
  label: string;
  /** 'teacher', 'none' (the no-KD student) or the registry method. */
  method: string;
  /** The entry's settings (with `lskd: true` for a '+ls' method); null for the teacher and the no-KD student. */
  settings: ObjectiveSettings | null;
  repeat: number;
  splitSeed: number;
  test: Record<string, number>;
  val: Record<string, number> | null;
  bestEpoch: number;
  /** Wall-clock seconds (noisy; not in the table). */
  seconds: number;
};

export interface SweepRow {
  id: string;
  label: string;
  role: 'teacher' | 'student' | 'method';
  /** Metric name → mean ± sd over the finished repeats (n = how many). */
  metrics: Record<string, MeanSd>;
  /** Headline mean minus the no-KD student's (students only; NaN when either is missing). */
  delta: number;
  /**
   * The headline's gain over the no-KD student paired by repeat (same split, same initial
   * weights; sign so that > 0 is better), with its 95% t-interval over repeats (null with one
   * repeat). Students other than the no-KD one only.
   */
  gain?: MeanSd & { ci: [number, number] | null };
}

export interface SweepTable {
  /** 'f1Weighted' (classification, as DisCoM-KD) or 'mse'. */
  headline: string;
  /** Column order; the headline first. */
  metrics: string[];
  /** Whether larger is better, per metric. */
  higherIsBetter: Record<string, boolean>;
  rows: SweepRow[];
  /** Per metric, the id of the best student row (TEACHER excluded: it reads another modality). */
  best: Record<string, string | null>;
}

export interface SweepResult {
  table: SweepTable;
  cells: SweepCell[];
  /** Cells trained by this call (the rest were read back). */
  trained: number;
  reused: number;
  seconds: number;
  outDir: string;
  /** methods.svg and methods.png: the table as a chart. */
  figures: string[];
  /** Schedules the budget does not finish (e.g. DKD's warm-up in a 6-epoch run), one line per row affected. */
  notes: string[];
}

/** The budget as every cell carries it: the training settings, both model kinds, the architecture. */
export type SweepCellBudget = TrainSettings & { kind: ModelKind; teacherKind: ModelKind; architecture: SpecOverrides | null };

/** The inputs of a sweep cell (JSON): a model cell's (src/run/model-cells.ts), and its row of the table and split seed. */
export type SweepCellInputs = (TrainCellInputs | DistillCellInputs) & { row: string; label: string; splitSeed: number };

/** What every cell of a sweep shares: the model cells' workspace (the dataset, and the sweep's splits, seeds and budget). */
export interface SweepWorkspace {
  cells: ModelWorkspace;
}

/** The settings a sweep folder is tied to (results.json `config`); a resume must match them. */
type SweepConfig = {
  dataset: string;
  rows: number;
  task: 'classification' | 'regression';
  studentModality: string;
  teacherModality: string;
  seed: number;
  budget: SweepCellBudget;
};

type RowOrder = { id: string; label: string; role: SweepRow['role'] };

const CLASSIFICATION_METRICS = ['f1Weighted', 'accuracy', 'f1Macro', 'auc'];
const REGRESSION_METRICS = ['mse', 'rmse', 'mae', 'r2'];

/** Parse method names (e.g. 'kd', 'dkd+ls', 'discom') and expand the temperature and λ grids into rows. */
export function sweepEntries(methods: readonly string[], temperatures: number[] = [], lambdas: number[] = []): SweepEntry[] {
  check(methods.length > 0, 'sweep: no methods given', 'invalid-option');
  for (const t of temperatures)
    check(Number.isFinite(t) && t > 0, `sweep: every --temperatures value must be a number > 0, got ${t}`, 'invalid-option');
  for (const l of lambdas)
    check(Number.isFinite(l) && l >= 0, `sweep: every --lambdas value (KD-term weight λ) must be a number ≥ 0, got ${l}`, 'invalid-option');
  const entries: SweepEntry[] = [];
  for (const raw of methods) {
    const name = raw.trim().toLowerCase();
    const { method: definition, lskd } = parseMethodId(raw, 'sweep method');
    const method = definition.name;
    if (!definition.build) {
      entries.push({ id: name, label: definition.label, method, lskd: false, settings: {} });
      continue;
    }
    const accepts = definition.options;
    const ts = accepts.includes('temperature') && temperatures.length ? temperatures : [undefined];
    const ls = accepts.includes('kdWeight') && lambdas.length ? lambdas : [undefined];
    for (const t of ts) {
      for (const l of ls) {
        const settings: Record<string, number> = {};
        if (t !== undefined) settings.temperature = t;
        if (l !== undefined) settings.kdWeight = l;
        const grid = [t !== undefined ? `T=${t}` : '', l !== undefined ? `λ=${l}` : ''].filter(Boolean);
        const base = describeMethod(method, { ...settings, ...(lskd ? { lskd: true } : {}) });
        entries.push({
          id: grid.length ? `${name}@${grid.join(',')}` : name,
          label: grid.length ? `${base} (${grid.join(', ')})` : base,
          method,
          lskd,
          settings,
        });
      }
    }
  }
  const ids = entries.map((e) => e.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  check(twice === undefined, `sweep: method '${twice}' is listed twice`, 'invalid-option');
  return entries;
}

/** Aggregate cells into the table (rows in `order`; rows without cells show n = 0). */
export function sweepTable(
  cells: SweepCell[],
  order: { id: string; label: string; role: SweepRow['role'] }[],
  task: 'classification' | 'regression',
  repeats: number,
): SweepTable {
  const metrics = task === 'classification' ? CLASSIFICATION_METRICS : REGRESSION_METRICS;
  const higherIsBetter = Object.fromEntries(metrics.map((m) => [m, !['mse', 'rmse', 'mae'].includes(m)]));
  const headline = metrics[0];
  const rows: SweepRow[] = order.map(({ id, label, role }) => {
    const mine = cells.filter((c) => c.row === id && c.repeat < repeats).sort((a, b) => a.repeat - b.repeat);
    return { id, label, role, metrics: summariseRecords(mine, metrics).test, delta: NaN };
  });
  // Δ is the difference of the two means (not the mean of paired differences, which differs in the last bits).
  const student = rows.find((r) => r.role === 'student');
  const studentCells = cells.filter((c) => c.row === student?.id && c.repeat < repeats);
  for (const r of rows) {
    if (r.role !== 'teacher' && student) r.delta = r.metrics[headline].mean - student.metrics[headline].mean;
    if (r.role === 'method' && student) {
      const mine = cells.filter((c) => c.row === r.id && c.repeat < repeats);
      const gain = pairedGain(mine, studentCells, headline, higherIsBetter[headline]);
      r.gain = { ...gain, ci: meanInterval(gain) };
    }
  }
  const best: Record<string, string | null> = {};
  for (const m of metrics) {
    let bestRow: SweepRow | null = null;
    for (const r of rows) {
      const v = r.metrics[m].mean;
      if (r.role === 'teacher' || !Number.isFinite(v)) continue;
      if (!bestRow || (higherIsBetter[m] ? v > bestRow.metrics[m].mean : v < bestRow.metrics[m].mean)) bestRow = r;
    }
    best[m] = bestRow?.id ?? null;
  }
  return { headline, metrics, higherIsBetter, rows, best };
}

/**
 * The table as text cells: 'mean ± sd' per metric, '*' after the highest student mean per column, the
 * paired gain's 95% interval with '!' where it excludes 0 (a clear gain or loss).
 */
export function formatSweepTable(t: SweepTable, digits = 3): { header: string[]; rows: string[][] } {
  // The report's number format (src/util/format.ts), `digits` significant digits.
  const f = { digits };
  const interval = (ci: [number, number]) => {
    const d = decimalsFor(ci, f);
    return `[${formatAt(ci[0], d, { ...f, signed: true })}, ${formatAt(ci[1], d, { ...f, signed: true })}]`;
  };
  const header = ['row', ...t.metrics, `Δ ${t.headline}`, 'paired gain, 95% CI', 'n'];
  const rows = t.rows.map((r) => [
    r.label,
    ...t.metrics.map((m) => {
      const s = r.metrics[m];
      if (s.n === 0 || Number.isNaN(s.mean)) return 'n/a';
      const text = formatMeanSd(s.mean, Number.isNaN(s.sd) ? null : s.sd, f);
      return t.best[m] === r.id ? `${text} *` : text;
    }),
    Number.isFinite(r.delta) ? formatNumber(r.delta, { ...f, signed: true }) : '',
    r.gain?.ci ? `${interval(r.gain.ci)}${r.gain.ci[0] > 0 || r.gain.ci[1] < 0 ? ' !' : ''}` : '',
    String(r.metrics[t.headline].n),
  ]);
  return { header, rows };
}

interface SweepFile {
  format: 1;
  cmkd: string;
  config: SweepConfig;
  /** Schedules the budget does not finish, in words (scheduleNotes), one per affected row. */
  notes?: string[];
  cells: SweepCell[];
  table?: SweepTable;
}

const dirName = (id: string) => id.replace(/[^A-Za-z0-9_.+=@,-]/g, '_');

/** The id of the cell of `row` in repeat `repeat`; its stage file is stages/r<repeat>_<row>.json (other characters as '_'). */
const cellId = (repeat: number, row: string) => `r${repeat}/${row}`;

/** The folder of a cell's model (a DisCoM-KD cell: one sub-folder per modality). */
export function sweepModelDir(outDir: string, cell: { repeat: number; row: string }): string {
  return path.join(outDir, 'models', `r${cell.repeat}`, dirName(cell.row));
}

/** The checked options, the table's rows, the notes and the plan. */
function prepareSweep(o: SweepPlanOptions): { config: SweepConfig; order: RowOrder[]; notes: string[]; repeats: number; plan: Cell[] } {
  const ds = o.dataset;
  const task = ds.task.kind;
  const student = getModality(ds, o.student);
  const teacher = getModality(ds, o.teacher);
  const repeats = o.repeats ?? 3;
  check(Number.isInteger(repeats) && repeats >= 1, `sweep: --repeats must be an integer ≥ 1, got ${repeats}`, 'invalid-option');
  const seed = o.seed ?? 0;
  const methods = o.methods ?? (task === 'classification' ? DEFAULT_SWEEP_METHODS : REGRESSION_METHOD_IDS);
  const entries = sweepEntries(methods, o.temperatures, o.lambdas);
  const { kind, architecture, ...training } = o.budget;
  // Every method's settings are checked before anything is trained.
  const notes: string[] = [];
  for (const e of entries) {
    const methodId = e.lskd ? `${e.method}${LSKD_SUFFIX}` : e.method;
    checkMethodCell(methodId, { what: 'sweep', dataset: ds.name, task, student: student.name, teacher: teacher.name });
    if (!teacherless(methodId)) {
      const given = objectiveSettings(e.method, e.settings, { task, lskd: e.lskd, studentDim: 1, teacherDim: 1, seed });
      notes.push(...scheduleNotes(e.method, resolveSettings(e.method, given), training.epochs).map((n) => `${e.label}: ${n}`));
    }
  }
  const studentKind = kind ?? defaultModelKind(student);
  const teacherKind = kindFor(teacher, studentKind);
  const config: SweepConfig = {
    dataset: ds.name,
    rows: ds.n,
    task,
    studentModality: student.name,
    teacherModality: teacher.name,
    seed,
    budget: { ...training, kind: studentKind, teacherKind, architecture: architecture ?? null },
  };

  const order: RowOrder[] = [
    { id: 'teacher', label: `TEACHER (${teacher.name})`, role: 'teacher' },
    { id: 'student', label: `STUDENT (${student.name}, no KD)`, role: 'student' },
    ...entries.map((e) => ({ id: e.id, label: e.label, role: 'method' as const })),
  ];
  const plan: Cell[] = [];
  const dir = (r: number, row: string) => path.join('models', `r${r}`, dirName(row));
  for (let r = 0; r < repeats; r++) {
    const at = (row: RowOrder) => ({ row: row.id, label: row.label, splitSeed: seed + r, repeat: r });
    const cell = (row: RowOrder, kind: ModelCellKind, inputs: SweepCellInputs, dependsOn: string[]): Cell => ({
      id: cellId(r, row.id),
      kind,
      inputs: cellInputs(inputs),
      dependsOn,
      label: `${row.label} r${r + 1}`,
    });
    plan.push(
      cell(order[0], 'train', { ...at(order[0]), modality: teacher.name, role: 'teacher', dir: dir(r, 'teacher') }, []),
      cell(order[1], 'train', { ...at(order[1]), modality: student.name, role: 'student', dir: dir(r, 'student') }, []),
    );
    entries.forEach((e, k) => {
      const methodId = e.lskd ? `${e.method}${LSKD_SUFFIX}` : e.method;
      const inputs = {
        ...at(order[k + 2]),
        student: student.name,
        teacher: teacher.name,
        methodId,
        settings: e.settings,
        dir: dir(r, e.id),
      };
      plan.push(cell(order[k + 2], 'distill', inputs, teacherless(methodId) ? [] : [cellId(r, 'teacher')]));
    });
  }
  return { config, order, notes, repeats, plan };
}

/**
 * The sweep as a plan of cells, in order: per repeat the teacher, the no-KD student, then one
 * cell per method entry. Throws (before anything is trained) on an unknown modality or method,
 * a method the task or modalities do not allow, or settings a method does not take.
 */
export function planSweep(o: SweepPlanOptions): Cell[] {
  return prepareSweep(o).plan;
}

/** The model cells' workspace of a sweep with `config` on `dataset`: split and training seed `seed + r` for repeat r. */
function sweepCells(dataset: MultimodalDataset, config: SweepConfig): ModelWorkspace {
  const { kind, teacherKind, architecture, ...training } = config.budget;
  const modelDir = (r: number, name: string) => path.join('models', `r${r}`, name);
  return {
    ds: dataset,
    split: (r) => stratifiedSplit(dataset, { seed: config.seed + r }),
    training: (r) => ({ ...training, seed: config.seed + r }),
    // The teacher shares the students' architecture when it has their kind.
    model: (_m, role) => ({
      kind: role === 'teacher' ? teacherKind : kind,
      architecture: role === 'teacher' && teacherKind !== kind ? undefined : (architecture ?? undefined),
    }),
    studentDir: (r) => modelDir(r, 'student'),
    teacherDir: (r) => modelDir(r, 'teacher'),
  };
}

const SWEEP_RUNNERS = modelRunners((w: SweepWorkspace) => w.cells);

/** The options of a sweep's recipe (JSON): where workers load its dataset from, and its settings. */
type SweepRecipe = SweepSource & { config: SweepConfig };

/** The workers' builder of a sweep's workspace (src/worker/families.ts): the dataset loaded from its source. */
export async function sweepWorkspace(options: Json, env: { onProgress?: ProgressFn; signal?: AbortSignal }): Promise<RecipeRunner> {
  const { spec, load, config } = options as unknown as SweepRecipe;
  await initEngine();
  const dataset = await loadDataset(spec, { ...load, onProgress: env.onProgress, signal: env.signal });
  const workspace = { cells: sweepCells(dataset, config) };
  return (cell, ctx) => SWEEP_RUNNERS[cell.kind as ModelCellKind](cell, { ...ctx, workspace });
}

/** A row of results.json (`cells`): a cell's record with its table row, method and settings. */
function sweepCell(i: SweepCellInputs, rec: ModelRecord): SweepCell {
  const id = 'methodId' in i ? parseMethodId(i.methodId) : null;
  return {
    row: i.row,
    label: i.label,
    method: id ? id.method.name : rec.role === 'teacher' ? 'teacher' : NO_KD,
    settings: id && 'methodId' in i ? { ...i.settings, ...(id.lskd ? { lskd: true } : {}) } : null,
    repeat: i.repeat,
    splitSeed: i.splitSeed,
    test: rec.test,
    val: rec.val ?? null,
    bestEpoch: rec.bestEpoch,
    seconds: rec.seconds,
  };
}

function diffKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

/** The sweep already in `outDir` (its results.json), if it may be continued: with `resume`, and the same settings. */
async function priorSweep(outDir: string, resume: boolean, config: SweepConfig): Promise<SweepFile> {
  const file = path.join(outDir, RESULTS_JSON);
  if (!resume) {
    throw new CmkdError(
      `${outDir} already holds a sweep (${RESULTS_JSON}); continue it with --resume or choose another --out`,
      'invalid-option',
    );
  }
  let prior: SweepFile;
  try {
    prior = JSON.parse(await readFile(file, 'utf8')) as SweepFile;
  } catch (err) {
    throw new CmkdError(`${file} is not valid JSON: ${(err as Error).message}`, 'invalid-input');
  }
  check(prior.format === 1 && Array.isArray(prior.cells), `${file} is not a cmkd sweep results file`);
  const differ = diffKeys(prior.config, config);
  if (differ.length) {
    throw new CmkdError(
      `cannot resume the sweep in ${outDir}: it was run with different ${differ.join(', ')}; use the same settings or another --out`,
      'invalid-option',
    );
  }
  return prior;
}

/** Run (or resume) a sweep; see the module comment. */
export async function sweep(o: SweepOptions): Promise<SweepResult> {
  const started = Date.now();
  const { config, order, notes, repeats, plan } = prepareSweep(o);
  const file = path.join(o.outDir, RESULTS_JSON);
  const prior = existsSync(file) ? await priorSweep(o.outDir, Boolean(o.resume), config) : null;
  // Cells of the folder's earlier plan that this one does not have (fewer methods or repeats) stay listed.
  const planned = new Set(plan.map((c) => c.id));
  const carried = (prior?.cells ?? []).filter((c) => !planned.has(cellId(c.repeat, c.row)));
  const records = new Map<string, SweepCell>();
  const cells = () => [...plan.flatMap((c) => records.get(c.id) ?? []), ...carried];

  const write = async () => {
    const all = cells();
    const table = sweepTable(all, order, config.task, repeats);
    const out: SweepFile = { format: 1, cmkd: VERSION, config, notes, cells: all, table };
    await writeJsonAtomic(file, out);
    const flat = all.map((c) => ({
      row: c.row,
      label: c.label,
      method: c.method,
      repeat: c.repeat,
      splitSeed: c.splitSeed,
      ...Object.fromEntries(table.metrics.map((m) => [m, c.test[m] ?? null])),
      bestEpoch: c.bestEpoch,
      seconds: c.seconds,
    }));
    await writeFileAtomic(path.join(o.outDir, RESULTS_CSV), toCsv(flat));
    const summary = table.rows.map((r) => ({
      row: r.id,
      label: r.label,
      n: r.metrics[table.headline].n,
      ...Object.fromEntries(
        table.metrics.flatMap((m) => [
          [`${m}_mean`, r.metrics[m].mean],
          [`${m}_sd`, r.metrics[m].sd],
        ]),
      ),
      delta: r.delta,
      gain_mean: r.gain?.mean,
      gain_sd: r.gain?.sd,
      gain_lo: r.gain?.ci?.[0],
      gain_hi: r.gain?.ci?.[1],
    }));
    await writeFileAtomic(path.join(o.outDir, TABLE_CSV), toCsv(summary));
    return table;
  };

  let trained = 0;
  let reused = 0;
  await execute(plan, {
    workspace: { cells: sweepCells(o.dataset, config) },
    store: { runDir: o.outDir, fingerprint: fingerprintOf(config), resume: Boolean(o.resume), reused: [] },
    runners: SWEEP_RUNNERS,
    task: 'sweep',
    onProgress: o.onProgress,
    signal: o.signal,
    workers: o.workers,
    queue: o.queue,
    recipe: o.source ? { family: 'sweep', options: { ...o.source, config } as unknown as Json } : undefined,
    onCell: async (cell, record, wasReused) => {
      records.set(cell.id, sweepCell(cell.inputs as unknown as SweepCellInputs, record as unknown as ModelRecord));
      if (wasReused) reused++;
      else trained++;
      await write();
    },
  });
  const table = await write();
  const figure = await renderChart(sweepFigureSpec(table, config.studentModality), path.join(o.outDir, METHODS_FIGURE));
  return { table, cells: cells(), trained, reused, seconds: (Date.now() - started) / 1000, outDir: o.outDir, figures: figure.files, notes };
}

/** The sweep table as a chart: each method's headline metric (mean ± sd), the no-KD student as the reference line. */
export function sweepFigureSpec(table: SweepTable, studentModality: string): VegaLiteSpec {
  const h = table.headline;
  const student = table.rows.find((r) => r.role === 'student');
  const methods = table.rows.filter((r) => r.role === 'method' && Number.isFinite(r.metrics[h].mean));
  check(methods.length > 0, 'sweep figure: no finished method rows');
  return methodsSpec(
    methods.map((r) => ({ method: r.label, mean: r.metrics[h].mean, sd: r.metrics[h].sd })),
    {
      title: `KD methods for the '${studentModality}' student`,
      metricTitle: `test ${metricLabel(h)} (mean ± sd over repeats)`,
      sort: table.higherIsBetter[h] ? 'max' : 'min',
      ...(student && Number.isFinite(student.metrics[h].mean)
        ? { baseline: { mean: student.metrics[h].mean, sd: student.metrics[h].sd, label: 'student without KD' } }
        : {}),
    },
  );
}
