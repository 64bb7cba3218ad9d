/**
 * A dataset directory: `cmkd.json` names each modality's file, the label file and the task (the
 * labels may instead come from --label-file; a manifest may also be any `.json` file, by its path).
 * The manifest is checked with a zod schema; each issue becomes a one-line message that
 * names the field (e.g. `cmkd.json: modalities[1].kind: ...`).
 */
import { existsSync, realpathSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import * as z from 'zod';
import { CmkdError } from '../util/errors.js';
import { MAX_TEXT_FILE_BYTES, readRegularFile, realPathOf } from '../util/fs.js';
import { FILE_FORMATS, FileCache, assemble, withLoadWarnings, type LabelSpec, type ReadContext, type TaskSpec } from './source.js';
import { checkSameIdOrder, checkSameStems, fileIds, readLabelsAsync, readModalityAsync, type SampleIds } from './formats.js';
import { decodeUtf8, parseJsonText } from '../util/text.js';
import type { MultimodalDataset } from './types.js';
import { MODALITY_NAME, MODALITY_NAME_RULE } from './access.js';
import { splitColumns } from './csv.js';

export const MANIFEST_NAME = 'cmkd.json';

const nonEmpty = z.string().min(1, 'must be a non-empty string');
const columnsSchema = z.union([nonEmpty, z.array(nonEmpty).min(1)]);

const modalitySchema = z
  .object({
    name: nonEmpty.regex(MODALITY_NAME, `must use ${MODALITY_NAME_RULE}`),
    // Default: 'image' for a folder of images, else 'table'.
    kind: z.enum(['table', 'image']).optional(),
    file: nonEmpty,
    format: z.enum(FILE_FORMATS).optional(),
    shape: z.array(z.number().int().positive()).min(1).max(3).optional(),
    columns: columnsSchema.optional(),
    key: nonEmpty.optional(),
    channels: z.union([z.literal(1), z.literal(3)]).optional(),
    resize: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
    scale: z.number().refine(Number.isFinite, 'must be a finite number').optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    if (m.kind === 'image' && m.shape && m.shape.length !== 3) {
      ctx.addIssue({ code: 'custom', path: ['shape'], message: 'an image shape is [H, W, C]' });
    }
  });

const labelsSchema = z.union([
  nonEmpty,
  z
    .object({
      file: nonEmpty,
      format: z.enum(FILE_FORMATS).optional(),
      column: nonEmpty.optional(),
      key: nonEmpty.optional(),
      id: nonEmpty.optional(),
    })
    .strict(),
]);

const taskSchema = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('classification'),
      classes: z
        .array(nonEmpty)
        .min(2, 'needs at least 2 classes')
        .refine((c) => new Set(c).size === c.length, 'class names must be unique')
        .optional(),
    })
    .strict(),
  z.object({ kind: z.literal('regression'), target: nonEmpty.optional() }).strict(),
]);

export const manifestSchema = z
  .object({
    $schema: z.string().optional(),
    // Printed in every summary and report: no control characters (ANSI escapes would rewrite the terminal).
    name: nonEmpty.regex(/^[^\p{Cc}]+$/u, 'must not contain control characters').optional(),
    description: z
      .string()
      .regex(/^[^\x00-\x08\x0b-\x1f\x7f-\x9f]*$/u, 'must not contain control characters other than tab and newline')
      .optional(),
    modalities: z.array(modalitySchema).min(1, 'needs at least one modality'),
    labels: labelsSchema,
    task: taskSchema,
  })
  .strict()
  .superRefine((m, ctx) => {
    const first = new Map<string, number>();
    m.modalities.forEach((mod, i) => {
      const prev = first.get(mod.name);
      if (prev !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['modalities', i, 'name'],
          message: `duplicate modality name '${mod.name}' (also modalities[${prev}].name)`,
        });
      } else first.set(mod.name, i);
    });
  });

export type Manifest = z.infer<typeof manifestSchema>;

/** "modalities[1].kind" from a zod path. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s ? `.${String(p)}` : String(p);
  return s || '(top level)';
}

function valueAt(doc: unknown, path: readonly PropertyKey[]): unknown {
  let v = doc;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** One line per the first few zod issues, each naming the field and the value found. */
