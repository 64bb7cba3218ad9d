/**
 * Z-scoring fitted on the training rows only, so nothing about val/test leaks into the
 * model: per feature for tables, per channel for images.
 */
import { CmkdError } from '../util/errors.js';
import { featureSize } from './access.js';
import type { Modality, MultimodalDataset } from './types.js';

export interface Standardizer {
  modality: string;
  /** 'feature': one (mean, std) per table column; 'channel': one per image channel. */
  per: 'feature' | 'channel';
  mean: Float32Array;
  std: Float32Array;
}

/** Relative std below which a column counts as constant and is only centred (std := 1). */
export const CONSTANT_STD = 1e-6;

export function fitStandardizer(m: Modality, trainIdx: ArrayLike<number>): Standardizer {
  if (trainIdx.length === 0) throw new CmkdError(`cannot fit a standardizer for modality '${m.name}' on 0 training rows`, 'invalid-input');
  const d = featureSize(m);
  const n = m.data.length / d;
  const per = m.kind === 'image' ? 'channel' : 'feature';
  const groups = per === 'channel' ? m.shape[m.shape.length - 1] : d;
  const sum = new Float64Array(groups);
  const sumSq = new Float64Array(groups);
  const count = trainIdx.length * (d / groups);
  // Two passes (mean, then squared deviations) keep float64 accuracy for large offsets. Column k belongs to group
  // k mod groups (d is a multiple of groups): g counts along instead of a modulo per value, the sums in the same order.
  const data = m.data;
  for (let t = 0; t < trainIdx.length; t++) {
    const r = trainIdx[t];
    if (!(r >= 0 && r < n))
      throw new CmkdError(`training row ${r} is out of range for modality '${m.name}' with ${n} samples`, 'invalid-option');
    const off = r * d;
    for (let k = 0, g = 0; k < d; k++, g = g + 1 === groups ? 0 : g + 1) sum[g] += data[off + k];
  }
  const mean = new Float64Array(groups);
  for (let g = 0; g < groups; g++) mean[g] = sum[g] / count;
  for (let t = 0; t < trainIdx.length; t++) {
    const off = trainIdx[t] * d;
    for (let k = 0, g = 0; k < d; k++, g = g + 1 === groups ? 0 : g + 1) {
      const dev = data[off + k] - mean[g];
      sumSq[g] += dev * dev;
    }
  }
  const std = new Float32Array(groups);
  for (let g = 0; g < groups; g++) {
    const s = Math.sqrt(sumSq[g] / count); // population std over the training rows
    std[g] = s <= CONSTANT_STD * Math.max(1, Math.abs(mean[g])) ? 1 : s;
  }
  return { modality: m.name, per, mean: Float32Array.from(mean), std };
}

/** A copy of m with (x − mean) / std applied; the standardizer must come from the same modality layout. */
export function applyStandardizer(m: Modality, s: Standardizer): Modality {
  const d = featureSize(m);
  const groups = s.mean.length;
  const expected = m.kind === 'image' ? m.shape[m.shape.length - 1] : d;
  if (groups !== expected || (s.per === 'channel') !== (m.kind === 'image')) {
    throw new CmkdError(
      `standardizer fitted on modality '${s.modality}' (${groups} ${s.per}s) does not fit modality '${m.name}' (${expected} ${m.kind === 'image' ? 'channels' : 'features'})`,
      'invalid-option',
    );
  }
  // Each column's mean and std laid out once (column k: group k mod groups), then one pass over the rows.
  const mean = new Float64Array(d);
  const std = new Float64Array(d);
  for (let k = 0; k < d; k++) {
    mean[k] = s.mean[k % groups];
    std[k] = s.std[k % groups];
  }
  const data = m.data;
  const out = new Float32Array(data.length);
  for (let off = 0; off < data.length; off += d) for (let k = 0; k < d; k++) out[off + k] = (data[off + k] - mean[k]) / std[k];
  return { ...m, data: out };
}

/** Standardize every modality with statistics of the training rows; returns the fitted standardizers too. */
export function standardizeDataset(
  ds: MultimodalDataset,
  trainIdx: ArrayLike<number>,
): { dataset: MultimodalDataset; standardizers: Standardizer[] } {
  const standardizers = ds.modalities.map((m) => fitStandardizer(m, trainIdx));
  return { dataset: { ...ds, modalities: ds.modalities.map((m, i) => applyStandardizer(m, standardizers[i])) }, standardizers };
}
