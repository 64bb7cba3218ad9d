/**
 * The CLI's one option layer: the flags several commands share (--backend, --json/--quiet, the
 * training budget, --workers/--queue), declared once each, and the one parser of numbers and
 * comma lists. A bad value is one line naming the flag and what was expected (exit 2 by main.ts):
 *
 *   --seed '9007199254740993': expected an integer from 0 to 4294967295
 *
 * Every numeric flag is bounded (RANGES), and its help shows the bounds from the same rule.
 */
import { availableParallelism, cpus } from 'node:os';
import type { Command } from 'commander';
import { BACKEND_CHOICES, type BackendChoice } from '../engine/index.js';
import { MODEL_KINDS, type ModelKind, type SpecOverrides } from '../models/index.js';
import { DEFAULT_SPLITS, KFOLD_BELOW, KFOLD_K, KFOLD_K_LARGE, SPLIT_SCHEMES, type SplitScheme } from '../data/index.js';
import { queueConnection, type QueueTarget } from '../run/index.js';
import type { EarlyStoppingMetric } from '../train/index.js';
import type { TrainSettings } from '../train/distill.js';
import { CmkdError, oneOf } from '../util/errors.js';
import { numberOption, numberOrAutoOption, numberListOption, listOption, expected, range, type NumberRule } from '../util/numbers.js';

export { numberOption, numberOrAutoOption, numberListOption, listOption, expected, range, type NumberRule };
import { warn } from './output.js';

/** A seed: makeRng (src/util/rng.ts) keeps `seed >>> 0`, so a seed past 2³² − 1 would replay a smaller seed's stream. */
const SEED: NumberRule = { integer: true, min: 0, max: 2 ** 32 - 1 };
/** A KD loss weight (α, β, λ). */
const WEIGHT: NumberRule = { min: 0, max: 1000 };

/**
 * The values each numeric flag accepts, one entry per flag: the same flag takes the same values in
 * every command (a command may narrow a rule, e.g. `cmkd run --patience` starts at 1). The upper
 * bounds are sanity caps far beyond any useful setting, so a slip (`--max-steps 1e20`, a training
 * that never ends) is refused at once instead of running.
 */
export const RANGES = {
  seed: SEED,
  splitSeed: SEED,
  /** Repeated splits, each training its own models (the budgets' looks stop at 20). */
  repeats: { integer: true, min: 1, max: 100 },
  /** The cap of sequential splits: at least a second look. */
  maxRepeats: { integer: true, min: 2, max: 100 },
  /**
   * A practical margin in the headline metric's units (F1, or the MSE of the targets in their own
   * units, which has no natural scale): the cap only refuses a slip, far past any float32 metric's use.
   */
  delta: { above: 0, max: 1e30 },
  /** Optimizer steps: 10⁷ is days of training at the budgets' batch sizes. */
  maxSteps: { integer: true, min: 1, max: 10_000_000 },
  epochs: { integer: true, min: 1, max: 10_000 },
  /** Early-stopping patience in epochs; 0 = off where a command allows it. */
  patience: { integer: true, min: 0, max: 10_000 },
  /** Rows of a subsample. */
  samples: { integer: true, min: 1, max: 1_000_000_000 },
  /** Resamples of the MI estimator's interval; 0 = none. */
  bootstrap: { integer: true, min: 0, max: 100_000 },
  /** Neighbours of ksg/latent. */
  k: { integer: true, min: 1, max: 1000 },
  ci: { above: 0, max: 0.999999 },
  /** PCA width of a representation. */
  dims: { integer: true, min: 1, max: 10_000 },
  /** Local worker processes. */
  workers: { integer: true, min: 1, max: 1024 },
  lr: { above: 0, max: 100 },
  batchSize: { integer: true, min: 1, max: 1_000_000 },
  /** Layer widths of --hidden and --channels. */
  width: { integer: true, min: 1, max: 65_536 },
  blocks: { integer: true, min: 1, max: 64 },
  dropout: { min: 0, max: 0.99 },
  momentum: { min: 0, max: 0.999 },
  weightDecay: { min: 0, max: 1 },
  temperature: { above: 0, max: 1000 },
  alpha: WEIGHT,
  beta: WEIGHT,
  lambda: WEIGHT,
  latentDim: { integer: true, min: 1, max: 4096 },
  port: { integer: true, min: 0, max: 65_535 },
  /** A day. */
  lockSeconds: { min: 1, max: 86_400 },
} satisfies Record<string, NumberRule>;