export function formatIssues(file: string, issues: readonly z.core.$ZodIssue[], doc: unknown): string {
  const parts = issues.slice(0, 3).map((iss) => {
    let msg = iss.message.replace(/^(Invalid input|Invalid option|Too small|Too big): /, '');
    if (iss.code === 'unrecognized_keys') {
      return `${fieldPath(iss.path)}: unknown field${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => `'${k}'`).join(', ')}`;
    }
    if (iss.code === 'invalid_union' && 'discriminator' in iss) {
      msg = `expected one of ${(iss as { options?: unknown[] }).options?.map((o) => `'${String(o)}'`).join(' | ') ?? 'the listed kinds'}`;
    }
    const got = valueAt(doc, iss.path);
    if (got === undefined && (iss.code === 'invalid_type' || iss.code === 'invalid_union')) {
      return `${fieldPath(iss.path)}: required field is missing`;
    }
    const gotText = got === undefined || iss.code === 'too_small' ? '' : ` (got ${JSON.stringify(got)?.slice(0, 40)})`;
    return `${fieldPath(iss.path)}: ${msg}${gotText}`;
  });
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return `${file}: ${parts.join('; ')}${more}`;
}

/** Parse and check a manifest document; `file` names it in messages. */
export function parseManifest(doc: unknown, file: string): Manifest {
  const r = manifestSchema.safeParse(doc);
  if (!r.success) throw new CmkdError(formatIssues(file, r.error.issues, doc), 'invalid-input');
  return r.data;
}

export interface DirectoryLoadOptions {
  /** Name of the dataset (default: manifest name, else the directory name). */
  name?: string;
  /** Read files the manifest names outside its folder (default: refused). */
  allowOutside?: boolean;
  /**
   * Labels from this file instead of the manifest's "labels" (--label-file): a path relative to the
   * working directory, read like a manifest's labels file (CSV, .npy, JSON, IDX, Parquet, HDF5),
   * row i labelling sample i. The manifest may then leave "labels" out.
   */
  labelFile?: string;
  /** The label file's column (CSV or Parquet), as the manifest's labels.column (--label). */
  label?: string;
}

/**
 * Load a dataset directory, or a manifest by its path: `cmkd.json` or any other `.json` file of
 * the same shape (its folder is the dataset folder). Structural faults throw CmkdError.
 */
