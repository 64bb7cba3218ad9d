/**
 * One entry point for every dataset the user can name: 'digits' (with options such as
 * 'digits?n=2000'), a directory holding cmkd.json, a manifest (any .json file) by its path, or a
 * single .csv with column options.
 */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { CmkdError } from '../util/errors.js';
import type { ProgressFn } from '../util/progress.js';
import { loadCsvDataset, loadCsvModalities, type CsvColumnOptions } from './csvDataset.js';
import type { DigitsOptions } from './digits/index.js';
import { MANIFEST_NAME, loadManifestDataset } from './manifest.js';
import type { ModalityTable, MultimodalDataset } from './types.js';
import { validateDataset, validateModalities } from './validate.js';

export interface LoadOptions extends Partial<CsvColumnOptions> {
  /** Options for the built-in digits; they override those in a 'digits?…' spec. */
  digits?: DigitsOptions;
  /** A manifest may name files outside its folder (default: refused). */
  allowOutside?: boolean;
  /** Run validateDataset on the result (default true). Off, NaN/Inf values load as-is (describe counts them). */
  validate?: boolean;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

/** A manifest named by its path: cmkd.json, or any existing .json file (of the manifest's shape). */
function isManifestPath(spec: string): boolean {
  return basename(spec) === MANIFEST_NAME || (spec.toLowerCase().endsWith('.json') && existsSync(spec) && statSync(spec).isFile());
}

export function isDigitsSpec(spec: string): boolean {
  return spec === 'digits' || spec.startsWith('digits?');
}

/** Load the dataset `spec` names; bad input throws CmkdError naming the file and field at fault. */
export async function loadDataset(spec: string, opts: LoadOptions = {}): Promise<MultimodalDataset> {
  if (typeof spec !== 'string' || spec.trim() === '') {
    throw new CmkdError("no dataset given; expected 'digits', a directory with cmkd.json, or a .csv file", 'invalid-option');
  }
  const hasColumns = opts.modalities !== undefined || opts.label !== undefined || opts.labelFile !== undefined || opts.header === false;
  const noColumns = (kind: string) => {
    if (hasColumns) {
      throw new CmkdError(
        `column options (--csv-modality, --label, --label-file, --no-header) apply to a single .csv dataset, not to ${kind} '${spec}'`,
        'invalid-option',
      );
    }
  };
  let ds: MultimodalDataset;
  if (isDigitsSpec(spec) && !existsSync(spec)) {
    noColumns('the built-in dataset');
    const digits = await import('./digits/index.js');
    ds = await digits.loadDigits({ ...digits.parseDigitsSpec(spec), ...opts.digits, onProgress: opts.onProgress, signal: opts.signal });
  } else if ((existsSync(spec) && statSync(spec).isDirectory()) || isManifestPath(spec)) {
    // A manifest takes its labels from --label-file (and --label, its column); the other column options describe a single CSV.
    const dir = existsSync(spec) && statSync(spec).isDirectory();
    const csvOnly = opts.modalities !== undefined || opts.header === false || (opts.label !== undefined && opts.labelFile === undefined);
    if (csvOnly) {
      throw new CmkdError(
        `column options (--csv-modality, --no-header, --label without --label-file) apply to a single .csv dataset, not to ${dir ? 'the dataset directory' : 'the manifest'} '${spec}'`,
        'invalid-option',
      );
    }
    ds = await loadManifestDataset(spec, {
      name: opts.name,
      allowOutside: opts.allowOutside,
      labelFile: opts.labelFile,
      label: opts.label,
    });
  } else if (spec.toLowerCase().endsWith('.csv')) {
    if (!existsSync(spec)) throw new CmkdError(`dataset file not found: ${spec}`, 'not-found');
    if (!opts.modalities || (!opts.label && !opts.labelFile)) {
      throw new CmkdError(
        `${spec}: a single-CSV dataset needs column options: which columns form each modality and which holds the label (e.g. --csv-modality a=c1,c2 --csv-modality b='img_*' --label y, or --label-file labels.csv)`,
        'invalid-option',
      );
    }
    ds = loadCsvDataset({ ...(opts as CsvColumnOptions), file: spec });
  } else if (existsSync(spec)) {
    throw new CmkdError(
      `${spec}: unknown dataset type; expected a directory with ${MANIFEST_NAME}, a manifest (.json) file or a .csv file`,
      'invalid-input',
    );
  } else {
    throw new CmkdError(
      `dataset '${spec}' not found: it is not 'digits', an existing directory with ${MANIFEST_NAME}, or a .csv file`,
      'not-found',
    );
  }
  return opts.validate === false ? ds : validateDataset(ds);
}

/**
 * The dataset `spec` names, for a command that needs only its modalities (MI between two of
 * them): a single CSV may then leave out the label column, and loads as a ModalityTable; with a
 * label, and for every other kind of dataset, this is loadDataset.
 */
export async function loadModalities(spec: string, opts: LoadOptions = {}): Promise<ModalityTable | MultimodalDataset> {
  const csv = typeof spec === 'string' && spec.toLowerCase().endsWith('.csv') && !(existsSync(spec) && statSync(spec).isDirectory());
  if (!csv || opts.label !== undefined || opts.labelFile !== undefined) return loadDataset(spec, opts);
  if (!existsSync(spec)) throw new CmkdError(`dataset file not found: ${spec}`, 'not-found');
  if (!opts.modalities) {
    throw new CmkdError(
      `${spec}: a single-CSV dataset needs column options: which columns form each modality (e.g. --csv-modality a=c1,c2 --csv-modality b='img_*')`,
      'invalid-option',
    );
  }
  if (opts.task !== undefined) {
    throw new CmkdError(`${spec}: --task and --classes describe the label column; name it with --label <column>`, 'invalid-option');
  }
  const t = loadCsvModalities({ ...opts, modalities: opts.modalities, file: spec, header: opts.header });
  return opts.validate === false ? t : validateModalities(t);
}