// --json and --quiet -----------------------------------------------------------------------------

export interface OutputFlags {
  json?: boolean;
  quiet?: boolean;
}

/** `--quiet`: progress is all it silences; results, warnings and errors are always printed. */
export function addQuietFlag(cmd: Command, help = 'no progress on stderr'): Command {
  return cmd.option('--quiet', help);
}

/**
 * `--json` (the result as JSON on stdout), and `--quiet` for a command that shows progress
 * (`progress: false` for one that has none).
 */
export function addOutputFlags(cmd: Command, o: { progress?: boolean; json?: string } = {}): Command {
  cmd.option('--json', o.json ?? 'print the result as JSON');
  return o.progress === false ? cmd : addQuietFlag(cmd);
}

/**
 * The one quiet rule: no progress with --quiet or --json (a script reading the JSON gets a stderr
 * of warnings and errors only).
 */
export function isQuiet(f: OutputFlags): boolean {
  return Boolean(f.quiet || f.json);
}

// --backend --------------------------------------------------------------------------------------

/**
 * `--backend`: the TF.js backend every command that runs models takes. Absent, the engine's own
 * default applies (src/engine/index.ts: $CMKD_BACKEND, else auto), as it does for the pool's workers.
 */
/** --splits, for every command that plans splits (run, cch, sweep). */
export function addSplitsFlag(cmd: Command): Command {
  return cmd.option(
    '--splits <scheme>',
    `how rows are split from ${KFOLD_BELOW} rows on: ${SPLIT_SCHEMES.join('|')} (default ${DEFAULT_SPLITS}: stratified ${KFOLD_K_LARGE}-fold, test parts disjoint within a round; random: repeated 70/10/20); below ${KFOLD_BELOW} rows always stratified ${KFOLD_K}-fold`,
  );
}

export function splitsOption(f: { splits?: string }): SplitScheme | undefined {
  return f.splits === undefined ? undefined : oneOf<SplitScheme>('--splits', f.splits, SPLIT_SCHEMES);
}

export function addBackendFlag(cmd: Command, note = ''): Command {
  return cmd.option('--backend <name>', `TF.js backend (${BACKEND_CHOICES.join('|')}; default: $CMKD_BACKEND, else auto)${note}`);
}

/** The --backend value, checked; undefined when absent (initEngine then takes $CMKD_BACKEND, else auto). */
export function backendOption(f: { backend?: string }): BackendChoice | undefined {
  return f.backend === undefined ? undefined : oneOf<BackendChoice>('backend', f.backend, BACKEND_CHOICES);
}

// The training budget: architecture and optimisation ---------------------------------------------

/** Architecture and optimisation flags of the commands that train models with epochs (train, distill, sweep). */
export interface BudgetFlags extends ArchitectureFlags {
  epochs?: string;
  lr?: string;
  batchSize?: string;
  patience?: string;
  monitor?: string;
  seed?: string;
}

/** The architecture flags: the family and its widths (and, with `depth`, resnet blocks and dropout). */
export interface ArchitectureFlags {
  model?: string;
  hidden?: string;
  channels?: string;
  blocks?: string;
  dropout?: string;
}

/**
 * --model, --hidden, --channels, and with `depth` --blocks and --dropout; `note` ends the help of each width (e.g. the
 * default), `modelDefault` says the default of --model.
 */
