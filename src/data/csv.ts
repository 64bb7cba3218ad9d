/**
 * CSV tables, parsed by csv-parse: with a header line, or (header: false) without one, the
 * columns then named '1', '2', … by position. Cells stay strings here; numeric conversion happens
 * per selected column so an error can name the file, line and column. Columns are selected by
 * name or by glob (picomatch syntax).
 */
import { parse } from 'csv-parse/sync';
import picomatch from 'picomatch';
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
  /** What parsing changed and the user should hear about (a repeated header name renamed). */
  warnings: string[];
  /** Each rename warning of `warnings` and the names it gave. */
  renames?: { warning: string; names: string[] }[];
  /**
   * Column names a selection or a label/id field named exactly (columnIndex, selectColumns), as the
   * load goes: a renamed column named so is one the user knows about (FileCache.warnings).
   */
  named?: Set<string>;
  /**
   * Row ids from an unnamed first column of distinct values (pandas' to_csv writes its index so),
   * which is then not among header/rows: it names rows, it is no feature.
   */
  ids?: string[];
}

export interface CsvParseOptions {
  /** The first line names the columns (default true); false: every line is data, columns are named '1', '2', … */
  header?: boolean;
}

/** Where a data row is: "a.csv row 3 (line 4)" — rows count from 1 after the header. */
export function csvRowRef(t: Pick<CsvTable, 'file' | 'lines'>, row: number): string {
  return `${t.file} row ${row + 1} (line ${t.lines[row] ?? row + 2})`;
}

/**
 * Most columns a CSV may have, and most characters its first line may hold. A 25-million-column
 * header took 58 s and 2.4 GB before failing with a RangeError; a flattened 3×224×224 image is
 * 150,528 columns, well inside.
 */
export const MAX_CSV_COLUMNS = 1_000_000;
export const MAX_CSV_HEADER_CHARS = 16 * 2 ** 20;

/**
 * Refuses a first record (the header, or the first row without one) of more than MAX_CSV_COLUMNS
 * columns or MAX_CSV_HEADER_CHARS characters, scanning at most that many characters of `text`
 * (commas inside double quotes are no separators), before the parser builds the whole record.
 */
export function checkCsvHeaderSize(text: string, file: string, hasHeader = true): void {
  const what = hasHeader ? 'header line' : 'first row';
  let start = 0;
  while (start < text.length && /[\s\uFEFF]/.test(text[start])) start++;
  let columns = 1;
  let quoted = false;
  for (let i = start; i < text.length; i++) {
    if (i - start >= MAX_CSV_HEADER_CHARS)
      throw new CmkdError(
        `${file}: the ${what} is longer than ${MAX_CSV_HEADER_CHARS.toLocaleString('en-US')} characters; cmkd reads CSV files of at most ${MAX_CSV_COLUMNS.toLocaleString('en-US')} columns and ${MAX_CSV_HEADER_CHARS.toLocaleString('en-US')} characters of ${what} (save wide data as .npy)`,
        'invalid-input',
      );
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) quoted = !quoted;
    else if (quoted) continue;
    else if (c === 10 || c === 13) break;
    else if (c === 44 /* , */ && ++columns > MAX_CSV_COLUMNS)
      throw new CmkdError(
        `${file}: the ${what} has more than ${MAX_CSV_COLUMNS.toLocaleString('en-US')} columns; cmkd reads CSV files of at most ${MAX_CSV_COLUMNS.toLocaleString('en-US')} columns (save wide data as .npy)`,
        'invalid-input',
      );
  }
}

export function parseCsv(text: string, file: string, opts: CsvParseOptions = {}): CsvTable {
  const hasHeader = opts.header ?? true;
  if (text.trim().length === 0) {
    throw new CmkdError(
      `${file} is empty; expected ${hasHeader ? 'a header line and at least one data row' : 'at least one data row'}`,
      'invalid-input',
    );
  }
  checkCsvHeaderSize(text, file, hasHeader);
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
  const warnings: string[] = [];
  const first = hasHeader ? 1 : 0;
  if (records.length <= first) throw new CmkdError(`${file} has a header but no data rows`, 'invalid-input');
  const index = hasHeader && isPandasIndex(records) ? indexColumn(records, file, warnings) : undefined;
  const renames: { warning: string; names: string[] }[] = [];
  const header = hasHeader ? uniqueHeader(records[0].record, file, warnings, renames) : records[0].record.map((_, j) => String(j + 1));
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let i = first; i < records.length; i++) {
    const { record, info } = records[i];
    if (record.length !== header.length) {
      throw new CmkdError(
        `${file} row ${i - first + 1} (line ${info.lines}): ragged row with ${record.length} cells; ${hasHeader ? 'the header has' : 'the first row has'} ${header.length} columns`,
        'invalid-input',
      );
    }
    rows.push(record);
    lines.push(info.lines);
  }
  return { file, header, rows, lines, warnings, renames, named: new Set(), ...(index ? { ids: index } : {}) };
}

