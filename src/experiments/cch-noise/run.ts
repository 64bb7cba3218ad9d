/**
 * The CCH boundary test (the CCH paper's CMU-MOSEI noise experiment, arXiv 2510.13182) on the
 * built-in digits: Gaussian noise of growing size is added to the teacher's logits, the
 * representation vanilla KD transfers, so I(H1;H2) falls while the student and I(H2;Y) stay
 * fixed. The KD gain should change sign where the margin I(H1;H2) − I(H2;Y) crosses zero.
 *
 * Noise enters the teacher's output rather than its input modality: the corrupted H1 is then
 * exactly what both KD and the margin see, one teacher per seed serves every noise level, and
 * the teacher cannot learn to undo the corruption (as it would when retrained on noisy inputs).
 * The noise is drawn once per row (a fixed, corrupted teacher), independently on the training
 * rows (for KD) and the held-out rows (for the margin), with sd ε × the teacher's logit scale
 * (the rms of its row-centred training logits, the part a softmax sees).
 */
import path from 'node:path';
import { loadDataset, stratifiedSplit } from '../../data/index.js';
import { initEngine } from '../../engine/index.js';
import { prepareModality, specFor } from '../../train/index.js';
import { renderChart } from '../../report/charts.js';
import { check } from '../../util/errors.js';
import { toCsv, writeFileAtomic, writeJsonAtomic } from '../../util/fs.js';
import { throwIfAborted } from '../../util/progress.js';
import type { ExperimentContext } from '../types.js';
import {
  accuracyOfLogits,
  addGaussianNoise,
  cchMargins,
  DIGITS_PROTOCOL,
  byEstimator,
  embeddingOf,
  fitAndScore,
  flatMarginRow,
  flatSummary,
  gainMarginSummary,
  marginFields,
  recordRow,
  fitModel,
  groupMeanSd,
  negativeFrom,
  seedsFor,
  zeroCrossings,
  type MarginEstimate,
  type MarginEstimator,
  checkEstimators,
  checkFit,
  DIGITS_VIEWS,
  logitScale,
  stripUndefined,
  teacherPass,
} from '../cch-digits/common.js';
import { cchNoiseFigures } from './figures.js';
import type { CchNoiseCrossings, CchNoiseLevel, CchNoiseOptions, CchNoiseResult, CchNoiseRow } from './types.js';

export const CCH_NOISE_DEFAULTS: Omit<CchNoiseOptions, 'outDir'> = {
  n: 3000,
  seeds: 5,
  noise: [0, 0.25, 0.5, 0.75, 1, 1.5, 2, 4, 8],
  teacher: 'pixels',
  student: 'textured',
  temperature: 4,
  lambda: 0.5,
  ...DIGITS_PROTOCOL,
  hidden: [64],
};

export const CCH_NOISE_QUICK: Partial<CchNoiseOptions> = { n: 1000, seeds: 1, noise: [0, 1, 8], epochs: 2 };

export function resolveCchNoiseOptions(options: Partial<CchNoiseOptions> & { outDir: string }): CchNoiseOptions {
  const o: CchNoiseOptions = { ...CCH_NOISE_DEFAULTS, ...stripUndefined(options), outDir: options.outDir };
  check(Number.isInteger(o.n) && o.n >= 100, `cch-noise: n must be an integer ≥ 100, got ${o.n}`, 'invalid-option');
  check(Number.isInteger(o.seeds) && o.seeds >= 1, `cch-noise: seeds must be an integer ≥ 1, got ${o.seeds}`, 'invalid-option');
  check(
    o.noise.length > 0 && o.noise.every((e) => Number.isFinite(e) && e >= 0),
    `cch-noise: --noise levels must be numbers ≥ 0, got [${o.noise.join(', ')}]`,
    'invalid-option',
  );
  check(new Set(o.noise).size === o.noise.length, `cch-noise: --noise lists a level twice: [${o.noise.join(', ')}]`, 'invalid-option');
  check(
    Number.isFinite(o.temperature) && o.temperature > 0,
    `cch-noise: --temperature must be > 0, got ${o.temperature}`,
    'invalid-option',
  );
  check(
    Number.isFinite(o.lambda) && o.lambda >= 0 && o.lambda <= 1,
    `cch-noise: --lambda (KD weight) must be in [0, 1], got ${o.lambda}`,
    'invalid-option',
  );
  for (const [flag, m] of [
    ['--teacher', o.teacher],
    ['--student', o.student],
  ] as const) {
    check(
      (DIGITS_VIEWS as readonly string[]).includes(m),
      `cch-noise: ${flag} must be a digits view (${DIGITS_VIEWS.join(', ')}), got '${m}'`,
      'invalid-option',
    );
  }
  check(
    o.teacher !== o.student,
    `cch-noise: --teacher and --student are both '${o.teacher}'; cross-modal KD needs two views`,
    'invalid-option',
  );
  checkFit('cch-noise', o);
  checkEstimators('cch-noise', o.estimators, o.miDims);
  return { ...o, noise: [...o.noise].sort((a, b) => a - b) };
}

