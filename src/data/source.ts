/**
 * Reading one modality or one label vector from a file (CSV, .npy, JSON or IDX), shared by
 * the manifest loader and the single-CSV loader. Every error names the file and the
 * row/column/sample at fault. Formats read asynchronously (Parquet, HDF5, image folders) are
 * read in formats.ts and checked here like the others.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { CmkdError } from '../util/errors.js';
import { MAX_FILE_BYTES, MAX_TEXT_FILE_BYTES, checkRegularFile } from '../util/fs.js';
import { decodeUtf8, excerpt, parseJsonText } from '../util/text.js';
import { featureSize } from './access.js';
import { csvMatrix, csvRowRef, parseCsv, selectColumns, columnIndex, type CsvParseOptions, type CsvTable } from './csv.js';
import { parseIdx } from './idx.js';
import { parseNpy } from './npy.js';
import type { Modality, ModalityKind, MultimodalDataset, Task } from './types.js';

export const FILE_FORMATS = ['csv', 'npy', 'json', 'idx', 'parquet', 'hdf5', 'images'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

/** The format a file name implies, or undefined when its extension says nothing we read. */
export function formatFromName(file: string): FileFormat | undefined {
  const base = file.toLowerCase().replace(/\.gz$/, '');
  const ext = extname(base);
  if (ext === '.csv') return 'csv';
  if (ext === '.npy') return 'npy';
  if (ext === '.json') return 'json';
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  if (ext === '.h5' || ext === '.hdf5' || ext === '.he5') return 'hdf5';
  if (ext === '.idx' || /(^|[-_.])idx\d?-ubyte$|-ubyte$|\.idx\d$/.test(base)) return 'idx';
  return undefined;
}

/** 'a Parquet file', 'a folder of images', … for messages. */
export function formatNoun(format: FileFormat): string {
  const nouns: Record<FileFormat, string> = {
    csv: 'a CSV file',
    npy: 'a .npy file',
    json: 'a JSON file',
    idx: 'an IDX file',
    parquet: 'a Parquet file',
    hdf5: 'an HDF5 file',
    images: 'a folder of images',
  };
  return nouns[format];
}

/** A file format, explicit or from the name; `field` is the manifest field for messages. */
export function resolveFormat(file: string, explicit: FileFormat | undefined, field: string): FileFormat {
  if (explicit) return explicit;
  const f = formatFromName(file);
  if (!f) {
    const ext = extname(file) || '(none)';
    throw new CmkdError(
      `${field} '${file}': unknown file type '${ext}'; expected .csv, .npy, .json, .parquet, .h5/.hdf5, IDX (-ubyte, .idx) or a folder of images, or set "format"`,
      'invalid-input',
    );
  }
  return f;
}

/** Parsed files of one load, so a CSV holding several modalities is read once. */
export class FileCache {
  private readonly cache = new Map<string, unknown>();
  private readonly csvTables: CsvTable[] = [];
  private readonly notes: string[] = [];

  /** `csv` applies to every CSV file of the load (header: false for header-less files). */
  constructor(private readonly csv: CsvParseOptions = {}) {}

  /** `path` is what we open; `shown` is how messages name it. */
  get<T>(path: string, shown: string, format: FileFormat, field: string): T {
    const key = `${format}:${path}`;
    if (!this.cache.has(key)) {
      const parsed = readFile(path, shown, format, field, this.csv);
      if (format === 'csv') this.csvTables.push(parsed as CsvTable);
      this.cache.set(key, parsed);
    }
    return this.cache.get(key) as T;
  }

  /**
   * What loading changed, one line each: the dataset's `warnings`. A renamed repeated CSV header name is
   * said until the load names every column it renamed (a selection or the label naming '0.1' exactly, or
   * '!0.1'): then the user knows the name, and it is not repeated on every command. Read after the load.
   */
  get warnings(): string[] {
    const known = (t: CsvTable, w: string) => t.renames?.some((r) => r.warning === w && r.names.every((n) => t.named?.has(n))) ?? false;
    return [...this.csvTables.flatMap((t) => t.warnings.filter((w) => !known(t, w))), ...this.notes];
  }

  /** Another line for `warnings` (e.g. a label file replacing the manifest's labels). */
  note(line: string): void {
    this.notes.push(line);
  }

