import type { Command } from 'commander';
import path from 'node:path';
import { isDigitsSpec, loadDataset } from '../../data/index.js';
import { initEngine } from '../../engine/index.js';
import { FEATURE_MODES, METHOD_IDS } from '../../kd/index.js';
import { BUDGET_PRESETS, trainingSchedule, type Budget } from '../../run/budget.js';
import { gainUnits } from '../../run/decide.js';
import { nextStepSentence } from '../../run/verdict.js';
import { DEFAULT_SWEEP_METHODS, formatSweepTable, type SweepResult, RESULTS_CSV, RESULTS_JSON, sweep, TABLE_CSV } from '../../run/sweep.js';
import { CmkdError, oneOf } from '../../util/errors.js';
import { formatNumber } from '../../util/format.js';
import { nextStepLines, resumeCommand } from './run.js';
import { emit, progressBars, table, warn } from '../output.js';
import { addDatasetFlags, columnOptions, hiddenAlias, interruptSignal, prepareOutDir, type DatasetFlags } from '../common.js';
import {
  addBackendFlag,
  addSplitsFlag,
  splitsOption,
  addBudgetFlags,
  addExecutorFlags,
  addOutputFlags,
  backendOption,
  executorOptions,
  isQuiet,
  listOption,
  numberListOption,
  numberOption,
  numberOrAutoOption,
  parseBudget,
  range,
  RANGES,
  type BudgetFlags,
  type ExecutorFlags,
  type OutputFlags,
} from '../options.js';

interface SweepFlags extends DatasetFlags, BudgetFlags, ExecutorFlags, OutputFlags {
  student?: string;
  teacher?: string;
  /** Hidden old spellings of --student and --teacher. */
  studentModality?: string;
  teacherModality?: string;
  methods?: string;
  temperatures?: string;
  lambdas?: string;
  featureModes?: string;
  repeats?: string;
  maxRepeats?: string;
  delta?: string;
  splits?: string;
  quick?: boolean;
  resume?: boolean;
  out: string;
  backend?: string;
}

/**
 * `--quick`: the quick budget preset in the epochs of its 2000 rows (trainingSchedule on their 70%
 * training rows: 6 epochs, patience 3 on digits), its rate, batch, looks and, for every model of
 * the sweep, its image widths (a table MLP gets hidden [64]).
 */
const QUICK = (() => {
  const preset = BUDGET_PRESETS.quick;
  const rows = preset.maxRows ?? 2000;
  const { epochs, patience } = trainingSchedule(preset, Math.round(0.7 * rows));
  return { ...preset, rows, epochs, patience, architecture: preset.image };
})();
/** Without --quick: the standard preset's rate, batch and looks, at 30 epochs and patience 10. */
const STANDARD = { ...BUDGET_PRESETS.standard, epochs: 30, patience: 10 };

/**
 * The sweep's budget: the preset (--quick: quick, else standard) in fixed epochs with the budget
 * flags over it; every model of the sweep has one architecture (the --quick widths, or the
 * flags'), and early stopping is never held back (no minimum epochs), as the sweep always trained.
 */
function sweepBudget(f: SweepFlags): { budget: Budget; seed: number } {
  const preset = f.quick ? BUDGET_PRESETS.quick : STANDARD;
  const { training: t, kind, architecture, seed } = parseBudget(f, f.quick ? QUICK : STANDARD);
  const es = t.earlyStopping;
  const budget: Budget = {
    ...preset,
    epochs: t.epochs,
    patience: es ? (es.patience ?? 0) : 0,
    ...(es ? { monitor: es.metric } : {}),
    minSteps: 0,
    lr: t.lr ?? preset.lr,
    batchSize: t.batchSize ?? preset.batchSize,
    image: architecture,
    table: architecture,
    ...(kind ? { model: kind } : {}),
  };
  return { budget, seed };
}