export function addArchitectureFlags(cmd: Command, o: { depth?: boolean; note?: string; modelDefault?: string } = {}): Command {
  const note = o.note ?? '';
  cmd
    .option('--model <kind>', `architecture: ${MODEL_KINDS.join('|')} (default: ${o.modelDefault ?? 'cnn for images, mlp for tables'})`)
    .option(
      '--hidden <sizes>',
      `dense widths, comma-separated; the last is the embedding (mlp, cnn; linear has none)${note} ${range(RANGES.width)}`,
    )
    .option('--channels <sizes>', `conv channels per block (cnn) or per stage (resnet), comma-separated${note} ${range(RANGES.width)}`);
  if (!o.depth) return cmd;
  return cmd
    .option('--blocks <n>', `resnet: basic blocks per stage ${range(RANGES.blocks)}`)
    .option('--dropout <p>', `dropout rate before the logits ${range(RANGES.dropout)}`);
}

/** The architecture flags parsed: the family (undefined: by modality) and the widths given (only those). */
export function parseArchitecture(f: ArchitectureFlags): { kind?: ModelKind; architecture: SpecOverrides } {
  const kind = f.model === undefined ? undefined : oneOf<ModelKind>('model', f.model, MODEL_KINDS);
  const architecture: SpecOverrides = {};
  if (f.hidden !== undefined) architecture.hidden = numberListOption('--hidden', f.hidden, RANGES.width);
  if (f.channels !== undefined) architecture.channels = numberListOption('--channels', f.channels, RANGES.width);
  if (f.blocks !== undefined) architecture.blocks = numberOption('--blocks', f.blocks, RANGES.blocks);
  if (f.dropout !== undefined) architecture.dropout = numberOption('--dropout', f.dropout, RANGES.dropout);
  if (kind === 'linear') {
    const widths = (['hidden', 'channels', 'blocks'] as const).filter((k) => f[k] !== undefined);
    if (widths.length)
      throw new CmkdError(
        `--${widths[0]}: a linear model (--model linear) has no hidden layers, channels or blocks; leave the flag out or choose --model mlp`,
        'invalid-option',
      );
  }
  return { kind, architecture };
}

/** The budget flags (after the architecture's; `depth` as there); `defaults` are the command's, shown in the help (parseBudget applies them). */
export function addBudgetFlags(
  cmd: Command,
  defaults: { epochs: string; lr: string; batchSize: string; patience: string; monitor: EarlyStoppingMetric },
  o: { depth?: boolean } = {},
): Command {
  return addArchitectureFlags(cmd, o)
    .option('--epochs <n>', `maximum epochs (default ${defaults.epochs}) ${range(RANGES.epochs)}`)
    .option('--lr <x>', `learning rate (default ${defaults.lr}) ${range(RANGES.lr)}`)
    .option('--batch-size <n>', `batch size (default ${defaults.batchSize}) ${range(RANGES.batchSize)}`)
    .option(
      '--patience <n>',
      `early-stopping patience in epochs, 0 = off (the best epoch is still restored; default ${defaults.patience}) ${range(RANGES.patience)}`,
    )
    .option(
      '--monitor <metric>',
      'model selection and early stopping on val_metric (accuracy / MSE) or val_loss (task loss)',
      defaults.monitor,
    )
    .option('--seed <n>', `seed of weights, shuffling and dropout ${range(RANGES.seed)}`, '0');
}

/** Parse the budget flags over `defaults` (used where a flag is absent). */
export function parseBudget(
  f: BudgetFlags,
  defaults: { epochs: number; lr: number; batchSize: number; patience: number; architecture?: SpecOverrides },
): { training: TrainSettings; kind?: ModelKind; architecture: SpecOverrides; seed: number } {
  const { kind, architecture: given } = parseArchitecture(f);
  const architecture: SpecOverrides = { ...defaults.architecture, ...given };
  const patience = numberOption('--patience', f.patience, RANGES.patience) ?? defaults.patience;
  return {
    training: {
      epochs: numberOption('--epochs', f.epochs, RANGES.epochs) ?? defaults.epochs,
      lr: numberOption('--lr', f.lr, RANGES.lr) ?? defaults.lr,
      batchSize: numberOption('--batch-size', f.batchSize, RANGES.batchSize) ?? defaults.batchSize,
      earlyStopping:
        patience === 0
          ? false
          : {
              patience,
              metric: oneOf<EarlyStoppingMetric>('monitor', f.monitor ?? 'val_metric', ['val_loss', 'val_metric']),
            },
    },
    kind,
    architecture,
    seed: numberOption('--seed', f.seed ?? '0', RANGES.seed) as number,
  };
}

