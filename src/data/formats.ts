/**
 * The manifest's sources that are read asynchronously — Parquet tables, HDF5 datasets and
 * folders of images — next to the synchronous ones (CSV, .npy, JSON, IDX) that source.ts reads.
 * Each is turned into the same NumericArray / RawLabels and checked by the same code.
 */
import { existsSync, statSync } from 'node:fs';
import { CmkdError } from '../util/errors.js';
import { excerpt } from '../util/text.js';
import { columnIndex, csvRowRef, selectColumns, type CsvTable } from './csv.js';
import { readHdf5 } from './hdf5.js';
import { readImageFolder, type ImageFolder } from './images.js';
import { parquetLabels, parquetMatrix, readParquet, type ParquetTable } from './parquet.js';
import {
  checkFormatFields,
  formatNoun,
  readLabels,
  readModality,
  skippedColumns,
  resolveFormat,
  type FileFormat,
  type LabelSpec,
  type ModalitySpec,
  type NumericArray,
  type RawLabels,
  type ReadContext,
} from './source.js';
import type { Modality, ModalityKind } from './types.js';

/** Sample ids from the label file's `id` column: image folders are matched to them by file stem. */
export interface SampleIds {
  values: string[];
  where(i: number): string;
}

/** The format of a manifest entry: explicit, a folder of images, or from the file name. */
function formatOf(file: string, explicit: FileFormat | undefined, path: string, field: string): FileFormat {
  if (explicit) return explicit;
  if (existsSync(path) && statSync(path).isDirectory()) return 'images';
  return resolveFormat(file, undefined, field);
}

/** A Parquet table viewed as a header for column selection (the same names and globs as CSV). */
function headerOf(t: ParquetTable): CsvTable {
  return { file: t.file, header: t.header, rows: [], lines: [], warnings: [] };
}

function parquet(ctx: ReadContext, path: string, shown: string, field: string): Promise<ParquetTable> {
  return ctx.cache.getAsync(`parquet:${path}`, path, shown, field, false, () => readParquet(path, shown));
}

function hdf5(ctx: ReadContext, path: string, shown: string, key: string, field: string, what: string) {
  return ctx.cache.getAsync(`hdf5:${path}#${key}`, path, shown, field, false, () => readHdf5(path, shown, key, what));
}

export type ModalityEntry = Omit<ModalitySpec, 'kind'> & { kind?: ModalityKind };

/**
 * Read one modality of any format. A folder of images defaults to kind 'image', every other
 * source to 'table'; `ids` (from the label file) matches images to samples by file stem.
 */
export async function readModalityAsync(
  entry: ModalityEntry,
  ctx: ReadContext,
  ids?: SampleIds,
): Promise<{ modality: Modality; stems?: string[] }> {
  const [path, shown] = ctx.resolve(entry.file);
  const field = `${ctx.field}.file`;
  const format = formatOf(entry.file, entry.format, path, field);
  const spec: ModalitySpec = { ...entry, format, kind: entry.kind ?? (format === 'images' ? 'image' : 'table') };
  if (format !== 'parquet' && format !== 'hdf5' && format !== 'images') return { modality: readModality(spec, ctx) };

  const what = `${ctx.field} (modality '${spec.name}')`;
  checkFormatFields(spec, format, shown, what);
  let arr: NumericArray;
  let stems: string[] | undefined;
  if (format === 'parquet') {
    const t = await parquet(ctx, path, shown, field);
    let cols: number[];
    const skip = skippedColumns(t.header, path, ctx);
    if (spec.columns) {
      cols = selectColumns(headerOf(t), spec.columns, what, skip);
    } else {
      cols = t.header.map((_, j) => j).filter((j) => !skip.includes(j));
      if (cols.length === 0) throw new CmkdError(`${what}: ${shown} has no columns besides the label column`, 'invalid-input');
    }
    const { values, names } = parquetMatrix(t, cols);
    arr = { file: shown, n: t.n, sampleShape: [names.length], values, columns: names };
  } else if (format === 'hdf5') {
    const key = spec.key!;
    const a = await hdf5(ctx, path, shown, key, field, what);
    const src = `${shown}:${key}`;
    if ('text' in a) throw new CmkdError(`${src} holds text; a modality needs numbers`, 'invalid-input');
    if (a.shape.length === 0) throw new CmkdError(`${src} holds a scalar; expected one row per sample`, 'invalid-input');
    arr = { file: src, n: a.shape[0], sampleShape: a.shape.slice(1), values: Float32Array.from(a.values) };
  } else {
    const key = `images:${path}#${spec.channels ?? ''}/${spec.resize?.join('x') ?? ''}`;
    const folder = await ctx.cache.getAsync<ImageFolder>(key, path, shown, field, true, () =>
      readImageFolder(path, shown, { channels: spec.channels, resize: spec.resize, ids, checkFile: (f) => void ctx.resolve(f) }, what),
    );
    // A copy: "scale" multiplies in place, and another modality may read the same folder.
    arr = { file: folder.file, n: folder.n, sampleShape: folder.sampleShape, values: folder.values.slice() };
    stems = folder.stems;
  }
  // The source names the dataset inside an HDF5 file too ('d.h5:/views/x').
  return { modality: { ...readModality(spec, ctx, arr), source: arr.file }, stems };
}

