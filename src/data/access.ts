import { check, CmkdError } from '../util/errors.js';
import type { Modality, ModalityTable, MultimodalDataset } from './types.js';

/** Values per sample of a modality (product of its shape). */
export function featureSize(m: Pick<Modality, 'shape'>): number {
  return m.shape.reduce((a, b) => a * b, 1);
}

export function modalityNames(ds: ModalityTable): string[] {
  return ds.modalities.map((m) => m.name);
}

/**
 * What a modality name may be: letters, digits, '_', '.', '-', not starting with '.' or '-'. Names
 * become parts of file paths (models/r0/teacher-<name>, stage files), so '/', '..' and spaces
 * are refused, and '+' is the fusion separator below.
 */
export const MODALITY_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;
export const MODALITY_NAME_RULE = "letters, digits, '_', '.' and '-', starting with a letter, digit or '_'";

/** Separator of a fused modality name: 'pixels+blocks' is the concatenation of 'pixels' and 'blocks'. */
export const FUSION_SEPARATOR = '+';

const fused = new WeakMap<ModalityTable, Map<string, Modality>>();

/**
 * The named modality, or an error listing the ones the dataset has. A name 'a+b+…' that is not a
 * modality itself names the concatenation of existing modalities a, b, … (a fusion input, built
 * once per dataset).
 */
export function getModality(ds: ModalityTable, name: string): Modality {
  const m = ds.modalities.find((x) => x.name === name);
  if (m) return m;
  const parts = name.split(FUSION_SEPARATOR);
  const missing = parts.filter((p) => !isModality(ds, p));
  if (parts.length > 1 && missing.length === 0) {
    const cache = fused.get(ds) ?? new Map<string, Modality>();
    fused.set(ds, cache);
    const f =
      cache.get(name) ??
      concatModalities(
        name,
        parts.map((p) => getModality(ds, p)),
      );
    cache.set(name, f);
    return f;
  }
  const hint = parts.length > 1 ? ` ('${FUSION_SEPARATOR}' fuses modalities; not one: ${missing.join(', ')})` : '';
  throw new CmkdError(`dataset '${ds.name}' has no modality '${name}'; it has: ${modalityNames(ds).join(', ')}${hint}`, 'invalid-option');
}

/** Whether getModality(ds, name) succeeds. */
export function hasModality(ds: ModalityTable, name: string): boolean {
  return isModality(ds, name) || name.split(FUSION_SEPARATOR).every((p) => isModality(ds, p));
}

function isModality(ds: ModalityTable, name: string): boolean {
  return ds.modalities.some((x) => x.name === name);
}

export function isClassification(ds: MultimodalDataset): boolean {
  return ds.task.kind === 'classification';
}

export function numClasses(ds: MultimodalDataset): number {
  return ds.task.kind === 'classification' ? ds.task.classes.length : 1;
}

/** Copy the rows `idx` of a flat sample-major array with `size` values per row. */
export function gatherRows(data: Float32Array, size: number, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * size);
  for (let i = 0; i < idx.length; i++) {
    const r = idx[i];
    out.set(data.subarray(r * size, (r + 1) * size), i * size);
  }
  return out;
}

/** The dataset restricted to rows `idx` (all modalities and labels, in that order). */
export function subsetRows(ds: MultimodalDataset, idx: ArrayLike<number>): MultimodalDataset {
  const pick = <T extends Int32Array | Float32Array>(y: T): T => {
    const out = (y instanceof Int32Array ? new Int32Array(idx.length) : new Float32Array(idx.length)) as T;
    for (let i = 0; i < idx.length; i++) out[i] = y[idx[i]];
    return out;
  };
  return {
    ...ds,
    n: idx.length,
    modalities: ds.modalities.map((m) => ({ ...m, data: gatherRows(m.data, featureSize(m), idx) })),
    labels: pick(ds.labels),
    ...(ds.testLabels ? { testLabels: pick(ds.testLabels) } : {}),
    ...(ds.ids ? { ids: Array.from(idx, (i) => ds.ids![i]) } : {}),
  };
}

/** The labels the test rows are scored against: `testLabels` when the dataset has them, else its labels. */
export const testLabelsOf = (ds: MultimodalDataset): Int32Array | Float32Array => ds.testLabels ?? ds.labels;

/** Rows of one modality as a JS matrix view: row i is data[i*d .. (i+1)*d). */
export function modalityRows(m: Modality, idx?: ArrayLike<number>): { data: Float32Array; n: number; d: number } {
  const d = featureSize(m);
  const data = idx ? gatherRows(m.data, d, idx) : m.data;
  return { data, n: data.length / d, d };
}

/** One table modality whose row i is the concatenation of row i of every input modality (flattened). */
export function concatModalities(name: string, modalities: Modality[]): Modality {
  check(modalities.length > 0, 'concatModalities: no modalities');
  const sizes = modalities.map(featureSize);
  const n = modalities[0].data.length / sizes[0];
  modalities.forEach((m, k) =>
    check(
      m.data.length === n * sizes[k],
      () => `concatModalities: '${m.name}' has ${m.data.length / sizes[k]} rows, '${modalities[0].name}' has ${n}`,
    ),
  );
  const d = sizes.reduce((a, b) => a + b, 0);
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    let at = i * d;
    modalities.forEach((m, k) => {
      data.set(m.data.subarray(i * sizes[k], (i + 1) * sizes[k]), at);
      at += sizes[k];
    });
  }
  return {
    name,
    kind: 'table',
    shape: [d],
    data,
    source: `concatenation of ${modalities.map((m) => m.name).join(' + ')}`,
    parts: modalities.map((m) => m.name),
  };
}

/** A name for value k of a sample of m: its table column, or 'y3x4c0' (row, column, channel) for an image. */
export function columnName(m: Modality, k: number): string {
  if (m.columns?.[k] !== undefined) return m.columns[k];
  if (m.kind === 'image' && m.shape.length === 3) {
    const [, w, c] = m.shape;
    return `y${Math.floor(k / (w * c))}x${Math.floor(k / c) % w}c${k % c}`;
  }
  return String(k);
}