// --workers and --queue --------------------------------------------------------------------------

export interface ExecutorFlags {
  workers: string;
  queue?: string;
  queueKey?: string;
}

/** What --queue-key says, shown by the submitters and `cmkd worker` alike. */
export const QUEUE_KEY_HELP =
  'shared key the queued jobs are signed with (HMAC-SHA256); workers given a key refuse jobs not signed with it (default: env CMKD_QUEUE_KEY, which keeps it out of the process list)';

/** `--queue-key <key>`, else env CMKD_QUEUE_KEY; undefined when neither is set. */
export function queueKeyOption(flag: string | undefined): string | undefined {
  const [key, from] = flag !== undefined ? [flag, '--queue-key'] : [process.env.CMKD_QUEUE_KEY, 'CMKD_QUEUE_KEY'];
  if (key === undefined) return undefined;
  if (key === '') throw new CmkdError(`${from} is empty: expected the shared key, or leave it unset for unsigned jobs`, 'invalid-option');
  return key;
}

/** `--workers` and `--queue`: where a plan's cells run (src/run/cells.ts). */
export function addExecutorFlags(cmd: Command): Command {
  return cmd
    .option(
      '--workers <n|auto>',
      `processes training models at once, one core each ${range(RANGES.workers)}, at most the cores; auto: the cores idle now (measured over 0.2 s, at least 1)`,
      'auto',
    )
    .option('--queue <url>', 'run the cells on `cmkd worker` processes serving this Redis queue, e.g. redis://host:6379/0')
    .option('--queue-key <key>', QUEUE_KEY_HELP);
}

/**
 * The cores idle now (at least 1): the CPU time they spent idle over 0.2 s, measured rather than
 * read from the load average, which lags a minute behind (right after a test run it still said
 * "busy" on an idle machine).
 */
export function idleCores(sampleMs = 200): number {
  const idleAndTotal = () =>
    cpus().reduce(
      ([idle, total], c) => [idle + c.times.idle, total + c.times.idle + c.times.user + c.times.nice + c.times.sys + c.times.irq],
      [0, 0],
    );
  const [idle0, total0] = idleAndTotal();
  // A synchronous pause: flags are parsed synchronously, and this runs once per command.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, sampleMs);
  const [idle1, total1] = idleAndTotal();
  const share = total1 > total0 ? (idle1 - idle0) / (total1 - total0) : 1;
  return Math.max(1, Math.round(share * availableParallelism()));
}

/** `--workers <n|auto>` (auto = idleCores(); n capped at the cores, with a warning) and `--queue <url>`: the CLI's one check of both. */
export function executorOptions(f: ExecutorFlags): { workers: number; queue?: QueueTarget } {
  if (f.queue !== undefined) {
    queueConnection(f.queue);
    // The cells run on the queue's workers: no local pool besides.
    if (f.workers !== 'auto' && f.workers !== '1')
      throw new CmkdError('--workers and --queue: give one (queued cells run on the workers serving the queue)', 'invalid-option');
    const key = queueKeyOption(f.queueKey);
    // A run waiting on a queue no worker serves is told, once on stderr, how to start one.
    return { workers: 1, queue: { url: f.queue, ...(key === undefined ? {} : { key }), onIdle: warn } };
  }
  if (f.queueKey !== undefined) throw new CmkdError('--queue-key: signs queued jobs; give it with --queue', 'invalid-option');
  const workers = numberOrAutoOption('--workers', f.workers, RANGES.workers) as number | 'auto';
  if (workers === 'auto') return { workers: idleCores() };
  // Each worker process trains on one core: more processes than cores only share them and add memory.
  const cores = availableParallelism();
  if (workers <= cores) return { workers };
  warn(
    `--workers ${workers}: this machine has ${cores} core${cores === 1 ? '' : 's'}; using ${cores} worker process${cores === 1 ? '' : 'es'}`,
  );
  return { workers: cores };
}
