/**
 * Fusion teachers on the built-in digits (the CCH paper's TCGA-style comparison, arXiv
 * 2510.13182): a student on one view, distilled from (a) each single-view teacher, (b) an
 * early-fusion teacher, an MLP on the concatenated (standardised) features of all fused views,
 * and (c) a late-fusion teacher, the mean of the single-view teachers' logits. Reported next to
 * "direct fusion": the early-fusion model itself, which needs every view at test time, while a
 * distilled student needs only its own. Per teacher, the CCH margin of its held-out
 * representation (embedding; for late fusion the concatenated teacher embeddings) against the
 * no-KD student's embedding, so the ranking by margin can be checked against the KD gains.
 */
import path from 'node:path';
import { concatModalities, getModality, loadDataset, stratifiedSplit, type MultimodalDataset } from '../../data/index.js';
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
  flatMarginRow,
  flatSummary,
  gainMarginSummary,
  recordRow,
  groupMeanSd,
  seedsFor,
  signAgreement,
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
import { fusionFigures } from './figures.js';
import type { FusionComparison, FusionOptions, FusionResult, FusionRow, FusionTeacherSummary, TeacherKind } from './types.js';

export const EARLY_FUSION = 'early fusion';
export const LATE_FUSION = 'late fusion';

export const FUSION_DEFAULTS: Omit<FusionOptions, 'outDir'> = {
  n: 3000,
  seeds: 3,
  modalities: ['pixels', 'blocks', 'profiles', 'fourier'],
  student: 'profiles',
  temperature: 4,
  lambda: 0.5,
  ...DIGITS_PROTOCOL,
  epochs: 10,
  cnnHidden: [64],
  mlpHidden: [64, 32],
};

export const FUSION_QUICK: Partial<FusionOptions> = { n: 1000, seeds: 1, epochs: 3 };

export function resolveFusionOptions(options: Partial<FusionOptions> & { outDir: string }): FusionOptions {
  const o: FusionOptions = { ...FUSION_DEFAULTS, ...stripUndefined(options), outDir: options.outDir };
  check(Number.isInteger(o.n) && o.n >= 100, `fusion: n must be an integer ≥ 100, got ${o.n}`, 'invalid-option');
  check(Number.isInteger(o.seeds) && o.seeds >= 1, `fusion: seeds must be an integer ≥ 1, got ${o.seeds}`, 'invalid-option');
  check(
    o.modalities.length >= 2,
    `fusion: --modalities must name at least two views to fuse, got [${o.modalities.join(', ')}]`,
    'invalid-option',
  );
  for (const m of [...o.modalities, o.student]) {
    check(
      (DIGITS_VIEWS as readonly string[]).includes(m),
      `fusion: '${m}' is not a digits view; expected one of ${DIGITS_VIEWS.join(', ')}`,
      'invalid-option',
    );
  }
  check(
    new Set(o.modalities).size === o.modalities.length,
    `fusion: --modalities lists a view twice: [${o.modalities.join(', ')}]`,
    'invalid-option',
  );
  check(Number.isFinite(o.temperature) && o.temperature > 0, `fusion: --temperature must be > 0, got ${o.temperature}`, 'invalid-option');
  check(
    Number.isFinite(o.lambda) && o.lambda >= 0 && o.lambda <= 1,
    `fusion: --lambda (KD weight) must be in [0, 1], got ${o.lambda}`,
    'invalid-option',
  );
  checkFit('fusion', o);
  checkEstimators('fusion', o.estimators, o.miDims);
  return o;
}