/**
 * pandas' `df.to_csv(path)` writes the frame's index as a first column with an empty header
 * name; `pd.read_csv(path, index_col=0)` reads it back as the index. A first column with no name
 * whose cells are all present and distinct is that index: it is taken out of the table (as the
 * row ids) instead of refusing the header.
 */
function isPandasIndex(records: { record: string[] }[]): boolean {
  const header = records[0].record;
  if (header.length < 2 || header[0] !== '') return false;
  const seen = new Set<string>();
  for (let i = 1; i < records.length; i++) {
    const id = records[i].record[0];
    if (id === undefined || id === '' || seen.has(id)) return false;
    seen.add(id);
  }
  return true;
}

/** Remove the pandas index column from every record (in place); returns its cells, with a note. */
function indexColumn(records: { record: string[] }[], file: string, warnings: string[]): string[] {
  const ids = records.slice(1).map((r) => r.record[0]);
  for (const r of records) r.record = r.record.slice(1);
  const rowNumbers = ids.every((id, i) => id === String(i));
  warnings.push(
    `${file}: column 1 has no name and holds ${rowNumbers ? `the row numbers 0..${ids.length - 1}` : 'distinct values'}, as pandas' to_csv writes its index; it is read as the row ids, not as a feature`,
  );
  return ids;
}

/**
 * The header with every repeated name made unique the way pandas does it ('x', 'x.1', 'x.2', …,
 * skipping names the header already has), one warning per renamed name. Files from the wild repeat
 * names (a label column named like a feature index); refusing them made users rewrite every file.
 */
function uniqueHeader(names: string[], file: string, warnings: string[], renames: { warning: string; names: string[] }[]): string[] {
  names.forEach((h, j) => {
    if (h === '') throw new CmkdError(`${file} line 1: column ${j + 1} of the header is empty; every column needs a name`, 'invalid-input');
  });
  const taken = new Set(names);
  const seen = new Map<string, number[]>();
  const out = names.map((h, j) => {
    const at = seen.get(h);
    if (at === undefined) {
      seen.set(h, [j]);
      return h;
    }
    at.push(j);
    let k = at.length - 1;
    while (taken.has(`${h}.${k}`)) k++;
    const renamed = `${h}.${k}`;
    taken.add(renamed);
    return renamed;
  });
  for (const [h, at] of seen) {
    if (at.length < 2) continue;
    const renamed = at.slice(1).map((j) => `'${out[j]}' (column ${j + 1})`);
    const warning = `${file} line 1: column name '${h}' appears ${at.length} times (columns ${at.map((j) => j + 1).join(', ')}); column ${at[0] + 1} keeps it, the others are renamed ${renamed.join(', ')}`;
    warnings.push(warning);
    renames.push({ warning, names: at.slice(1).map((j) => out[j]) });
  }
  return out;
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
  if (j >= 0) t.named?.add(name);
  if (j < 0) {
    const shown = t.header.length > 12 ? t.header.slice(0, 12).join(', ') + ', …' : t.header.join(', ');
    throw new CmkdError(`${what}: ${t.file} has no column '${name}'; its columns are: ${shown}`, 'invalid-input');
  }
  return j;
}

/**
 * "a,b, c" → ['a', 'b', 'c']: a comma list of column selectors. Commas inside a glob's braces or
 * brackets ('{a,b}*', 'f_[1,2]') belong to the glob.
 */
