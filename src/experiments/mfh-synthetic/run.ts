/**
 * The MFH synthetic experiment (Xue et al., ICLR 2023, Figs. 2–3): teacher, no-KD student and
 * KD student accuracy as the shared decisive information (γ) grows, and as teacher-only decisive
 * information (α) grows at fixed overlap; with the CCH margin I(H1;H2) − I(H2;Y) per setting so
 * both hypotheses can be read off one figure.
 */
import path from 'node:path';
import { spearman } from '../../metrics/index.js';
import { estimateMI } from '../../mi/index.js';
import { renderChart } from '../../report/charts.js';
import { toCsv, writeFileAtomic, writeJsonAtomic } from '../../util/fs.js';
import { type Cell, type CellRunner, type Json } from '../../run/cells.js';
import { summariseValues } from '../../run/summarise.js';
import { executeExperiment } from '../plan.js';
import type { ExperimentContext } from '../types.js';
import { mfhRatios, mfhSplit, type MfhMode, type MfhSetting } from './data.js';
import { mfhFigures } from './figures.js';
import { linearLogits, logitMargin, predictedClasses, trainLinear, type LinearModel } from './train.js';
import type { MfhOptions, MfhResult, MfhRow, MfhSummaryRow } from './types.js';

export const MFH_DEFAULTS: Omit<MfhOptions, 'outDir'> = {
  seeds: 10,
  nTrain: 200,
  nTest: 1000,
  epochs: 1000,
  learningRate: 0.1,
  gammaSweep: [0, 2, 4, 6, 8, 10],
  alphaSweep: [0, 10, 20, 30, 40],
  k: 3,
};

export const MFH_QUICK: Partial<MfhOptions> = { seeds: 3, epochs: 300, gammaSweep: [0, 5, 10], alphaSweep: [0, 20, 40] };

/** A (setting, seed) of the sweep: a cell's inputs (its data is regenerated from them). */
type MfhCellInputs = { mode: MfhMode; vary: number; seed: number };

/** A trained linear model (float64 weights as JSON numbers, exact) and its test accuracy. */
type LinearRecord = { w: number[]; b: number[]; d: number; accuracy: number };
type AccuracyRecord = { accuracy: number };
type MarginRecord = { miTeacherStudent: number; miStudentLabel: number };

/** The settings of the sweep in run order: the γ sweep, then the α sweep. */
export function mfhSettings(o: Pick<MfhOptions, 'gammaSweep' | 'alphaSweep'>): MfhSetting[] {
  return [
    ...o.gammaSweep.map((vary) => ({ mode: 'gamma' as const, vary })),
    ...o.alphaSweep.map((vary) => ({ mode: 'alpha' as const, vary })),
  ];
}

const cellId = (i: MfhCellInputs, what: 'teacher' | 'student' | 'kd' | 'margin') => `${i.mode}${i.vary}-seed${i.seed}-${what}`;

/**
 * Per setting and seed: the teacher on x1, the no-KD student on x2, the KD student (from the
 * teacher's logits) and the CCH margin of the teacher's and the no-KD student's logit margins.
 */
export function planMfhSynthetic(o: Pick<MfhOptions, 'seeds' | 'gammaSweep' | 'alphaSweep'>): Cell[] {
  const cells: Cell[] = [];
  for (const { mode, vary } of mfhSettings(o)) {
    for (let seed = 0; seed < o.seeds; seed++) {
      const inputs: MfhCellInputs = { mode, vary, seed };
      const id = (what: Parameters<typeof cellId>[1]) => cellId(inputs, what);
      const label = (what: string) => `${mode}=${vary} seed ${seed}: ${what}`;
      cells.push(
        { id: id('teacher'), kind: 'teacher', inputs, dependsOn: [], label: label('teacher') },
        { id: id('student'), kind: 'student', inputs, dependsOn: [], label: label('student') },
        { id: id('kd'), kind: 'kd', inputs, dependsOn: [id('teacher')], label: label('KD student') },
        { id: id('margin'), kind: 'margin', inputs, dependsOn: [id('teacher'), id('student')], label: label('CCH margin') },
      );
    }
  }
  return cells;
}