  /** The same for a source read asynchronously; `key` says what of it (`hdf5:file#/x`), `read` runs once per key. */
  async getAsync<T>(key: string, path: string, shown: string, field: string, folder: boolean, read: () => Promise<T>): Promise<T> {
    if (!this.cache.has(key)) {
      checkPath(path, shown, field, folder);
      this.cache.set(key, await read());
    }
    return this.cache.get(key) as T;
  }
}

/** The path exists and is a regular file of a size cmkd can read (or, for an image folder, a directory). */
function checkPath(path: string, shown: string, field: string, folder = false, maxBytes = MAX_FILE_BYTES): void {
  if (!existsSync(path)) throw new CmkdError(`${field}: ${folder ? 'folder' : 'file'} not found: ${shown}`, 'not-found');
  const isDir = statSync(path).isDirectory();
  if (!isDir && folder) throw new CmkdError(`${field}: ${shown} is a file; expected a folder of images`, 'invalid-input');
  if (!folder) checkRegularFile(path, `${field}: ${shown}`, maxBytes);
}

/** `ds` with the cache's warnings attached (none: `ds` unchanged). */
export function withLoadWarnings<T extends { warnings?: string[] }>(ds: T, cache: FileCache): T {
  return cache.warnings.length ? { ...ds, warnings: [...(ds.warnings ?? []), ...cache.warnings] } : ds;
}

function readFile(path: string, shown: string, format: FileFormat, field: string, csv: CsvParseOptions): unknown {
  checkPath(path, shown, field, false, format === 'csv' || format === 'json' ? MAX_TEXT_FILE_BYTES : MAX_FILE_BYTES);
  const bytes = readFileSync(path);
  switch (format) {
    case 'csv':
      return parseCsv(decodeUtf8(bytes, shown), shown, csv);
    case 'npy':
      return parseNpy(bytes, shown);
    case 'idx':
      return parseIdx(bytes, shown);
    case 'json': {
      const text = decodeUtf8(bytes, shown);
      if (text.trim().length === 0)
        throw new CmkdError(`${shown} is empty; expected a JSON array of rows or {shape, data}`, 'invalid-input');
      return parseJsonText(text, shown);
    }
    default:
      throw new CmkdError(`${field}: ${shown} is ${formatNoun(format)}, read asynchronously; load it with loadDataset`, 'unsupported');
  }
}

/** Numbers of one file in sample-major order, with the per-sample shape the file stores. */
export interface NumericArray {
  file: string;
  n: number;
  sampleShape: number[];
  values: Float32Array;
  columns?: string[];
}

/** What a manifest (or CSV options) says about one modality. */
export interface ModalitySpec {
  name: string;
  kind: ModalityKind;
  /** [H, W, C] for images; optional when the file stores [N, H, W, C] or [N, H, W]. */
  shape?: number[];
  file: string;
  format?: FileFormat;
  /** CSV and Parquet: column names or globs ('px_*'); default all columns but the label column. */
  columns?: string[];
  /** HDF5: the dataset's path inside the file, e.g. '/views/rgb'. */
  key?: string;
  /** Image folders: 1 (grayscale) or 3 (RGB); default 1 when every image is grayscale, else 3. */
  channels?: 1 | 3;
  /** Image folders: resize every image to [H, W]. */
  resize?: [number, number];
  /** Multiply every value (e.g. 1/255 for bytes). */
  scale?: number;
}

export interface ReadContext {
  cache: FileCache;
  /** Turn a file named in the spec into [path to open, name shown in messages]. */
  resolve(file: string): [string, string];
  /** Field prefix for messages, e.g. "cmkd.json: modalities[1]". */
  field: string;
  /** A CSV label column: default column selection skips it, and naming it as a feature is an error. */
  labelColumn?: { path: string; column: string };
  /** How the user names a label file's column, for messages (default the manifest's "column"). */
  columnOption?: string;
  /**
   * The name of the sample-id column (labels.id, else 'id'): left out of every table's default and
   * glob selections, in whichever file it is, since the files' rows are paired by it (fileIds).
   */
  idName?: string;
  /** CSV columns already read as features (path and column → modality), shared by one load's modalities. */
  claimed?: Map<string, string>;
}

/** The columns a default or glob selection leaves out of a table at `path`: the label column of its file, and the sample-id column wherever it is. */
export function skippedColumns(header: string[], path: string, ctx: ReadContext): number[] {
  const named = [ctx.labelColumn?.path === path ? ctx.labelColumn.column : undefined, ctx.idName];
  return [...new Set(named.map((c) => (c === undefined ? -1 : header.indexOf(c))).filter((j) => j >= 0))];
}