export function summariseFusion(
  rows: FusionRow[],
  estimators: MarginEstimator[],
): { teachers: FusionTeacherSummary[]; comparison: FusionComparison } {
  const flat = rows.map(flatMarginRow);
  const teachers = groupMeanSd(flat, (r) => String(r.teacher), [
    'teacherAcc',
    'studentAcc',
    'kdAcc',
    'kdGain',
    ...estimators.map((e) => `margin_${e}`),
  ]).map((g) => {
    const { seeds, ...gainMargin } = gainMarginSummary(g, estimators);
    return {
      teacher: String(g.rows[0].teacher),
      kind: g.rows[0].kind as TeacherKind,
      seeds,
      teacherAccMean: g.stats.teacherAcc.mean,
      teacherAccSd: g.stats.teacherAcc.sd,
      studentAcc: g.stats.studentAcc.mean,
      kdAccMean: g.stats.kdAcc.mean,
      ...gainMargin,
    };
  });
  const byKind = (k: TeacherKind) => teachers.filter((t) => t.kind === k);
  const singles = byKind('single');
  const bestSingle = singles.reduce((a, b) => (b.kdGainMean > a.kdGainMean ? b : a), singles[0]);
  const early = byKind('early-fusion')[0];
  const late = byKind('late-fusion')[0];
  const top = (values: number[]) => teachers[values.reduce((bi, v, i) => (v > values[bi] ? i : bi), 0)].teacher;
  const gains = teachers.map((t) => t.kdGainMean);
  return {
    teachers,
    comparison: {
      studentAlone: teachers[0]?.studentAcc ?? Number.NaN,
      bestSingleTeacher: bestSingle?.teacher ?? '',
      bestSingleKd: bestSingle?.kdAccMean ?? Number.NaN,
      earlyFusionKd: early?.kdAccMean ?? Number.NaN,
      lateFusionKd: late?.kdAccMean ?? Number.NaN,
      directFusion: early?.teacherAccMean ?? Number.NaN,
      criteria: estimators.map((estimator) => {
        const margins = teachers.map((t) => t.marginMean[estimator] ?? Number.NaN);
        return {
          estimator,
          spearman: spearman(gains, margins),
          signAgreement: signAgreement(gains, margins),
          topMarginTeacher: top(margins),
          topGainTeacher: top(gains),
        };
      }),
    },
  };
}

const slug = (name: string) => name.replace(/[^A-Za-z0-9_.-]+/g, '-');

const CELL = {
  student: (seed: number) => `seed${seed}-student`,
  teacher: (seed: number, name: string) => `seed${seed}-teacher-${slug(name)}`,
  margin: (seed: number) => `seed${seed}-margin`,
  kd: (seed: number, name: string) => `seed${seed}-kd-${slug(name)}`,
};

/**
 * Per seed: the no-KD student; a teacher per fused view and the early-fusion teacher; the CCH
 * margins of all teachers (late fusion included, built from the single-view teachers); then a
 * KD student per teacher.
 */
export function planFusion(o: FusionOptions): Cell[] {
  const cells: Cell[] = [];
  for (let seed = 0; seed < o.seeds; seed++) {
    const seeds = seedsFor(seed);
    const student: ModelInputs = { modality: o.student, initSeed: seeds.student };
    const studentDir = modelDir(seed, 'student');
    cells.push(trainCell(CELL.student(seed), { seed, role: 'student', model: student, dir: studentDir }, `seed ${seed}: no-KD student`));
    const trained = [...o.modalities, EARLY_FUSION];
    const saved = trained.map((name) => ({ dir: modelDir(seed, `teacher-${name}`), modality: name }));
    trained.forEach((name, i) => {
      const model: ModelInputs = { modality: name, initSeed: seeds.teacher(i) };
      cells.push(trainCell(CELL.teacher(seed, name), { seed, role: 'teacher', model, dir: saved[i].dir }, `seed ${seed}: teacher ${name}`));
    });
    // Late fusion: the mean of the single-view teachers' logits; its representation, their embeddings side by side.
    const teachers: { name: string; kind: TeacherKind; source: TeacherSource; cells: string[] }[] = [
      ...trained.map((name, i) => ({
        name,
        kind: (name === EARLY_FUSION ? 'early-fusion' : 'single') as TeacherKind,
        source: { from: 'model', model: saved[i] } as TeacherSource,
        cells: [CELL.teacher(seed, name)],
      })),
      {
        name: LATE_FUSION,
        kind: 'late-fusion',
        source: { from: 'mean-logits', models: saved.slice(0, o.modalities.length) },
        cells: o.modalities.map((m) => CELL.teacher(seed, m)),
      },
    ];
    const margin: MarginInputs = {
      seed,
      student: { dir: studentDir, modality: o.student },
      teachers: teachers.map((t) => ({ name: t.name, source: t.source })),
      estimators: o.estimators,
      dims: o.miDims,
      miSeed: 17 + seed,
    };
    cells.push({
      id: CELL.margin(seed),
      kind: 'margin',
      inputs: margin,
      dependsOn: [CELL.student(seed), ...trained.map((name) => CELL.teacher(seed, name))],
      label: `seed ${seed}: CCH margins`,
    });
    for (const t of teachers) {
      const kd: KdInputs = {
        seed,
        student,
        teacher: t.source,
        temperature: o.temperature,
        lambda: o.lambda,
        tags: { teacher: t.name, kind: t.kind },
      };
      cells.push({
        id: CELL.kd(seed, t.name),
        kind: 'kd',
        inputs: kd,
        dependsOn: [CELL.student(seed), ...t.cells, CELL.margin(seed)],
        label: `seed ${seed}: KD student from ${t.name}`,
      });
    }
  }
  return cells;
}