export function summariseCchNoise(
  rows: CchNoiseRow[],
  estimators: MarginEstimator[],
): { levels: CchNoiseLevel[]; crossings: CchNoiseCrossings } {
  const levels = groupMeanSd(rows.map(flatMarginRow), (r) => String(r.noise), [
    'noisyTeacherAcc',
    'studentAcc',
    'kdAcc',
    'kdGain',
    ...marginFields(estimators),
  ])
    .map((g) => {
      const { seeds, ...gainMargin } = gainMarginSummary(g, estimators);
      return {
        noise: g.rows[0].noise,
        seeds,
        noisyTeacherAcc: g.stats.noisyTeacherAcc.mean,
        studentAcc: g.stats.studentAcc.mean,
        kdAcc: g.stats.kdAcc.mean,
        ...gainMargin,
        miTeacherStudent: byEstimator(g.stats, estimators, 'miTeacherStudent', 'mean'),
        miStudentLabel: byEstimator(g.stats, estimators, 'miStudentLabel', 'mean'),
      };
    })
    .sort((a, b) => a.noise - b.noise);
  const xs = levels.map((l) => l.noise);
  return {
    levels,
    crossings: {
      gain: zeroCrossings(
        xs,
        levels.map((l) => l.kdGainMean),
      ),
      margin: Object.fromEntries(
        estimators.map((e) => [
          e,
          zeroCrossings(
            xs,
            levels.map((l) => l.marginMean[e] ?? Number.NaN),
          ),
        ]),
      ),
      gainNegativeFrom: negativeFrom(
        xs,
        levels.map((l) => l.kdGainMean),
      ),
      marginNegativeFrom: Object.fromEntries(
        estimators.map((e) => [
          e,
          negativeFrom(
            xs,
            levels.map((l) => l.marginMean[e] ?? Number.NaN),
          ),
        ]),
      ),
    },
  };
}

export async function runCchNoise(
  options: Partial<CchNoiseOptions> & { outDir: string },
  ctx: ExperimentContext = {},
): Promise<CchNoiseResult> {
  const started = Date.now();
  const o = resolveCchNoiseOptions(options);
  await initEngine();
  const modalities = [o.teacher, o.student] as (typeof DIGITS_VIEWS)[number][];
  const ds = await loadDataset('digits', { digits: { n: o.n, modalities }, onProgress: ctx.onProgress, signal: ctx.signal });
  const fit = { epochs: o.epochs, learningRate: o.learningRate, batchSize: o.batchSize };
  const architecture = { channels: o.channels, hidden: o.hidden };
  const fitCtx = { onProgress: ctx.onProgress, signal: ctx.signal };
  const rows: CchNoiseRow[] = [];
  const rowsFile = path.join(o.outDir, 'results.csv');
  const total = o.seeds * o.noise.length;

  for (let seed = 0; seed < o.seeds; seed++) {
    throwIfAborted(ctx.signal);
    const seeds = seedsFor(seed);
    const split = stratifiedSplit(ds, { seed: seeds.split });
    const student = prepareModality(ds, o.student, split);
    const studentSpec = specFor(ds, student.modality, undefined, architecture);
    const studentScore = await fitAndScore(studentSpec, student, { ...fit, initSeed: seeds.student, seed: seeds.shuffle }, fitCtx);
    const teacherData = prepareModality(ds, o.teacher, split);
    const teacherModel = await fitModel(
      specFor(ds, teacherData.modality, undefined, architecture),
      teacherData,
      { ...fit, initSeed: seeds.teacher(0), seed: seeds.shuffle },
      fitCtx,
    );
    const { score: teacherScore, onTrain } = await teacherPass(teacherModel, teacherData, ctx.signal);
    const classes = onTrain.logitsSize;
    const scale = logitScale(onTrain.logits, classes);
    const labels = student.test.y as Int32Array;

    for (let j = 0; j < o.noise.length; j++) {
      throwIfAborted(ctx.signal);
      const noise = o.noise[j];
      const noiseSd = noise * scale;
      const noisyTrain = addGaussianNoise(onTrain.logits, noiseSd, 7919 * (seed + 1) + 2 * j);
      const noisyTest = addGaussianNoise(teacherScore.outputs.logits, noiseSd, 7919 * (seed + 1) + 2 * j + 1);
      const noisyRep = { data: noisyTest, n: labels.length, d: classes };
      const margins: Partial<Record<MarginEstimator, MarginEstimate>> = {};
      for (const estimator of o.estimators) {
        const [m] = await cchMargins(
          embeddingOf(studentScore.outputs),
          [{ name: `${o.teacher} logits + noise ε=${noise}`, h: noisyRep }],
          labels,
          {
            estimator,
            dims: o.miDims,
            seed: 17 + seed,
            signal: ctx.signal,
          },
        );
        margins[estimator] = m;
      }
      const { accuracy: kdAcc } = await fitAndScore(
        studentSpec,
        student,
        {
          ...fit,
          initSeed: seeds.student,
          seed: seeds.shuffle,
          kd: { teacher: { logits: noisyTrain, embedding: onTrain.embedding }, temperature: o.temperature, lambda: o.lambda },
        },
        fitCtx,
      );
      const row = {
        seed,
        noise,
        noiseSd,
        teacherAcc: teacherScore.accuracy,
        noisyTeacherAcc: accuracyOfLogits(noisyTest, classes, labels),
        studentAcc: studentScore.accuracy,
        kdAcc,
        kdGain: kdAcc - studentScore.accuracy,
        margins,
      };
      await recordRow(rows, row, rowsFile, ctx, { task: 'cch-noise', total, label: `seed ${seed} ε=${noise}`, estimator: o.estimators[0] });
    }
  }

  const { levels, crossings } = summariseCchNoise(rows, o.estimators);
  const files = [rowsFile, path.join(o.outDir, 'summary.csv'), path.join(o.outDir, 'results.json')];
  await writeFileAtomic(
    files[1],
    toCsv(levels.map((l) => flatSummary(l, ['marginMean', 'marginSd', 'miTeacherStudent', 'miStudentLabel']))),
  );
  for (const [name, spec] of Object.entries(cchNoiseFigures(levels, o.estimators, crossings))) {
    files.push(...(await renderChart(spec, path.join(o.outDir, name))).files);
  }
  const result: CchNoiseResult = { options: o, rows, levels, crossings, wallSeconds: (Date.now() - started) / 1000, files };
  await writeJsonAtomic(files[2], result);
  return result;
}
