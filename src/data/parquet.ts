/**
 * Apache Parquet files, read by hyparquet (pure JS). A Parquet file is a table like a CSV: its
 * top-level columns are selected by name or glob the same way, and a column may hold the labels.
 */
import { readFileSync } from 'node:fs';
import { parquetMetadata, parquetReadObjects, parquetSchema, type FileMetaData } from 'hyparquet';
import { CmkdError } from '../util/errors.js';

export interface ParquetTable {
  /** The file as the user named it (for messages). */
  file: string;
  /** Top-level column names, in file order. */
  header: string[];
  /** Cells per column (header order): numbers, bigints, strings, booleans, null, or nested values. */
  columns: unknown[][];
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
  let rows: Record<string, unknown>[];
  try {
    rows = await parquetReadObjects({ file: buf, metadata });
  } catch (e) {
    throw new CmkdError(`${file}: cannot read the Parquet data (${firstLine(e)}); the file may be truncated or corrupt`, 'invalid-input');
  }
  if (rows.length !== n) {
    throw new CmkdError(
      `${file}: the footer declares ${n} rows but ${rows.length} could be read; the file may be corrupt`,
      'invalid-input',
    );
  }
  const columns = header.map((h) => rows.map((r) => r[h]));
  return { file, header, columns, n };
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split('\n')[0];
}

/** One cell as a number: null/undefined is missing (NaN); anything else not numeric is an error naming row and column. */
function cellNumber(t: ParquetTable, col: number, row: number): number {
  const v = t.columns[col][row];
  if (v === null || v === undefined) return NaN;
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  const what = typeof v === 'string' ? `text '${v.slice(0, 40)}'` : Array.isArray(v) ? 'a list' : `a ${typeof v}`;
  throw new CmkdError(
    `${t.file} row ${row + 1}, column '${t.header[col]}': ${what} is not a number; feature columns must be numeric (one number per cell)`,
    'invalid-input',
  );
}

/** The selected columns as a flat row-major Float32Array (null cells become NaN). */
export function parquetMatrix(t: ParquetTable, cols: number[]): Float32Array {
  const d = cols.length;
  const out = new Float32Array(t.n * d);
  for (let i = 0; i < t.n; i++) for (let k = 0; k < d; k++) out[i * d + k] = cellNumber(t, cols[k], i);
  return out;
}

/** A label column's cells as strings or numbers (null = missing). */
export function parquetLabels(t: ParquetTable, col: number): (string | number | null)[] {
  return t.columns[col].map((v, i) => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'string' || typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(v);
    if (typeof v === 'boolean') return String(v);
    throw new CmkdError(`${t.file} row ${i + 1}, column '${t.header[col]}': a label must be text or a number`, 'invalid-input');
  });
}
