/**
 * Table cells: how they read as text, which number ranks them, and how they flatten into
 * CSV / JSON records.
 */
import { estimateParts, formatNumber, meanSdParts } from '../util/format.js';
import type { Cell, ColumnFormat, TableBlock } from './document.js';

const isObj = (c: Cell): c is Exclude<Cell, string | number | null> => typeof c === 'object' && c !== null;

/** The number a cell is ranked by (best-per-column), or null if it has none. */
export function cellValue(c: Cell): number | null {
  let v: number | null | undefined = null;
  if (typeof c === 'number') v = c;
  else if (isObj(c)) v = 'mean' in c ? c.mean : 'value' in c ? c.value : null;
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** One number as text: significant digits, optional sign and percent; '—' when missing (src/util/format.ts, the one number format). */
export { formatNumber };

export interface FormattedCell {
  /** Main text. */
  main: string;
  /** Secondary text after it (' ± 0.013', ' [0.05, 0.20]'), shown muted. */
  aside?: string;
  numeric: boolean;
}

/** A cell as display text. */
export function formatCell(c: Cell, f: ColumnFormat = {}): FormattedCell {
  if (c === null) return { main: '—', numeric: true };
  if (typeof c === 'string') return { main: c, numeric: false };
  if (typeof c === 'number') return { main: formatNumber(c, f), numeric: true };
  if ('text' in c) return { main: c.text, numeric: false };
  if ('mean' in c) {
    const [main, aside] = meanSdParts(c.mean, c.sd, f);
    return { main, ...(aside ? { aside } : {}), numeric: true };
  }
  const [main, aside] = estimateParts(c.value, c.ci, f);
  return { main, ...(aside ? { aside } : {}), numeric: true };
}

/** Column formats of a table, one per header entry. */
export function columnFormats(t: TableBlock): ColumnFormat[] {
  return t.header.map((h) => ({ digits: t.digits, ...(t.formats?.[h] ?? {}) }));
}

/**
 * The cells shown bold: for each column with a `best` rule, the rows holding the best value (ties
 * all count), and the `bold` cells. Returns a set of "row,col" keys.
 */
export function bestCells(t: TableBlock): Set<string> {
  const out = new Set<string>();
  for (const [name, rule] of Object.entries(t.best ?? {})) {
    const j = t.header.indexOf(name);
    if (j < 0) continue;
    let best: number | null = null;
    for (const row of t.rows) {
      const v = cellValue(row[j] ?? null);
      if (v !== null && (best === null || (rule === 'max' ? v > best : v < best))) best = v;
    }
    if (best === null) continue;
    t.rows.forEach((row, i) => {
      if (cellValue(row[j] ?? null) === best) out.add(`${i},${j}`);
    });
  }
  for (const [i, name] of t.bold ?? []) {
    const j = t.header.indexOf(name);
    if (j >= 0 && i < t.rows.length) out.add(`${i},${j}`);
  }
  return out;
}

/**
 * The table as flat records for CSV / JSON: a mean ± sd cell becomes `<col>` (mean) and
 * `<col> sd`; an estimate `<col>`, `<col> ci low`, `<col> ci high`; a text cell its text.
 */
export function tableRecords(t: TableBlock): Record<string, string | number | null>[] {
  const kinds = t.header.map((_, j) => {
    const objs = t.rows.map((r) => r[j]).filter((c) => typeof c === 'object' && c !== null) as Exclude<Cell, string | number | null>[];
    return { meanSd: objs.some((c) => 'mean' in c), estimate: objs.some((c) => 'ci' in c || ('value' in c && !('text' in c))) };
  });
  return t.rows.map((row) => {
    const rec: Record<string, string | number | null> = {};
    t.header.forEach((h, j) => {
      const c = row[j] ?? null;
      const k = kinds[j];
      const numOrNull = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
      if (c === null || typeof c === 'string' || typeof c === 'number') rec[h] = typeof c === 'number' ? numOrNull(c) : c;
      else if ('text' in c) rec[h] = c.text;
      else if ('mean' in c) rec[h] = numOrNull(c.mean);
      else rec[h] = numOrNull(c.value);
      if (k.meanSd) rec[`${h} sd`] = c !== null && typeof c === 'object' && 'mean' in c ? numOrNull(c.sd) : null;
      if (k.estimate) {
        const ci = c !== null && typeof c === 'object' && 'ci' in c ? c.ci : null;
        rec[`${h} ci low`] = numOrNull(ci?.[0]);
        rec[`${h} ci high`] = numOrNull(ci?.[1]);
      }
    });
    return rec;
  });
}

const METRIC_LABELS: Record<string, string> = {
  accuracy: 'accuracy',
  f1Weighted: 'weighted F1',
  f1Macro: 'macro F1',
  auc: 'AUC',
  mse: 'MSE',
  rmse: 'RMSE',
  mae: 'MAE',
  r2: 'R²',
};

/** A metric's name for people ('f1Weighted' → 'weighted F1'); unknown names pass through. */
export function metricLabel(metric: string): string {
  return METRIC_LABELS[metric] ?? metric;
}

/** What each metric can take, [min, max] with null for no bound: figures keep axes and error bars inside. */
const METRIC_RANGES: Record<string, readonly [number | null, number | null]> = {
  accuracy: [0, 1],
  f1Weighted: [0, 1],
  f1Macro: [0, 1],
  auc: [0, 1],
  mse: [0, null],
  rmse: [0, null],
  mae: [0, null],
  r2: [null, 1],
};

/** A metric's range ([0, 1] for accuracy, F1 and AUC); unknown metrics are unbounded. */
export function metricRange(metric: string): readonly [number | null, number | null] {
  return METRIC_RANGES[metric] ?? [null, null];
}

/** The range of a difference of two values of the metric (a KD gain): [−1, 1] for F1, unbounded for MSE. */
export function metricGainRange(metric: string): readonly [number | null, number | null] {
  const [lo, hi] = metricRange(metric);
  return lo === null || hi === null ? [null, null] : [lo - hi, hi - lo];
}
