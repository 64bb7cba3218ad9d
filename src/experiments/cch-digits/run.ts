/**
 * The CCH paper's MNIST → MNIST-M protocol on the built-in digits (Xie, Xu & Sanguinetti,
 * arXiv 2510.13182): a teacher CNN on `pixels` blurred at σ from sharp to unusable, a student
 * CNN of the same architecture on `textured` (MNIST-M-like), vanilla KD at every temperature T
 * and KD weight λ; per teacher quality, the CCH margin I(H1;H2) − I(H2;Y) of the teacher's and
 * the no-KD student's embeddings on held-out rows against the accuracy change from KD.
 */
import path from 'node:path';
import { getModality, loadDataset, stratifiedSplit, type MultimodalDataset } from '../../data/index.js';
import { blurModality } from '../../data/digits/index.js';
import { initEngine } from '../../engine/index.js';
import { spearman } from '../../metrics/index.js';
import { renderChart } from '../../report/charts.js';
import { check } from '../../util/errors.js';
import { toCsv, writeFileAtomic, writeJsonAtomic } from '../../util/fs.js';
import type { Cell } from '../../run/cells.js';
import { executeExperiment } from '../plan.js';
import type { ExperimentContext } from '../types.js';
import {
  DIGITS_PROTOCOL,
  byEstimator,
  flatMarginRow,
  flatSummary,
  gainMarginSummary,
  marginFields,
  recordRow,
  groupMeanSd,
  seedsFor,
  signAgreement,
  type MarginEstimator,
  checkEstimators,
  checkFit,
  stripUndefined,
} from './common.js';
import {
  DIGITS_RUNNERS,
  modelDir,
  recordOf,
  trainCell,
  type DigitsWorkspace,
  type KdInputs,
  type KdRecord,
  type MarginInputs,
  type MarginRecord,
  type ModelInputs,
  type TeacherSource,
} from './cells.js';
import type { ModelRecord } from '../../run/types.js';
import { cchDigitsFigures } from './figures.js';
import type { CchDigitsAgreement, CchDigitsCell, CchDigitsOptions, CchDigitsResult, CchDigitsRow, CchDigitsSigma } from './types.js';

export const TEACHER_MODALITY = 'pixels';
export const STUDENT_MODALITY = 'textured';

export const CCH_DIGITS_DEFAULTS: Omit<CchDigitsOptions, 'outDir'> = {
  n: 3000,
  seeds: 2,
  sigmas: [0, 1, 2, 3, 4, 6],
  temperatures: [1, 4],
  lambdas: [0.2, 0.5, 0.8],
  ...DIGITS_PROTOCOL,
  hidden: [64],
};

export const CCH_DIGITS_QUICK: Partial<CchDigitsOptions> = {
  n: 1000,
  seeds: 1,
  sigmas: [0, 6],
  temperatures: [4],
  lambdas: [0.5],
  epochs: 2,
};

export function resolveCchDigitsOptions(options: Partial<CchDigitsOptions> & { outDir: string }): CchDigitsOptions {
  const o: CchDigitsOptions = { ...CCH_DIGITS_DEFAULTS, ...stripUndefined(options), outDir: options.outDir };
  check(
    Number.isInteger(o.n) && o.n >= 100,
    `cch-digits: n must be an integer ≥ 100 (10 classes × 70/10/20 split), got ${o.n}`,
    'invalid-option',
  );
  check(Number.isInteger(o.seeds) && o.seeds >= 1, `cch-digits: seeds must be an integer ≥ 1, got ${o.seeds}`, 'invalid-option');
  check(
    o.sigmas.length > 0 && o.sigmas.every((s) => Number.isFinite(s) && s >= 0 && s <= 100),
    `cch-digits: --sigmas must be blur σ in [0, 100] pixels, got [${o.sigmas.join(', ')}]`,
    'invalid-option',
  );
  check(new Set(o.sigmas).size === o.sigmas.length, `cch-digits: --sigmas lists a σ twice: [${o.sigmas.join(', ')}]`, 'invalid-option');
  check(
    o.temperatures.length > 0 && o.temperatures.every((t) => Number.isFinite(t) && t > 0),
    `cch-digits: --temperatures must be positive, got [${o.temperatures.join(', ')}]`,
    'invalid-option',
  );
  check(
    o.lambdas.length > 0 && o.lambdas.every((l) => Number.isFinite(l) && l >= 0 && l <= 1),
    `cch-digits: --lambdas (KD weights) must be in [0, 1], got [${o.lambdas.join(', ')}]`,
    'invalid-option',
  );
  checkFit('cch-digits', o);
  checkEstimators('cch-digits', o.estimators, o.miDims);
  return { ...o, sigmas: [...o.sigmas].sort((a, b) => a - b) };
}

