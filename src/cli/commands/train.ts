import type { Command } from 'commander';
import path from 'node:path';
import { stratifiedSplit } from '../../data/index.js';
import { BACKEND_CHOICES, initEngine, type BackendChoice } from '../../engine/index.js';
import { MODEL_KINDS, parseIntList, saveModel, type ModelKind, type SpecOverrides } from '../../models/index.js';
import {
  evaluateModel,
  OPTIMIZERS,
  SCHEDULES,
  trainOnModality,
  type EarlyStoppingMetric,
  type Evaluation,
  type OptimizerName,
  type ScheduleName,
} from '../../train/index.js';
import { oneOf } from '../../util/errors.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { VERSION } from '../../version.js';
import { emit, num, progressBars } from '../output.js';
import { addDatasetFlags, interruptSignal, loadForCommand, numberOption, type DatasetFlags, prepareOutDir } from '../common.js';

interface TrainFlags extends DatasetFlags {
  modality: string;
  out: string;
  model?: string;
  hidden?: string;
  channels?: string;
  blocks?: string;
  dropout?: string;
  epochs: string;
  lr: string;
  batchSize: string;
  optimizer: string;
  momentum?: string;
  weightDecay?: string;
  schedule: string;
  patience: string;
  monitor: string;
  augment?: boolean;
  seed: string;
  splitSeed: string;
  resume?: boolean;
  backend: string;
  json?: boolean;
  quiet?: boolean;
}

/** Human summary of an evaluation, one line. */
export function evaluationLine(e: Evaluation): string {
  return Object.entries(e.summary)
    .map(([k, v]) => `${k} ${num(v)}`)
    .join('  ');
}

export function register(program: Command): void {
  addDatasetFlags(
    program
      .command('train')
      .description(
        'train a model on one modality: stratified 70/10/20 split, standardised on train, early stopping on val; saves model + metrics.json',
      )
      .argument('<dataset>', "'digits' (or 'digits?n=2000'), a directory with cmkd.json, or a .csv with --csv-modality/--label")
      .requiredOption('--modality <name>', 'the modality to train on')
      .requiredOption('--out <dir>', 'output directory (model.json, weights.bin, metrics.json, checkpoint/)')
      .option('--model <kind>', `architecture: ${MODEL_KINDS.join('|')} (default: cnn for images, mlp for tables)`)
      .option('--hidden <sizes>', 'dense widths, comma-separated; the last is the embedding (mlp, cnn)')
      .option('--channels <sizes>', 'conv channels per block (cnn) or per stage (resnet), comma-separated')
      .option('--blocks <n>', 'resnet: basic blocks per stage')
      .option('--dropout <p>', 'dropout rate before the logits')
      .option('--epochs <n>', 'maximum epochs', '30')
      .option('--lr <x>', 'learning rate', '0.001')
      .option('--batch-size <n>', 'batch size', '64')
      .option('--optimizer <name>', OPTIMIZERS.join('|'), 'adam')
      .option('--momentum <x>', 'sgd momentum (default 0.9)')
      .option('--weight-decay <x>', 'weight decay on kernels (adamw default 0.01)')
      .option('--schedule <name>', SCHEDULES.join('|'), 'constant')
      .option('--patience <n>', 'early-stopping patience in epochs (0: off; the best epoch is still restored)', '10')
      .option('--monitor <metric>', 'early-stopping signal: val_loss or val_metric (accuracy / MSE)', 'val_loss')
      .option('--augment', 'random flips and 90° rotations of images (not for digits: flips change some digits)')
      .option('--seed <n>', 'seed of weights, shuffling and dropout', '0')
      .option('--split-seed <n>', 'seed of the train/val/test split', '0')
      .option('--resume', 'continue an interrupted run from <out>/checkpoint')
      .option('--backend <name>', `TF.js backend (${BACKEND_CHOICES.join('|')})`, 'auto')
      .option('--json', 'print the result as JSON')
      .option('--quiet', 'no progress on stderr'),
  ).action(async (spec: string, f: TrainFlags) => {
    prepareOutDir('--out', f.out, Boolean(f.resume));
    const backend = oneOf<BackendChoice>('backend', f.backend, BACKEND_CHOICES);
    const kind = f.model === undefined ? undefined : oneOf<ModelKind>('model', f.model, MODEL_KINDS);
    const architecture: SpecOverrides = {};
    if (f.hidden !== undefined) architecture.hidden = parseIntList(f.hidden, '--hidden');
    if (f.channels !== undefined) architecture.channels = parseIntList(f.channels, '--channels');
    if (f.blocks !== undefined) architecture.blocks = numberOption('--blocks', f.blocks, { integer: true, min: 1 });
    if (f.dropout !== undefined) architecture.dropout = numberOption('--dropout', f.dropout, { min: 0, max: 0.99 });
    const patience = numberOption('--patience', f.patience, { integer: true, min: 0 }) as number;
    const settings = {
      epochs: numberOption('--epochs', f.epochs, { integer: true, min: 1 }) as number,
      lr: numberOption('--lr', f.lr, { above: 0 }) as number,
      batchSize: numberOption('--batch-size', f.batchSize, { integer: true, min: 1 }) as number,
      optimizer: oneOf<OptimizerName>('optimizer', f.optimizer, OPTIMIZERS),
      momentum: numberOption('--momentum', f.momentum, { min: 0, max: 0.999 }),
      weightDecay: numberOption('--weight-decay', f.weightDecay, { min: 0 }),
      schedule: oneOf<ScheduleName>('schedule', f.schedule, SCHEDULES),
      earlyStopping:
        patience === 0
          ? (false as const)
          : { patience, metric: oneOf<EarlyStoppingMetric>('monitor', f.monitor, ['val_loss', 'val_metric']) },
      augment: Boolean(f.augment),
      seed: numberOption('--seed', f.seed, { integer: true, min: 0 }) as number,
    };
    const splitSeed = numberOption('--split-seed', f.splitSeed, { integer: true, min: 0 }) as number;

    await initEngine({ backend });
    const bars = progressBars({ quiet: Boolean(f.quiet) });
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
