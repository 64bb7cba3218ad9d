/**
 * The calibration of the CCH verdict: over many built-in teacher → student pairs (pairs.ts), does
 * a decided verdict ('helps' / 'hurts', margin interval excluding 0) have the sign of the measured
 * KD gain, when that gain is clear (its interval over repeats excludes 0)? Per representation ×
 * MI estimator: the share decided, the agreement on decided pairs with a clear gain, and
 * Spearman(margin, gain) (score.ts).
 *
 * Every pair is an ordinary `cmkd run` (runMainJob) with plain KD from every teacher. Per run
 * folder the first combination trains the models; the others resume the same folder, which reads
 * every trained model back and recomputes only the analysis (calls.csv records that).
 */
import path from 'node:path';
import type { MultimodalDataset } from '../../data/index.js';
import { PLAIN_KD } from '../../kd/index.js';
import { renderChart } from '../../report/charts.js';
import type { TrackRecordFile } from '../../report/track-record.js';
import { analysisSettings, BUDGET_PRESETS, runMainJob, type RunOptions, type RunResult } from '../../run/index.js';
import type { CellPool, Json } from '../../run/cells.js';
import { withPool } from '../../run/pool.js';
import { check } from '../../util/errors.js';
import { toCsv, writeFileAtomic, writeJsonAtomic } from '../../util/fs.js';
import { stripUndefined } from '../cch-digits/common.js';
import type { ExperimentContext } from '../types.js';
import { verdictsFigure } from './figures.js';
import { checkSources, pairCount, planVerdicts, replicateOfVariant, variantDataset } from './pairs.js';
import {
  CALIBRATION_BOOTSTRAP,
  CALIBRATION_RULES,
  calibrate,
  chooseOnDevelopment,
  developmentScores,
  gainOutcomes,
} from './calibration.js';
import { scoreVerdicts } from './score.js';
import { verdictsSummary } from './summary.js';
import type { VerdictsCall, VerdictsCombo, VerdictsOptions, VerdictsPairRow, VerdictsResult, VerdictsRun } from './types.js';

/**
 * The default grid: predicted classes (the plug-in estimate whatever the estimator, listed as
 * 'ksg') and the Gaussian estimator on outputs and embeddings. KSG on the continuous
 * representations took 27 s per 3-teacher analysis call under load here (against 2–12 s for the
 * Gaussian estimator), and latent:latent over 200 s; `--grid` runs them.
 */
export const VERDICTS_COMBOS: readonly VerdictsCombo[] = [
  { representation: 'predicted', estimator: 'ksg' },
  { representation: 'output', estimator: 'gaussian' },
  { representation: 'embedding', estimator: 'gaussian' },
];

/**
 * The calibration measured in docs/experiments/verdicts.md (100 pairs, 34 sources, 17 per half;
 * about 24 min wall, 1,412 s of CPU on --workers 1 on the shared 2-core machine): 10 fixed splits
 * per run, one round of the stratified 10-fold (disjoint test parts), so every gain is decided at
 * the same split count. At 5 splits the first 82 pairs decided 21 gains, no clear gain on the
 * development half (the representation was then chosen on losses alone); at 10, 35 (7 gains).
 * The noisy-labels rates: the first six, then six more appended (plan order fixes each source's
 * student and half, so appending leaves the earlier sources where they were): clear gains were then
 * 15 of the 44 clear effects (8 of 18 on evaluation, 7 of 26 on development), where the first six
 * gave 7 of 35; the calibration needs effects of both signs. Then the second look: three
 * replicates of the 17 evaluation sources on fresh data (150 more pairs, 250 in all; 15 min 43 s
 * wall, 1,681 s CPU on --workers 2 for the new pairs), scored at 99% (calibration.ts).
 */
