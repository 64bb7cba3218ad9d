import type { Command } from 'commander';
import path from 'node:path';
import { isDigitsSpec, loadDataset } from '../../data/index.js';
import { initEngine } from '../../engine/index.js';
import { METHOD_IDS } from '../../kd/index.js';
import { DEFAULT_SWEEP_METHODS, formatSweepTable, QUICK_SWEEP, RESULTS_CSV, RESULTS_JSON, sweep, TABLE_CSV } from '../../run/sweep.js';
import { CmkdError } from '../../util/errors.js';
import { emit, progressBars, table, warn } from '../output.js';
import { addDatasetFlags, columnOptions, hiddenAlias, interruptSignal, prepareOutDir, type DatasetFlags } from '../common.js';
import {
  addBackendFlag,
  addBudgetFlags,
  addExecutorFlags,
  addOutputFlags,
  backendOption,
  executorOptions,
  isQuiet,
  listOption,
  numberListOption,
  numberOption,
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
  repeats?: string;
  quick?: boolean;
  resume?: boolean;
  out: string;
  backend?: string;
}

export function register(program: Command): void {
  addBudgetFlags(
    addDatasetFlags(
      addOutputFlags(
        addBackendFlag(
          addExecutorFlags(
            hiddenAlias(hiddenAlias(program.command('sweep'), '--student-modality <name>'), '--teacher-modality <name>')
              .description(
                'compare distillation methods on repeated 70/10/20 splits: TEACHER, no-KD STUDENT and one student per method, mean ± sd of the test metrics',
              )
              .argument('<dataset>', "'digits' (or 'digits?n=2000'), a directory with cmkd.json, or a .csv with --csv-modality/--label")
              .option('--student <modality>', 'the modality the students read (required)')
              .option('--teacher <modality>', "the modality the teacher reads (required; 'a+b' fuses a and b)")
              .option('--methods <list>', `comma-separated, from ${METHOD_IDS.join(', ')} (default: ${DEFAULT_SWEEP_METHODS.join(',')})`)
              .option('--temperatures <list>', `a row per temperature for kd, dkd, mlkd, e.g. 2,4 ${range(RANGES.temperature)}`)
              .option('--lambdas <list>', `a row per KD-term weight λ for kd, ctkd, mlkd, feature, e.g. 0.5,1 ${range(RANGES.lambda)}`)
              .option(
                '--repeats <n>',
                `repeated splits (seeds seed, seed+1, …; default 3, --quick ${QUICK_SWEEP.repeats}) ${range(RANGES.repeats)}`,
              )
              .option(
                '--quick',
                `small budget: ${QUICK_SWEEP.rows} digits, ${QUICK_SWEEP.budget.epochs} epochs, CNN/MLP (channels ${QUICK_SWEEP.budget.architecture.channels.join(',')}, hidden ${QUICK_SWEEP.budget.architecture.hidden.join(',')})`,
              )
              .option('--resume', 'continue the sweep in --out, skipping finished cells')
              .requiredOption('--out <dir>', 'output directory: results.json, results.csv, table.csv, methods.png/svg, models/'),
          ),
        ),
      ),
    ),
    {
      epochs: `30, quick ${QUICK_SWEEP.budget.epochs}`,
      lr: `0.001, quick ${QUICK_SWEEP.budget.lr}`,
      batchSize: `64, quick ${QUICK_SWEEP.budget.batchSize}`,
      patience: `10, quick ${QUICK_SWEEP.budget.earlyStopping.patience}`,
      monitor: 'val_metric',
    },
  ).action(async (spec: string, f: SweepFlags) => {
    prepareOutDir('--out', f.out, Boolean(f.resume));
    const student = f.student ?? f.studentModality;
    const teacher = f.teacher ?? f.teacherModality;
    if (student === undefined) throw new CmkdError('cmkd sweep needs --student <modality>', 'invalid-option');
    if (teacher === undefined) throw new CmkdError('cmkd sweep needs --teacher <modality>', 'invalid-option');
    const backend = backendOption(f);
    const q = QUICK_SWEEP.budget;
    const budget = f.quick
      ? parseBudget(f, {
          epochs: q.epochs,
          lr: q.lr,
          batchSize: q.batchSize,
          patience: q.earlyStopping.patience,
          architecture: q.architecture,
        })
      : parseBudget(f, { epochs: 30, lr: 1e-3, batchSize: 64, patience: 10 });
    const repeats = numberOption('--repeats', f.repeats, RANGES.repeats) ?? (f.quick ? QUICK_SWEEP.repeats : 3);
    const methods = listOption('--methods', f.methods);
    const temperatures = numberListOption('--temperatures', f.temperatures, RANGES.temperature);
    const lambdas = numberListOption('--lambdas', f.lambdas, RANGES.lambda);

    await initEngine({ backend });
    const bars = progressBars({ quiet: isQuiet(f) });
    const { signal, release } = interruptSignal();
    try {
      // --quick on the built-in digits: a 2000-digit subsample unless the spec names n.
      const quickDigits = f.quick && isDigitsSpec(spec) && !/[?&]n=/.test(spec);
      const load = { ...columnOptions(f), ...(quickDigits ? { digits: { n: QUICK_SWEEP.rows } } : {}) };
      const ds = await loadDataset(spec, { ...load, onProgress: bars });
      for (const w of ds.warnings ?? []) warn(w);
      const result = await sweep({
        dataset: ds,
        student,
        teacher,
        methods,
        temperatures,
        lambdas,
        repeats,
        seed: budget.seed,
        budget: { ...budget.training, kind: budget.kind, architecture: budget.architecture },
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
      emit(report, f, (r) => {
        const t = formatSweepTable(r.table);
        return [
          `sweep on ${r.dataset} (${r.rows} rows): student ${student}, teacher ${teacher}; ${r.repeats} repeated 70/10/20 splits; test metrics mean ± sd`,
          table(t.header, t.rows),
          `* highest mean per column among the students (not a test: the paired gain says whether it is clear); Δ = ${r.table.headline} minus the no-KD student's; paired gain = per-repeat difference from the no-KD student (same split and initial weights), 95% t-interval over repeats, ! where it excludes 0; n = repeats finished`,
          `${r.trained} runs trained${r.reused ? `, ${r.reused} read back` : ''} in ${r.seconds.toFixed(0)} s; results in ${[RESULTS_JSON, RESULTS_CSV, TABLE_CSV].map((x) => path.join(r.outDir, x)).join(', ')}; chart ${r.figures.find((f) => f.endsWith('.png')) ?? ''}`,
        ].join('\n');
      });
    } finally {
      bars.stop();
      release();
    }
  });
}
