/** The sweep's plan: its method rows (the registry's methods × the temperature and λ grids), its settings, and per repeat a teacher, a no-KD student and a student per row, as model cells (src/run/model-cells.ts). */
import { getModality, stratifiedKFoldSplits, stratifiedSplit, type MultimodalDataset, type Split } from '../data/index.js';
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
  type FeatureMode,
  type TaskKind,
} from '../kd/index.js';
import type { ModelKind, SpecOverrides } from '../models/index.js';
import { kindFor, objectiveSettings, type TrainSettings } from '../train/distill.js';
import { defaultModelKind } from '../train/pipeline.js';
import { check } from '../util/errors.js';
import { architectureFor, budgetTraining, type Budget } from './budget.js';
import type { Cell } from './cells.js';
import {
  cellInputs,
  checkMethodCell,
  modelPath,
  teacherless,
  type DistillCellInputs,
  type ModelCellKind,
  type ModelWorkspace,
  type TrainCellInputs,
} from './model-cells.js';
import type { SweepCell, SweepDesign, SweepRow } from './sweep-table.js';
import { schemeLooks, sequentialLooks } from './decide.js';
import { foldsOf, splitScheme, type SplitScheme } from '../data/index.js';
import type { ModelRecord } from './types.js';

/** The default method list: every method id of the registry (the KD family with and without logit standardisation, feature KD, DisCoM-KD). */
export const DEFAULT_SWEEP_METHODS = METHOD_IDS;

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
  /** A row per FeatKD mode (src/kd/feature.ts FEATURE_MODES) for feature KD. */
  featureModes?: FeatureMode[];
  /**
   * Repeated splits: a fixed count, or 'auto' (the default): sequential splits at the budget's
   * `looks`, added only for the methods whose gain is still open (src/run/decide.ts), up to
   * `maxRepeats`. Repeat r uses split seed and training seed `seed + r`.
   */
  repeats?: number | 'auto';
  /** With 'auto', the cap on the splits (the last look; looks above it are dropped). */
  maxRepeats?: number;
  /** Practical margin δ of the headline gain, in its units (default per metric: src/metrics/gains.ts PRACTICAL_MARGINS). */
  delta?: number;
  /** How rows are split (src/data/rows.ts splitScheme; default DEFAULT_SPLITS from KFOLD_BELOW rows on). */
  splits?: SplitScheme;
  seed?: number;
  /**
   * Every model's training (src/run/budget.ts budgetTraining on the first split's training rows),
   * the looks, and the architecture: the widths of the student's kind (`model`, default: CNN for
   * images, MLP for tables), shared by a teacher of that kind.
   */
  budget: Budget;
}

/** The budget as every cell carries it: the training settings, both model kinds, the architecture. */
export type SweepCellBudget = TrainSettings & { kind: ModelKind; teacherKind: ModelKind; architecture: SpecOverrides | null };

/** The inputs of a sweep cell (JSON): a model cell's (src/run/model-cells.ts), and its row of the table and split seed. */
export type SweepCellInputs = (TrainCellInputs | DistillCellInputs) & { row: string; label: string; splitSeed: number };

/** The settings a sweep folder is tied to (results.json `config`); a resume must match them. */
export type SweepConfig = {
  dataset: string;
  rows: number;
  task: 'classification' | 'regression';
  studentModality: string;
  teacherModality: string;
  seed: number;
  /** The split scheme and, for k-fold, its folds (src/data/rows.ts). */
  splits: SplitScheme;
  folds: number;
  budget: SweepCellBudget;
};

export type RowOrder = { id: string; label: string; role: SweepRow['role'] };

/** The grids a sweep expands its methods over: a row per value, for the methods that take the setting. */
export interface SweepGrid {
  temperatures?: number[];
  lambdas?: number[];
  featureModes?: FeatureMode[];
}