export function splitColumns(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= s.length; i++) {
    const ch = s[i];
    if (ch === '{' || ch === '[') depth++;
    else if ((ch === '}' || ch === ']') && depth > 0) depth--;
    else if (i === s.length || (ch === ',' && depth === 0)) {
      out.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  return out.filter((x) => x.length > 0);
}

/**
 * Resolve column selectors against the header. A selector that is a column's exact name selects
 * it; otherwise it is a glob in picomatch syntax ('px_*', 'f_[2-5]', '{a,b}*', 'c{1..8}'), whose
 * matches are taken in header order. A glob starting with '!' removes its matches from the columns
 * selected so far, or, first in the list, from every column but `exclude` (e.g. '!id': all but id);
 * a glob never selects the `exclude` columns (the label's, the sample ids'), an exact name may.
 * Column names are flat: '*' matches any characters, '/' and a leading '.' included.
 */
export function selectColumns(t: CsvTable, selectors: string[], what: string, exclude: readonly number[] = []): number[] {
  const out: number[] = [];
  selectors.forEach((sel, i) => {
    const exact = t.header.indexOf(sel);
    if (exact >= 0) {
      t.named?.add(sel);
      out.push(exact);
      return;
    }
    const negated = sel.startsWith('!') && sel.length > 1;
    const pattern = negated ? sel.slice(1) : sel;
    const glob = picomatch.scan(pattern).isGlob;
    // '!name' (no glob) names the column it leaves out, through columnIndex.
    if (!glob && !negated) {
      out.push(columnIndex(t, sel, what));
      return;
    }
    const hits = glob ? matchColumns(t.header, pattern, `${what}: pattern '${sel}'`) : [columnIndex(t, pattern, what)];
    if (hits.length === 0) throw new CmkdError(`${what}: pattern '${sel}' matches no column of ${t.file}`, 'invalid-input');
    if (!negated) {
      // A glob does not pick the excluded columns (the label's, the sample ids'); an exact name does.
      const picked = glob ? hits.filter((j) => !exclude.includes(j)) : hits;
      if (picked.length === 0)
        throw new CmkdError(`${what}: pattern '${sel}' matches no column of ${t.file} but the label or id column`, 'invalid-input');
      out.push(...picked);
      return;
    }
    if (i === 0) out.push(...t.header.map((_, j) => j).filter((j) => !exclude.includes(j)));
    const drop = new Set(hits);
    const kept = out.filter((j) => !drop.has(j));
    out.splice(0, out.length, ...kept);
  });
  if (out.length === 0) throw new CmkdError(`${what}: the columns '${selectors.join(',')}' leave no column of ${t.file}`, 'invalid-input');
  const seen = new Set<number>();
  for (const j of out) {
    if (seen.has(j)) throw new CmkdError(`${what}: column '${t.header[j]}' is selected twice`, 'invalid-input');
    seen.add(j);
  }
  return out;
}

/** A character no column name has, standing for '/' so that picomatch's path rules do not apply to names. */
const SLASH = '\uE000';

function matchColumns(header: string[], pattern: string, what: string): number[] {
  let isMatch: (s: string) => boolean;
  try {
    isMatch = picomatch(pattern.replaceAll('/', SLASH), { dot: true, strictBrackets: true });
  } catch (e) {
    throw new CmkdError(`${what} is not a valid glob: ${(e as Error).message}`, 'invalid-input');
  }
  return header.map((h, j) => (isMatch(h.replaceAll('/', SLASH)) ? j : -1)).filter((j) => j >= 0);
}

/** Largest finite float32, (2 − 2⁻²³)·2¹²⁷: a larger finite number stored as float32 becomes ±Infinity. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * The selected columns as a flat row-major Float32Array (missing cells become NaN). A finite cell
 * beyond the float32 range is refused by name: stored, it would read as Infinity.
 */
export function csvMatrix(t: CsvTable, cols: number[]): Float32Array {
  const n = t.rows.length;
  const d = cols.length;
  const out = new Float32Array(n * d);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < d; k++) {
      const v = parseNumberCell(t, i, cols[k]);
      if (Number.isFinite(v) && Math.abs(v) > FLOAT32_MAX)
        throw new CmkdError(
          `${csvRowRef(t, i)}, column '${t.header[cols[k]]}': ${excerpt(t.rows[i][cols[k]])} does not fit a 32-bit float, which cmkd stores features as (magnitude at most 3.4e38); rescale the column`,
          'invalid-input',
        );
      out[i * d + k] = v;
    }
  return out;
}
