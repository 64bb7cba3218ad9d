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
import { concatModalities, getModality, loadDataset, stratifiedSplit, type Modality, type MultimodalDataset } from '../../data/index.js';
import { initEngine } from '../../engine/index.js';
import { spearman } from '../../metrics/index.js';
import { renderChart } from '../../report/charts.js';
import { prepareModality, specFor, type ModelOutputs } from '../../train/index.js';
import { check } from '../../util/errors.js';
import { toCsv, writeFileAtomic, writeJsonAtomic } from '../../util/fs.js';
import { throwIfAborted } from '../../util/progress.js';
import type { SpecOverrides } from '../../models/index.js';
import type { ExperimentContext } from '../types.js';
import {
  accuracyOfLogits,
  cchMargins,
  DIGITS_PROTOCOL,
  embeddingOf,
  fitAndScore,
  flatMarginRow,
  flatSummary,
  gainMarginSummary,
  recordRow,
  fitModel,
  groupMeanSd,
  seedsFor,
  signAgreement,
  type MarginEstimate,
  type MarginEstimator,
  type Representation,
  checkEstimators,
  checkFit,
  concatRepresentations,
  DIGITS_VIEWS,
  meanArrays,
  stripUndefined,
  teacherPass,
} from '../cch-digits/common.js';
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

interface TeacherEntry {
  name: string;
  kind: TeacherKind;
  accuracy: number;
  /** Logits on the training rows (what KD distils) and the held-out representation for the margin. */
  trainLogits: Float32Array;
  trainEmbedding: Float32Array;
  heldOut: Representation;
}

export async function runFusion(options: Partial<FusionOptions> & { outDir: string }, ctx: ExperimentContext = {}): Promise<FusionResult> {
  const started = Date.now();
  const o = resolveFusionOptions(options);
  await initEngine();
  const views = [...new Set([...o.modalities, o.student])] as (typeof DIGITS_VIEWS)[number][];
  const base = await loadDataset('digits', { digits: { n: o.n, modalities: views }, onProgress: ctx.onProgress, signal: ctx.signal });
  const fused = concatModalities(
    EARLY_FUSION,
    o.modalities.map((m) => getModality(base, m)),
  );
  const ds: MultimodalDataset = { ...base, modalities: [...base.modalities, fused] };
  const fit = { epochs: o.epochs, learningRate: o.learningRate, batchSize: o.batchSize };
  const fitCtx = { onProgress: ctx.onProgress, signal: ctx.signal };
  const archFor = (m: Modality): SpecOverrides =>
    m.kind === 'image' ? { channels: o.channels, hidden: o.cnnHidden } : { hidden: o.mlpHidden };

  const rows: FusionRow[] = [];
  const rowsFile = path.join(o.outDir, 'results.csv');
  const total = o.seeds * (o.modalities.length + 2);
  for (let seed = 0; seed < o.seeds; seed++) {
    throwIfAborted(ctx.signal);
    const seeds = seedsFor(seed);
    const split = stratifiedSplit(ds, { seed: seeds.split });
    const student = prepareModality(ds, o.student, split);
    const studentSpec = specFor(ds, student.modality, undefined, archFor(student.modality));
    const studentScore = await fitAndScore(studentSpec, student, { ...fit, initSeed: seeds.student, seed: seeds.shuffle }, fitCtx);
    const labels = student.test.y as Int32Array;

    const entries: TeacherEntry[] = [];
    const singles: { train: ModelOutputs; test: ModelOutputs }[] = [];
    const names = [...o.modalities, EARLY_FUSION];
    for (let i = 0; i < names.length; i++) {
      throwIfAborted(ctx.signal);
      const data = prepareModality(ds, names[i], split);
      const model = await fitModel(
        specFor(ds, data.modality, undefined, archFor(data.modality)),
        data,
        { ...fit, initSeed: seeds.teacher(i), seed: seeds.shuffle },
        fitCtx,
      );
      const { score, onTrain } = await teacherPass(model, data, ctx.signal);
      const single = names[i] !== EARLY_FUSION;
      if (single) singles.push({ train: onTrain, test: score.outputs });
      entries.push({
        name: names[i],
        kind: single ? 'single' : 'early-fusion',
        accuracy: score.accuracy,
        trainLogits: onTrain.logits,
        trainEmbedding: onTrain.embedding,
        heldOut: embeddingOf(score.outputs),
      });
    }
    // Late fusion: the mean of the single-view teachers' logits; its representation, their embeddings side by side.
    const classes = singles[0].test.logitsSize;
    entries.push({
      name: LATE_FUSION,
      kind: 'late-fusion',
      accuracy: accuracyOfLogits(meanArrays(singles.map((s) => s.test.logits)), classes, labels),
      trainLogits: meanArrays(singles.map((s) => s.train.logits)),
      trainEmbedding: singles[0].train.embedding,
      heldOut: concatRepresentations(singles.map((s) => embeddingOf(s.test))),
    });

    const margins = new Map<string, Partial<Record<MarginEstimator, MarginEstimate>>>(entries.map((e) => [e.name, {}]));
    for (const estimator of o.estimators) {
      throwIfAborted(ctx.signal);
      const ms = await cchMargins(
        embeddingOf(studentScore.outputs),
        entries.map((e) => ({ name: e.name, h: e.heldOut })),
        labels,
        {
          estimator,
          dims: o.miDims,
          seed: 17 + seed,
          signal: ctx.signal,
        },
      );
      entries.forEach((e, k) => {
        const m = margins.get(e.name);
        if (m) m[estimator] = ms[k];
      });
    }

    for (const e of entries) {
      throwIfAborted(ctx.signal);
      const { accuracy: kdAcc } = await fitAndScore(
        studentSpec,
        student,
        {
          ...fit,
          initSeed: seeds.student,
          seed: seeds.shuffle,
          kd: { teacher: { logits: e.trainLogits, embedding: e.trainEmbedding }, temperature: o.temperature, lambda: o.lambda },
        },
        fitCtx,
      );
      const row = {
        seed,
        teacher: e.name,
        kind: e.kind,
        teacherAcc: e.accuracy,
        studentAcc: studentScore.accuracy,
        kdAcc,
        kdGain: kdAcc - studentScore.accuracy,
        margins: margins.get(e.name) ?? {},
      };
      await recordRow(rows, row, rowsFile, ctx, { task: 'fusion', total, label: `seed ${seed} teacher ${e.name}` });
    }
  }

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