/** Cells (σ, T, λ) and teacher qualities σ from the per-seed rows. */
export function summariseCchDigits(
  rows: CchDigitsRow[],
  estimators: MarginEstimator[],
): { cells: CchDigitsCell[]; bySigma: CchDigitsSigma[]; agreement: CchDigitsAgreement[] } {
  const flat = rows.map(flatMarginRow);
  const marginColumns = marginFields(estimators);
  const cells: CchDigitsCell[] = groupMeanSd(flat, (r) => `${r.sigma}|${r.temperature}|${r.lambda}`, [
    'teacherAcc',
    'studentAcc',
    'kdAcc',
    'kdGain',
    ...marginColumns,
  ]).map((g) => {
    const r0 = g.rows[0];
    const { seeds, ...gainMargin } = gainMarginSummary(g, estimators);
    return {
      sigma: r0.sigma,
      temperature: r0.temperature,
      lambda: r0.lambda,
      seeds,
      teacherAcc: g.stats.teacherAcc.mean,
      studentAcc: g.stats.studentAcc.mean,
      kdAcc: g.stats.kdAcc.mean,
      ...gainMargin,
    };
  });
  // Per (σ, seed): the gain averaged over (T, λ); margins are per (σ, seed) already.
  const perSeed: Record<string, number>[] = groupMeanSd(flat, (r) => `${r.sigma}|${r.seed}`, [
    'teacherAcc',
    'studentAcc',
    'kdGain',
    ...marginColumns,
  ]).map((g) => ({
    sigma: g.rows[0].sigma,
    ...Object.fromEntries(Object.entries(g.stats).map(([k, s]) => [k, s.mean])),
  }));
  const bySigma: CchDigitsSigma[] = groupMeanSd(perSeed, (r) => String(r.sigma), [
    'teacherAcc',
    'studentAcc',
    'kdGain',
    ...marginColumns,
  ]).map((g) => {
    const sigma = g.rows[0].sigma;
    const gains = cells.filter((c) => c.sigma === sigma).map((c) => c.kdGainMean);
    const pick = (prefix: string, what: 'mean' | 'sd') => byEstimator(g.stats, estimators, prefix, what);
    return {
      sigma,
      seeds: g.rows.length,
      teacherAccMean: g.stats.teacherAcc.mean,
      teacherAccSd: g.stats.teacherAcc.sd,
      studentAcc: g.stats.studentAcc.mean,
      kdGainMean: g.stats.kdGain.mean,
      kdGainSd: g.stats.kdGain.sd,
      kdGainMin: Math.min(...gains),
      kdGainMax: Math.max(...gains),
      miTeacherStudent: pick('miTeacherStudent', 'mean'),
      miStudentLabel: pick('miStudentLabel', 'mean'),
      marginMean: pick('margin', 'mean'),
      marginSd: pick('margin', 'sd'),
    };
  });
  const agreement = estimators.map((estimator) => ({
    estimator,
    cellSignAgreement: signAgreement(
      cells.map((c) => c.kdGainMean),
      cells.map((c) => c.marginMean[estimator] ?? Number.NaN),
    ),
    sigmaSignAgreement: signAgreement(
      bySigma.map((s) => s.kdGainMean),
      bySigma.map((s) => s.marginMean[estimator] ?? Number.NaN),
    ),
    spearmanGainMargin: spearman(
      bySigma.map((s) => s.kdGainMean),
      bySigma.map((s) => s.marginMean[estimator] ?? Number.NaN),
    ),
  }));
  return { cells, bySigma, agreement };
}