/** Parse method names (e.g. 'kd', 'dkd+ls', 'discom') and expand the grids into rows, labelled for the task (FeatKD(out) on regression). */
export function sweepEntries(methods: readonly string[], grid: SweepGrid = {}, task: TaskKind = 'classification'): SweepEntry[] {
  const { temperatures = [], lambdas = [], featureModes = [] } = grid;
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
    const ms = accepts.includes('mode') && featureModes.length ? featureModes : [undefined];
    for (const t of ts)
      for (const l of ls)
        for (const m of ms) {
          const settings: Record<string, number | string> = {};
          if (t !== undefined) settings.temperature = t;
          if (l !== undefined) settings.kdWeight = l;
          if (m !== undefined) settings.mode = m;
          // The mode is in the method's label (FeatKD(out) / FeatKD(emb)); the numbers are in brackets after it.
          const numbers = [t !== undefined ? `T=${t}` : '', l !== undefined ? `λ=${l}` : ''].filter(Boolean);
          const key = [...numbers, m !== undefined ? `mode=${m}` : ''].filter(Boolean);
          const base = describeMethod(method, { ...settings, ...(lskd ? { lskd: true } : {}), ...(task === 'regression' ? { task } : {}) });
          entries.push({
            id: key.length ? `${name}@${key.join(',')}` : name,
            label: numbers.length ? `${base} (${numbers.join(', ')})` : base,
            method,
            lskd,
            settings,
          });
        }
  }
  check(
    featureModes.length === 0 || entries.some((e) => parseMethodId(e.method).method.options.includes('mode')),
    `sweep: --feature-modes gives rows of feature KD; --methods has no feature (got ${methods.join(', ')})`,
    'invalid-option',
  );
  const ids = entries.map((e) => e.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  check(twice === undefined, `sweep: method '${twice}' is listed twice`, 'invalid-option');
  return entries;
}

const dirName = (id: string) => id.replace(/[^A-Za-z0-9_.+=@,-]/g, '_');

/** The id of the cell of `row` in repeat `repeat`; its stage file is stages/r<repeat>_<row>.json (other characters as '_'). */
export const cellId = (repeat: number, row: string) => `r${repeat}/${row}`;

/** The checked options, the table's rows, the notes and the plan. */
export function prepareSweep(o: SweepPlanOptions): {
  config: SweepConfig;
  order: RowOrder[];
  notes: string[];
  looks: number[];
  design: SweepDesign;
  planLook: (rows: readonly string[], from: number, to: number) => Cell[];
} {
  const ds = o.dataset;
  const student = getModality(ds, o.student);
  const teacher = getModality(ds, o.teacher);
  const splits = splitScheme(ds.n, o.splits);
  const looks = sweepLooks(o, splits, ds.n);
  const seed = o.seed ?? 0;
  const entries = sweepEntries(
    o.methods ?? (ds.task.kind === 'classification' ? DEFAULT_SWEEP_METHODS : REGRESSION_METHOD_IDS),
    { temperatures: o.temperatures, lambdas: o.lambdas, featureModes: o.featureModes },
    ds.task.kind,
  );
  const folds = foldsOf(ds.n);
  const split = sweepSplit(ds, { seed, splits, folds }, 0);
  const studentKind = o.budget.model ?? defaultModelKind(student);
  const config: SweepConfig = {
    ...{ dataset: ds.name, rows: ds.n, task: ds.task.kind, studentModality: student.name, teacherModality: teacher.name, seed },
    ...{ splits, folds },
    budget: {
      ...budgetTraining(o.budget, split.train.length),
      kind: studentKind,
      teacherKind: kindFor(teacher, studentKind),
      architecture: architectureFor(o.budget, studentKind),
    },
  };
  const notes = checkEntries(entries, {
    dataset: ds.name,
    task: ds.task.kind,
    student: student.name,
    teacher: teacher.name,
    seed,
    epochs: config.budget.epochs,
  });
  const order: RowOrder[] = [
    { id: 'teacher', label: `TEACHER (${teacher.name})`, role: 'teacher' },
    { id: 'student', label: `STUDENT (${student.name}, no KD)`, role: 'student' },
    ...entries.map((e) => ({ id: e.id, label: e.label, role: 'method' as const })),
  ];
  const design = { looks, scheme: splits, folds, nTrain: split.train.length, nTest: split.test.length, delta: o.delta };
  return {
    config,
    order,
    notes,
    looks,
    design,
    planLook: (rows, from, to) =>
      planRepeats(
        config,
        order,
        entries.filter((e) => rows.includes(e.id)),
        from,
        to,
      ),
  };
}

/** Split r of a sweep: k-fold split r of seed `seed`, or the random split of seed `seed + r`. */
function sweepSplit(ds: MultimodalDataset, c: Pick<SweepConfig, 'seed' | 'splits' | 'folds'>, r: number): Split {
  return c.splits === 'kfold' ? stratifiedKFoldSplits(ds, r + 1, c.seed, c.folds)[r] : stratifiedSplit(ds, { seed: c.seed + r });
}

