/** Helpers every command shares: the output folder, Ctrl-C handling, and the dataset flags (the shared flags and number parsing: options.ts). */
import { accessSync, constants, mkdirSync, readdirSync, rmdirSync, statSync, type Stats } from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { loadDataset, type CsvModalityColumns, type LoadOptions, type MultimodalDataset } from '../data/index.js';
import type { QueueTarget } from '../run/index.js';
import { CmkdError, oneOf } from '../util/errors.js';
import { LOCK_FILE, lockFolder } from '../util/fs.js';
import { listOption } from './options.js';
import { warn, type progressBars } from './output.js';

/** Output folders this process made; those still empty at exit (bad input found after the check) are removed. */
const madeDirs = new Map<string, string>();
/** Releases of the output folders this process holds (lockFolder), by folder. */
const heldDirs = new Map<string, () => void>();

/** Releases every output folder this command took; main() calls it when the command ends, the exit handler too. */
export function releaseOutDirs(): void {
  for (const release of heldDirs.values()) release();
  heldDirs.clear();
}

process.once('exit', () => {
  releaseOutDirs();
  for (const [leaf, top] of madeDirs) {
    // The leaf, then each parent this process made with it, while empty.
    for (let dir = leaf; ; dir = path.dirname(dir)) {
      try {
        if (readdirSync(dir).length > 0) break;
        rmdirSync(dir);
      } catch {
        break;
      }
      if (dir === top) break;
    }
  }
});

/**
 * Checks an output folder before any work, so a bad `--out` fails at once with one line (exit 2)
 * instead of a crash after training: not empty, not under /proc, /sys or /dev, not an existing
 * file, not under a file, and inside a folder this process may write to. Creates it. A folder
 * that already holds files is refused unless the command continues it (`resume`: the command's
 * --resume flag; undefined for a command without one), so a new run never leaves an earlier
 * run's files beside its own. Takes the folder for this process until the command ends (lockFolder).
 */
export function prepareOutDir(flag: string, dir: string, resume?: boolean): string {
  if (dir.trim() === '') throw new CmkdError(`${flag} is empty; give the folder to write into`, 'invalid-option');
  const abs = path.resolve(dir);
  if (/^\/(proc|sys|dev)(\/|$)/.test(abs))
    throw new CmkdError(`${flag} '${dir}' is inside /proc, /sys or /dev; give a folder for results`, 'invalid-option');
  // The nearest existing ancestor must be a folder we can write in.
  let existing = abs;
  for (;;) {
    let st: Stats | null = null;
    try {
      st = statSync(existing);
    } catch {
      st = null;
    }
    if (st) {
      if (!st.isDirectory())
        throw new CmkdError(
          existing === abs
            ? `${flag} '${dir}' is an existing file, not a folder`
            : `${flag} '${dir}': '${existing}' is a file, not a folder`,
          'invalid-option',
        );
      if (existing === abs && !resume) {
        const held = readdirSync(abs).filter((f) => f !== LOCK_FILE);
        if (held.length > 0)
          throw new CmkdError(
            `${flag} '${dir}' already holds files (${held.length === 1 ? `'${held[0]}'` : `'${held[0]}' and ${held.length - 1} more`}) of an earlier run; ${resume === false ? 'pass --resume to continue it, or ' : ''}give a new or empty folder`,
            'invalid-option',
          );
      }
      break;
    }
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  try {
    accessSync(existing, constants.W_OK);
    const top = mkdirSync(abs, { recursive: true });
    if (top !== undefined) madeDirs.set(abs, top);
  } catch (e) {
    throw new CmkdError(
      `${flag} '${dir}': cannot create or write in it (${(e as NodeJS.ErrnoException).code ?? 'error'})`,
      'invalid-option',
    );
  }
  // Held until the command ends: a second run on the folder (two --resume at once) is refused, not run beside it.
  if (!heldDirs.has(abs)) heldDirs.set(abs, lockFolder(abs, flag));
  return dir;
}

/** The signal that ended this process's work, when one did (main() exits with its code and the interrupted line). */
let stoppedBy: NodeJS.Signals | null = null;

/** Exit code of work a signal stopped: 128 + the signal's number (the shell's), e.g. 130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (osConstants.signals[signal] ?? 2);
}

/** The signal interruptSignal received, if any (null when the work ended by itself). */
export function interruptedBy(): NodeJS.Signals | null {
  return stoppedBy;
}

/**
 * Ctrl-C, SIGTERM (`kill`, a scheduler's stop) and SIGHUP (the terminal closed) abort the run
 * cooperatively: the work stops after its current unit, finished results are kept, and the CLI
 * ends with one line and exit code signalExitCode (a second signal exits at once with it).
 * Returns the signal and a release function.
 */
export function interruptSignal(signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP']): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const onSignal = (s: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signalExitCode(s));
    stoppedBy = s;
    controller.abort();
  };
  for (const s of signals) process.on(s, onSignal);
  return {
    signal: controller.signal,
    release: () => {
      for (const s of signals) process.off(s, onSignal);
    },
  };
}

