/**
 * What an experiment is to the `cmkd experiment <name>` command: a name, its options and a
 * run function. Experiments register in registry.ts; the CLI builds one subcommand per entry.
 */
import type { QueueTarget } from '../run/cells.js';
import { numberListOption, numberOption, type NumberRule } from '../util/numbers.js';
import { CmkdError } from '../util/errors.js';
import type { ProgressFn } from '../util/progress.js';

export interface ExperimentOption {
  /** Commander flags, e.g. '--n <int>'. */
  flags: string;
  description: string;
  /** Key of the parsed value in the options handed to run() (commander's camelCase of the flag). */
  key: string;
  /** Turns the raw command-line string into the option value; throws CmkdError naming the flag. */
  parse: (raw: string) => unknown;
}

export interface ExperimentContext {
  onProgress?: ProgressFn;
  signal?: AbortSignal;
  /** Reuse the finished cells of an interrupted run in the same folder (default: compute every cell afresh). */
  resume?: boolean;
  /** Processes running the plan's cells: 1 (default) runs them here; more, on a pool of local worker processes. */
  workers?: number;
  /** Run the plan's cells on `cmkd worker` processes serving this Redis queue instead. */
  queue?: QueueTarget;
}

/** Options every experiment receives from the CLI besides its own. */
export interface CommonExperimentOptions {
  /** Run folder (the CLI defaults it to runs/<name>-<timestamp>). */
  outDir: string;
  /** Small, fast configuration for smoke tests. */
  quick: boolean;
}

/** A short report for people: paragraphs and tables, rendered by the CLI. */
export type ReportBlock = { text: string } | { table: { header: string[]; rows: (string | number)[][] } };

export interface ExperimentOutcome {
  /** Everything the run measured (printed as JSON with --json). */
  result: unknown;
  report: ReportBlock[];
}

export interface ExperimentDefinition {
  name: string;
  description: string;
  options: ExperimentOption[];
  run(opts: CommonExperimentOptions & Record<string, unknown>, ctx: ExperimentContext): Promise<ExperimentOutcome>;
}

/**
 * An experiment's integer option, from `min` to `max` (a sanity cap far past any useful setting, so
 * a slip is refused at once instead of running; seeds stop at 2³² − 1, where makeRng wraps).
 */
export function parseIntOption(flag: string, min = 0, max = 10_000_000): (raw: string) => number {
  return (raw) => numberOption(flag, raw, { integer: true, min, max })!;
}

/** An experiment's number option within its rule (default: from −10⁶ to 10⁶). */
export function parseNumberOption(flag: string, rule: NumberRule = { min: -1e6, max: 1e6 }): (raw: string) => number {
  return (raw) => numberOption(flag, raw, rule)!;
}

/** Comma-separated numbers, e.g. '0.2,0.3,0.5', each within the rule (default: from −10⁶ to 10⁶). */
export function parseNumberListOption(flag: string, rule: NumberRule = { min: -1e6, max: 1e6 }): (raw: string) => number[] {
  return (raw) => numberListOption(flag, raw, rule)!;
}

export function parseChoiceOption<T extends string>(flag: string, allowed: readonly T[]): (raw: string) => T {
  return (raw) => {
    if ((allowed as readonly string[]).includes(raw)) return raw as T;
    throw new CmkdError(`${flag} must be one of ${allowed.join(', ')}, got '${raw}'`, 'invalid-option');
  };
}
