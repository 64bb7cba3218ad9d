import type { Command } from 'commander';
import { KFOLD_BELOW } from '../../data/index.js';
import { CCH_REPRESENTATIONS, miMethod, type CchRepresentation } from '../../criteria/index.js';
import { MI_ESTIMATORS, MI_UNITS, type MIEstimatorName, type MIUnits } from '../../mi/index.js';
import { METHOD_IDS } from '../../kd/index.js';
import {
  agreementLine,
  BUDGET_PRESETS,
  BUDGETS,
  LEAST_SQUARES,
  runMainJob,
  runNotes,
  type BaselineRow,
  type RunOptions,
  type RunResult,
} from '../../run/index.js';
import type { Decision } from '../../run/types.js';
import { oneOf } from '../../util/errors.js';
import { throwIfAborted } from '../../util/progress.js';
import { formatEstimate, formatMeanSd } from '../../util/format.js';
import { addDatasetFlags, columnOptions, interruptSignal, jobDataset, prepareOutDir, type DatasetFlags } from '../common.js';
import { initEngine } from '../../engine/index.js';
import {
  addArchitectureFlags,
  addBackendFlag,
  addSplitsFlag,
  splitsOption,
  addExecutorFlags,
  addOutputFlags,
  backendOption,
  executorOptions,
  isQuiet,
  listOption,
  numberOption,
  numberOrAutoOption,
  parseArchitecture,
  range,
  RANGES,
  type ArchitectureFlags,
  type ExecutorFlags,
  type OutputFlags,
} from '../options.js';
import { defaultRunDir } from './experiment.js';
import { emit, progressBars, table, warn } from '../output.js';

// Numbers as the report writes them (src/util/format.ts): a gain signed, with its interval at its decimals.
const gainText = (g: { mean: number } | undefined, ci: [number, number] | null | undefined) =>
  g ? formatEstimate(g.mean, ci ?? null, { signed: true }) : '';

