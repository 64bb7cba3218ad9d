/** A structured summary of a dataset: what `cmkd data describe` prints. */
import { columnName, featureSize } from './access.js';
import type { Modality, ModalityKind, MultimodalDataset } from './types.js';
import { datasetWarnings, labelLeaks, type LabelLeak } from './validate.js';

/**
 * A column is near-constant when one value fills at least this share of its rows (but not all of
 * them): a feature that moves in 1 row of 20 or fewer carries little signal and its z-score blows up.
 */
export const NEAR_CONSTANT_SHARE = 0.95;

/** Statistics of one column (a table column, or one pixel-channel position of an image), over its finite values. */
export interface ColumnSummary {
  /** The table column's name; for an image 'y3x4c0' (row, column, channel of the position). */
  name: string;
  mean: number;
  /** Population standard deviation (ddof 0). */
  sd: number;
  min: number;
  max: number;
  /** Rows where it is NaN (empty / NA cells). */
  missing: number;
  /** Rows where it is ±Infinity. */
  infinite: number;
  /** Every finite value equal (and at least one). */
  constant: boolean;
  /** Not constant, but one value fills at least NEAR_CONSTANT_SHARE of the rows. */
  nearConstant: boolean;
}

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
  /** How many columns are constant, and how many near-constant. */
  constantColumns: number;
  nearConstantColumns: number;
  /** One entry per column (per value position for an image), in order. */
  columns: ColumnSummary[];
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
  /** Feature columns that equal or alone predict the label (labelLeaks); each is also among `warnings`. */
  leaks: LabelLeak[];
  /** datasetWarnings: label leaks, constant columns, class imbalance, small classes, what loading changed. */
  warnings: string[];
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

/** Per-column statistics of modality m over its n rows. */
export function columnStats(m: Modality, n: number): ColumnSummary[] {
  const d = featureSize(m);
  const col = new Float32Array(n);
  const out: ColumnSummary[] = [];
  for (let k = 0; k < d; k++) {
    for (let i = 0; i < n; i++) col[i] = m.data[i * d + k];
    const s = stats(col);
    const count = n - s.missing - s.infinite;
    const constant = count > 0 && s.min === s.max;
    out.push({
      name: columnName(m, k),
      mean: s.mean,
      sd: s.std,
      min: s.min,
      max: s.max,
      missing: s.missing,
      infinite: s.infinite,
      constant,
      nearConstant: !constant && count > 0 && modeCount(col) >= NEAR_CONSTANT_SHARE * n,
    });
  }
  return out;
}

/** Rows holding the most frequent finite value (sorts `values` in place). */
function modeCount(values: Float32Array): number {
  values.sort();
  let best = 0;
  for (let i = 0; i < values.length;) {
    let j = i + 1;
    while (j < values.length && values[j] === values[i]) j++;
    if (Number.isFinite(values[i])) best = Math.max(best, j - i);
    i = j;
  }
  return best;
}

/** The task as a summary names it (without reading any column: `cmkd data validate` prints only this). */
export function taskSummary(ds: MultimodalDataset): DatasetSummary['task'] {
  return ds.task.kind === 'classification'
    ? { kind: 'classification', classes: ds.task.classes.slice() }
    : { kind: 'regression', target: ds.task.target };
}

export function describeDataset(ds: MultimodalDataset): DatasetSummary {
  const leaks = labelLeaks(ds);
  const out: DatasetSummary = {
    name: ds.name,
    n: ds.n,
    task: taskSummary(ds),
    modalities: ds.modalities.map((m) => {
      const columns = columnStats(m, ds.n);
      return {
        name: m.name,
        kind: m.kind,
        shape: m.shape.slice(),
        features: featureSize(m),
        ...(m.source ? { source: m.source } : {}),
        ...stats(m.data),
        constantColumns: columns.filter((c) => c.constant).length,
        nearConstantColumns: columns.filter((c) => c.nearConstant).length,
        columns,
      };
    }),
    leaks,
    warnings: datasetWarnings(ds, leaks),
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
