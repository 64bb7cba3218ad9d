import type { Command } from 'commander';
import path from 'node:path';
import { isDigitsSpec, loadDataset } from '../../data/index.js';
import { BACKEND_CHOICES, initEngine, type BackendChoice } from '../../engine/index.js';
import { METHOD_IDS } from '../../kd/index.js';
import { BUDGET_PRESETS, epochBudget } from '../../run/budget.js';
import { DEFAULT_SWEEP_METHODS, formatSweepTable, RESULTS_CSV, RESULTS_JSON, sweep, TABLE_CSV } from '../../run/sweep.js';
import { CmkdError, oneOf } from '../../util/errors.js';
import { emit, progressBars, table, warn } from '../output.js';
import { addBudgetFlags, parseBudget, type BudgetFlags } from './distill.js';
import {
  addDatasetFlags,
  addExecutorFlags,
  columnOptions,
  executorOptions,
  hiddenAlias,
  interruptSignal,
  numberOption,
  prepareOutDir,
  type DatasetFlags,
  type ExecutorFlags,
} from '../common.js';

interface SweepFlags extends DatasetFlags, BudgetFlags, ExecutorFlags {
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
  backend: string;
  json?: boolean;
  quiet?: boolean;
}

function numberList(flag: string, value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const xs = value.split(',').map((s) => (s.trim() === '' ? NaN : Number(s)));
  if (xs.some((x) => !Number.isFinite(x)))
    throw new CmkdError(`${flag} must be comma-separated numbers (e.g. 2,4), got '${value}'`, 'invalid-option');
  return xs;
}

/** `--quick`: the quick budget preset on its 2000 rows, in epochs (src/run/budget.ts epochBudget), with 2 repeats. */
const QUICK = { ...epochBudget(BUDGET_PRESETS.quick, BUDGET_PRESETS.quick.maxRows ?? 2000), repeats: 2 };

export function register(program: Command): void {
  addBudgetFlags(
    addDatasetFlags(
      addExecutorFlags(
        hiddenAlias(hiddenAlias(program.command('sweep'), '--student-modality <name>'), '--teacher-modality <name>')
          .description(
            'compare distillation methods on repeated 70/10/20 splits: TEACHER, no-KD STUDENT and one student per method, mean ± sd of the test metrics',
          )
          .argument('<dataset>', "'digits' (or 'digits?n=2000'), a directory with cmkd.json, or a .csv with --csv-modality/--label")
          .option('--student <modality>', 'the modality the students read (required)')
          .option('--teacher <modality>', "the modality the teacher reads (required; 'a+b' fuses a and b)")
          .option('--methods <list>', `comma-separated, from ${METHOD_IDS.join(', ')} (default: ${DEFAULT_SWEEP_METHODS.join(',')})`)
          .option('--temperatures <list>', 'a row per temperature for kd, dkd, mlkd, e.g. 2,4')
          .option('--lambdas <list>', 'a row per KD-term weight λ for kd, ctkd, mlkd, feature, e.g. 0.5,1')
          .option('--repeats <n>', `repeated splits (seeds seed, seed+1, …; default 3, --quick ${QUICK.repeats})`)
          .option(
            '--quick',
            `the quick budget: ${QUICK.rows} digits, ${QUICK.epochs} epochs, CNN/MLP (channels ${QUICK.architecture.channels?.join(',')}, hidden ${QUICK.architecture.hidden?.join(',')})`,
          )
          .option('--resume', 'continue the sweep in --out, skipping finished cells')
          .requiredOption('--out <dir>', 'output directory: results.json, results.csv, table.csv, methods.png/svg, models/')
          .option('--backend <name>', `TF.js backend (${BACKEND_CHOICES.join('|')})`, 'auto')
          .option('--json', 'print the result as JSON')
          .option('--quiet', 'no progress on stderr'),
      ),
    ),
    {
      epochs: `30 (quick ${QUICK.epochs})`,
      lr: `0.001 (quick ${QUICK.lr})`,
      batchSize: `64 (quick ${QUICK.batchSize})`,
      patience: `10 (quick ${QUICK.patience})`,
    },
  ).action(async (spec: string, f: SweepFlags) => {
    prepareOutDir('--out', f.out, Boolean(f.resume));
    const student = f.student ?? f.studentModality;
    const teacher = f.teacher ?? f.teacherModality;
    if (student === undefined) throw new CmkdError('cmkd sweep needs --student <modality>', 'invalid-option');
    if (teacher === undefined) throw new CmkdError('cmkd sweep needs --teacher <modality>', 'invalid-option');
    const backend = oneOf<BackendChoice>('backend', f.backend, BACKEND_CHOICES);
    const budget = parseBudget(f, f.quick ? QUICK : { epochs: 30, lr: 1e-3, batchSize: 64, patience: 10 });
    const repeats = numberOption('--repeats', f.repeats, { integer: true, min: 1 }) ?? (f.quick ? QUICK.repeats : 3);
    const methods = f.methods?.split(',').map((s) => s.trim());
    const temperatures = numberList('--temperatures', f.temperatures);
    const lambdas = numberList('--lambdas', f.lambdas);

    await initEngine({ backend });
    const bars = progressBars({ quiet: Boolean(f.quiet) });
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