/** Read the labels of any format, and the sample ids when the spec names an `id` column. */
export async function readLabelsAsync(spec: LabelSpec, ctx: ReadContext): Promise<{ raw: RawLabels; ids?: SampleIds }> {
  const [path, shown] = ctx.resolve(spec.file);
  const field = `${ctx.field}.file`;
  const format = formatOf(spec.file, spec.format, path, field);
  if (spec.key !== undefined && format !== 'hdf5') {
    throw new CmkdError(`${ctx.field}: "key" names a dataset inside an HDF5 file, but ${shown} is ${formatNoun(format)}`, 'invalid-input');
  }
  let raw: RawLabels;
  let ids: SampleIds | undefined;
  if (format === 'parquet') {
    const t = await parquet(ctx, path, shown, field);
    let j: number;
    if (spec.column) j = columnIndex(headerOf(t), spec.column, `${ctx.field}.column`);
    else if (t.header.length === 1) j = 0;
    else throw new CmkdError(`${ctx.field}: ${shown} has ${t.header.length} columns; name the label column with "column"`, 'invalid-input');
    raw = { file: shown, values: parquetLabels(t, j), where: (i) => `${shown} sample ${i}, column '${t.header[j]}'` };
    if (spec.id) {
      const k = columnIndex(headerOf(t), spec.id, `${ctx.field}.id`);
      ids = {
        values: parquetLabels(t, k).map((v) => (v === null ? '' : String(v))),
        where: (i) => `${shown} sample ${i}, column '${spec.id}'`,
      };
    }
  } else if (format === 'hdf5') {
    if (spec.column || spec.id) {
      throw new CmkdError(`${ctx.field}: "column" and "id" name CSV or Parquet columns, but ${shown} is an HDF5 file`, 'invalid-input');
    }
    if (spec.key === undefined) {
      throw new CmkdError(
        `${ctx.field}: ${shown} is an HDF5 file; name the labels' dataset with "key", e.g. "key": "/labels"`,
        'invalid-input',
      );
    }
    const a = await hdf5(ctx, path, shown, spec.key, field, ctx.field);
    const src = `${shown}:${spec.key}`;
    if (!(a.shape.length === 1 || (a.shape.length === 2 && a.shape[1] === 1))) {
      throw new CmkdError(`${src}: labels must have shape [N] or [N, 1]; got [${a.shape.join(', ')}]`, 'invalid-input');
    }
    if (a.shape[0] === 0) throw new CmkdError(`${src} holds 0 labels`, 'invalid-input');
    raw = { file: src, values: 'text' in a ? a.text : Array.from(a.values), where: (i) => `${src} sample ${i}` };
  } else {
    raw = readLabels({ ...spec, format }, ctx);
    if (spec.id) {
      const t = ctx.cache.get<CsvTable>(path, shown, 'csv', field);
      const k = columnIndex(t, spec.id, `${ctx.field}.id`);
      ids = { values: t.rows.map((r) => r[k]), where: (i) => `${csvRowRef(t, i)}, column '${spec.id}'` };
    }
  }
  if (ids) checkIds(ids);
  return { raw, ids };
}

