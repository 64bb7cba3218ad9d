/**
 * The MFH synthetic experiment (Xue et al., ICLR 2023, Figs. 2–3): teacher, no-KD student and
 * KD student accuracy as the shared decisive information (γ) grows, and as teacher-only decisive
 * information (α) grows at fixed overlap; with the CCH margin I(H1;H2) − I(H2;Y) per setting so
 * both hypotheses can be read off one figure.
 */
import path from 'node:path';
import { spearman } from '../../metrics/index.js';
import { estimateMI } from '../../mi/index.js';
import { renderChart, type VegaLiteSpec } from '../../report/charts.js';
import { toCsv, writeFileAtomic, writeJsonAtomic } from '../../util/fs.js';
import { throwIfAborted } from '../../util/progress.js';
import type { ExperimentContext } from '../types.js';
import { mfhRatios, mfhSplit, type MfhMode, type MfhSetting } from './data.js';
import { linearLogits, logitMargin, predictedClasses, trainLinear } from './train.js';

export interface MfhOptions {
  outDir: string;
  /** Seeds per setting (the paper: 10). */
  seeds: number;
  nTrain: number;
  nTest: number;
  epochs: number;
  learningRate: number;
  /** Shared decisive dimensions swept in γ mode, and teacher-only ones in α mode. */
  gammaSweep: number[];
  alphaSweep: number[];
  /** k of the KSG / Ross estimators of the CCH margin. */
  k: number;
}

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

export interface MfhRow {
  mode: MfhMode;
  vary: number;
  gamma: number;
  alpha: number;
  seed: number;
  teacherAcc: number;
  studentAcc: number;
  kdAcc: number;
  /** KD student − no-KD student accuracy. */
  kdGain: number;
  /** I(H1;H2): teacher logit margin vs no-KD student logit margin, KSG on the test set (nats). */
  miTeacherStudent: number;
  /** I(H2;Y): student logit margin vs label, Ross estimator on the test set (nats). */
  miStudentLabel: number;
  cchMargin: number;
}

export interface MfhSummaryRow {
  mode: MfhMode;
  vary: number;
  gamma: number;
  alpha: number;
  teacherAcc: number;
  studentAcc: number;
  kdAcc: number;
  kdGainMean: number;
  kdGainSd: number;
  cchMarginMean: number;
  cchMarginSd: number;
  seeds: number;
}

export interface MfhResult {
  options: Omit<MfhOptions, 'outDir'>;
  rows: MfhRow[];
  summary: MfhSummaryRow[];
  /** Rank correlation across settings of KD gain with γ, with teacher accuracy, with the CCH margin. */
  correlations: { gainVsGamma: number; gainVsTeacherAcc: number; gainVsCchMargin: number };
  files: string[];
}

async function runOne(setting: MfhSetting, seed: number, o: Omit<MfhOptions, 'outDir'>): Promise<MfhRow> {
  const { train, test } = mfhSplit(setting, seed, o.nTrain, o.nTest);
  const fit = { epochs: o.epochs, learningRate: o.learningRate };
  const teacher = trainLinear(train.x1, train.d1, train.y, { ...fit, seed: seed * 3 + 1 });
  const student = trainLinear(train.x2, train.d2, train.y, { ...fit, seed: seed * 3 + 2 });
  const kdStudent = trainLinear(train.x2, train.d2, train.y, { ...fit, seed: seed * 3 + 2 }, linearLogits(teacher, train.x1, train.n));
  const teacherTest = linearLogits(teacher, test.x1, test.n);
  const studentTest = linearLogits(student, test.x2, test.n);
  const kdTest = linearLogits(kdStudent, test.x2, test.n);
  const h1 = { data: logitMargin(teacherTest), n: test.n, d: 1 };
  const h2 = { data: logitMargin(studentTest), n: test.n, d: 1 };
  const mi = { estimator: 'ksg' as const, k: o.k, seed, bootstrap: 0 };
  const miTeacherStudent = (await estimateMI(h1, h2, mi)).value;
  const miStudentLabel = (await estimateMI(h2, { labels: test.y, n: test.n }, mi)).value;
  const { gamma, alpha } = mfhRatios(setting);
  const teacherAcc = accuracy(test.y, predictedClasses(teacherTest));
  const studentAcc = accuracy(test.y, predictedClasses(studentTest));
  const kdAcc = accuracy(test.y, predictedClasses(kdTest));
  return {
    mode: setting.mode,
    vary: setting.vary,
    gamma,
    alpha,
    seed,
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

const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
const sd = (v: number[]) => (v.length < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean(v)) ** 2, 0) / (v.length - 1)));

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

