/**
 * Apache Parquet files, read by hyparquet (pure JS). A Parquet file is a table like a CSV: its
 * top-level columns are selected by name or glob the same way, and a column may hold the labels.
 */
import { readFileSync } from 'node:fs';
import { parquetMetadata, parquetRead, parquetSchema, type FileMetaData } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { CmkdError } from '../util/errors.js';

export interface ParquetTable {
  /** The file as the user named it (for messages). */
  file: string;
  /** Top-level column names, in file order. */
  header: string[];
  /** Cells per column (header order): numbers, bigints, strings, booleans, null, or nested values. */
  columns: ArrayLike<unknown>[];
  /** Columns that did not come back as one value per row (nested groups). */
  unreadable: Set<number>;
  n: number;
}

/** Read a whole Parquet file; a file that is not Parquet (or is cut short) is one line naming it. */
export async function readParquet(path: string, file: string): Promise<ParquetTable> {
  const bytes = readFileSync(path);
  if (bytes.length === 0) throw new CmkdError(`${file} is empty (0 bytes); expected a Parquet file`, 'invalid-input');
  const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(buf);
  } catch (e) {
    throw new CmkdError(`${file}: not a valid Parquet file (${firstLine(e)}); the file may be truncated or corrupt`, 'invalid-input');
  }
  const header = parquetSchema(metadata).children.map((c) => c.element.name);
  const n = Number(metadata.num_rows);
  // Column by column: assembling row objects took 12 s for a 10,000 × 785 file, this 1 s.
  const index = new Map(header.map((h, j) => [h, j]));
  const columns: unknown[][] = header.map(() => new Array<unknown>(n));
  const filled = new Array<number>(header.length).fill(0);
  try {
    await parquetRead({
      file: buf,
      metadata,
      // Gzip, Brotli, Zstd and LZ4 pages (polars writes Zstd by default); hyparquet alone reads Snappy.
      compressors,
      onChunk: ({ columnName, columnData, rowStart }) => {
        const j = index.get(columnName);
        if (j === undefined) return;
        const col = columns[j];
        const m = Math.min(columnData.length, n - rowStart);
        for (let i = 0; i < m; i++) col[rowStart + i] = columnData[i];
        filled[j] += Math.max(0, m);
      },
    });
  } catch (e) {
    throw new CmkdError(`${file}: cannot read the Parquet data (${firstLine(e)}); the file may be truncated or corrupt`, 'invalid-input');
  }
  const unreadable = new Set(filled.flatMap((f, j) => (f === n ? [] : [j])));
  return { file, header, columns, unreadable, n };
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0];
}

/** One value as a number: null/undefined is missing (NaN); anything else not numeric is an error naming row and column. */
function toNumber(t: ParquetTable, col: number, row: number, v: unknown): number {
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  const what = typeof v === 'string' ? `text '${v.slice(0, 40)}'` : Array.isArray(v) ? 'a nested list' : `a ${typeof v}`;
  throw new CmkdError(
    `${t.file} sample ${row}, column '${t.header[col]}': ${what} is not a number; feature columns must hold numbers or lists of numbers`,
    'invalid-input',
  );
}

/** 0 for a column of numbers; d for a column of lists of d numbers (an embedding per row), the same d in every row. */
function listWidth(t: ParquetTable, col: number): number {
  const cells = t.columns[col];
  let first = -1;
  for (let i = 0; i < t.n && first < 0; i++) if (Array.isArray(cells[i])) first = i;
  if (first < 0) return 0;
  const d = (cells[first] as unknown[]).length;
  for (let i = 0; i < t.n; i++) {
    const v = cells[i];
    if (v === null || v === undefined) continue;
    if (!Array.isArray(v) || v.length !== d) {
      const got = Array.isArray(v) ? `a list of ${v.length}` : 'a single value';
      throw new CmkdError(
        `${t.file} sample ${i}, column '${t.header[col]}': ${got} where sample ${first} has a list of ${d}; a list column needs one length`,
        'invalid-input',
      );
    }
  }
  return d;
}

/** A column hyparquet returned in pieces that do not cover every row is refused, not read as missing. */
function checkReadable(t: ParquetTable, col: number): void {
  if (t.unreadable.has(col)) {
    throw new CmkdError(
      `${t.file}, column '${t.header[col]}': not one value per row (a nested list or struct column?); cmkd reads flat columns`,
      'invalid-input',
    );
  }
}

/**
 * The selected columns as a flat row-major Float32Array (null cells become NaN) and the name of
 * each feature: a column of numbers is one feature; a column of lists of d numbers (how pandas
 * and pyarrow store an embedding per row) is d features named 'emb[0]' … 'emb[d-1]'.
 */
export function parquetMatrix(t: ParquetTable, cols: number[]): { values: Float32Array; names: string[] } {
  cols.forEach((j) => checkReadable(t, j));
  const widths = cols.map((j) => listWidth(t, j));
  const names = cols.flatMap((j, k) =>
    widths[k] === 0 ? [t.header[j]] : Array.from({ length: widths[k] }, (_, q) => `${t.header[j]}[${q}]`),
  );
  const d = names.length;
  const out = new Float32Array(t.n * d);
  for (let i = 0; i < t.n; i++) {
    let p = i * d;
    cols.forEach((j, k) => {
      const v = t.columns[j][i];
      if (widths[k] === 0) out[p++] = toNumber(t, j, i, v);
      else if (v === null || v === undefined) for (let q = 0; q < widths[k]; q++) out[p++] = NaN;
      else for (const x of v as unknown[]) out[p++] = toNumber(t, j, i, x);
    });
  }
  return { values: out, names };
}

/** A label column's cells as strings or numbers (null = missing). */
export function parquetLabels(t: ParquetTable, col: number): (string | number | null)[] {
  checkReadable(t, col);
  return Array.from(t.columns[col], (v, i) => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'string' || typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'boolean') return String(v);
    throw new CmkdError(`${t.file} sample ${i}, column '${t.header[col]}': a label must be text or a number`, 'invalid-input');
  });
}
