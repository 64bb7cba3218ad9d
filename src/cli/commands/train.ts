import type { Command } from 'commander';
import path from 'node:path';
import { stratifiedSplit } from '../../data/index.js';
import { initEngine } from '../../engine/index.js';
import { saveModel } from '../../models/index.js';
import {
  evaluateModel,
  OPTIMIZERS,
  SCHEDULES,
  trainOnModality,
  type Evaluation,
  type OptimizerName,
  type ScheduleName,
} from '../../train/index.js';
import { oneOf } from '../../util/errors.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { VERSION } from '../../version.js';
import { emit, num, progressBars } from '../output.js';
import { addDatasetFlags, interruptSignal, loadForCommand, type DatasetFlags, prepareOutDir } from '../common.js';
import {
  addBackendFlag,
  addBudgetFlags,
  addOutputFlags,
  backendOption,
  isQuiet,
  numberOption,
  parseBudget,
  range,
  RANGES,
  type BudgetFlags,
  type OutputFlags,
} from '../options.js';

interface TrainFlags extends DatasetFlags, BudgetFlags, OutputFlags {
  modality: string;
  out: string;
  optimizer: string;
  momentum?: string;
  weightDecay?: string;
  schedule: string;
  augment?: boolean;
  splitSeed: string;
  resume?: boolean;
  backend?: string;
}

/** Human summary of an evaluation, one line. */
export function evaluationLine(e: Evaluation): string {
  return Object.entries(e.summary)
    .map(([k, v]) => `${k} ${num(v)}`)
    .join('  ');
}

/** `cmkd train`'s defaults of the budget flags. */
const DEFAULTS = { epochs: 30, lr: 1e-3, batchSize: 64, patience: 10 };

export function register(program: Command): void {
  addOutputFlags(
    addBackendFlag(
      addBudgetFlags(
        addDatasetFlags(
          program
            .command('train')
            .description(
              'train a model on one modality: stratified 70/10/20 split, standardised on train, early stopping on val; saves model + metrics.json',
            )
            .argument('<dataset>', "'digits' (or 'digits?n=2000'), a directory with cmkd.json, or a .csv with --csv-modality/--label")
            .requiredOption('--modality <name>', 'the modality to train on')
            .requiredOption('--out <dir>', 'output directory (model.json, weights.bin, metrics.json, checkpoint/)')
            .option('--optimizer <name>', OPTIMIZERS.join('|'), 'adam')
            .option('--momentum <x>', `sgd momentum (default 0.9) ${range(RANGES.momentum)}`)
            .option('--weight-decay <x>', `weight decay on kernels (adamw default 0.01) ${range(RANGES.weightDecay)}`)
            .option('--schedule <name>', SCHEDULES.join('|'), 'constant')
            .option('--augment', 'random flips and 90° rotations of images (not for digits: flips change some digits)')
            .option('--split-seed <n>', `seed of the train/val/test split ${range(RANGES.splitSeed)}`, '0')
            .option('--resume', 'continue an interrupted run from <out>/checkpoint'),
        ),
        { epochs: '30', lr: '0.001', batchSize: '64', patience: '10', monitor: 'val_loss' },
        { depth: true },
      ),
    ),
  ).action(async (spec: string, f: TrainFlags) => {
    prepareOutDir('--out', f.out, Boolean(f.resume));
    const backend = backendOption(f);
    const budget = parseBudget(f, DEFAULTS);
    const kind = budget.kind;
    const architecture = budget.architecture;
    const settings = {
      epochs: budget.training.epochs,
      lr: budget.training.lr,
      batchSize: budget.training.batchSize,
      optimizer: oneOf<OptimizerName>('optimizer', f.optimizer, OPTIMIZERS),
      momentum: numberOption('--momentum', f.momentum, RANGES.momentum),
      weightDecay: numberOption('--weight-decay', f.weightDecay, RANGES.weightDecay),
      schedule: oneOf<ScheduleName>('schedule', f.schedule, SCHEDULES),
      earlyStopping: budget.training.earlyStopping,
      augment: Boolean(f.augment),
      seed: budget.seed,
    };
    const splitSeed = numberOption('--split-seed', f.splitSeed, RANGES.splitSeed) as number;

    await initEngine({ backend });
    const bars = progressBars({ quiet: isQuiet(f) });
    const { signal, release } = interruptSignal();
    try {
      const ds = await loadForCommand(spec, f, bars);
      const split = stratifiedSplit(ds, { seed: splitSeed });
      const trained = await trainOnModality(ds, {
        ...settings,
        modality: f.modality,
        split,
        kind,
        architecture,
        checkpointDir: path.join(f.out, 'checkpoint'),
        resume: Boolean(f.resume),
        onProgress: bars,
        signal,
      });
      const { model, prepared, result } = trained;
      const val = prepared.val.n ? await evaluateModel(model, prepared.val.x, prepared.val.y, ds.task) : null;
      const test = prepared.test.n ? await evaluateModel(model, prepared.test.x, prepared.test.y, ds.task) : null;
      const training = {
        ...settings,
        splitSeed,
        bestEpoch: result.bestEpoch,
        epochsRun: result.history.length,
        stoppedEarly: result.stoppedEarly,
      };
      const meta = { ...trained.meta, extra: { ...trained.meta.extra, training, test: test?.summary ?? null } };
      await saveModel(f.out, model, meta);
      const report = {
        cmkd: VERSION,
        dataset: ds.name,
        modality: f.modality,
        task: ds.task,
        split: { seed: splitSeed, train: split.train.length, val: split.val.length, test: split.test.length },
        spec: trained.spec,
        training,
        metricName: result.metricName,
        history: result.history,
        val,
        test,
        out: f.out,
      };
      await writeJsonAtomic(path.join(f.out, 'metrics.json'), report);
      model.dispose();
      bars.stop();
      emit(report, f, (r) =>
        [
          `trained ${r.spec.kind} on ${r.dataset}/${r.modality}: best epoch ${r.training.bestEpoch} of ${r.training.epochsRun}${r.training.stoppedEarly ? ' (early stop)' : ''}; split ${r.split.train}/${r.split.val}/${r.split.test}`,
          r.val ? `val:  ${evaluationLine(r.val)}` : '',
          r.test ? `test: ${evaluationLine(r.test)}` : '',
          `saved ${path.join(r.out, 'model.json')} (+ weights.bin, metrics.json)`,
        ]
          .filter(Boolean)
          .join('\n'),
      );
    } finally {
      bars.stop();
      release();
    }
  });
}
