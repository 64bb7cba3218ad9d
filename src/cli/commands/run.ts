import type { Command } from 'commander';
import { MI_ESTIMATORS, type MIEstimatorName } from '../../mi/index.js';
import { METHOD_IDS } from '../../kd/index.js';
import { BUDGETS, runMainJob, type RunResult } from '../../run/index.js';
import { oneOf } from '../../util/errors.js';
import { addDatasetFlags, interruptSignal, loadForCommand, numberOption, type DatasetFlags } from '../common.js';
import { defaultRunDir } from './experiment.js';
import { emit, progressBars, table, warn } from '../output.js';

const list = (s: string | undefined) =>
  s
    ? s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : undefined;
const ms = (v: { mean: number; sd: number }) => `${v.mean.toFixed(4)} ± ${v.sd.toFixed(4)}`;

export function humanRun(r: RunResult, outDir: string): string {
  const h = r.headline.metric;
  const metrics = Object.keys(r.table[0]?.test ?? {});
  const bestVal = (m: string) =>
    Math.max(...r.table.filter((row) => row.role !== 'teacher').map((row) => (r.headline.higherIsBetter ? 1 : -1) * row.test[m].mean));
  return [
    `cmkd run: ${r.dataset.name} (${r.dataset.n} rows), student '${r.student}', budget ${r.budget.name}, ${r.seconds.toFixed(0)} s` +
      (r.reusedStages.length ? ` (${r.reusedStages.length} stages resumed)` : ''),
    '',
    'Teachers (CCH margin I(Ht;Hs) − I(Hs;Y), nats, with its CI; measured KD gain in ' + h + '):',
    table(
      ['rank', 'teacher', 'margin', 'CI', 'verdict', 'KD gain', 'agrees'],
      r.outcomes.map((x) => [
        x.rank,
        x.teacher,
        x.margin,
        x.marginCi ? `[${x.marginCi[0].toFixed(3)}, ${x.marginCi[1].toFixed(3)}]` : '–',
        x.verdict,
        ms(x.gain),
        x.agrees === null ? '–' : x.agrees ? 'yes' : 'no',
      ]),
    ),
    '',
    `Methods (test, mean ± sd over ${r.budget.repeats} repeats; * = best student):`,
    table(
      ['model', ...metrics],
      r.table.map((row) => [
        row.label,
        ...metrics.map(
          (m) =>
            ms(row.test[m]) +
            (row.role !== 'teacher' && (r.headline.higherIsBetter ? 1 : -1) * row.test[m].mean === bestVal(m) ? ' *' : ''),
        ),
      ]),
    ),
    '',
    r.verdict,
    '',
    `Run folder: ${outDir} (results.json, methods.csv, teachers.csv, best-student/)`,
  ].join('\n');
}

interface RunFlags extends DatasetFlags {
  student: string;
  teachers?: string;
  methods?: string;
  budget: string;
  estimator: string;
  fusion: boolean;
  seed: string;
  repeats?: string;
  maxSteps?: string;
  epochs?: string;
  patience?: string;
  samples?: string;
  allowSmall?: boolean;
  out?: string;
  resume?: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  addDatasetFlags(
    program
      .command('run')
      .description('the main job: rank teachers with CCH, distill, compare prediction with outcome, export the best student')
      .argument('[dataset]', "'digits' (or 'digits?n=2000'), a folder with cmkd.json, or a .csv with --csv-modality/--label", 'digits')
      .requiredOption('--student <modality>', 'the modality available at deployment')
      .option('--teachers <list>', "candidate teacher modalities (default: every other modality; 'a+b' fuses a and b)")
      .option('--methods <list>', `methods to distill from the recommended teacher (${METHOD_IDS.join(',')})`)
      .option('--budget <name>', `compute budget (${BUDGETS.join('|')})`, 'quick')
      .option('--estimator <name>', `MI estimator for CCH (${MI_ESTIMATORS.join('|')})`, 'ksg')
      .option('--no-fusion', 'no fusion teacher on all candidate modalities')
      .option('--seed <int>', 'seed of splits and initial weights', '0')
      .option('--repeats <n>', "repeated splits (default: the budget's)")
      .option('--max-steps <n>', "training length in optimizer steps, whatever the data size (default: the budget's)")
      .option('--epochs <n>', 'train a fixed number of epochs instead of --max-steps')
      .option('--patience <n>', "early-stopping patience in epochs (default: the budget's, in steps)")
      .option('--samples <n>', "use a stratified subsample of at most n rows (default: the budget's cap)")
      .option('--allow-small', 'run on data too small for trustworthy results (fewer than 50 rows, or a class with fewer than 5)')
      .option('--out <dir>', 'run folder (default runs/run-<timestamp>)')
      .option('--resume', 'reuse the finished stages of an interrupted run in --out')
      .option('--json', 'print the full result as JSON')
      .option('--quiet', 'no progress on stderr'),
  ).action(async (spec: string, f: RunFlags) => {
    const outDir = f.out ?? defaultRunDir('run');
    const seed = numberOption('--seed', f.seed, { integer: true, min: 0 }) ?? 0;
    const budget = oneOf('budget', f.budget, BUDGETS);
    const estimator = oneOf<MIEstimatorName>('estimator', f.estimator, MI_ESTIMATORS);
    const positive = (flag: string, v: string | undefined) => numberOption(flag, v, { integer: true, min: 1 });
    const overrides = {
      repeats: positive('--repeats', f.repeats),
      maxSteps: positive('--max-steps', f.maxSteps),
      epochs: positive('--epochs', f.epochs),
      patience: positive('--patience', f.patience),
      samples: positive('--samples', f.samples),
    };
    const bars = progressBars({ quiet: Boolean(f.quiet) });
    const { signal, release } = interruptSignal();
    try {
      // runMainJob validates the dataset it is given; loading does not check it a second time.
      const dataset = await loadForCommand(spec, f, bars, false);
      const result = await runMainJob({
        dataset,
        student: f.student,
        teachers: list(f.teachers),
        methods: list(f.methods),
        budget,
        ...overrides,
        allowSmall: Boolean(f.allowSmall),
        estimator,
        fusion: f.fusion === false ? false : undefined,
        seed,
        outDir,
        resume: Boolean(f.resume),
        onProgress: bars,
        signal,
      });
      bars.stop();
      for (const w of result.warnings) warn(w);
      for (const note of result.notes) warn(note);
      emit(result, { json: Boolean(f.json) }, (r) => humanRun(r, outDir));
    } finally {
      bars.stop();
      release();
    }
  });
}
