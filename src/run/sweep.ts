/**
 * A method sweep in the papers' layout: on repeated stratified 70/10/20 splits, the TEACHER
 * (teacher modality), the STUDENT without KD, and a student per distillation method (± LSKD,
 * feature KD, DisCoM-KD), each scored on the split's test rows and summarised as mean ± sd over
 * repeats. The teacher and the no-KD student are trained once per repeat and reused by every
 * method; every student of a repeat starts from the same initial weights (seed + repeat).
 *
 * Results are written after every finished (row, repeat) cell, atomically: results.json (the
 * settings, every cell, the table), results.csv (one line per cell) and table.csv; at the end
 * methods.svg/png, the table as a chart. With
 * `resume`, finished cells are read back and skipped (a cell is reused only if its method
 * settings are unchanged); the teacher of an unfinished repeat is loaded from models/.
 * Training is a pure function of the seeds, so a resumed sweep ends with the same table.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { getModality, stratifiedSplit, type MultimodalDataset } from '../data/index.js';
import { describeMethod, METHOD_IDS, parseMethodId, resolveSettings, scheduleNotes, type ObjectiveSettings } from '../kd/index.js';
import { meanSd, type MeanSd } from '../metrics/index.js';
import { saveModel, type ModelKind, type SpecOverrides } from '../models/index.js';
import { CmkdError, check } from '../util/errors.js';
import { renderChart, type VegaLiteSpec } from '../report/charts.js';
import { methodsSpec } from '../report/figures.js';
import { metricLabel } from '../report/format.js';
import { toCsv, writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import { throwIfAborted, type ProgressFn } from '../util/progress.js';
import { VERSION } from '../version.js';
import { distill, distillDiscom, kindFor, loadTeacher, objectiveSettings, splitMetrics, type TrainSettings } from '../train/distill.js';
import { defaultModelKind, trainOnModality } from '../train/pipeline.js';

/** The default method list: the KD family with and without logit standardisation, feature KD, DisCoM-KD. */
export const DEFAULT_SWEEP_METHODS = ['kd', 'kd+ls', 'dkd', 'dkd+ls', 'ctkd', 'ctkd+ls', 'mlkd', 'mlkd+ls', 'feature', 'discom'] as const;

/** Names `methods` accepts: a method, or a logit method with '+ls' (LSKD): the registry's method ids. */
export const SWEEP_METHOD_NAMES: readonly string[] = METHOD_IDS;

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

/**
 * `--quick`: the library's default CNN (conv 16/32, a 64-unit embedding; MLP 64 for tables), few
 * epochs, two repeats on 2000 digits; every method of the default list in a few minutes on two
 * CPU cores (docs/sweep.md). The same training settings as `cmkd run --budget quick`. A smaller
 * CNN (conv 8/16) trained faster but left one textured student in three near chance (weighted
 * F1 0.16), which turned KD gains into rescue effects.
 */
export const QUICK_SWEEP = {
  rows: 2000,
  repeats: 2,
  budget: {
    epochs: 6,
    batchSize: 32,
    lr: 2e-3,
    earlyStopping: { patience: 3, metric: 'val_metric' as const },
    architecture: { channels: [16, 32], hidden: [64] },
  } satisfies SweepBudget,
};