export const VERDICTS_DEFAULTS: Omit<VerdictsOptions, 'outDir'> = {
  n: 2000,
  views: ['pixels', 'blocks', 'profiles', 'fourier'],
  degradedStudents: ['blocks', 'profiles'],
  blur: [2, 4],
  noise: [1],
  gaussianSettings: 6,
  gaussianN: 2000,
  gaussianP: 8,
  labelNoise: [0.2, 0.3, 0.4, 0.5, 0.6, 0.75, 0.25, 0.35, 0.45, 0.55, 0.65, 0.7],
  fewRows: [150, 200, 250, 299],
  weakNoise: [1, 2],
  weakPixels: [0.5, 1],
  imageRows: [2000, 1000],
  regimeStudents: ['blocks', 'profiles', 'fourier'],
  replicates: [2000, 4000, 6000],
  repeats: 10,
  budget: { ...BUDGET_PRESETS.quick, repeats: 10 },
  combos: [...VERDICTS_COMBOS],
  seed: 0,
};

/** A few table-only pairs on few rows, two combinations, two epochs: a smoke test, not a measurement. */
export const VERDICTS_QUICK: Partial<VerdictsOptions> = {
  n: 300,
  views: ['blocks', 'profiles'],
  degradedStudents: [],
  blur: [],
  noise: [],
  gaussianSettings: 1,
  gaussianN: 300,
  gaussianP: 4,
  labelNoise: [],
  fewRows: [],
  weakNoise: [],
  weakPixels: [],
  imageRows: [],
  replicates: [],
  budget: {
    ...BUDGET_PRESETS.quick,
    repeats: 3,
    maxRows: null,
    epochs: 2,
    patience: 2,
    bootstrap: 4,
    table: { hidden: [16] },
    image: { channels: [8], hidden: [16] },
  },
  combos: [
    { representation: 'output', estimator: 'ksg' },
    { representation: 'embedding', estimator: 'gaussian' },
  ],
};

export function resolveVerdictsOptions(options: Partial<VerdictsOptions> & { outDir: string }): VerdictsOptions {
  const given = stripUndefined(options);
  const o: VerdictsOptions = { ...VERDICTS_DEFAULTS, ...given, outDir: options.outDir };
  // --repeats overrides the budget's.
  o.budget = { ...o.budget, repeats: given.repeats ?? o.budget.repeats };
  o.repeats = o.budget.repeats;
  check(
    Number.isInteger(o.repeats) && o.repeats >= 2,
    `verdicts: --repeats must be an integer ≥ 2 (a gain interval needs 2), got ${o.repeats}`,
    'invalid-option',
  );
  check(o.combos.length > 0, 'verdicts: --grid names no combination', 'invalid-option');
  for (const c of o.combos) checkCombo(c);
  const keys = o.combos.map((c) => `${c.representation}:${c.estimator}`);
  check(new Set(keys).size === keys.length, `verdicts: --grid lists a combination twice: ${keys.join(',')}`, 'invalid-option');
  checkSources(o);
  check(pairCount(planVerdicts(o)) > 0, 'verdicts: the options leave no teacher → student pair', 'invalid-option');
  return o;
}

/** A combination the run accepts (its own check: the latent representation goes with the latent estimator only). */
export function checkCombo(c: VerdictsCombo): void {
  analysisSettings({ representation: c.representation, estimator: c.estimator }, BUDGET_PRESETS.quick);
}

const orNaN = (x: number | undefined | null) => (typeof x === 'number' ? x : Number.NaN);

/** The pair rows of one runMainJob result under one combination. */
export function pairRowsOf(run: VerdictsRun, combo: VerdictsCombo, r: RunResult): VerdictsPairRow[] {
  const h = r.headline.metric;
  const testOf = (role: 'student' | 'teacher', modality: string) =>
    orNaN(r.table.find((t) => t.role === role && t.modality === modality)?.test[h]?.mean);
  const scoreOf = (teacher: string) => r.cch.teachers.find((t) => t.teacher === teacher);
  return r.outcomes.map((x) => ({
    variant: run.variant,
    source: run.source,
    half: run.half,
    student: run.student,
    teacher: x.teacher,
    representation: combo.representation,
    estimator: combo.estimator,
    margin: x.margin,
    marginLo: orNaN(x.marginCi?.[0]),
    marginHi: orNaN(x.marginCi?.[1]),
    verdict: x.verdict,
    gainMean: x.gain.mean,
    gainSd: x.gain.sd,
    gainLo: orNaN(x.gainCi?.[0]),
    gainHi: orNaN(x.gainCi?.[1]),
    effect: x.effect,
    repeats: x.gain.n,
    teacherScore: testOf('teacher', x.teacher),
    studentScore: testOf('student', r.student),
    miTeacherLabel: orNaN(scoreOf(x.teacher)?.mfh?.miTeacherLabel.value),
    miStudentLabel: orNaN(r.cch.miStudentLabel.value),
  }));
}