/** The planned looks: one for a fixed count, else the budget's up to --max-repeats, fitted to the split scheme. */
function sweepLooks(o: SweepPlanOptions, scheme: SplitScheme, n: number): number[] {
  const repeats = o.repeats ?? 'auto';
  if (repeats !== 'auto') {
    check(Number.isInteger(repeats) && repeats >= 1, `sweep: --repeats must be an integer ≥ 1 or 'auto', got ${repeats}`, 'invalid-option');
    return [repeats];
  }
  check(
    o.delta === undefined || (Number.isFinite(o.delta) && o.delta > 0),
    `sweep: --delta must be a number > 0 (got ${o.delta})`,
    'invalid-option',
  );
  return schemeLooks(sequentialLooks(o.budget.looks, o.maxRepeats), scheme, n, o.maxRepeats !== undefined);
}

/** Checks every method's settings before anything is trained; returns the schedules the budget does not finish, per row. */
function checkEntries(
  entries: SweepEntry[],
  o: { dataset: string; task: 'classification' | 'regression'; student: string; teacher: string; seed: number; epochs: number },
): string[] {
  const notes: string[] = [];
  for (const e of entries) {
    const methodId = e.lskd ? `${e.method}${LSKD_SUFFIX}` : e.method;
    checkMethodCell(methodId, { what: 'sweep', ...o });
    if (!teacherless(methodId)) {
      const given = objectiveSettings(e.method, e.settings, { task: o.task, lskd: e.lskd, studentDim: 1, teacherDim: 1, seed: o.seed });
      notes.push(...scheduleNotes(e.method, resolveSettings(e.method, given), o.epochs).map((n) => `${e.label}: ${n}`));
    }
  }
  return notes;
}

/** The cells of repeats from..to − 1: per repeat the teacher, the no-KD student, then a cell per method row of `entries`. */
function planRepeats(config: SweepConfig, order: RowOrder[], entries: SweepEntry[], from: number, to: number): Cell[] {
  const plan: Cell[] = [];
  // The folder of a cell's model (a DisCoM-KD cell: one sub-folder per modality).
  const dir = (r: number, row: string) => modelPath(r, dirName(row));
  const rowOf = (id: string) => order.find((x) => x.id === id)!;
  for (let r = from; r < to; r++) {
    const cell = (
      row: RowOrder,
      kind: ModelCellKind,
      inputs: Omit<TrainCellInputs, 'repeat'> | Omit<DistillCellInputs, 'repeat'>,
      dependsOn: string[],
    ): Cell => ({
      id: cellId(r, row.id),
      kind,
      inputs: cellInputs({ row: row.id, label: row.label, splitSeed: config.seed + r, repeat: r, ...inputs } as SweepCellInputs),
      dependsOn,
      label: `${row.label} r${r + 1}`,
    });
    plan.push(
      cell(order[0], 'train', { modality: config.teacherModality, role: 'teacher', dir: dir(r, 'teacher') }, []),
      cell(order[1], 'train', { modality: config.studentModality, role: 'student', dir: dir(r, 'student') }, []),
    );
    for (const e of entries) {
      const methodId = e.lskd ? `${e.method}${LSKD_SUFFIX}` : e.method;
      const inputs = {
        student: config.studentModality,
        teacher: config.teacherModality,
        methodId,
        settings: e.settings,
        dir: dir(r, e.id),
      };
      plan.push(cell(rowOf(e.id), 'distill', inputs, teacherless(methodId) ? [] : [cellId(r, 'teacher')]));
    }
  }
  return plan;
}

/**
 * The sweep as a plan of cells, in order: per repeat the teacher, the no-KD student, then one
 * cell per method entry. Throws (before anything is trained) on an unknown modality or method,
 * a method the task or modalities do not allow, or settings a method does not take.
 */
export function planSweep(o: SweepPlanOptions): Cell[] {
  const { order, looks, planLook } = prepareSweep(o);
  return planLook(
    order.map((r) => r.id),
    0,
    looks[0],
  );
}

/** The model cells' workspace of a sweep with `config` on `dataset`: split and training seed `seed + r` for repeat r. */
export function sweepCells(dataset: MultimodalDataset, config: SweepConfig): ModelWorkspace {
  const { kind, teacherKind, architecture, ...training } = config.budget;
  return {
    ds: dataset,
    split: (r) => sweepSplit(dataset, config, r),
    training: (r) => ({ ...training, seed: config.seed + r }),
    // The teacher shares the students' architecture when it has their kind.
    model: (_m, role) => ({
      kind: role === 'teacher' ? teacherKind : kind,
      architecture: role === 'teacher' && teacherKind !== kind ? undefined : (architecture ?? undefined),
    }),
    studentDir: (r) => modelPath(r, 'student'),
    teacherDir: (r) => modelPath(r, 'teacher'),
  };
}

/** A row of results.json (`cells`): a cell's record with its table row, method and settings. */
export function sweepCell(i: SweepCellInputs, rec: ModelRecord): SweepCell {
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