/** The sweep's summary for a reader: the table, what its columns mean, the deploy decision and the next step (as the run's: src/run/verdict.ts nextStepSentence). */
function humanSweep(
  r: SweepResult & { dataset: string; rows: number; repeats: number | 'auto' },
  student: string,
  teacher: string,
  resume: string,
): string {
  const t = formatSweepTable(r.table);
  const d = r.decision;
  const { scale, unit } = gainUnits(r.table.headline);
  const kind = r.splits === 'kfold' ? `stratified ${r.folds}-fold` : '70/10/20';
  const splits =
    r.repeats === 'auto'
      ? `sequential ${kind} splits (looks ${d.looks.join(', ')}; ${d.splitsUsed} used)`
      : `${r.repeats} repeated ${kind} splits`;
  return [
    `sweep on ${r.dataset} (${r.rows} rows): student ${student}, teacher ${teacher}; ${splits}; test metrics mean ± sd`,
    table(t.header, t.rows),
    `* highest mean per column among the students (not a test: the paired gain says whether it is clear); Δ = ${r.table.headline} minus the no-KD student's; paired gain = per-split difference from the no-KD student (same split and initial weights), 95% interval valid for the splits' overlap (corrected where test rows are shared) and at the planned looks, ! where it excludes 0; outcome: clear gain, clear loss, no practical effect (interval inside ±${formatNumber(d.delta)}), undecided, or stopped: cannot be deployed (no more splits for it: its upper end below ${formatNumber(d.delta)} or below the lower end of a gain above 0 after the correction); n = splits finished`,
    d.sentence,
    ...(d.next ? [nextStepSentence({ decision: d }, scale, unit)] : []),
    ...nextStepLines(d, 'sweep', resume),
    `${r.trained} runs trained${r.reused ? `, ${r.reused} read back` : ''} in ${r.seconds.toFixed(0)} s; results in ${[RESULTS_JSON, RESULTS_CSV, TABLE_CSV].map((x) => path.join(r.outDir, x)).join(', ')}; chart ${r.figures.find((f) => f.endsWith('.png')) ?? ''}`,
  ].join('\n');
}