/** A CSV column may be a feature of one modality only, and never the label too. */
function claimColumns(t: CsvTable, cols: number[], path: string, modality: string, ctx: ReadContext): void {
  for (const j of cols) {
    const c = t.header[j];
    if (ctx.labelColumn?.path === path && ctx.labelColumn.column === c)
      throw new CmkdError(`${ctx.field}: column '${c}' is the label column; it cannot also be a feature`, 'invalid-input');
    if (!ctx.claimed) continue;
    const key = `${path}\0${c}`;
    const other = ctx.claimed.get(key);
    if (other !== undefined && other !== modality)
      throw new CmkdError(`${t.file}: column '${c}' is claimed by both modality '${other}' and modality '${modality}'`, 'invalid-input');
    ctx.claimed.set(key, modality);
  }
}

/** The manifest fields that apply to one format only, checked before any file is read. */
export function checkFormatFields(spec: ModalitySpec, format: FileFormat, shown: string, what: string): void {
  if (spec.columns && format !== 'csv' && format !== 'parquet') {
    throw new CmkdError(`${what}: "columns" selects CSV or Parquet columns, but ${shown} is ${formatNoun(format)}`, 'invalid-input');
  }
  if (spec.key !== undefined && format !== 'hdf5') {
    throw new CmkdError(`${what}: "key" names a dataset inside an HDF5 file, but ${shown} is ${formatNoun(format)}`, 'invalid-input');
  }
  if (format === 'hdf5' && spec.key === undefined) {
    throw new CmkdError(`${what}: ${shown} is an HDF5 file; name the dataset to read with "key", e.g. "key": "/features"`, 'invalid-input');
  }
  for (const f of ['channels', 'resize'] as const) {
    if (spec[f] !== undefined && format !== 'images') {
      throw new CmkdError(`${what}: "${f}" applies to a folder of images, but ${shown} is ${formatNoun(format)}`, 'invalid-input');
    }
  }
}

/**
 * Read one modality from its file and check its shape against the spec. `pre` is the file's
 * numbers when they were read already (the asynchronous formats).
 */
export function readModality(spec: ModalitySpec, ctx: ReadContext, pre?: NumericArray): Modality {
  const [path, shown] = ctx.resolve(spec.file);
  const format = resolveFormat(spec.file, spec.format, `${ctx.field}.file`);
  const what = `${ctx.field} (modality '${spec.name}')`;
  checkFormatFields(spec, format, shown, what);
  let arr: NumericArray;
  if (pre) {
    arr = pre;
  } else if (format === 'parquet' || format === 'hdf5' || format === 'images') {
    throw new CmkdError(`${what}: ${shown} is ${formatNoun(format)}; load it with loadDataset`, 'unsupported');
  } else if (format === 'csv') {
    const t = ctx.cache.get<CsvTable>(path, shown, 'csv', `${ctx.field}.file`);
    let cols: number[];
    // Globs and the default selection skip the label and id columns of this file.
    const skip = skippedColumns(t.header, path, ctx);
    if (spec.columns) {
      cols = selectColumns(t, spec.columns, what, skip);
    } else {
      cols = t.header.map((_, j) => j).filter((j) => !skip.includes(j));
      if (cols.length === 0) throw new CmkdError(`${what}: ${shown} has no columns besides the label column`, 'invalid-input');
    }
    // Before the numbers: a misplaced label column is reported as such, not as a non-number.
    claimColumns(t, cols, path, spec.name, ctx);
    arr = { file: shown, n: t.rows.length, sampleShape: [cols.length], values: csvMatrix(t, cols), columns: cols.map((j) => t.header[j]) };
  } else if (format === 'json') {
    arr = jsonArray(ctx.cache.get<unknown>(path, shown, 'json', `${ctx.field}.file`), shown);
  } else {
    const a =
      format === 'npy'
        ? ctx.cache.get<ReturnType<typeof parseNpy>>(path, shown, 'npy', `${ctx.field}.file`)
        : ctx.cache.get<ReturnType<typeof parseIdx>>(path, shown, 'idx', `${ctx.field}.file`);
    if (a.shape.length === 0) throw new CmkdError(`${shown} holds a scalar; expected one row per sample`, 'invalid-input');
    if ('text' in a)
      throw new CmkdError(`${what}: ${shown} holds strings; a modality needs numbers (strings are for labels)`, 'invalid-input');
    arr = { file: shown, n: a.shape[0], sampleShape: a.shape.slice(1), values: Float32Array.from(a.values) };
  }
  if (arr.n === 0) throw new CmkdError(`${shown} holds 0 samples`, 'invalid-input');

  const perSample = arr.sampleShape.reduce((a, b) => a * b, 1);
  if (perSample === 0)
    throw new CmkdError(
      `${what}: ${shown} holds 0 values per sample (samples of shape [${arr.sampleShape.join(', ')}]); expected at least one feature`,
      'invalid-input',
    );
  let shape: number[];
  if (spec.kind === 'table') {
    if (spec.shape && (spec.shape.length !== 1 || spec.shape[0] !== perSample)) {
      throw new CmkdError(
        `${what}: table shape [${spec.shape.join(', ')}] does not match ${shown}, which has ${perSample} values per row`,
        'invalid-input',
      );
    }
    shape = [perSample];
  } else {
    shape = imageShape(spec, arr, what);
  }
  const values = arr.values;
  if (spec.scale !== undefined && spec.scale !== 1) for (let i = 0; i < values.length; i++) values[i] *= spec.scale;
  const m: Modality = { name: spec.name, kind: spec.kind, shape, data: values, source: shown };
  if (arr.columns && spec.kind === 'table') m.columns = arr.columns;
  return m;
}