/**
 * The file the run report shows (src/report/verdicts-track-record.json is the committed copy of a
 * run's track-record.json): the choice, its evaluation record, and the evaluation rows it was
 * computed from (so a test can recompute it).
 */
export function trackRecordOf(r: VerdictsResult, evaluationRows: readonly VerdictsPairRow[]): TrackRecordFile | null {
  if (!r.choice || !r.evaluation) return null;
  const o = r.options;
  const families = [...new Set(r.runs.map((x) => x.family))].join(', ');
  return {
    experiment: 'verdicts',
    settings:
      `budget ${o.budget.name}, ${o.repeats} fixed splits per run, seed ${o.seed}; sources: ${families}` +
      (o.replicates.length
        ? `; the evaluation sources drawn ${o.replicates.length + 1} times (${o.replicates.length} replicates on fresh data)`
        : ''),
    representation: r.choice.representation,
    estimator: r.choice.representation === 'predicted' ? 'plug-in' : r.choice.estimator,
    halves: r.halves,
    evaluation: r.evaluation,
    rows: evaluationRows.map((x) => ({ ...x }) as unknown as Record<string, unknown>),
  };
}

/** The dataset source of variantDataset in the workers' table (src/worker/families.ts). */
export const VERDICTS_SOURCE = 'verdicts';

/**
 * Where a pair's run trains its models (`ctx.workers`, `ctx.queue`), with how a worker process
 * rebuilds the variant's dataset: the variant and the resolved options without the run folder,
 * which the workers' table (src/worker/families.ts) hands to variantDataset as this process does.
 */
function verdictsExecutor(variant: string, o: VerdictsOptions, ctx: ExperimentContext, pool: CellPool | undefined): Partial<RunOptions> {
  const { outDir: _out, ...settings } = o;
  return {
    workers: ctx.workers,
    pool,
    queue: ctx.queue,
    datasetRecipe: { source: VERDICTS_SOURCE, options: { variant, settings } as unknown as Json },
  };
}

export async function runVerdicts(
  options: Partial<VerdictsOptions> & { outDir: string },
  ctx: ExperimentContext = {},
): Promise<VerdictsResult> {
  // One pool of worker processes for every run (each run's workers would otherwise start afresh).
  return withPool(ctx, (pool) => verdicts(options, ctx, pool));
}

