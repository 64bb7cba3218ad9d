/**
 * CSV tables with a header line, parsed by csv-parse. Cells stay strings here; numeric
 * conversion happens per selected column so an error can name the file, line and column.
 */
import { parse } from 'csv-parse/sync';
import { CmkdError } from '../util/errors.js';
import { excerpt, shorten } from '../util/text.js';

export interface CsvTable {
  /** The file as the user named it (for messages). */
  file: string;
  header: string[];
  /** Data rows (header excluded), each exactly header.length cells. */
  rows: string[][];
  /** 1-based line number of each data row in the file. */
  lines: number[];
}

/** Where a data row is: "a.csv row 3 (line 4)" — rows count from 1 after the header. */
export function csvRowRef(t: Pick<CsvTable, 'file' | 'lines'>, row: number): string {
  return `${t.file} row ${row + 1} (line ${t.lines[row] ?? row + 2})`;
}

export function parseCsv(text: string, file: string): CsvTable {
  if (text.trim().length === 0) {
    throw new CmkdError(`${file} is empty; expected a header line and at least one data row`, 'invalid-input');
  }
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { info: true, relax_column_count: true, skip_empty_lines: true, bom: true, trim: true }) as unknown as {
      record: string[];
      info: { lines: number };
    }[];
  } catch (e) {
    const err = e as Error & { lines?: number };
    throw new CmkdError(`${file}${err.lines ? ` line ${err.lines}` : ''}: malformed CSV: ${shorten(err.message, 160)}`, 'invalid-input');
  }
  const header = records[0].record;
  const seen = new Map<string, number>();
  header.forEach((h, j) => {
    if (h === '') throw new CmkdError(`${file} line 1: column ${j + 1} of the header is empty; every column needs a name`, 'invalid-input');
    const prev = seen.get(h);
    if (prev !== undefined) {
      throw new CmkdError(`${file} line 1: column name '${h}' appears twice (columns ${prev + 1} and ${j + 1})`, 'invalid-input');
    }
    seen.set(h, j);
  });
  if (records.length < 2) throw new CmkdError(`${file} has a header but no data rows`, 'invalid-input');
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let i = 1; i < records.length; i++) {
    const { record, info } = records[i];
    if (record.length !== header.length) {
      throw new CmkdError(
        `${file} row ${i} (line ${info.lines}): ragged row with ${record.length} cells; the header has ${header.length} columns`,
        'invalid-input',
      );
    }
    rows.push(record);
    lines.push(info.lines);
  }
  return { file, header, rows, lines };
}

/** Cells that mean "missing"; they load as NaN and validation reports them. */
const MISSING = new Set(['', 'na', 'nan', 'null', 'n/a']);

/** Parse one numeric cell; throws naming the row and column for text that is not a number. */
export function parseNumberCell(t: CsvTable, row: number, col: number): number {
  const s = t.rows[row][col];
  if (MISSING.has(s.toLowerCase())) return NaN;
  const v = Number(s);
  if (Number.isNaN(v)) {
    throw new CmkdError(`${csvRowRef(t, row)}, column '${t.header[col]}': ${excerpt(s)} is not a number`, 'invalid-input');
  }
  return v;
}

/** Column indices of `names` in the header, or an error listing the header. */
export function columnIndex(t: CsvTable, name: string, what: string): number {
  const j = t.header.indexOf(name);
  if (j < 0) {
    const shown = t.header.length > 12 ? t.header.slice(0, 12).join(', ') + ', …' : t.header.join(', ');
    throw new CmkdError(`${what}: ${t.file} has no column '${name}'; its columns are: ${shown}`, 'invalid-input');
  }
  return j;
}

/** Resolve column selectors (exact names or globs with '*') against the header, in header order for globs. */
export function selectColumns(t: CsvTable, selectors: string[], what: string): number[] {
  const out: number[] = [];
  for (const sel of selectors) {
    if (sel.includes('*')) {
      const re = new RegExp('^' + sel.split('*').map(escapeRegExp).join('.*') + '$');
      const hits = t.header.map((h, j) => (re.test(h) ? j : -1)).filter((j) => j >= 0);
      if (hits.length === 0) throw new CmkdError(`${what}: pattern '${sel}' matches no column of ${t.file}`, 'invalid-input');
      out.push(...hits);
    } else {
      out.push(columnIndex(t, sel, what));
    }
  }
  const seen = new Set<number>();
  for (const j of out) {
    if (seen.has(j)) throw new CmkdError(`${what}: column '${t.header[j]}' is selected twice`, 'invalid-input');
    seen.add(j);
  }
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** The selected columns as a flat row-major Float32Array (missing cells become NaN). */
export function csvMatrix(t: CsvTable, cols: number[]): Float32Array {
  const n = t.rows.length;
  const d = cols.length;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) out[i * d + k] = parseNumberCell(t, i, cols[k]);
  return out;
}