function imageShape(spec: ModalitySpec, arr: NumericArray, what: string): number[] {
  const stored = arr.sampleShape;
  const perSample = stored.reduce((a, b) => a * b, 1);
  if (!spec.shape) {
    if (stored.length === 3) return stored.slice();
    if (stored.length === 2) return [stored[0], stored[1], 1];
    throw new CmkdError(`${what}: image needs "shape": [H, W, C]; ${arr.file} stores flat rows of ${perSample} values`, 'invalid-input');
  }
  const [h, w, c] = spec.shape;
  const need = h * w * c;
  if (need !== perSample) {
    throw new CmkdError(
      `${what}: wrong image size: ${arr.file} has ${perSample} values per sample but shape [${h}, ${w}, ${c}] needs H·W·C = ${need}`,
      'invalid-input',
    );
  }
  const matches =
    stored.length <= 1 ||
    (stored.length === 3 && stored.every((s, i) => s === spec.shape![i])) ||
    (stored.length === 2 && c === 1 && stored[0] === h && stored[1] === w);
  if (!matches) {
    throw new CmkdError(
      `${what}: ${arr.file} stores samples of shape [${stored.join(', ')}] but the spec says [${h}, ${w}, ${c}]; cmkd expects channels-last [H, W, C] (transpose the array, e.g. a.transpose(0, 2, 3, 1))`,
      'invalid-input',
    );
  }
  return [h, w, c];
}

/** A JSON modality: an array of rows (numbers or nested arrays) or {shape: [N, ...], data}. */
function jsonArray(doc: unknown, file: string): NumericArray {
  if (Array.isArray(doc)) {
    if (doc.length === 0) throw new CmkdError(`${file} is an empty array; expected one row per sample`, 'invalid-input');
    const rows = doc.map((row, i) => flattenJson(row, file, `sample ${i}`));
    const d = rows[0].values.length;
    const values = new Float32Array(rows.length * d);
    rows.forEach((r, i) => {
      if (r.values.length !== d) {
        throw new CmkdError(`${file} sample ${i}: ragged row with ${r.values.length} values; sample 0 has ${d}`, 'invalid-input');
      }
      values.set(r.values, i * d);
    });
    return { file, n: rows.length, sampleShape: rows[0].shape, values };
  }
  if (doc && typeof doc === 'object' && 'shape' in doc && 'data' in doc) {
    const { shape, data } = doc as { shape: unknown; data: unknown };
    if (!Array.isArray(shape) || shape.length === 0 || !shape.every((s) => Number.isInteger(s) && s >= 0)) {
      throw new CmkdError(`${file}: "shape" must be a non-empty array of non-negative integers [N, ...]`, 'invalid-input');
    }
    const flat = flattenJson(data, file, 'data');
    const need = (shape as number[]).reduce((a, b) => a * b, 1);
    if (flat.values.length !== need) {
      throw new CmkdError(
        `${file}: "data" has ${flat.values.length} values but "shape" [${shape.join(', ')}] needs ${need}`,
        'invalid-input',
      );
    }
    return { file, n: shape[0] as number, sampleShape: (shape as number[]).slice(1), values: Float32Array.from(flat.values) };
  }
  throw new CmkdError(`${file}: expected a JSON array of rows or an object {"shape": [N, ...], "data": [...]}`, 'invalid-input');
}

