import { constants as bufferConstants } from 'node:buffer';
import { readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { CmkdError, writeError } from './errors.js';

/**
 * Write a file atomically: to a temporary sibling, then rename over the target, so an
 * interrupted run never leaves a half-written result behind. A full disk or a denied write is a
 * CmkdError naming `file` (writeError).
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw writeError(err, file);
  }
}

/** JSON with typed arrays as plain arrays and non-finite numbers as null. */
export function toJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => {
      if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
      if (typeof v === 'number' && !Number.isFinite(v)) return null;
      return v;
    },
    2,
  );
}

export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  await writeFileAtomic(file, toJson(value) + '\n');
}

/** A plain decimal number written as text ('-1', '2.5e-3'): a spreadsheet reads it as that number, never as a formula. */
const PLAIN_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, a quote, CR or LF, quotes doubled. Text
 * starting with =, +, -, @, tab or CR (a formula to a spreadsheet: '=HYPERLINK(…)') gets a leading
 * ' so it shows as text (OWASP "CSV injection"); numbers, and text that is a plain number such as a
 * class named '-1', are written as they are. Non-finite numbers, null and undefined are empty.
 */
export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  let s = String(v);
  if (/^[=+\-@\t\r]/.test(s) && !PLAIN_NUMBER.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * CSV text from rows of records: the one CSV writer of cmkd. Columns are `columns`, or the first
 * row's keys; header and cells are written by csvCell. No rows and no columns: ''.
 */
export function toCsv(rows: Record<string, unknown>[], columns?: readonly string[]): string {
  const cols = columns ?? (rows.length ? Object.keys(rows[0]) : []);
  if (cols.length === 0) return '';
  const line = (cells: unknown[]) => cells.map(csvCell).join(',');
  return [line([...cols]), ...rows.map((r) => line(cols.map((c) => r[c])))].join('\n') + '\n';
}

/** Largest file read whole: Node reads at most 2 GiB - 1 into one buffer. */
export const MAX_FILE_BYTES = 2 ** 31 - 1;
/** Largest text file read whole: its text must fit in one JavaScript string. */
export const MAX_TEXT_FILE_BYTES = bufferConstants.MAX_STRING_LENGTH;

/** 'a FIFO', 'a character device', … for a stat that is neither a regular file nor a folder. */
function specialKind(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Checks that `path` (following symlinks) is a regular file of at most `maxBytes`, before it is
 * read: a FIFO would block the read forever and /dev/zero would fill memory. `shown` names it in messages.
 */
export function checkRegularFile(path: string, shown: string, maxBytes = MAX_FILE_BYTES): Stats {
  const st = statSync(path);
  if (st.isDirectory()) throw new CmkdError(`${shown} is a directory, not a file`, 'invalid-input');
  if (!st.isFile())
    throw new CmkdError(`${shown} is ${specialKind(st)}, not a regular file; cmkd reads regular files only`, 'invalid-input');
  if (st.size > maxBytes)
    throw new CmkdError(
      `${shown} is ${formatBytes(st.size)}; cmkd reads files of at most ${formatBytes(maxBytes)}${maxBytes === MAX_TEXT_FILE_BYTES ? ' as text' : ''} (split it, or save it as .npy)`,
      'invalid-input',
    );
  return st;
}

/** The bytes of a regular file (checked as checkRegularFile does). */
export function readRegularFile(path: string, shown: string, maxBytes = MAX_FILE_BYTES): Buffer {
  checkRegularFile(path, shown, maxBytes);
  return readFileSync(path);
}

function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(1)} GiB` : `${(n / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * `p` with every symlink resolved; for a path that does not exist (yet), its deepest existing
 * ancestor's real path joined with the rest.
 */
export function realPathOf(p: string): string {
  const abs = path.resolve(p);
  try {
    return realpathSync(abs);
  } catch {
    const parent = path.dirname(abs);
    return parent === abs ? abs : path.join(realPathOf(parent), path.basename(abs));
  }
}

/** The file that marks a folder as being written by a cmkd process: its pid, host and start time. */
export const LOCK_FILE = '.cmkd-lock';

interface LockOwner {
  pid: number;
  host: string;
  since: string;
}

/** Whether the process `pid` on this machine is still running (EPERM: running, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockOwner> | null;
    return o && Number.isInteger(o.pid) && typeof o.host === 'string' ? (o as LockOwner) : null;
  } catch {
    return null;
  }
}

/**
 * Takes the folder `dir` for this process while it writes there, so two runs (two `--resume` of
 * one folder) never do the same work side by side: an exclusive-create lock file naming this
 * pid. A lock left by a process of this machine that no longer runs (killed) is taken over; one
 * held by a running process, or by another machine, is a CmkdError naming `shown`, the folder and
 * the owner. Returns the function that releases it (idempotent).
 */
export function lockFolder(dir: string, shown: string): () => void {
  const file = path.join(dir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const body = JSON.stringify(me);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, body, { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError(e, file);
    }
    const owner = readOwner(file);
    const stale = owner === null ? attempt > 0 : owner.host === me.host && !alive(owner.pid);
    if (!stale || attempt > 1) {
      const who = owner
        ? `pid ${owner.pid}${owner.host === me.host ? '' : ` on ${owner.host}`}, since ${owner.since}`
        : `lock file '${file}'`;
      throw new CmkdError(
        `${shown} '${dir}' is being written by another cmkd run (${who}); wait for it to end or stop it, then run again`,
        'invalid-option',
      );
    }
    // A dead owner's (or, read twice, an unreadable) lock: moved aside, then taken if nobody took it meanwhile.
    const aside = `${file}.stale-${process.pid}`;
    try {
      renameSync(file, aside);
      // Another process may have taken it over between the read and the move: then its lock goes back.
      const moved = readOwner(aside);
      if (moved !== null && moved.pid !== owner?.pid) renameSync(aside, file);
      else rmSync(aside, { force: true });
    } catch {
      // Another process moved it first; try again.
    }
  }
  let held = true;
  return () => {
    if (!held) return;
    held = false;
    if (readOwner(file)?.pid === me.pid) rmSync(file, { force: true });
  };
}