/**
 * The plan's workspace from the resolved settings, for the run and for the workers (src/worker/families.ts):
 * the digits views the experiment reads with the teacher's blurred copies (added lazily), the
 * split of each seed, the fit; and the names of the blurred views, in --sigmas order.
 */
export async function cchDigitsWorkspace(
  o: Omit<CchDigitsOptions, 'outDir'>,
  env: Pick<ExperimentContext, 'onProgress' | 'signal'>,
): Promise<DigitsWorkspace & { teacherViews: string[] }> {
  await initEngine();
  const base = await loadDataset('digits', {
    digits: { n: o.n, modalities: [TEACHER_MODALITY, STUDENT_MODALITY] },
    onProgress: env.onProgress,
    signal: env.signal,
  });
  const sharp = getModality(base, TEACHER_MODALITY);
  const blurred = o.sigmas.map((sigma) => blurModality(sharp, sigma));
  const ds: MultimodalDataset = { ...base, modalities: [...base.modalities, ...blurred] };
  return {
    ds,
    splits: Array.from({ length: o.seeds }, (_, seed) => stratifiedSplit(ds, { seed: seedsFor(seed).split })),
    fit: { epochs: o.epochs, learningRate: o.learningRate, batchSize: o.batchSize },
    // Student and teachers: the same CNN.
    model: () => ({ kind: 'cnn', architecture: { channels: o.channels, hidden: o.hidden } }),
    teacherViews: blurred.map((m) => m.name),
  };
}

const CELL = {
  student: (seed: number) => `seed${seed}-student`,
  teacher: (seed: number, sigma: number) => `seed${seed}-teacher-sigma${sigma}`,
  margin: (seed: number, sigma: number) => `seed${seed}-margin-sigma${sigma}`,
  kd: (seed: number, sigma: number, t: number, lambda: number) => `seed${seed}-kd-sigma${sigma}-T${t}-lambda${lambda}`,
};

/**
 * Per seed: the no-KD student; then per blur σ the teacher (on `teacherViews[i]`, the pixels
 * blurred at σ_i), its CCH margin against the student, and a KD student per (T, λ).
 */
export function planCchDigits(o: CchDigitsOptions, teacherViews: string[]): Cell[] {
  const cells: Cell[] = [];
  for (let seed = 0; seed < o.seeds; seed++) {
    const seeds = seedsFor(seed);
    const student: ModelInputs = { modality: STUDENT_MODALITY, initSeed: seeds.student };
    const studentDir = modelDir(seed, 'student');
    cells.push(trainCell(CELL.student(seed), { seed, role: 'student', model: student, dir: studentDir }, `seed ${seed}: no-KD student`));
    o.sigmas.forEach((sigma, i) => {
      const model = { dir: modelDir(seed, `teacher-sigma${sigma}`), modality: teacherViews[i] };
      const teacherModel: ModelInputs = { modality: model.modality, initSeed: seeds.teacher(i) };
      cells.push(
        trainCell(
          CELL.teacher(seed, sigma),
          { seed, role: 'teacher', model: teacherModel, dir: model.dir },
          `seed ${seed}: teacher σ=${sigma}`,
        ),
      );
      const teacher: TeacherSource = { from: 'model', model };
      const margin: MarginInputs = {
        seed,
        student: { dir: studentDir, modality: STUDENT_MODALITY },
        teachers: [{ name: `${TEACHER_MODALITY} σ=${sigma}`, source: teacher }],
        estimators: o.estimators,
        dims: o.miDims,
        miSeed: 17 + seed,
      };
      const dependsOn = [CELL.student(seed), CELL.teacher(seed, sigma)];
      cells.push({ id: CELL.margin(seed, sigma), kind: 'margin', inputs: margin, dependsOn, label: `seed ${seed}: CCH margin σ=${sigma}` });
      for (const temperature of o.temperatures) {
        for (const lambda of o.lambdas) {
          const kd: KdInputs = { seed, student, teacher, temperature, lambda, tags: { sigma } };
          cells.push({
            id: CELL.kd(seed, sigma, temperature, lambda),
            kind: 'kd',
            inputs: kd,
            dependsOn: [...dependsOn, CELL.margin(seed, sigma)],
            label: `seed ${seed}: KD student σ=${sigma} T=${temperature} λ=${lambda}`,
          });
        }
      }
    });
  }
  return cells;
}