export interface SweepOptions {
  dataset: MultimodalDataset;
  /** The modality every student reads. */
  student: string;
  /** The modality the teacher reads ('a+b' for a fused one the dataset has). */
  teacher: string;
  /** Entries of SWEEP_METHOD_NAMES (default DEFAULT_SWEEP_METHODS; regression: 'feature'). */
  methods?: readonly string[];
  /** A row per temperature for the methods that take one (kd, dkd, mlkd). */
  temperatures?: number[];
  /** A row per KD-term weight λ for the methods that take one (kd, ctkd, mlkd, feature). */
  lambdas?: number[];
  /** Repeated splits (default 3); repeat r uses split seed and training seed `seed + r`. */
  repeats?: number;
  seed?: number;
  budget: SweepBudget;
  /** Where results and models go. */
  outDir: string;
  /** Continue the sweep in outDir, skipping finished cells. */
  resume?: boolean;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

/** One finished (row, repeat): the test (and validation) metrics of its model. */
export interface SweepCell {
  row: string;
  label: string;
  method: string;
  /** The entry's settings (methods), to tell whether a resumed sweep may reuse the cell. */
  settings: ObjectiveSettings | null;
  repeat: number;
  splitSeed: number;
  test: Record<string, number>;
  val: Record<string, number> | null;
  bestEpoch: number;
  /** Wall-clock seconds (noisy; not in the table). */
  seconds: number;
}

export interface SweepRow {
  id: string;
  label: string;
  role: 'teacher' | 'student' | 'method';
  /** Metric name → mean ± sd over the finished repeats (n = how many). */
  metrics: Record<string, MeanSd>;
  /** Headline mean minus the no-KD student's (students only; NaN when either is missing). */
  delta: number;
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

const CLASSIFICATION_METRICS = ['f1Weighted', 'accuracy', 'f1Macro', 'auc'];
const REGRESSION_METRICS = ['mse', 'rmse', 'mae', 'r2'];

/** Parse method names (e.g. 'kd', 'dkd+ls', 'discom') and expand the temperature and λ grids into rows. */
export function sweepEntries(methods: readonly string[], temperatures: number[] = [], lambdas: number[] = []): SweepEntry[] {
  check(methods.length > 0, 'sweep: no methods given', 'invalid-option');
  for (const t of temperatures)
    check(Number.isFinite(t) && t > 0, `sweep: every temperature must be a number > 0, got ${t}`, 'invalid-option');
  for (const l of lambdas)
    check(Number.isFinite(l) && l >= 0, `sweep: every λ (KD-term weight) must be a number ≥ 0, got ${l}`, 'invalid-option');
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
    const summary = Object.fromEntries(
      metrics.map((m) => [m, mine.length ? meanSd(mine.map((c) => c.test[m] ?? NaN)) : { mean: NaN, sd: NaN, n: 0 }]),
    );
    return { id, label, role, metrics: summary, delta: NaN };
  });
  const student = rows.find((r) => r.role === 'student');
  for (const r of rows) {
    if (r.role !== 'teacher' && student) r.delta = r.metrics[headline].mean - student.metrics[headline].mean;
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

/** The table as text cells: 'mean ± sd' per metric, '*' after the best student per column. */
export function formatSweepTable(t: SweepTable, digits = 3): { header: string[]; rows: string[][] } {
  const header = ['row', ...t.metrics, `Δ ${t.headline}`, 'n'];
  const rows = t.rows.map((r) => [
    r.label,
    ...t.metrics.map((m) => {
      const s = r.metrics[m];
      if (s.n === 0 || Number.isNaN(s.mean)) return 'n/a';
      const text = Number.isNaN(s.sd) ? s.mean.toFixed(digits) : `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}`;
      return t.best[m] === r.id ? `${text} *` : text;
    }),
    Number.isFinite(r.delta) ? `${r.delta >= 0 ? '+' : ''}${r.delta.toFixed(digits)}` : '',
    String(r.metrics[t.headline].n),
  ]);
  return { header, rows };
}

interface SweepFile {
  format: 1;
  cmkd: string;
  config: Record<string, unknown>;
  /** Schedules the budget does not finish, in words (scheduleNotes), one per affected row. */
  notes?: string[];
  cells: SweepCell[];
  table?: SweepTable;
}

function diffKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

const dirName = (id: string) => id.replace(/[^A-Za-z0-9_.+=@,-]/g, '_');

/** Run (or resume) a sweep; see the module comment. */
export async function sweep(o: SweepOptions): Promise<SweepResult> {
  const started = Date.now();
  const ds = o.dataset;
  const task = ds.task.kind;
  const student = getModality(ds, o.student);
  const teacherModality = getModality(ds, o.teacher);
  const repeats = o.repeats ?? 3;
  check(Number.isInteger(repeats) && repeats >= 1, `sweep: repeats must be an integer ≥ 1, got ${repeats}`, 'invalid-option');
  const seed = o.seed ?? 0;
  const methods = o.methods ?? (task === 'classification' ? DEFAULT_SWEEP_METHODS : ['feature']);
  const entries = sweepEntries(methods, o.temperatures, o.lambdas);
  const { kind, architecture, ...training } = o.budget;
  // Every method's settings are checked before anything is trained.
  const notes: string[] = [];
  for (const e of entries) {
    if (e.method === 'discom') {
      check(task === 'classification', `sweep: discom needs a classification task; dataset '${ds.name}' is ${task}`, 'unsupported');
      check(
        student.name !== teacherModality.name,
        `sweep: discom needs two different modalities; student and teacher are both '${student.name}'`,
        'invalid-option',
      );
    } else {
      const given = objectiveSettings(e.method, e.settings, {
        task,
        lskd: e.lskd,
        studentDim: 1,
        teacherDim: 1,
        seed,
      });
      notes.push(...scheduleNotes(e.method, resolveSettings(e.method, given), training.epochs).map((n) => `${e.label}: ${n}`));
    }
  }
  const studentKind = kind ?? defaultModelKind(student);
  const teacherKind = kindFor(teacherModality, studentKind);

  const config = {
    dataset: ds.name,
    rows: ds.n,
    task,
    studentModality: student.name,
    teacherModality: teacherModality.name,
    seed,
    budget: { ...training, kind: studentKind, teacherKind, architecture: architecture ?? null },
  };
  const file = path.join(o.outDir, RESULTS_JSON);
  let cells: SweepCell[] = [];
  if (existsSync(file)) {
    if (!o.resume) {
      throw new CmkdError(
        `${o.outDir} already holds a sweep (${RESULTS_JSON}); continue it with --resume or choose another --out`,
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
        `cannot resume the sweep in ${o.outDir}: it was run with different ${differ.join(', ')}; use the same settings or another --out`,
        'invalid-option',
      );
    }
    cells = prior.cells;
  }

  const order: { id: string; label: string; role: SweepRow['role'] }[] = [
    { id: 'teacher', label: `TEACHER (${teacherModality.name})`, role: 'teacher' },
    { id: 'student', label: `STUDENT (${student.name}, no KD)`, role: 'student' },
    ...entries.map((e) => ({ id: e.id, label: e.label, role: 'method' as const })),
  ];
  const settingsOf = new Map<string, ObjectiveSettings | null>(
    entries.map((e) => [e.id, { ...e.settings, ...(e.lskd ? { lskd: true } : {}) }]),
  );
  const done = (row: string, r: number) =>
    cells.some((c) => c.row === row && c.repeat === r && JSON.stringify(c.settings) === JSON.stringify(settingsOf.get(row) ?? null));
  const total = order.length * repeats;
  let finished = order.reduce((a, row) => a + Array.from({ length: repeats }, (_, r) => done(row.id, r)).filter(Boolean).length, 0);
  const reused = finished;
  let trained = 0;

  const write = async () => {
    const table = sweepTable(cells, order, task, repeats);
    const out: SweepFile = { format: 1, cmkd: VERSION, config, notes, cells, table };
    await writeJsonAtomic(file, out);
    const flat = cells.map((c) => ({
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
    }));
    await writeFileAtomic(path.join(o.outDir, TABLE_CSV), toCsv(summary));
    return table;
  };
  const record = async (cell: SweepCell) => {
    cells = [...cells.filter((c) => !(c.row === cell.row && c.repeat === cell.repeat)), cell];
    trained++;
    finished++;
    await write();
    o.onProgress?.({ task: 'sweep', done: finished, total, detail: `${cell.label} r${cell.repeat + 1}` });
  };
  o.onProgress?.({ task: 'sweep', done: finished, total });

  for (let r = 0; r < repeats; r++) {
    const pending = order.filter((row) => !done(row.id, r));
    if (pending.length === 0) continue;
    throwIfAborted(o.signal);
    const split = stratifiedSplit(ds, { seed: seed + r });
    const runSeed = seed + r;
    const models = path.join(o.outDir, 'models', `r${r}`);
    const teacherDir = path.join(models, 'teacher');
    const cellOf = (
      row: (typeof order)[number],
      method: string,
      t0: number,
      test: Record<string, number> | undefined,
      val: Record<string, number> | undefined,
      bestEpoch: number,
    ): SweepCell => {
      check(test !== undefined, `sweep: split ${split.seed} has no test rows`);
      return {
        row: row.id,
        label: row.label,
        method,
        settings: settingsOf.get(row.id) ?? null,
        repeat: r,
        splitSeed: split.seed,
        test,
        val: val ?? null,
        bestEpoch,
        seconds: (Date.now() - t0) / 1000,
      };
    };

    // TEACHER: trained once per repeat (or read back), then frozen for every method.
    let teacher: Awaited<ReturnType<typeof loadTeacher>> | null = null;
    try {
      const needsTeacher = pending.some(
        (row) => row.role === 'teacher' || (row.role === 'method' && entries.find((e) => e.id === row.id)?.method !== 'discom'),
      );
      if (needsTeacher) {
        if (!done('teacher', r) || !existsSync(path.join(teacherDir, 'model.json'))) {
          const t0 = Date.now();
          const t = await trainOnModality(ds, {
            ...training,
            modality: teacherModality.name,
            split,
            kind: teacherKind,
            architecture: teacherKind === studentKind ? architecture : undefined,
            seed: runSeed,
            label: `teacher (${teacherModality.name}) r${r + 1}`,
            onProgress: o.onProgress,
            signal: o.signal,
          });
          try {
            const m = await splitMetrics(t.model, t.prepared, ds);
            await saveModel(teacherDir, t.model, {
              ...t.meta,
              extra: { ...t.meta.extra, role: 'teacher', seed: runSeed, test: m.test?.summary ?? null },
            });
            if (!done('teacher', r)) await record(cellOf(order[0], 'teacher', t0, m.test?.summary, m.val?.summary, t.result.bestEpoch));
          } finally {
            t.model.dispose();
          }
        }
        teacher = await loadTeacher(teacherDir, ds, split.seed);
      }

      for (const row of pending) {
        if (row.role === 'teacher') continue;
        throwIfAborted(o.signal);
        const t0 = Date.now();
        const out = path.join(models, dirName(row.id));
        if (row.role === 'student') {
          // STUDENT: the same architecture and seed as every KD student, trained without a teacher.
          const s = await trainOnModality(ds, {
            ...training,
            modality: student.name,
            split,
            kind: studentKind,
            architecture,
            seed: runSeed,
            label: `no-KD student (${student.name}) r${r + 1}`,
            onProgress: o.onProgress,
            signal: o.signal,
          });
          try {
            const m = await splitMetrics(s.model, s.prepared, ds);
            await saveModel(out, s.model, {
              ...s.meta,
              extra: {
                ...s.meta.extra,
                role: 'student',
                method: 'none',
                seed: runSeed,
                test: m.test?.summary ?? null,
              },
            });
            await record(cellOf(row, 'none', t0, m.test?.summary, m.val?.summary, s.result.bestEpoch));
          } finally {
            s.model.dispose();
          }
          continue;
        }
        const entry = entries.find((e) => e.id === row.id) as SweepEntry;
        if (entry.method === 'discom') {
          const d = await distillDiscom({
            ...training,
            dataset: ds,
            split,
            modalities: [student.name, teacherModality.name],
            kind: studentKind,
            architecture,
            seed: runSeed,
            out,
            onProgress: o.onProgress,
            signal: o.signal,
          });
          try {
            const s = d.students[student.name];
            await record(cellOf(row, 'discom', t0, s.metrics.test?.summary, s.metrics.val?.summary, s.bestEpoch));
          } finally {
            d.dispose();
          }
          continue;
        }
        const t = teacher as NonNullable<typeof teacher>;
        const d = await distill({
          ...training,
          dataset: ds,
          split,
          studentModality: student.name,
          teacher: { modality: t.modality, model: t.model, standardizer: t.standardizer, source: teacherDir },
          method: entry.method,
          settings: entry.settings,
          lskd: entry.lskd,
          kind: studentKind,
          architecture,
          seed: runSeed,
          out,
          onProgress: o.onProgress,
          signal: o.signal,
        });
        try {
          await record(cellOf(row, entry.method, t0, d.metrics.test?.summary, d.metrics.val?.summary, d.bestEpoch));
        } finally {
          d.dispose();
        }
      }
    } finally {
      teacher?.model.dispose();
    }
  }
  const table = await write();
  const figure = await renderChart(sweepFigureSpec(table, student.name), path.join(o.outDir, METHODS_FIGURE));
  return { table, cells, trained, reused, seconds: (Date.now() - started) / 1000, outDir: o.outDir, figures: figure.files, notes };
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
