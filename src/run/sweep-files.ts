/** A sweep folder's files: results.json (settings, every cell's row, the table), results.csv, table.csv; and the check before a resume. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CmkdError, check } from '../util/errors.js';
import { toCsv, writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import { VERSION } from '../version.js';
import type { SweepConfig } from './sweep-plan.js';
import type { SweepCell, SweepTable } from './sweep-table.js';
import type { Decision } from './types.js';

export const RESULTS_JSON = 'results.json';
export const RESULTS_CSV = 'results.csv';
export const TABLE_CSV = 'table.csv';

export interface SweepFile {
  format: 1;
  cmkd: string;
  config: SweepConfig;
  /** Schedules the budget does not finish, in words (scheduleNotes), one per affected row. */
  notes?: string[];
  cells: SweepCell[];
  table?: SweepTable;
  /** The deploy decision over the method rows, once the sweep has finished. */
  decision?: Decision;
}

function diffKeys(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

/** The sweep already in `outDir` (its results.json), if it may be continued: with `resume`, and the same settings. */
export async function priorSweep(outDir: string, resume: boolean, config: SweepConfig): Promise<SweepFile> {
  const file = path.join(outDir, RESULTS_JSON);
  if (!resume) {
    throw new CmkdError(
      `${outDir} already holds a sweep (${RESULTS_JSON}); continue it with --resume or choose another --out`,
      'invalid-option',
    );
  }
  let prior: SweepFile;
  try {
    prior = JSON.parse(await readFile(file, 'utf8')) as SweepFile;
  } catch (err) {
    throw new CmkdError(`${file} is not valid JSON: ${(err as Error).message}`, 'invalid-input');
  }
  check(prior.format === 1 && Array.isArray(prior.cells), `${file} is not a cmkd sweep results file`);
  const differ = diffKeys(prior.config, config);
  if (differ.length) {
    throw new CmkdError(
      `cannot resume the sweep in ${outDir}: it was run with different ${differ.join(', ')}; use the same settings or another --out`,
      'invalid-option',
    );
  }
  return prior;
}

/** Writes the sweep's files from its rows and table (atomically: a reader never sees half a file). */
export async function writeSweepFiles(outDir: string, out: Omit<SweepFile, 'format' | 'cmkd'> & { table: SweepTable }): Promise<void> {
  const { cells: all, table } = out;
  await writeJsonAtomic(path.join(outDir, RESULTS_JSON), { format: 1, cmkd: VERSION, ...out } satisfies SweepFile);
  const flat = all.map((c) => ({
    row: c.row,
    label: c.label,
    method: c.method,
    repeat: c.repeat,
    splitSeed: c.splitSeed,
    ...Object.fromEntries(table.metrics.map((m) => [m, c.test[m] ?? null])),
    bestEpoch: c.bestEpoch,
    seconds: c.seconds,
  }));
  await writeFileAtomic(path.join(outDir, RESULTS_CSV), toCsv(flat));
  const summary = table.rows.map((r) => ({
    row: r.id,
    label: r.label,
    n: r.metrics[table.headline].n,
    ...Object.fromEntries(
      table.metrics.flatMap((m) => [
        [`${m}_mean`, r.metrics[m].mean],
        [`${m}_sd`, r.metrics[m].sd],
      ]),
    ),
    delta: r.delta,
    gain_mean: r.gain?.mean,
    gain_sd: r.gain?.sd,
    gain_lo: r.gain?.ci?.[0],
    gain_hi: r.gain?.ci?.[1],
  }));
  await writeFileAtomic(path.join(outDir, TABLE_CSV), toCsv(summary));
}