function figures(summary: MfhSummaryRow[]): Record<string, VegaLiteSpec> {
  const long = summary.flatMap((s) =>
    (
      [
        ['teacher (x1)', s.teacherAcc],
        ['student, no KD (x2)', s.studentAcc],
        ['student with KD (x2)', s.kdAcc],
      ] as const
    ).map(([model, acc]) => ({ mode: s.mode, x: s.mode === 'gamma' ? s.gamma : s.alpha, model, acc })),
  );
  const panel = (mode: MfhMode): VegaLiteSpec => ({
    title: mode === 'gamma' ? 'More shared decisive features (γ ↑)' : 'More teacher-only decisive features (α ↑)',
    width: 300,
    height: 220,
    data: { values: long.filter((r) => r.mode === mode) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: mode === 'gamma' ? 'γ (shared / all decisive)' : 'α (teacher-only share)' },
      y: { field: 'acc', type: 'quantitative', title: 'test accuracy', scale: { zero: false } },
      color: { field: 'model', type: 'nominal', title: null },
    },
  });
  const gainVsMargin: VegaLiteSpec = {
    title: 'KD gain against the CCH margin, per setting (mean ± sd over seeds)',
    width: 420,
    height: 260,
    data: {
      values: summary.map((s) => ({
        ...s,
        lo: s.kdGainMean - s.kdGainSd,
        hi: s.kdGainMean + s.kdGainSd,
        label: s.mode === 'gamma' ? `γ=${s.gamma.toFixed(2)}` : `α=${s.alpha.toFixed(2)}`,
      })),
    },
    layer: [
      { mark: { type: 'rule', color: '#9ca3af' }, encoding: { y: { datum: 0 } } },
      { mark: { type: 'rule', color: '#9ca3af', strokeDash: [4, 4] }, encoding: { x: { datum: 0 } } },
      {
        mark: 'rule',
        encoding: {
          x: { field: 'cchMarginMean', type: 'quantitative' },
          y: { field: 'lo', type: 'quantitative' },
          y2: { field: 'hi' },
          color: { field: 'mode', type: 'nominal' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x: { field: 'cchMarginMean', type: 'quantitative', title: 'CCH margin I(H1;H2) − I(H2;Y) (nats)' },
          y: { field: 'kdGainMean', type: 'quantitative', title: 'accuracy gain from KD' },
          color: { field: 'mode', type: 'nominal', title: 'sweep' },
        },
      },
      {
        mark: { type: 'text', dy: -9, fontSize: 10 },
        encoding: {
          x: { field: 'cchMarginMean', type: 'quantitative' },
          y: { field: 'kdGainMean', type: 'quantitative' },
          text: { field: 'label' },
        },
      },
    ],
  };
  return {
    accuracy: { hconcat: [panel('gamma'), panel('alpha')], resolve: { scale: { color: 'shared' } } } as VegaLiteSpec,
    'gain-vs-cch-margin': gainVsMargin,
  };
}

export async function runMfhSynthetic(options: Partial<MfhOptions> & { outDir: string }, ctx: ExperimentContext = {}): Promise<MfhResult> {
  const o: Omit<MfhOptions, 'outDir'> = { ...MFH_DEFAULTS, ...options };
  const settings: MfhSetting[] = [
    ...o.gammaSweep.map((vary) => ({ mode: 'gamma' as const, vary })),
    ...o.alphaSweep.map((vary) => ({ mode: 'alpha' as const, vary })),
  ];
  const rows: MfhRow[] = [];
  const total = settings.length * o.seeds;
  const rowsFile = path.join(options.outDir, 'results.csv');
  for (const setting of settings) {
    for (let seed = 0; seed < o.seeds; seed++) {
      throwIfAborted(ctx.signal);
      rows.push(await runOne(setting, seed, o));
      // Incremental, atomic: an interrupted run keeps every finished (setting, seed).
      await writeFileAtomic(rowsFile, toCsv(rows as unknown as Record<string, unknown>[]));
      const last = rows[rows.length - 1];
      ctx.onProgress?.({
        task: 'mfh-synthetic',
        done: rows.length,
        total,
        detail: `${setting.mode}=${setting.vary} seed ${seed} KD gain ${last.kdGain.toFixed(3)}`,
      });
    }
  }
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
  for (const [name, spec] of Object.entries(figures(summary))) {
    files.push(...(await renderChart(spec, path.join(options.outDir, name))).files);
  }
  const result: MfhResult = { options: o, rows, summary, correlations, files };
  await writeJsonAtomic(files[2], result);
  return result;
}