export async function loadManifestDataset(dirOrManifest: string, opts: DirectoryLoadOptions = {}): Promise<MultimodalDataset> {
  const isFile = basename(dirOrManifest) === MANIFEST_NAME || dirOrManifest.toLowerCase().endsWith('.json');
  const manifestPath = isFile ? dirOrManifest : join(dirOrManifest, MANIFEST_NAME);
  const dir = isFile ? join(dirOrManifest, '..') : dirOrManifest;
  if (!existsSync(manifestPath)) {
    throw new CmkdError(
      isFile ? `manifest not found: ${manifestPath}` : `no ${MANIFEST_NAME} manifest in ${dir}; see docs/dataset-format.md`,
      'not-found',
    );
  }
  if (opts.label !== undefined && opts.labelFile === undefined)
    throw new CmkdError(
      `${manifestPath}: --label names a column of --label-file; give the file too, or set the manifest's labels.column`,
      'invalid-option',
    );
  // A byte-order mark (some editors write one) is not part of the JSON.
  const text = decodeUtf8(readRegularFile(manifestPath, manifestPath, MAX_TEXT_FILE_BYTES), manifestPath);
  if (text.trim() === '') throw new CmkdError(`${manifestPath} is empty; expected a JSON manifest`, 'invalid-input');
  const doc = parseJsonText(text, manifestPath);
  const fromFlag = opts.labelFile !== undefined;
  if (fromFlag && !existsSync(opts.labelFile!)) throw new CmkdError(`--label-file ${opts.labelFile}: file not found`, 'not-found');
  const labelFlag: { file: string; column?: string; id?: string } = {
    file: opts.labelFile!,
    ...(opts.label !== undefined ? { column: opts.label } : {}),
  };
  // With --label-file the manifest may leave "labels" out (checked as if it named that file).
  const missing = fromFlag && doc !== null && typeof doc === 'object' && !Array.isArray(doc) && !('labels' in doc);
  const man = parseManifest(missing ? { ...doc, labels: labelFlag } : doc, manifestPath);
  const labelSpec = fromFlag ? labelFlag : typeof man.labels === 'string' ? { file: man.labels } : man.labels;
  const cache = new FileCache();
  // Real paths, so a symlink (a file's or a subfolder's) to elsewhere counts as outside.
  const root = realpathSync(resolve(dir));
  // The label file named on the command line is the user's own: read where they said, from the working directory.
  const resolveLabelFile = (f: string): [string, string] => [resolve(f), f];
  const resolveFile = (f: string): [string, string] => {
    const full = resolve(dir, f);
    const rel = relative(root, realPathOf(full));
    // Files stay inside the dataset folder unless the user opts out: a manifest must not read /etc/… for whoever runs it.
    if (!opts.allowOutside && (rel === '' || rel.startsWith('..') || isAbsolute(rel)))
      throw new CmkdError(
        `${manifestPath}: '${f}' is outside the dataset folder ${dir}; move it inside, or pass --allow-outside`,
        'invalid-input',
      );
    // Messages and `source` name the file as the manifest resolves it: relative to its folder, or the absolute path as given.
    return [full, isAbsolute(f) ? f : join(dir, f)];
  };
  const labelPath = fromFlag ? resolve(labelSpec.file) : resolve(dir, labelSpec.file);
  const labelColumn = labelSpec.column ? { path: labelPath, column: labelSpec.column } : undefined;
  // Labels first: their id column (if any) says which image of each folder is which sample.
  const labelCtx: ReadContext = {
    cache,
    resolve: fromFlag ? resolveLabelFile : resolveFile,
    field: fromFlag ? '--label-file' : `${manifestPath}: labels`,
    ...(fromFlag ? { columnOption: '--label <column>' } : {}),
  };
  const { raw, ids } = await readLabelsAsync(labelSpec, labelCtx);
  const claimed = new Map<string, string>();
  const modalities = [];
  const folders = [];
  // The tables that carry the sample-id column (the labels' "id", else a column named 'id'), the label file's first.
  const idName = labelSpec.id ?? 'id';
  const idTables: SampleIds[] = [ids ?? (await fileIds(labelSpec.file, (labelSpec as LabelSpec).format, labelCtx, idName))].filter(
    (x) => x !== undefined,
  );
  for (const [i, spec] of man.modalities.entries()) {
    const ctx: ReadContext = {
      cache,
      resolve: resolveFile,
      field: `${manifestPath}: modalities[${i}]`,
      labelColumn,
      idName,
      claimed,
    };
    const columns = spec.columns === undefined ? undefined : typeof spec.columns === 'string' ? splitColumns(spec.columns) : spec.columns;
    const { modality, stems } = await readModalityAsync({ ...spec, columns }, ctx, ids);
    modalities.push(modality);
    if (stems) folders.push({ name: modality.name, source: modality.source ?? spec.file, stems });
    const tableIds = await fileIds(spec.file, spec.format, ctx, idName);
    if (tableIds) idTables.push(tableIds);
  }
  if (!ids) checkSameStems(folders);
  checkSameIdOrder(idTables, idName);
  const task: TaskSpec = man.task;
  const name = opts.name ?? man.name ?? basename(resolve(dir));
  if (fromFlag && !missing)
    cache.note(`--label-file ${opts.labelFile}: its labels replace those ${manifestPath} names (${JSON.stringify(man.labels)})`);
  const ds = assemble(name, modalities, raw, task, labelSpec.column ?? 'target', man.description);
  // The sample ids name the rows (predictions.csv), when they are one distinct name per row.
  const rowNames = idTables[0]?.values.map((v) => v.trim());
  const named = rowNames && rowNames.length === ds.n && new Set(rowNames).size === ds.n && !rowNames.includes('');
  return withLoadWarnings(named ? { ...ds, ids: rowNames } : ds, cache);
}