/** Flatten nested number arrays, checking they are rectangular; null means missing (NaN). */
function flattenJson(x: unknown, file: string, where: string): { shape: number[]; values: number[] } {
  const values: number[] = [];
  const shape: number[] = [];
  const walk = (v: unknown, depth: number, path: string): void => {
    if (Array.isArray(v)) {
      if (shape.length === depth) shape.push(v.length);
      else if (shape.length < depth || shape[depth] !== v.length) {
        throw new CmkdError(
          `${file} ${path}: ragged nesting: ${v.length} entries where ${shape[depth] ?? 'a number'} was expected`,
          'invalid-input',
        );
      }
      v.forEach((e, i) => walk(e, depth + 1, `${path}[${i}]`));
      return;
    }
    if (shape.length > depth)
      throw new CmkdError(`${file} ${path}: a number where an array of ${shape[depth]} was expected`, 'invalid-input');
    if (v === null) values.push(NaN);
    else if (typeof v === 'number') values.push(v);
    else throw new CmkdError(`${file} ${path}: ${excerpt(JSON.stringify(v) ?? String(v))} is not a number`, 'invalid-input');
  };
  walk(x, 0, where);
  return { shape, values };
}

// ---------------------------------------------------------------- labels

/** Labels as read from a file, before the task turns them into class indices or targets. */
export interface RawLabels {
  file: string;
  /** Strings from CSV / JSON text; numbers from npy / IDX / JSON numbers; null = missing. */
  values: (string | number | null)[];
  /** Human location of label i, e.g. "y.csv row 3 (line 4), column 'y'". */
  where(i: number): string;
}

export interface LabelSpec {
  file: string;
  format?: FileFormat;
  /** CSV or Parquet column; optional when the file has a single column. */
  column?: string;
  /** HDF5: the labels' dataset path inside the file. */
  key?: string;
  /** CSV or Parquet: a column of sample ids, matched to the file stems of image folders. */
  id?: string;
}

export function readLabels(spec: LabelSpec, ctx: ReadContext): RawLabels {
  const [path, shown] = ctx.resolve(spec.file);
  const format = resolveFormat(spec.file, spec.format, `${ctx.field}.file`);
  if (spec.column && format !== 'csv' && format !== 'parquet') {
    throw new CmkdError(
      `${ctx.field}: "column" applies to CSV and Parquet label files, but ${shown} is ${formatNoun(format)}`,
      'invalid-input',
    );
  }
  if (spec.id && format !== 'csv' && format !== 'parquet') {
    throw new CmkdError(`${ctx.field}: "id" names a CSV or Parquet column, but ${shown} is ${formatNoun(format)}`, 'invalid-input');
  }
  if (format === 'images') throw new CmkdError(`${ctx.field}: ${shown} is a folder of images; labels come from a file`, 'invalid-input');
  if (format === 'parquet' || format === 'hdf5') {
    throw new CmkdError(`${ctx.field}: ${shown} is ${formatNoun(format)}, read asynchronously; load it with loadDataset`, 'unsupported');
  }
  if (format === 'csv') {
    const t = ctx.cache.get<CsvTable>(path, shown, 'csv', `${ctx.field}.file`);
    let j: number;
    if (spec.column) j = columnIndex(t, spec.column, `${ctx.field}.column`);
    else if (t.header.length === 1) j = 0;
    else {
      throw new CmkdError(
        `${ctx.field}: ${shown} has ${t.header.length} columns; name the label column with ${ctx.columnOption ?? '"column"'}`,
        'invalid-input',
      );
    }
    return { file: shown, values: t.rows.map((r) => r[j]), where: (i) => `${csvRowRef(t, i)}, column '${t.header[j]}'` };
  }
  if (format === 'json') {
    const doc = ctx.cache.get<unknown>(path, shown, 'json', `${ctx.field}.file`);
    const arr = Array.isArray(doc)
      ? doc
      : doc && typeof doc === 'object' && Array.isArray((doc as { data?: unknown }).data)
        ? (doc as { data: unknown[] }).data
        : null;
    if (!arr)
      throw new CmkdError(`${shown}: labels must be a JSON array (or {"data": [...]}) of class names, indices or targets`, 'invalid-input');
    if (arr.length === 0) throw new CmkdError(`${shown} is an empty label array`, 'invalid-input');
    const values = arr.map((v, i) => {
      if (v === null || typeof v === 'string' || typeof v === 'number') return v;
      throw new CmkdError(
        `${shown} sample ${i}: label ${excerpt(JSON.stringify(v) ?? String(v))} is not a string or a number`,
        'invalid-input',
      );
    });
    return { file: shown, values, where: (i) => `${shown} sample ${i}` };
  }
  const a =
    format === 'npy'
      ? ctx.cache.get<ReturnType<typeof parseNpy>>(path, shown, 'npy', `${ctx.field}.file`)
      : ctx.cache.get<ReturnType<typeof parseIdx>>(path, shown, 'idx', `${ctx.field}.file`);
  if (!(a.shape.length === 1 || (a.shape.length === 2 && a.shape[1] === 1))) {
    throw new CmkdError(`${shown}: labels must have shape [N] or [N, 1]; got [${a.shape.join(', ')}]`, 'invalid-input');
  }
  if (a.shape[0] === 0) throw new CmkdError(`${shown} holds 0 labels`, 'invalid-input');
  return { file: shown, values: 'text' in a ? a.text : Array.from(a.values), where: (i) => `${shown} sample ${i}` };
}

