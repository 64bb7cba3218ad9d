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

/** Where progress goes: stderr, or in tests a stream that says whether it is a terminal. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): boolean;
}

/** The ETA for the bars: cli-progress's estimate, or '…' before it has one (it says 'NULL' or 'INF' then). */
const etaTime = (t: unknown, options: cliProgress.Options, roundTo: number): string =>
  typeof t === 'number' ? cliProgress.Format.TimeFormat(t, options, roundTo) : '…';

/**
 * A progress callback for any library function that takes `onProgress`, silent with quiet. On a
 * terminal: a bar per task with cli-progress's ETA. Otherwise (a log, CI): the outermost task alone
 * — tasks that start while it runs (each cell's epochs) are not shown — one line per unit it
 * finishes (per cell of a run); an outermost task with nothing inside it (a single model's epochs)
 * a line per tenth.
 */
export function progressBars(opts: { quiet?: boolean; stream?: ProgressStream } = {}): ProgressFn & { stop(): void } {
  const stream = opts.stream ?? process.stderr;
  const tty = !opts.quiet && stream.isTTY === true;
  const multi = tty
    ? new cliProgress.MultiBar(
        {
          format: ' {task} [{bar}] {value}/{total} ETA {eta_formatted} {detail}',
          formatTime: etaTime,
          // Cells differ in cost (a teacher, a distilled student, the CCH analysis): the rate over the last
          // 50 updates (~25 cells) instead of the library's 10.
          etaBuffer: 50,
          hideCursor: true,
          clearOnComplete: false,
          stream: stream as NodeJS.WritableStream,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  const bars = new Map<string, cliProgress.SingleBar>();
  // Without a terminal: the outermost running task, whether others ran inside it, and its last line.
  let outer: { task: string; nested: boolean; shown: number; step: number } | null = null;
  const fn = ((ev) => {
    if (multi) {
      let bar = bars.get(ev.task);
      if (!bar) {
        bar = multi.create(ev.total, 0, { task: ev.task, detail: '' });
        bars.set(ev.task, bar);
      }
      bar.setTotal(ev.total);
      bar.update(ev.done, { task: ev.task, detail: ev.detail ?? '' });
      return;
    }
    if (opts.quiet) return;
    if (outer === null) outer = { task: ev.task, nested: false, shown: ev.done, step: -1 };
    if (ev.task !== outer.task) {
      outer.nested = true;
      return;
    }
    const step = Math.floor((10 * ev.done) / Math.max(1, ev.total));
    const finished = ev.done >= ev.total;
    if (ev.done > outer.shown && (outer.nested || finished || step !== outer.step)) {
      outer.shown = ev.done;
      outer.step = step;
      stream.write(escapeControl(`[${ev.task}] ${ev.done}/${ev.total}${ev.detail ? ' ' + ev.detail : ''}`) + '\n');
    }
    if (finished) outer = null;
  }) as ProgressFn & { stop(): void };
  fn.stop = () => multi?.stop();
  return fn;
}

/** One warning line on stderr (stdout is for results and --json). */
export function warn(message: string): void {
  process.stderr.write(`cmkd: warning: ${escapeControl(message)}\n`);
}
