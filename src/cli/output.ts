/**
 * What the CLI shows: tables for people, JSON for scripts, progress bars on stderr.
 * Commands build a result object and hand it here; nothing else in cmkd writes to the terminal.
 */
import cliProgress from 'cli-progress';
import { formatNumber } from '../util/format.js';
import { escapeControl } from '../util/text.js';

export interface OutputOptions {
  json?: boolean;
}

/** Print `result` as JSON (with --json) or through `human` for people. */
export function emit<T>(result: T, opts: OutputOptions, human: (r: T) => string): void {
  if (opts.json) {
    process.stdout.write(JSON.stringify(result, jsonReplacer, 2) + '\n');
  } else {
    // Names come from users' files (CSV headers, class names): no ANSI escape reaches the terminal.
    process.stdout.write(escapeControl(human(result), true).replace(/\n?$/, '\n'));
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as unknown as ArrayLike<number>);
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  return value;
}

/** Render rows as an aligned text table; numbers (in the one number format, src/util/format.ts) are right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  // Escaped before measuring, so a name holding control characters keeps the columns aligned.
  const cells = [
    header.map((h) => escapeControl(h)),
    ...rows.map((r) => r.map((c) => (typeof c === 'number' ? num(c) : escapeControl(c)))),
  ];
  const widths = header.map((_, j) => Math.max(...cells.map((r) => String(r[j] ?? '').length)));
  const line = (r: (string | number)[], isHeader: boolean) =>
    r
      .map((c, j) => {
        const s = String(c ?? '');
        return !isHeader && typeof rows[0]?.[j] === 'number' ? s.padStart(widths[j]) : s.padEnd(widths[j]);
      })
      .join('  ')
      .trimEnd();
  return [line(cells[0], true), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map((r) => line(r, false))].join('\n');
}

/** A number for the terminal: whole numbers (counts, ranks) as they are, others with the report's significant digits. */
export function num(x: number): string {
  return formatNumber(x, Number.isInteger(x) ? { digits: 0 } : {});
}

/** Progress reporting callback type used by library functions (they never draw bars themselves). */
export type { ProgressEvent, ProgressFn } from '../util/progress.js';
import type { ProgressFn } from '../util/progress.js';

/**
 * A progress callback that draws bars on stderr (only when stderr is a terminal, or always
 * with force) and can be handed to any library function that takes `onProgress`.
 */
export function progressBars(opts: { quiet?: boolean } = {}): ProgressFn & { stop(): void } {
  const enabled = !opts.quiet && process.stderr.isTTY;
  const multi = enabled
    ? new cliProgress.MultiBar(
        { format: ' {task} [{bar}] {value}/{total} {detail}', hideCursor: true, clearOnComplete: false, stream: process.stderr },
        cliProgress.Presets.shades_classic,
      )
    : null;
  const bars = new Map<string, cliProgress.SingleBar>();
  const lastLine = new Map<string, number>();
  const fn = ((ev) => {
    if (multi) {
      let bar = bars.get(ev.task);
      if (!bar) {
        bar = multi.create(ev.total, 0, { task: ev.task, detail: '' });
        bars.set(ev.task, bar);
      }
      bar.setTotal(ev.total);
      bar.update(ev.done, { task: ev.task, detail: ev.detail ?? '' });
    } else if (!opts.quiet) {
      // Non-interactive: one line per task at most every 10% so logs stay readable.
      const step = Math.floor((10 * ev.done) / Math.max(1, ev.total));
      if (ev.done === ev.total || step !== lastLine.get(ev.task)) {
        lastLine.set(ev.task, step);
        process.stderr.write(escapeControl(`[${ev.task}] ${ev.done}/${ev.total}${ev.detail ? ' ' + ev.detail : ''}`) + '\n');
      }
    }
  }) as ProgressFn & { stop(): void };
  fn.stop = () => multi?.stop();
  return fn;
}

/** One warning line on stderr (stdout is for results and --json). */
export function warn(message: string): void {
  process.stderr.write(`cmkd: warning: ${escapeControl(message)}\n`);
}