/** What the user declares about the task; classes and target are optional. */
export type TaskSpec = { kind: 'classification'; classes?: string[] } | { kind: 'regression'; target?: string };

/** Turn raw labels into class indices (classification) or float targets (regression). */
export function encodeLabels(raw: RawLabels, spec: TaskSpec, defaultTarget: string): { task: Task; labels: Int32Array | Float32Array } {
  const n = raw.values.length;
  const missing = (i: number) => new CmkdError(`${raw.where(i)}: missing label; every sample needs one`, 'invalid-input');
  const isMissing = (v: string | number | null) =>
    v === null || (typeof v === 'string' && v.trim() === '') || (typeof v === 'number' && Number.isNaN(v));

  if (spec.kind === 'regression') {
    const labels = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const v = raw.values[i];
      if (isMissing(v)) throw missing(i);
      const x = typeof v === 'number' ? v : Number(v);
      if (Number.isNaN(x)) throw new CmkdError(`${raw.where(i)}: regression target ${excerpt(String(v))} is not a number`, 'invalid-input');
      if (!Number.isFinite(x)) throw new CmkdError(`${raw.where(i)}: regression target is ${x}; expected a finite number`, 'invalid-input');
      labels[i] = x;
    }
    return { task: { kind: 'regression', target: spec.target ?? defaultTarget }, labels };
  }

  const labels = new Int32Array(n);
  const numeric = raw.values.every((v) => v === null || typeof v === 'number');
  if (numeric) {
    // Numbers are class indices: into the declared classes, or named by their value.
    const vals = raw.values as (number | null)[];
    for (let i = 0; i < n; i++) {
      const v = vals[i];
      if (isMissing(v)) throw missing(i);
      if (!Number.isInteger(v)) throw new CmkdError(`${raw.where(i)}: class label ${v} is not an integer class index`, 'invalid-input');
    }
    if (spec.classes) {
      const k = spec.classes.length;
      for (let i = 0; i < n; i++) {
        const v = vals[i] as number;
        if (v < 0 || v >= k) {
          throw new CmkdError(
            `${raw.where(i)}: label ${v} is not a class index of the ${k} declared classes (0..${k - 1})`,
            'invalid-input',
          );
        }
        labels[i] = v;
      }
      return { task: { kind: 'classification', classes: spec.classes.slice() }, labels: atLeastTwo(labels, spec.classes, raw) };
    }
    return classesByValue(vals as number[], labels, raw);
  }

  // Spreadsheet spellings of a missing cell are missing, unless they are declared classes.
  const missingWord = (t: string) => /^(nan|na|n\/a|null)$/i.test(t) && !spec.classes?.includes(t);
  const names = raw.values.map((v, i) => {
    if (isMissing(v) || missingWord(String(v).trim())) throw missing(i);
    return String(v).trim();
  });
  let classes: string[];
  if (spec.classes) {
    classes = spec.classes.slice();
  } else if (names.every((t) => DECIMAL.test(t))) {
    // Numbers written as text are class values as numbers ('1' and '1.0' are one class); they must be integers.
    const vals = names.map(Number);
    const bad = vals.findIndex((v) => !Number.isInteger(v));
    if (bad >= 0) throw new CmkdError(`${raw.where(bad)}: class label ${names[bad]} is not an integer class value`, 'invalid-input');
    return classesByValue(vals, labels, raw);
  } else {
    classes = [...new Set(names)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  // Text labels '0', '1', … with declared class names (none of them a label) are class indices.
  const asIndices = spec.classes !== undefined && !names.some((s) => index.has(s)) && names.every((s) => /^\d+$/.test(s));
  const shown = classes.length > 10 ? classes.slice(0, 10).join(', ') + ', …' : classes.join(', ');
  for (let i = 0; i < n; i++) {
    const k = asIndices ? Number(names[i]) : index.get(names[i]);
    if (k === undefined || k >= classes.length) {
      const alt = asIndices ? ` nor a class index 0..${classes.length - 1}` : '';
      throw new CmkdError(
        `${raw.where(i)}: label ${excerpt(names[i])} is not one of the declared classes (${shown})${alt}`,
        'invalid-input',
      );
    }
    labels[i] = k;
  }
  return { task: { kind: 'classification', classes }, labels: atLeastTwo(labels, classes, raw) };
}

/** Integer class values named by their value, in increasing order: class i is the i-th smallest value. */
function classesByValue(vals: number[], labels: Int32Array, raw: RawLabels): { task: Task; labels: Int32Array } {
  // -1 usually marks an unlabelled row; taking it as one more class would train on it silently.
  const negative = vals.findIndex((v) => v < 0);
  if (negative >= 0)
    throw new CmkdError(
      `${raw.where(negative)}: class label ${vals[negative]} is negative; class values are 0 or more (a -1 often marks a missing label: remove those rows, or if it is a class, declare the classes with --classes or the manifest's task.classes)`,
      'invalid-input',
    );
  const uniq = [...new Set(vals)].sort((a, b) => a - b);
  const index = new Map(uniq.map((v, i) => [v, i]));
  vals.forEach((v, i) => (labels[i] = index.get(v)!));
  const classes = uniq.map(String);
  return { task: { kind: 'classification', classes }, labels: atLeastTwo(labels, classes, raw) };
}

/** A plain decimal number ('3', '-1', '2.0', '1e3'); not '0x1F', 'Infinity' or ''. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Classification needs at least two classes among the labels. */
function atLeastTwo(labels: Int32Array, classes: string[], raw: RawLabels): Int32Array {
  const present = new Set(labels);
  if (present.size < 2)
    throw new CmkdError(
      `${raw.file}: every label is class '${classes[labels[0]]}'${classes.length > 1 ? ` (of the ${classes.length} declared)` : ''}; classification needs at least two classes present`,
      'invalid-input',
    );
  return labels;
}

/** Put modalities and labels together, checking every file has the same number of samples. */
export function assemble(
  name: string,
  modalities: Modality[],
  raw: RawLabels,
  spec: TaskSpec,
  defaultTarget: string,
  description?: string,
): MultimodalDataset {
  const first = modalities[0];
  const nFirst = first.data.length / featureSize(first);
  for (const m of modalities.slice(1)) {
    const n = m.data.length / featureSize(m);
    if (n !== nFirst) {
      throw new CmkdError(
        `row counts differ: modality '${first.name}' (${first.source}) has ${nFirst} samples but modality '${m.name}' (${m.source}) has ${n}; modalities must be paired row by row`,
        'invalid-input',
      );
    }
  }
  if (raw.values.length !== nFirst) {
    throw new CmkdError(
      `row counts differ: modality '${first.name}' (${first.source}) has ${nFirst} samples but the labels (${raw.file}) have ${raw.values.length}`,
      'invalid-input',
    );
  }
  const { task, labels } = encodeLabels(raw, spec, defaultTarget);
  const ds: MultimodalDataset = { name, n: nFirst, modalities, task, labels };
  if (description) ds.description = description;
  return ds;
}