export interface DatasetFlags {
  csvModality: string[];
  image: string[];
  label?: string;
  task?: string;
  classes?: string;
  labelFile?: string;
  /** false with --no-header. */
  header?: boolean;
  allowOutside?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

/** Options locating a dataset that is a single CSV (passed to the data loader's column options). */
export function addDatasetFlags(cmd: Command): Command {
  return cmd
    .option(
      '--csv-modality <name=columns>',
      "single CSV: columns of a modality, comma list or glob (repeat per modality), e.g. a=c1,c2 or b='img_*'",
      collect,
      [],
    )
    .option('--image <name=HxWxC>', 'single CSV: that modality is an image of this shape, e.g. b=8x8x1 (repeatable)', collect, [])
    .option('--label <column>', 'single CSV: the label column (of --label-file when given)')
    .option(
      '--label-file <file>',
      'single CSV: labels from this file, row i labelling row i (.csv with one column or --label naming it, .npy, .json, IDX)',
    )
    .option('--no-header', "single CSV: the files have no header line; columns are named '1', '2', … by position")
    .option('--task <kind>', 'single CSV: classification (default) or regression')
    .option('--classes <names>', 'single CSV: declared class names, comma-separated (labels outside them are an error)')
    .option('--allow-outside', "cmkd.json: read files it names outside the dataset's folder (refused by default)");
}

/**
 * The dataset `run` and `cch` hand to the job: the spec itself when pool or queue workers load it
 * (each rebuilds the workspace from it), else loaded here, unvalidated — the job validates it and
 * returns what loading changed in its notes.
 */
export async function jobDataset(
  spec: string,
  flags: DatasetFlags,
  executor: { workers?: number; queue?: QueueTarget },
  onProgress?: ReturnType<typeof progressBars>,
): Promise<string | MultimodalDataset> {
  if ((executor.workers ?? 1) > 1 || executor.queue) return spec;
  return loadDataset(spec, { ...columnOptions(flags), onProgress, validate: false });
}

/**
 * Load the command's dataset argument with its dataset flags; what loading changed (a repeated
 * CSV column name renamed) is warned on stderr.
 */
export async function loadForCommand(
  spec: string,
  flags: DatasetFlags,
  onProgress?: ReturnType<typeof progressBars>,
  validate?: boolean,
): Promise<MultimodalDataset> {
  const ds = await loadDataset(spec, { ...columnOptions(flags), onProgress, ...(validate !== undefined ? { validate } : {}) });
  for (const w of ds.warnings ?? []) warn(w);
  return ds;
}

/** Turn --csv-modality/--image/--label/--task/--classes into the loader's column options. */
export function columnOptions(flags: DatasetFlags): Partial<LoadOptions> {
  const out: Partial<LoadOptions> = {};
  const pair = (flag: string, v: string): [string, string] => {
    const i = v.indexOf('=');
    if (i <= 0 || i === v.length - 1) throw new CmkdError(`${flag} '${v}': expected name=value`, 'invalid-option');
    return [v.slice(0, i).trim(), v.slice(i + 1).trim()];
  };
  const shapes = new Map<string, [number, number, number]>();
  for (const v of flags.image) {
    const [name, s] = pair('--image', v);
    const dims = s.split(/[x×,]/).map(Number);
    if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new CmkdError(`--image '${v}': expected name=HxWxC with positive integers, e.g. ${name}=28x28x1`, 'invalid-option');
    }
    shapes.set(name, dims as [number, number, number]);
  }
  if (flags.csvModality.length) {
    const modalities: Record<string, CsvModalityColumns> = {};
    for (const v of flags.csvModality) {
      const [name, columns] = pair('--csv-modality', v);
      if (name in modalities) throw new CmkdError(`--csv-modality '${v}': modality '${name}' is given twice`, 'invalid-option');
      const shape = shapes.get(name);
      modalities[name] = shape ? { columns, kind: 'image', shape } : columns;
    }
    for (const name of shapes.keys()) {
      if (!(name in modalities)) throw new CmkdError(`--image ${name}=…: there is no --csv-modality ${name}=…`, 'invalid-option');
    }
    out.modalities = modalities;
  } else if (shapes.size) {
    throw new CmkdError('--image needs the matching --csv-modality name=columns', 'invalid-option');
  }
  if (flags.label !== undefined) out.label = flags.label;
  if (flags.labelFile !== undefined) out.labelFile = flags.labelFile;
  if (flags.header === false) out.header = false;
  const kind = flags.task === undefined ? undefined : oneOf('task', flags.task, ['classification', 'regression'] as const);
  if (flags.classes !== undefined) {
    if (kind === 'regression') throw new CmkdError('--classes applies to classification, not --task regression', 'invalid-option');
    out.task = { kind: 'classification', classes: listOption('--classes', flags.classes) as string[] };
  } else if (kind) {
    out.task = kind;
  }
  if (flags.allowOutside) out.allowOutside = true;
  return out;
}

/**
 * A flag's old spelling, kept working but hidden from --help (one spelling per concept across
 * commands: `--student`, `--teacher`). The action reads `f.<new> ?? f.<old>`.
 */
export function hiddenAlias(cmd: Command, flags: string): Command {
  return cmd.addOption(new Option(flags).hideHelp());
}
