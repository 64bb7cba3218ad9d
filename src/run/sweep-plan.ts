/** The sweep's plan: its method rows (the registry's methods × the temperature and λ grids), its settings, and per repeat a teacher, a no-KD student and a student per row, as model cells (src/run/model-cells.ts). */
import path from 'node:path';
import { getModality, stratifiedSplit, type MultimodalDataset } from '../data/index.js';
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
import type { ModelKind, SpecOverrides } from '../models/index.js';
import { kindFor, objectiveSettings, type TrainSettings } from '../train/distill.js';
import { defaultModelKind } from '../train/pipeline.js';
import { check } from '../util/errors.js';
import type { Cell } from './cells.js';
import {
  cellInputs,
  checkMethodCell,
  teacherless,
  type DistillCellInputs,
  type ModelCellKind,
  type ModelWorkspace,
  type TrainCellInputs,
} from './model-cells.js';
import type { SweepCell, SweepRow } from './sweep-table.js';
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
  budget: SweepCellBudget;
};

export type RowOrder = { id: string; label: string; role: SweepRow['role'] };

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

const dirName = (id: string) => id.replace(/[^A-Za-z0-9_.+=@,-]/g, '_');

/** The id of the cell of `row` in repeat `repeat`; its stage file is stages/r<repeat>_<row>.json (other characters as '_'). */
export const cellId = (repeat: number, row: string) => `r${repeat}/${row}`;

/** The folder of a cell's model (a DisCoM-KD cell: one sub-folder per modality). */
export function sweepModelDir(outDir: string, cell: { repeat: number; row: string }): string {
  return path.join(outDir, 'models', `r${cell.repeat}`, dirName(cell.row));
}

/** The checked options, the table's rows, the notes and the plan. */
export function prepareSweep(o: SweepPlanOptions): {
  config: SweepConfig;
  order: RowOrder[];
  notes: string[];
  repeats: number;
  plan: Cell[];
} {
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
export function sweepCells(dataset: MultimodalDataset, config: SweepConfig): ModelWorkspace {
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