export function register(program: Command): void {
  addBudgetFlags(
    addDatasetFlags(
      addSplitsFlag(
        addOutputFlags(
          addBackendFlag(
            addExecutorFlags(
              hiddenAlias(hiddenAlias(program.command('sweep'), '--student-modality <name>'), '--teacher-modality <name>')
                .description(
                  'compare distillation methods on repeated splits (stratified k-fold, or 70/10/20 with --splits random): TEACHER, no-KD STUDENT and one student per method, mean ± sd of the test metrics',
                )
                .argument('<dataset>', "'digits' (or 'digits?n=2000'), a directory with cmkd.json, or a .csv with --csv-modality/--label")
                .option('--student <modality>', 'the modality the students read (required)')
                .option('--teacher <modality>', "the modality the teacher reads (required; 'a+b' fuses a and b)")
                .option('--methods <list>', `comma-separated, from ${METHOD_IDS.join(', ')} (default: ${DEFAULT_SWEEP_METHODS.join(',')})`)
                .option('--temperatures <list>', `a row per temperature for kd, dkd, mlkd, e.g. 2,4 ${range(RANGES.temperature)}`)
                .option('--lambdas <list>', `a row per KD-term weight λ for kd, ctkd, mlkd, feature, e.g. 0.5,1 ${range(RANGES.lambda)}`)
                .option(
                  '--feature-modes <list>',
                  `a row per mode of feature KD, from ${FEATURE_MODES.join(', ')} (output: the CCH paper's student objective on outputs; default: embedding for classification, output for regression)`,
                )
                .option(
                  '--repeats <n|auto>',
                  `splits (seeds seed, seed+1, …): a fixed count, or auto (the default): start with ${STANDARD.looks[0]} and add splits only for the methods whose gain is still undecided and could change the deploy decision, at the looks ${STANDARD.looks.join(', ')} (--quick: ${QUICK.looks.join(', ')}), up to --max-repeats ${range(RANGES.repeats)}`,
                )
                .option(
                  '--max-repeats <n>',
                  `with --repeats auto, the cap on the splits (default: the last look) ${range(RANGES.maxRepeats)}`,
                )
                .option(
                  '--delta <x>',
                  'practical margin of the headline gain, in its units (default: 0.01 for F1, 2% of the no-KD MSE): a gain whose interval is inside ±delta has no practical effect',
                )
                .option(
                  '--quick',
                  `the quick budget: ${QUICK.rows} digits, ${QUICK.epochs} epochs, CNN/MLP (channels ${QUICK.architecture.channels?.join(',')}, hidden ${QUICK.architecture.hidden?.join(',')})`,
                )
                .option('--resume', 'continue the sweep in --out, skipping finished cells')
                .requiredOption('--out <dir>', 'output directory: results.json, results.csv, table.csv, methods.png/svg, models/'),
            ),
          ),
        ),
      ),
    ),
    {
      epochs: `${STANDARD.epochs}, quick ${QUICK.epochs}`,
      lr: `${STANDARD.lr}, quick ${QUICK.lr}`,
      batchSize: `${STANDARD.batchSize}, quick ${QUICK.batchSize}`,
      patience: `${STANDARD.patience}, quick ${QUICK.patience}`,
      monitor: 'val_metric',
    },
  ).action(async (spec: string, f: SweepFlags) => {
    prepareOutDir('--out', f.out, Boolean(f.resume));
    const student = f.student ?? f.studentModality;
    const teacher = f.teacher ?? f.teacherModality;
    if (student === undefined) throw new CmkdError('cmkd sweep needs --student <modality>', 'invalid-option');
    if (teacher === undefined) throw new CmkdError('cmkd sweep needs --teacher <modality>', 'invalid-option');
    const backend = backendOption(f);
    const { budget, seed } = sweepBudget(f);
    const repeats = numberOrAutoOption('--repeats', f.repeats, RANGES.repeats) ?? 'auto';
    const maxRepeats = numberOption('--max-repeats', f.maxRepeats, RANGES.maxRepeats);
    const delta = numberOption('--delta', f.delta, RANGES.delta);
    const splits = splitsOption(f);
    const methods = listOption('--methods', f.methods);
    const temperatures = numberListOption('--temperatures', f.temperatures, RANGES.temperature);
    const lambdas = numberListOption('--lambdas', f.lambdas, RANGES.lambda);
    const featureModes = listOption('--feature-modes', f.featureModes)?.map((m) => oneOf('--feature-modes value', m, FEATURE_MODES));

    await initEngine({ backend });
    const bars = progressBars({ quiet: isQuiet(f) });
    const { signal, release } = interruptSignal();
    try {
      // --quick on the built-in digits: a 2000-digit subsample unless the spec names n.
      const quickDigits = f.quick && isDigitsSpec(spec) && !/[?&]n=/.test(spec);
      const load = { ...columnOptions(f), ...(quickDigits ? { digits: { n: QUICK.rows } } : {}) };
      const ds = await loadDataset(spec, { ...load, onProgress: bars });
      for (const w of ds.warnings ?? []) warn(w);
      const result = await sweep({
        dataset: ds,
        student,
        teacher,
        methods,
        temperatures,
        lambdas,
        featureModes,
        repeats,
        maxRepeats,
        delta,
        splits,
        seed,
        budget,
        outDir: f.out,
        resume: Boolean(f.resume),
        source: { spec, load },
        ...executorOptions(f),
        onProgress: bars,
        signal,
      });
      bars.stop();
      for (const note of result.notes) warn(note);
      const report = { dataset: ds.name, rows: ds.n, repeats, ...result };
      const resume = resumeCommand(process.argv.slice(2), f.out, 'sweep');
      emit(report, f, (r) => humanSweep(r, student, teacher, resume));
    } finally {
      bars.stop();
      release();
    }
  });
}