/**
 * What every cell shares: the settings (the options without the run folder; each cell regenerates
 * its (setting, seed) data, a few milliseconds). So the workers' recipe (src/worker/families.ts) is the workspace.
 */
export type MfhWorkspace = Omit<MfhOptions, 'outDir'>;

function splitOf(w: MfhWorkspace, i: MfhCellInputs) {
  return mfhSplit({ mode: i.mode, vary: i.vary }, i.seed, w.nTrain, w.nTest);
}

const fit = (w: MfhWorkspace, seed: number) => ({ epochs: w.epochs, learningRate: w.learningRate, seed });

function linearRecord(model: LinearModel, accuracy: number): LinearRecord {
  return { w: Array.from(model.w), b: Array.from(model.b), d: model.d, accuracy };
}

function linearModel(r: Json): LinearModel {
  const m = r as LinearRecord;
  return { w: Float64Array.from(m.w), b: Float64Array.from(m.b), d: m.d };
}

export const MFH_RUNNERS: Record<string, CellRunner<MfhWorkspace>> = {
  teacher: async (cell, { workspace: w }) => {
    const i = cell.inputs as MfhCellInputs;
    const { train, test } = splitOf(w, i);
    const teacher = trainLinear(train.x1, train.d1, train.y, fit(w, i.seed * 3 + 1));
    return linearRecord(teacher, accuracy(test.y, predictedClasses(linearLogits(teacher, test.x1, test.n))));
  },
  student: async (cell, { workspace: w }) => {
    const i = cell.inputs as MfhCellInputs;
    const { train, test } = splitOf(w, i);
    const student = trainLinear(train.x2, train.d2, train.y, fit(w, i.seed * 3 + 2));
    return linearRecord(student, accuracy(test.y, predictedClasses(linearLogits(student, test.x2, test.n))));
  },
  // Same initial weights as the no-KD student (seed·3 + 2), so the gain is a paired comparison.
  kd: async (cell, { workspace: w, deps }) => {
    const i = cell.inputs as MfhCellInputs;
    const { train, test } = splitOf(w, i);
    const teacher = linearModel(deps[cellId(i, 'teacher')]);
    const kdStudent = trainLinear(train.x2, train.d2, train.y, fit(w, i.seed * 3 + 2), linearLogits(teacher, train.x1, train.n));
    return { accuracy: accuracy(test.y, predictedClasses(linearLogits(kdStudent, test.x2, test.n))) } satisfies AccuracyRecord;
  },
  // I(H1;H2) and I(H2;Y) on the test set, H = a model's logit margin.
  margin: async (cell, { workspace: w, deps }) => {
    const i = cell.inputs as MfhCellInputs;
    const { test } = splitOf(w, i);
    const teacherTest = linearLogits(linearModel(deps[cellId(i, 'teacher')]), test.x1, test.n);
    const studentTest = linearLogits(linearModel(deps[cellId(i, 'student')]), test.x2, test.n);
    const h1 = { data: logitMargin(teacherTest), n: test.n, d: 1 };
    const h2 = { data: logitMargin(studentTest), n: test.n, d: 1 };
    const mi = { estimator: 'ksg' as const, k: w.k, seed: i.seed, bootstrap: 0 };
    const miTeacherStudent = (await estimateMI(h1, h2, mi)).value;
    const miStudentLabel = (await estimateMI(h2, { labels: test.y, n: test.n }, mi)).value;
    return { miTeacherStudent, miStudentLabel } satisfies MarginRecord;
  },
};

/** The result row of a (setting, seed) from its four cells' records. */
function rowOf(i: MfhCellInputs, records: Map<string, Json>): MfhRow {
  const { gamma, alpha } = mfhRatios({ mode: i.mode, vary: i.vary });
  const teacherAcc = (records.get(cellId(i, 'teacher')) as LinearRecord).accuracy;
  const studentAcc = (records.get(cellId(i, 'student')) as LinearRecord).accuracy;
  const kdAcc = (records.get(cellId(i, 'kd')) as AccuracyRecord).accuracy;
  const { miTeacherStudent, miStudentLabel } = records.get(cellId(i, 'margin')) as MarginRecord;
  return {
    mode: i.mode,
    vary: i.vary,
    gamma,
    alpha,
    seed: i.seed,
    teacherAcc,
    studentAcc,
    kdAcc,
    kdGain: kdAcc - studentAcc,
    miTeacherStudent,
    miStudentLabel,
    cchMargin: miTeacherStudent - miStudentLabel,
  };
}