export async function runCchDigits(
  options: Partial<CchDigitsOptions> & { outDir: string },
  ctx: ExperimentContext = {},
): Promise<CchDigitsResult> {
  const started = Date.now();
  const o = resolveCchDigitsOptions(options);
  const { outDir: _outDir, ...settings } = o;
  const { teacherViews, ...workspace } = await cchDigitsWorkspace(settings, ctx);
  const rows: CchDigitsRow[] = [];
  const rowsFile = path.join(o.outDir, 'results.csv');
  const total = o.seeds * o.sigmas.length * o.temperatures.length * o.lambdas.length;
  const plan = planCchDigits(o, teacherViews);
  // Each KD student completes a result row: results.csv is rewritten after it.
  await executeExperiment(
    'cch-digits',
    plan,
    { workspace, runners: DIGITS_RUNNERS, outDir: o.outDir, settings },
    ctx,
    async (cell, records) => {
      if (cell.kind !== 'kd') return;
      const { seed, temperature, lambda, tags } = cell.inputs as KdInputs;
      const sigma = Number(tags.sigma);
      const studentAcc = recordOf<ModelRecord>(records, CELL.student(seed)).test.accuracy;
      const kdAcc = recordOf<KdRecord>(records, cell.id).accuracy;
      const row = {
        seed,
        sigma,
        temperature,
        lambda,
        teacherAcc: recordOf<ModelRecord>(records, CELL.teacher(seed, sigma)).test.accuracy,
        studentAcc,
        kdAcc,
        kdGain: kdAcc - studentAcc,
        margins: recordOf<MarginRecord>(records, CELL.margin(seed, sigma)).teachers[0].margins,
      };
      const label = `seed ${seed} σ=${sigma} T=${temperature} λ=${lambda}`;
      await recordRow(rows, row, rowsFile, ctx, { task: 'cch-digits', total, label, estimator: o.estimators[0] });
    },
  );

  const { cells, bySigma, agreement } = summariseCchDigits(rows, o.estimators);
  const files = [
    rowsFile,
    path.join(o.outDir, 'summary.csv'),
    path.join(o.outDir, 'summary-by-sigma.csv'),
    path.join(o.outDir, 'results.json'),
  ];
  await writeFileAtomic(files[1], toCsv(cells.map((c) => flatSummary(c, ['marginMean', 'marginSd']))));
  await writeFileAtomic(
    files[2],
    toCsv(bySigma.map((x) => flatSummary(x, ['miTeacherStudent', 'miStudentLabel', 'marginMean', 'marginSd']))),
  );
  for (const [name, spec] of Object.entries(cchDigitsFigures(cells, bySigma, o.estimators))) {
    files.push(...(await renderChart(spec, path.join(o.outDir, name))).files);
  }
  const result: CchDigitsResult = { options: o, rows, cells, bySigma, agreement, wallSeconds: (Date.now() - started) / 1000, files };
  await writeJsonAtomic(files[3], result);
  return result;
}