/** '40 s', '12 min', '1.5 h'. */
function duration(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** The command that resumes this run (or sweep) in its folder with sequential splits: its own arguments without --resume, --out, --repeats and --max-repeats (the next step adds them). */
export function resumeCommand(args: readonly string[], outDir: string, name = 'run'): string {
  const kept: string[] = [];
  let command = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (!command && a === name) command = true;
    else if (a === '--resume' || /^--(out|max-repeats|repeats)=/.test(a)) continue;
    else if (a === '--out' || a === '--max-repeats' || a === '--repeats') i++;
    else kept.push(a);
  }
  const quote = (a: string) => (/^[\w@%+=:,./?&-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`);
  return [`cmkd ${name}`, ...kept, '--out', outDir].map((a, i) => (i === 0 ? a : quote(a))).join(' ');
}

/** The baseline table of the summary (nothing without one): nearest centroid, or least squares and the training mean for regression. */
function baselineLines(r: RunResult, h: string): string[] {
  const rows = r.baselines ?? [];
  if (!rows.length) return [];
  const role = (b: BaselineRow) => (b.role === 'student' ? 'no-KD student' : 'teacher');
  const ms = (x: { mean: number; sd: number }) => formatMeanSd(x.mean, x.sd);
  if (rows[0].baseline === LEAST_SQUARES)
    return [
      '',
      `Baselines, not deployable students: least squares on the standardised features, and the training rows' mean target for every row, against the run's model of the modality (test ${h}, mean ± sd over the same splits; lower is better):`,
      table(
        ['modality', 'model', 'training mean', 'least squares', 'model'],
        rows.map((b) => [b.modality, role(b), ms(b.trainingMean!), ms(b.test), ms(b.model)]),
      ),
    ];
  return [
    '',
    `Baseline, not a deployable student: nearest centroid on the standardised features, against the run's model of the modality (test ${h}, mean ± sd over the same splits):`,
    table(
      ['modality', 'model', 'nearest centroid', 'model'],
      rows.map((b) => [b.modality, role(b), ms(b.test), ms(b.model)]),
    ),
  ];
}

/** The command of the next step, after a blank line, when more splits could decide some gain undecided at the cap (a run's or a sweep's). */
export function nextStepLines(d: Decision, what: 'run' | 'sweep', command?: string): string[] {
  if (!d.next?.decidable || !command) return [];
  return [
    '',
    `Next step (about ${d.next.models} more models, ~${duration(d.next.seconds)} at this ${what}'s pace): ${command} --max-repeats ${d.next.maxRepeats} --resume`,
  ];
}

export function humanRun(r: RunResult, outDir: string, command?: string): string {
  const h = r.headline.metric;
  const metrics = Object.keys(r.table[0]?.test ?? {});
  const a = r.analysis;
  return [
    `cmkd run: ${r.dataset.name} (${r.dataset.n} rows), student '${r.student}', budget ${r.budget.name}, ${r.seconds.toFixed(0)} s` +
      (r.reusedStages.length ? ` (${r.reusedStages.length} stages resumed)` : ''),
    '',
    `Teachers (CCH margin I(Ht;Hs) − I(Hs;Y) in ${r.cch.units}, ${a.representation} representation, ${miMethod(r.cch)}, ${Math.round(100 * r.cch.ciLevel)}% CI over ${r.cch.repeats ?? 1} repeats; paired KD gain in ${h}, 95% CI):`,
    table(
      ['rank', 'teacher', 'margin', 'verdict', 'KD gain', 'effect', 'agrees'],
      r.outcomes.map((x) => [
        x.rank,
        x.teacher,
        formatEstimate(x.margin, x.marginCi),
        x.verdict,
        gainText(x.gain, x.gainCi),
        x.effect ?? '–',
        x.agrees === null ? '–' : x.agrees ? 'yes' : 'no',
      ]),
    ),
    agreementLine(r.agreement),
    '',
    `Methods (test, mean ± sd over its splits; gain paired by split with its 95% interval, valid for the splits' overlap and sequential looks; → = deployed):`,
    table(
      ['model', ...metrics, 'splits', 'gain', 'effect'],
      r.table.map((row) => [
        (row.label === r.best.label ? '→ ' : '') + row.label,
        ...metrics.map((m) => formatMeanSd(row.test[m].mean, row.test[m].sd)),
        row.test[h].n,
        gainText(row.gain, row.gainCi),
        row.effect ?? '',
      ]),
    ),
    ...baselineLines(r, h),
    '',
    r.verdict,
    ...nextStepLines(r.decision, 'run', command),
    '',
    `Run folder: ${outDir} (results.json, methods.csv, teachers.csv, predictions.csv, best-student/, report.html)`,
  ].join('\n');
}

/**
 * The flags `cmkd run` and `cmkd cch` share: candidates, budget and its overrides, seed, run folder,
 * the CCH analysis, backend, workers and output.
 */
export interface SharedRunFlags extends ExecutorFlags, OutputFlags, ArchitectureFlags {
  backend?: string;
  teachers?: string;
  budget: string;
  fusion: boolean;
  seed: string;
  repeats?: string;
  maxRepeats?: string;
  delta?: string;
  splits?: string;
  maxSteps?: string;
  epochs?: string;
  patience?: string;
  samples?: string;
  allowSmall?: boolean;
  out?: string;
  resume?: boolean;
  representation?: string;
  estimator?: string;
  bootstrap?: string;
  k?: string;
  ci: string;
  units: string;
  dims?: string;
  mfh: boolean;
}

/** 'quick (≤ 2000 rows, 3 to 8 splits, ≤ 264 steps), …', from the presets. */
function budgetSummary(): string {
  return BUDGETS.map((b) => {
    const p = BUDGET_PRESETS[b];
    return `${b} (${p.maxRows === null ? 'all' : `≤ ${p.maxRows}`} rows, ${p.looks[0]} to ${p.looks[p.looks.length - 1]} splits, ≤ ${p.maxSteps} steps)`;
  }).join(', ');
}

/** `cmkd run --patience`: the budgets stop early by design, so 0 (off) is not offered. */
const RUN_PATIENCE = { ...RANGES.patience, min: 1 };

export function addRunFlags(cmd: Command, name: 'run' | 'cch'): Command {
  return addArchitectureFlags(addSplitsFlag(addOutputFlags(addBackendFlag(addExecutorFlags(cmd)))), {
    depth: true,
    note: " (default: the budget's, for every model of the run)",
    modelDefault: `cnn for images, mlp for tables; classification on fewer than ${KFOLD_BELOW} rows, every modality a table: logistic regression fitted to convergence (README, budgets)`,
  })
    .option('--teachers <list>', "candidate teacher modalities (default: every other modality; 'a+b' fuses a and b)")
    .option('--budget <name>', `compute budget: ${budgetSummary()}; the README's budget table has the rest`, 'quick')
    .option('--no-fusion', 'no fusion teacher on all candidate modalities')
    .option('--seed <int>', `seed of splits, initial weights and the MI resampling ${range(RANGES.seed)}`, '0')
    .option(
      '--repeats <n|auto>',
      (name === 'run'
        ? "splits, each with its own models: a fixed count, or auto (the default): start with the budget's first look and add splits only for the gains still undecided that could change the deploy decision, up to --max-repeats"
        : "repeated splits, each with its own models (default: the budget's first look)") + ` ${range(RANGES.repeats)}`,
    )
    .option('--max-repeats <n>', `with --repeats auto, the cap on the splits (default: the budget's last look) ${range(RANGES.maxRepeats)}`)
    .option(
      '--delta <x>',
      `practical margin of the headline gain, in its units (default: 0.01 for F1, 2% of the no-KD MSE): a gain whose interval is inside ±delta has no practical effect ${range(RANGES.delta)}`,
    )
    .option(
      '--max-steps <n>',
      `training length in optimizer steps, whatever the data size (default: the budget's) ${range(RANGES.maxSteps)}`,
    )
    .option('--epochs <n>', `train a fixed number of epochs instead of --max-steps ${range(RANGES.epochs)}`)
    .option('--patience <n>', `early-stopping patience in epochs (default: the budget's, in steps) ${range(RUN_PATIENCE)}`)
    .option('--samples <n>', `use a stratified subsample of at most n rows (default: the budget's cap) ${range(RANGES.samples)}`)
    .option('--allow-small', 'run on data too small for trustworthy results (fewer than 50 rows, or a class with fewer than 5)')
    .option('--out <dir>', `run folder (default runs/${name}-<timestamp>)`)
    .option('--resume', `reuse the finished stages (models, analyses) of an earlier run or cch in --out`)
    .option(
      '--representation <kind>',
      `what the CCH analysis measures of each model (${CCH_REPRESENTATIONS.join('|')}; default predicted for classification, else embedding)`,
    )
    .option(
      '--estimator <name>',
      `MI estimator of continuous representations (${MI_ESTIMATORS.join('|')}; default ksg, latent with --representation latent; predicted classes always take the plug-in estimate); naming one without --representation measures the embedding`,
    )
    .option(
      '--bootstrap <n>',
      `paired resamples per repeat for the estimator's part of the intervals (default: the budget's); 0: none ${range(RANGES.bootstrap)}`,
    )
    .option('--k <n>', `neighbours for ksg/latent (default 3; latent 4) ${range(RANGES.k)}`)
    .option('--ci <level>', `confidence level of the margins ${range(RANGES.ci)}`, '0.95')
    .option('--units <u>', `MI units (${MI_UNITS.join('|')})`, 'nats')
    .option('--dims <n|none>', `PCA width of each representation before estimation (default 8; mine/latent 32) ${range(RANGES.dims)}`)
    .option('--no-mfh', 'skip the MFH columns (I(Ht;Y), I(Ht,Hs;Y), shared)');
}

/** --model and the widths, only those given (a run without them keeps the budget's, and its stage fingerprint, exactly). */
function architectureOf(f: ArchitectureFlags): Pick<RunOptions, 'model' | 'architecture'> {
  const { kind, architecture } = parseArchitecture(f);
  return { ...(kind !== undefined ? { model: kind } : {}), ...(Object.keys(architecture).length ? { architecture } : {}) };
}

export function parseRunFlags(f: SharedRunFlags): Omit<RunOptions, 'dataset' | 'student' | 'outDir' | 'methods'> {
  return {
    teachers: listOption('--teachers', f.teachers),
    budget: oneOf('budget', f.budget, BUDGETS),
    fusion: f.fusion === false ? false : undefined,
    seed: numberOption('--seed', f.seed, RANGES.seed) ?? 0,
    // Sequential splits (auto) unless a count is given.
    repeats: numberOrAutoOption('--repeats', f.repeats, RANGES.repeats) ?? 'auto',
    maxRepeats: numberOption('--max-repeats', f.maxRepeats, RANGES.maxRepeats),
    delta: numberOption('--delta', f.delta, RANGES.delta),
    splits: splitsOption(f),
    maxSteps: numberOption('--max-steps', f.maxSteps, RANGES.maxSteps),
    epochs: numberOption('--epochs', f.epochs, RANGES.epochs),
    patience: numberOption('--patience', f.patience, RUN_PATIENCE),
    samples: numberOption('--samples', f.samples, RANGES.samples),
    ...architectureOf(f),
    allowSmall: Boolean(f.allowSmall),
    resume: Boolean(f.resume),
    representation:
      f.representation === undefined ? undefined : oneOf<CchRepresentation>('representation', f.representation, CCH_REPRESENTATIONS),
    estimator: f.estimator === undefined ? undefined : oneOf<MIEstimatorName>('estimator', f.estimator, MI_ESTIMATORS),
    bootstrap: numberOption('--bootstrap', f.bootstrap, RANGES.bootstrap),
    k: numberOption('--k', f.k, RANGES.k),
    ci: numberOption('--ci', f.ci, RANGES.ci),
    units: oneOf<MIUnits>('units', f.units, MI_UNITS),
    dims: f.dims === undefined ? undefined : f.dims === 'none' ? false : numberOption('--dims', f.dims, RANGES.dims),
    mfh: f.mfh,
    ...executorOptions(f),
  };
}

interface RunFlags extends DatasetFlags, SharedRunFlags {
  student: string;
  methods?: string;
}

export function register(program: Command): void {
  addDatasetFlags(
    addRunFlags(
      program
        .command('run')
        .description('the main job: rank teachers with CCH, distill, compare prediction with outcome, export the best student')
        .argument('[dataset]', "'digits' (or 'digits?n=2000'), a folder with cmkd.json, or a .csv with --csv-modality/--label", 'digits')
        .requiredOption('--student <modality>', 'the modality available at deployment')
        .option(
          '--methods <list>',
          `the method family (${METHOD_IDS.join(',')}), run from the teacher whose plain-KD gain is largest; plain KD runs from every teacher ` +
            `(regression: feature only, and FeatKD(out), the CCH objective, runs from every teacher)`,
        ),
      'run',
    ),
  ).action(async (spec: string, f: RunFlags) => {
    const outDir = prepareOutDir('--out', f.out ?? defaultRunDir('run'), Boolean(f.resume));
    const bars = progressBars({ quiet: isQuiet(f) });
    const { signal, release } = interruptSignal();
    try {
      const options = parseRunFlags(f);
      const methods = listOption('--methods', f.methods);
      await initEngine({ backend: backendOption(f) });
      const dataset = await jobDataset(spec, f, options, bars);
      const result = await runMainJob({
        dataset,
        load: columnOptions(f),
        student: f.student,
        methods,
        ...options,
        outDir,
        onProgress: bars,
        signal,
      });
      // Ctrl-C during the export (after the last stage, where the job no longer looks): stop here
      // with the interrupted line, not a finished run's output; --resume writes the export again.
      throwIfAborted(signal);
      bars.stop();
      for (const w of result.warnings) warn(w);
      // By kind: what loading changed and the label leaks, how the run ran, one line each; the schedules the budget does not finish, in one.
      const notes = runNotes(result);
      for (const note of [...notes.data, ...notes.run]) warn(note);
      if (notes.schedules.length) warn(`schedules this budget does not finish: ${notes.schedules.join('; ')}`);
      emit(result, { json: Boolean(f.json) }, (r) => humanRun(r, outDir, resumeCommand(process.argv.slice(2), outDir)));
    } finally {
      bars.stop();
      release();
    }
  });
}