/**
 * The plan's workspace from the resolved settings, for the run and for the workers (src/worker/families.ts):
 * the digits views with their early fusion (concatenation) added, each seed's split, the fit.
 */
export async function fusionWorkspace(
  o: Omit<FusionOptions, 'outDir'>,
  env: Pick<ExperimentContext, 'onProgress' | 'signal'>,
): Promise<DigitsWorkspace> {
  await initEngine();
  const views = [...new Set([...o.modalities, o.student])] as (typeof DIGITS_VIEWS)[number][];
  const base = await loadDataset('digits', { digits: { n: o.n, modalities: views }, onProgress: env.onProgress, signal: env.signal });
  const fused = concatModalities(
    EARLY_FUSION,
    o.modalities.map((m) => getModality(base, m)),
  );
  const ds: MultimodalDataset = { ...base, modalities: [...base.modalities, fused] };
  return {
    ds,
    splits: Array.from({ length: o.seeds }, (_, seed) => stratifiedSplit(ds, { seed: seedsFor(seed).split })),
    fit: { epochs: o.epochs, learningRate: o.learningRate, batchSize: o.batchSize },
    // A CNN on an image view, an MLP on the others (of the view's default family).
    model: (view) => ({
      architecture: getModality(ds, view).kind === 'image' ? { channels: o.channels, hidden: o.cnnHidden } : { hidden: o.mlpHidden },
    }),
  };
}

export async function runFusion(options: Partial<FusionOptions> & { outDir: string }, ctx: ExperimentContext = {}): Promise<FusionResult> {
  const started = Date.now();
  const o = resolveFusionOptions(options);
  const { outDir: _outDir, ...settings } = o;
  const workspace = await fusionWorkspace(settings, ctx);

  const rows: FusionRow[] = [];
  const rowsFile = path.join(o.outDir, 'results.csv');
  const total = o.seeds * (o.modalities.length + 2);
  // Each KD student completes a result row: results.csv is rewritten after it.
  await executeExperiment(
    'fusion',
    planFusion(o),
    { workspace, runners: DIGITS_RUNNERS, outDir: o.outDir, settings },
    ctx,
    async (cell, records) => {
      if (cell.kind !== 'kd') return;
      const { seed, tags } = cell.inputs as KdInputs;
      const teacher = String(tags.teacher);
      const margins = recordOf<MarginRecord>(records, CELL.margin(seed)).teachers.find((t) => t.name === teacher);
      check(margins !== undefined, `internal: no CCH margin of teacher '${teacher}'`);
      const studentAcc = recordOf<ModelRecord>(records, CELL.student(seed)).test.accuracy;
      const kdAcc = recordOf<KdRecord>(records, cell.id).accuracy;
      const row = {
        seed,
        teacher,
        kind: tags.kind as TeacherKind,
        teacherAcc: margins.accuracy,
        studentAcc,
        kdAcc,
        kdGain: kdAcc - studentAcc,
        margins: margins.margins,
      };
      await recordRow(rows, row, rowsFile, ctx, { task: 'fusion', total, label: `seed ${seed} teacher ${teacher}` });
    },
  );

  const { teachers, comparison } = summariseFusion(rows, o.estimators);
  const files = [rowsFile, path.join(o.outDir, 'summary.csv'), path.join(o.outDir, 'results.json')];
  await writeFileAtomic(files[1], toCsv(teachers.map((t) => flatSummary(t, ['marginMean', 'marginSd']))));
  for (const [name, spec] of Object.entries(fusionFigures(teachers, comparison, o))) {
    files.push(...(await renderChart(spec, path.join(o.outDir, name))).files);
  }
  const result: FusionResult = { options: o, rows, teachers, comparison, wallSeconds: (Date.now() - started) / 1000, files };
  await writeJsonAtomic(files[2], result);
  return result;
}
