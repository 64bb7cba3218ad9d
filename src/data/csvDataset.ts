/**
 * A whole dataset in one CSV file: the user says which columns form which modality
 * (names, comma lists or globs such as 'img_*') and which column holds the label. Without a
 * label column it loads as a ModalityTable (loadCsvModalities), for MI between modalities.
 */
import { basename, extname, resolve } from 'node:path';
import { CmkdError, check } from '../util/errors.js';
import { featureSize } from './access.js';
import { splitColumns } from './manifest.js';
import { FileCache, assemble, readLabels, readModality, type TaskSpec } from './source.js';
import { selectColumns, type CsvTable } from './csv.js';
import type { ModalityKind, ModalityTable, MultimodalDataset } from './types.js';

/** Columns of one modality: 'c1,c2', 'img_*', ['c1', 'c2'], or with kind/shape for images. */
export type CsvModalityColumns =
  string | string[] | { columns: string | string[]; kind?: ModalityKind; shape?: [number, number, number]; scale?: number };

export type TaskOption = 'classification' | 'regression' | TaskSpec;

export interface CsvColumnOptions {
  /** Modality name → its columns, in the order the modalities should appear. */
  modalities: Record<string, CsvModalityColumns>;
  /** The label column. */
  label: string;
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
  check(
    typeof opts.label === 'string' && opts.label.length > 0,
    `${opts.file}: name the label column (--label <column>)`,
    'invalid-option',
  );
  const cache = new FileCache();
  const t = readCsvModalities(opts, entries, cache);
  const raw = readLabels(
    { file: opts.file, format: 'csv', column: opts.label },
    { cache, resolve: () => [resolve(opts.file), opts.file], field: `${opts.file}: label` },
  );
  return assemble(t.name, t.modalities, raw, normalizeTask(opts.task, opts.label), opts.label, opts.description);
}

export type CsvModalitiesOptions = Pick<CsvDatasetOptions, 'file' | 'modalities' | 'name' | 'description'>;

/** The modalities of a single CSV without its labels (every column not named is ignored). */
export function loadCsvModalities(opts: CsvModalitiesOptions): ModalityTable {
  return readCsvModalities(opts, modalityEntries(opts), new FileCache());
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

/** The modalities `entries` of the CSV; a column named as the label (when there is one) cannot be a feature. */
function readCsvModalities(
  opts: CsvModalitiesOptions & { label?: string },
  entries: [string, CsvModalityColumns][],
  cache: FileCache,
): ModalityTable {
  const path = resolve(opts.file);
  const resolveFile = (): [string, string] => [path, opts.file];
  const claimed = new Map<string, string>();
  const labelColumn = opts.label ? { path, column: opts.label } : undefined;
  const modalities = entries.map(([name, spec]) => {
    check(name.length > 0, `${opts.file}: a modality needs a non-empty name`, 'invalid-option');
    const o = typeof spec === 'string' || Array.isArray(spec) ? { columns: spec } : spec;
    const columns = (Array.isArray(o.columns) ? o.columns : [o.columns]).flatMap(splitColumns);
    const kind = o.kind ?? ('shape' in o && o.shape ? 'image' : 'table');
    const field = `${opts.file}: modality '${name}'`;
    // An unknown column is named in the flags' words ("d.csv: modality 'a': …") before reading.
    selectColumns(cache.get<CsvTable>(path, opts.file, 'csv', field), columns, field);
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
  return { name, n, modalities, ...(opts.description ? { description: opts.description } : {}) };
}
