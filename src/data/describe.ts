/** A structured summary of a dataset: what `cmkd data describe` prints. */
import { featureSize } from './access.js';
import type { ModalityKind, MultimodalDataset } from './types.js';

export interface ModalitySummary {
  name: string;
  kind: ModalityKind;
  shape: number[];
  /** Values per sample. */
  features: number;
  source?: string;
  /** Over all finite values. */
  min: number;
  max: number;
  mean: number;
  std: number;
  /** Values that are NaN (empty / NA cells). */
  missing: number;
  /** Values that are ±Infinity. */
  infinite: number;
}

export interface DatasetSummary {
  name: string;
  n: number;
  description?: string;
  task: { kind: 'classification'; classes: string[] } | { kind: 'regression'; target: string };
  modalities: ModalitySummary[];
  /** Classification: samples per class, in class order. */
  classBalance?: { class: string; count: number; fraction: number }[];
  /** Regression: the target's range. */
  target?: { min: number; max: number; mean: number; std: number };
}

function stats(values: ArrayLike<number>): { min: number; max: number; mean: number; std: number; missing: number; infinite: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let count = 0;
  let missing = 0;
  let infinite = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) missing++;
    else if (!Number.isFinite(v)) infinite++;
    else {
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
      count++;
    }
  }
  const mean = count ? sum / count : NaN;
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) ss += (v - mean) * (v - mean);
  }
  return { min: count ? min : NaN, max: count ? max : NaN, mean, std: count ? Math.sqrt(ss / count) : NaN, missing, infinite };
}

export function describeDataset(ds: MultimodalDataset): DatasetSummary {
  const out: DatasetSummary = {
    name: ds.name,
    n: ds.n,
    task:
      ds.task.kind === 'classification'
        ? { kind: 'classification', classes: ds.task.classes.slice() }
        : { kind: 'regression', target: ds.task.target },
    modalities: ds.modalities.map((m) => ({
      name: m.name,
      kind: m.kind,
      shape: m.shape.slice(),
      features: featureSize(m),
      ...(m.source ? { source: m.source } : {}),
      ...stats(m.data),
    })),
  };
  if (ds.description) out.description = ds.description;
  if (ds.task.kind === 'classification') {
    const counts = new Array<number>(ds.task.classes.length).fill(0);
    for (let i = 0; i < ds.n; i++) counts[ds.labels[i]]++;
    out.classBalance = ds.task.classes.map((c, k) => ({ class: c, count: counts[k], fraction: counts[k] / ds.n }));
  } else {
    const { min, max, mean, std } = stats(ds.labels);
    out.target = { min, max, mean, std };
  }
  return out;
}