function accuracy(y: Int32Array, pred: Int32Array): number {
  let c = 0;
  for (let i = 0; i < y.length; i++) if (y[i] === pred[i]) c++;
  return c / y.length;
}

// Mean and sample sd over seeds through the one summary (sd is NaN for a single seed).
const mean = (v: number[]) => summariseValues(v).mean;
const sd = (v: number[]) => summariseValues(v).sd;

function summarise(rows: MfhRow[]): MfhSummaryRow[] {
  const keys = [...new Set(rows.map((r) => `${r.mode}:${r.vary}`))];
  return keys.map((key) => {
    const g = rows.filter((r) => `${r.mode}:${r.vary}` === key);
    const gains = g.map((r) => r.kdGain);
    const margins = g.map((r) => r.cchMargin);
    return {
      mode: g[0].mode,
      vary: g[0].vary,
      gamma: g[0].gamma,
      alpha: g[0].alpha,
      teacherAcc: mean(g.map((r) => r.teacherAcc)),
      studentAcc: mean(g.map((r) => r.studentAcc)),
      kdAcc: mean(g.map((r) => r.kdAcc)),
      kdGainMean: mean(gains),
      kdGainSd: sd(gains),
      cchMarginMean: mean(margins),
      cchMarginSd: sd(margins),
      seeds: g.length,
    };
  });
}

export async function runMfhSynthetic(options: Partial<MfhOptions> & { outDir: string }, ctx: ExperimentContext = {}): Promise<MfhResult> {
  const o: Omit<MfhOptions, 'outDir'> = { ...MFH_DEFAULTS, ...options };
  const { outDir: _outDir, ...settings } = o as MfhOptions;
  const plan = planMfhSynthetic(o);
  const rows: MfhRow[] = [];
  const total = mfhSettings(o).length * o.seeds;
  const rowsFile = path.join(options.outDir, 'results.csv');
  await executeExperiment(
    'mfh-synthetic',
    plan,
    { workspace: settings, runners: MFH_RUNNERS, outDir: options.outDir, settings },
    ctx,
    async (cell, records) => {
      // The margin is the last cell of its (setting, seed): the row is complete.
      if (cell.kind !== 'margin') return;
      const i = cell.inputs as MfhCellInputs;
      const row = rowOf(i, records);
      rows.push(row);
      // Incremental, atomic: an interrupted run keeps every finished (setting, seed).
      await writeFileAtomic(rowsFile, toCsv(rows as unknown as Record<string, unknown>[]));
      ctx.onProgress?.({
        task: 'mfh-synthetic',
        done: rows.length,
        total,
        detail: `${i.mode}=${i.vary} seed ${i.seed} KD gain ${row.kdGain.toFixed(3)}`,
      });
    },
  );
  const summary = summarise(rows);
  const correlations = {
    gainVsGamma: spearman(
      summary.map((s) => s.kdGainMean),
      summary.map((s) => s.gamma),
    ),
    gainVsTeacherAcc: spearman(
      summary.map((s) => s.kdGainMean),
      summary.map((s) => s.teacherAcc),
    ),
    gainVsCchMargin: spearman(
      summary.map((s) => s.kdGainMean),
      summary.map((s) => s.cchMarginMean),
    ),
  };
  const files = [rowsFile, path.join(options.outDir, 'summary.csv'), path.join(options.outDir, 'results.json')];
  await writeFileAtomic(files[1], toCsv(summary as unknown as Record<string, unknown>[]));
  for (const [name, spec] of Object.entries(mfhFigures(summary))) {
    files.push(...(await renderChart(spec, path.join(options.outDir, name))).files);
  }
  const result: MfhResult = { options: o, rows, summary, correlations, files };
  await writeJsonAtomic(files[2], result);
  return result;
}
