/**
 * A whole dataset in one CSV file: the user says which columns form which modality
 * (names, comma lists or globs such as 'img_*') and which column holds the label, or which
 * separate file holds the labels (labelFile, read as a manifest's "labels" file: row i labels
 * row i). Without labels it loads as a ModalityTable (loadCsvModalities), for MI between modalities.
 */
import { existsSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { CmkdError, check } from '../util/errors.js';
import { featureSize } from './access.js';
import { FileCache, assemble, formatFromName, readLabels, readModality, withLoadWarnings, type TaskSpec } from './source.js';
import { selectColumns, splitColumns, type CsvTable } from './csv.js';
import type { ModalityKind, ModalityTable, MultimodalDataset } from './types.js';

/** Columns of one modality: 'c1,c2', 'img_*', ['c1', 'c2'], or with kind/shape for images. */
export type CsvModalityColumns =
  string | string[] | { columns: string | string[]; kind?: ModalityKind; shape?: [number, number, number]; scale?: number };

export type TaskOption = 'classification' | 'regression' | TaskSpec;

export interface CsvColumnOptions {
  /** Modality name → its columns, in the order the modalities should appear. */
  modalities: Record<string, CsvModalityColumns>;
  /** The label column: of the CSV, or of labelFile when given (optional there when it has one column). */
  label?: string;
  /**
   * A separate file of labels, one per row of the CSV in the same order (CSV, .npy, JSON or IDX, as a
   * manifest's "labels" file); a relative path is relative to the working directory.
   */
  labelFile?: string;
  /** The CSV files have a header line (default true); false: columns are named '1', '2', … by position. */
  header?: boolean;
  /** Default classification (classes from the data, sorted). */
  task?: TaskOption;
  name?: string;
  description?: string;
}

export interface CsvDatasetOptions extends CsvColumnOptions {
  file: string;
}

export function normalizeTask(task: TaskOption | undefined, label: string): TaskSpec {
  if (task === undefined || task === 'classification') return { kind: 'classification' };
  if (task === 'regression') return { kind: 'regression', target: label };
  if (task.kind !== 'classification' && task.kind !== 'regression') {
    throw new CmkdError(
      `unknown task kind '${(task as { kind: string }).kind}'; expected one of: classification, regression`,
      'invalid-option',
    );
  }
  return task;
}

/** Load a single-CSV dataset. Every modality column must be numeric; the label may be text. */
export function loadCsvDataset(opts: CsvDatasetOptions): MultimodalDataset {
  const entries = modalityEntries(opts);
  if (opts.labelFile !== undefined)
    check(typeof opts.labelFile === 'string' && opts.labelFile.length > 0, `${opts.file}: --label-file is empty`, 'invalid-option');
  else
    check(
      typeof opts.label === 'string' && opts.label.length > 0,
      `${opts.file}: name the label column (--label <column>) or the label file (--label-file <file>)`,
      'invalid-option',
    );
  if (opts.labelFile !== undefined) {
    if (!existsSync(opts.labelFile)) throw new CmkdError(`--label-file ${opts.labelFile}: file not found`, 'not-found');
    const format = formatFromName(opts.labelFile);
    if (opts.label !== undefined && format !== 'csv')
      throw new CmkdError(
        `--label '${opts.label}' names a column of a CSV label file, but --label-file ${opts.labelFile} is not a .csv`,
        'invalid-option',
      );
  }
  const cache = new FileCache({ header: opts.header });
  const t = readCsvModalities(opts, entries, cache);
  const labelFile = opts.labelFile ?? opts.file;
  const raw = readLabels(
    { file: labelFile, ...(opts.labelFile === undefined ? { format: 'csv' as const } : {}), column: opts.label },
    {
      cache,
      resolve: () => [resolve(labelFile), labelFile],
      field: opts.labelFile === undefined ? `${opts.file}: label` : '--label-file',
      columnOption: '--label <column>',
    },
  );
  const target = opts.label ?? basename(labelFile, extname(labelFile));
  const ds = assemble(t.name, t.modalities, raw, normalizeTask(opts.task, target), target, opts.description);
  return withLoadWarnings(t.ids ? { ...ds, ids: t.ids } : ds, cache);
}

export type CsvModalitiesOptions = Pick<CsvDatasetOptions, 'file' | 'modalities' | 'name' | 'description' | 'header'>;

/** The modalities of a single CSV without its labels (every column not named is ignored). */
export function loadCsvModalities(opts: CsvModalitiesOptions): ModalityTable {
  const cache = new FileCache({ header: opts.header });
  return withLoadWarnings(readCsvModalities(opts, modalityEntries(opts), cache), cache);
}

function modalityEntries(opts: CsvModalitiesOptions): [string, CsvModalityColumns][] {
  const entries = Object.entries(opts.modalities ?? {});
  check(
    entries.length > 0,
    `${opts.file}: name at least one modality's columns (e.g. --csv-modality a=c1,c2 --csv-modality b='img_*')`,
    'invalid-option',
  );
  return entries;
}

/** The modalities `entries` of the CSV; its label column (when it has one) cannot be a feature. */
function readCsvModalities(
  opts: CsvModalitiesOptions & { label?: string; labelFile?: string },
  entries: [string, CsvModalityColumns][],
  cache: FileCache,
): ModalityTable {
  const path = resolve(opts.file);
  const resolveFile = (): [string, string] => [path, opts.file];
  const label = opts.labelFile === undefined ? opts.label : undefined;
  const labelColumn = label === undefined ? undefined : { path, column: label };
  const claimed = new Map<string, string>();
  const modalities = entries.map(([name, spec]) => {
    check(name.length > 0, `${opts.file}: a modality needs a non-empty name`, 'invalid-option');
    const o = typeof spec === 'string' || Array.isArray(spec) ? { columns: spec } : spec;
    const columns = (Array.isArray(o.columns) ? o.columns : [o.columns]).flatMap(splitColumns);
    const kind = o.kind ?? ('shape' in o && o.shape ? 'image' : 'table');
    const field = `${opts.file}: modality '${name}'`;
    // An unknown column is named in the flags' words ("d.csv: modality 'a': …") before reading.
    const t = cache.get<CsvTable>(path, opts.file, 'csv', field);
    selectColumns(t, columns, field, label === undefined ? [] : [t.header.indexOf(label)]);
    return readModality(
      {
        name,
        kind,
        shape: 'shape' in o ? o.shape : undefined,
        file: opts.file,
        format: 'csv',
        columns,
        scale: 'scale' in o ? o.scale : undefined,
      },
      { cache, resolve: resolveFile, field, labelColumn, claimed },
    );
  });
  // One file: every modality has its row count.
  const n = modalities[0].data.length / featureSize(modalities[0]);
  const name = opts.name ?? basename(opts.file, extname(opts.file));
  const ids = cache.get<CsvTable>(path, opts.file, 'csv', `${opts.file}`).ids;
  return { name, n, modalities, ...(opts.description ? { description: opts.description } : {}), ...(ids ? { ids } : {}) };
}