/** Ids are non-empty and unique: each names one image per folder. */
function checkIds(ids: SampleIds): void {
  const first = new Map<string, number>();
  ids.values.forEach((id, i) => {
    if (id.trim() === '') throw new CmkdError(`${ids.where(i)}: empty sample id; every sample needs one`, 'invalid-input');
    const prev = first.get(id);
    if (prev !== undefined) throw new CmkdError(`${ids.where(i)}: sample id '${id}' also names ${ids.where(prev)}`, 'invalid-input');
    first.set(id, i);
  });
}

/** Image folders read in stem order must hold the same samples: name the first stem one of them lacks. */
export function checkSameStems(folders: { name: string; source: string; stems: string[] }[]): void {
  if (folders.length < 2) return;
  const [a, ...rest] = folders;
  const inA = new Set(a.stems);
  for (const b of rest) {
    const inB = new Set(b.stems);
    const missingInB = a.stems.find((s) => !inB.has(s));
    if (missingInB !== undefined) {
      throw new CmkdError(
        `image folders differ: ${b.source} (modality '${b.name}') has no image '${missingInB}', which ${a.source} (modality '${a.name}') has; every sample needs one image per folder`,
        'invalid-input',
      );
    }
    const missingInA = b.stems.find((s) => !inA.has(s));
    if (missingInA !== undefined) {
      throw new CmkdError(
        `image folders differ: ${a.source} (modality '${a.name}') has no image '${missingInA}', which ${b.source} (modality '${b.name}') has; every sample needs one image per folder`,
        'invalid-input',
      );
    }
  }
}

/**
 * The ids in a CSV or Parquet file's column `idName`, or undefined when the file has no such
 * column (or is of another format). Read through the load's cache: no file is parsed twice.
 */
export async function fileIds(
  file: string,
  explicit: FileFormat | undefined,
  ctx: ReadContext,
  idName: string,
): Promise<SampleIds | undefined> {
  const [path, shown] = ctx.resolve(file);
  const field = `${ctx.field}.file`;
  const format = formatOf(file, explicit, path, field);
  if (format === 'csv') {
    const t = ctx.cache.get<CsvTable>(path, shown, 'csv', field);
    const k = t.header.indexOf(idName);
    return k < 0 ? undefined : { values: t.rows.map((r) => r[k]), where: (i) => `${csvRowRef(t, i)}, column '${idName}'` };
  }
  if (format === 'parquet') {
    const t = await parquet(ctx, path, shown, field);
    const k = t.header.indexOf(idName);
    if (k < 0) return undefined;
    return {
      values: parquetLabels(t, k).map((v) => (v === null ? '' : String(v))),
      where: (i) => `${shown} sample ${i}, column '${idName}'`,
    };
  }
  return undefined;
}

/**
 * Files are paired row by row, so those that carry the sample-id column must list the ids in the
 * same order: refuse naming the first row whose id differs from the first such file's. (Files of
 * different lengths are left to the row-count check.)
 */
export function checkSameIdOrder(files: SampleIds[], idName: string): void {
  const [a, ...rest] = files;
  for (const b of rest) {
    if (b.values.length !== a.values.length) continue;
    const i = b.values.findIndex((id, k) => id.trim() !== a.values[k].trim());
    if (i < 0) continue;
    throw new CmkdError(
      `${b.where(i)}: sample id ${excerpt(b.values[i])} where ${a.where(i)} has ${excerpt(a.values[i])}; rows are paired by position, so every file must list the samples in the same order (sort each by '${idName}')`,
      'invalid-input',
    );
  }
}
