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
  negativeFrom,
  seedsFor,
  zeroCrossings,
  type MarginEstimator,
  checkEstimators,
  checkFit,
  DIGITS_VIEWS,
  stripUndefined,
} from '../cch-digits/common.js';
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
} from '../cch-digits/cells.js';
import type { ModelRecord } from '../../run/types.js';
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

const CELL = {
  student: (seed: number) => `seed${seed}-student`,
  teacher: (seed: number) => `seed${seed}-teacher`,
  margin: (seed: number, noise: number) => `seed${seed}-margin-noise${noise}`,
  kd: (seed: number, noise: number) => `seed${seed}-kd-noise${noise}`,
};

/**
 * Per seed: the no-KD student and the teacher; then per noise level ε (in increasing order) the
 * margin of the noisy teacher logits against the student, and the KD student distilled from them.
 */
export function planCchNoise(o: CchNoiseOptions): Cell[] {
  const cells: Cell[] = [];
  for (let seed = 0; seed < o.seeds; seed++) {
    const seeds = seedsFor(seed);
    const student: ModelInputs = { modality: o.student, initSeed: seeds.student };
    const studentDir = modelDir(seed, 'student');
    const model = { dir: modelDir(seed, 'teacher'), modality: o.teacher };
    cells.push(
      trainCell(CELL.student(seed), { seed, role: 'student', model: student, dir: studentDir }, `seed ${seed}: no-KD student`),
      trainCell(
        CELL.teacher(seed),
        { seed, role: 'teacher', model: { modality: o.teacher, initSeed: seeds.teacher(0) }, dir: model.dir },
        `seed ${seed}: teacher`,
      ),
    );
    const dependsOn = [CELL.student(seed), CELL.teacher(seed)];
    o.noise.forEach((noise, j) => {
      const noiseSeeds = { train: 7919 * (seed + 1) + 2 * j, test: 7919 * (seed + 1) + 2 * j + 1 };
      const teacher: TeacherSource = { from: 'noisy-logits', model, noise, noiseSeeds };
      const margin: MarginInputs = {
        seed,
        student: { dir: studentDir, modality: o.student },
        teachers: [{ name: `${o.teacher} logits + noise ε=${noise}`, source: teacher }],
        estimators: o.estimators,
        dims: o.miDims,
        miSeed: 17 + seed,
      };
      const kd: KdInputs = { seed, student, teacher, temperature: o.temperature, lambda: o.lambda, tags: { noise } };
      cells.push(
        { id: CELL.margin(seed, noise), kind: 'margin', inputs: margin, dependsOn, label: `seed ${seed}: CCH margin ε=${noise}` },
        {
          id: CELL.kd(seed, noise),
          kind: 'kd',
          inputs: kd,
          dependsOn: [...dependsOn, CELL.margin(seed, noise)],
          label: `seed ${seed}: KD student ε=${noise}`,
        },
      );
    });
  }
  return cells;
}

/** The plan's workspace from the resolved settings, for the run and for the workers (src/worker/families.ts): the teacher's and the student's digits views, each seed's split, the fit. */
export async function cchNoiseWorkspace(
  o: Omit<CchNoiseOptions, 'outDir'>,
  env: Pick<ExperimentContext, 'onProgress' | 'signal'>,
): Promise<DigitsWorkspace> {
  await initEngine();
  const modalities = [o.teacher, o.student] as (typeof DIGITS_VIEWS)[number][];
  const ds = await loadDataset('digits', { digits: { n: o.n, modalities }, onProgress: env.onProgress, signal: env.signal });
  return {
    ds,
    splits: Array.from({ length: o.seeds }, (_, seed) => stratifiedSplit(ds, { seed: seedsFor(seed).split })),
    fit: { epochs: o.epochs, learningRate: o.learningRate, batchSize: o.batchSize },
    // Student and teacher: the same network, of each view's default family.
    model: () => ({ architecture: { channels: o.channels, hidden: o.hidden } }),
  };
}

export async function runCchNoise(
  options: Partial<CchNoiseOptions> & { outDir: string },
  ctx: ExperimentContext = {},
): Promise<CchNoiseResult> {
  const started = Date.now();
  const o = resolveCchNoiseOptions(options);
  const { outDir: _outDir, ...settings } = o;
  const workspace = await cchNoiseWorkspace(settings, ctx);
  const rows: CchNoiseRow[] = [];
  const rowsFile = path.join(o.outDir, 'results.csv');
  const total = o.seeds * o.noise.length;
  // Each KD student completes a result row: results.csv is rewritten after it.
  await executeExperiment(
    'cch-noise',
    planCchNoise(o),
    { workspace, runners: DIGITS_RUNNERS, outDir: o.outDir, settings },
    ctx,
    async (cell, records) => {
      if (cell.kind !== 'kd') return;
      const { seed, tags } = cell.inputs as KdInputs;
      const noise = Number(tags.noise);
      const noisy = recordOf<MarginRecord>(records, CELL.margin(seed, noise)).teachers[0];
      const studentAcc = recordOf<ModelRecord>(records, CELL.student(seed)).test.accuracy;
      const kdAcc = recordOf<KdRecord>(records, cell.id).accuracy;
      const row = {
        seed,
        noise,
        noiseSd: noisy.noiseSd ?? Number.NaN,
        teacherAcc: recordOf<ModelRecord>(records, CELL.teacher(seed)).test.accuracy,
        noisyTeacherAcc: noisy.accuracy,
        studentAcc,
        kdAcc,
        kdGain: kdAcc - studentAcc,
        margins: noisy.margins,
      };
      await recordRow(rows, row, rowsFile, ctx, { task: 'cch-noise', total, label: `seed ${seed} ε=${noise}`, estimator: o.estimators[0] });
    },
  );

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