async function verdicts(
  options: Partial<VerdictsOptions> & { outDir: string },
  ctx: ExperimentContext,
  pool: CellPool | undefined,
): Promise<VerdictsResult> {
  const started = Date.now();
  const o = resolveVerdictsOptions(options);
  const runs = planVerdicts(o);
  const rows: VerdictsPairRow[] = [];
  const calls: VerdictsCall[] = [];
  const files = ['table.csv', 'pairs.csv', 'calls.csv', 'summary.md', 'results.json'].map((f) => path.join(o.outDir, f));
  const total = runs.length * o.combos.length;
  const task = 'verdicts';
  ctx.onProgress?.({ task, done: 0, total });
  // Runs come grouped by variant: one dataset in memory at a time.
  let loaded = null as { variant: string; dataset: MultimodalDataset } | null;
  for (const run of runs) {
    if (loaded?.variant !== run.variant)
      loaded = { variant: run.variant, dataset: await variantDataset(run.variant, o, { onProgress: ctx.onProgress, signal: ctx.signal }) };
    const dataset = loaded.dataset;
    for (const [k, combo] of o.combos.entries()) {
      const callStarted = Date.now();
      const label = `${run.dir} ${combo.representation}:${combo.estimator}`;
      ctx.onProgress?.({ task, done: calls.length, total, detail: label });
      const runOptions: RunOptions = {
        dataset,
        student: run.student,
        teachers: run.teachers,
        fusion: false,
        methods: [PLAIN_KD],
        budget: o.budget,
        // A fixed split count: the calibration compares every pair at the same number of splits.
        repeats: o.repeats,
        seed: o.seed,
        outDir: path.join(o.outDir, 'runs', run.dir),
        // The first combination trains (or, with --resume, reads back) the models; the others reuse them.
        resume: k > 0 || Boolean(ctx.resume),
        ...verdictsExecutor(run.variant, o, ctx, pool),
        estimator: combo.estimator,
        representation: combo.representation,
        onProgress: ctx.onProgress,
        signal: ctx.signal,
      };
      const r = await runMainJob(runOptions);
      const modelStages = o.budget.repeats * (1 + 2 * run.teachers.length);
      // Model stages only (trained students and teachers); a resumed call also reads analysis cells back.
      const reusedModels = r.reusedStages.filter((s) => /^r\d+-/.test(s) && !/^r\d+-cch-/.test(s)).length;
      calls.push({
        run: run.dir,
        representation: combo.representation,
        estimator: combo.estimator,
        seconds: (Date.now() - callStarted) / 1000,
        reusedStages: r.reusedStages.length,
        modelStages,
        reusedAllModels: reusedModels === modelStages,
      });
      rows.push(...pairRowsOf(run, combo, r));
      await writeFileAtomic(files[1], toCsv(rows as unknown as Record<string, unknown>[]));
      await writeFileAtomic(files[2], toCsv(calls as unknown as Record<string, unknown>[]));
      ctx.onProgress?.({ task, done: calls.length, total, detail: label });
    }
  }

  // The default is chosen on development pairs; the verdict is scored against the comparators on evaluation pairs only.
  const table = scoreVerdicts(rows.filter((r) => r.half === 'development'));
  const development = developmentScores(rows);
  const choice = chooseOnDevelopment(development);
  const evaluationRows = choice
    ? rows.filter((r) => r.half === 'evaluation' && r.representation === choice.representation && r.estimator === choice.estimator)
    : [];
  const evaluation = evaluationRows.length ? calibrate(evaluationRows) : null;
  const evaluationByVariant =
    evaluation && o.replicates.length
      ? calibrate(evaluationRows, CALIBRATION_BOOTSTRAP, CALIBRATION_RULES, (r) => replicateOfVariant(r.source).base)
      : null;
  await writeFileAtomic(files[0], toCsv(table as unknown as Record<string, unknown>[]));
  const result: VerdictsResult = {
    experiment: 'verdicts',
    options: o,
    runs,
    pairs: pairCount(runs),
    rows,
    halves: {
      development: [...new Set(runs.filter((r) => r.half === 'development').map((r) => r.source))],
      evaluation: [...new Set(runs.filter((r) => r.half === 'evaluation').map((r) => r.source))],
    },
    table,
    development,
    choice,
    evaluation,
    evaluationByVariant,
    gainOutcomes: gainOutcomes(rows),
    calls,
    wallSeconds: (Date.now() - started) / 1000,
    files,
  };
  files.push(...(await renderChart(verdictsFigure(rows, table), path.join(o.outDir, 'margin-vs-gain'))).files);
  const record = trackRecordOf(result, evaluationRows);
  if (record) files.push(path.join(o.outDir, 'track-record.json'));
  await writeFileAtomic(files[3], verdictsSummary(result));
  await writeJsonAtomic(files[4], result);
  if (record) await writeJsonAtomic(path.join(o.outDir, 'track-record.json'), record);
  return result;
}
