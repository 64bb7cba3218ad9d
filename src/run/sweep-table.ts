/** The sweep's table: its rows of results.json (`cells`), the table over repeats with each method's paired gain, its text and its chart. */
import type { GainDesign, GainOutcome, MeanSd } from '../metrics/index.js';
import type { ObjectiveSettings } from '../kd/index.js';
import type { VegaLiteSpec } from '../report/charts.js';
import { methodsSpec } from '../report/figures.js';
import { metricLabel } from '../report/format.js';
import { check } from '../util/errors.js';
import { decimalsFor, formatAt, formatMeanSd, formatNumber } from '../util/format.js';
import { candidateSummaries, gainDesign, headlineOf, pairedGains } from './decide.js';
import { summariseRecords, summariseValues } from './summarise.js';

/** One finished (row, repeat), the record of its cell: the test (and validation) metrics of its model. */
export type SweepCell = {
  row: string;
  label: string;
  /** 'teacher', 'none' (the no-KD student) or the registry method. */
  method: string;
  /** The entry's settings (with `lskd: true` for a '+ls' method); null for the teacher and the no-KD student. */
  settings: ObjectiveSettings | null;
  repeat: number;
  splitSeed: number;
  test: Record<string, number>;
  val: Record<string, number> | null;
  bestEpoch: number;
  /** Wall-clock seconds (noisy; not in the table). */
  seconds: number;
};

export interface SweepRow {
  id: string;
  label: string;
  role: 'teacher' | 'student' | 'method';
  /** Metric name → mean ± sd over the finished repeats (n = how many). */
  metrics: Record<string, MeanSd>;
  /** Headline mean minus the no-KD student's (students only; NaN when either is missing). */
  delta: number;
  /**
   * The headline's gain over the no-KD student paired by split (same split, same initial weights;
   * sign so that > 0 is better) with its interval under the sweep's design (src/run/decide.ts:
   * corrected for overlapping splits, valid at the planned looks; null with one split), and its
   * outcome. Students other than the no-KD one only.
   */
  gain?: MeanSd & { ci: [number, number] | null };
  effect?: GainOutcome | null;
}

/** How a sweep's gains are decided: its planned looks (a fixed count: one) and the rows of its splits (src/run/decide.ts gainDesign). */
export interface SweepDesign {
  looks: readonly number[];
  scheme: 'random' | 'kfold';
  /** With 'kfold': the folds k. */
  folds: number;
  nTrain: number;
  nTest: number;
  /** Practical margin δ of the headline gain (default per metric). */
  delta?: number;
}

export interface SweepTable {
  /** 'f1Weighted' (classification, as DisCoM-KD) or 'mse'. */
  headline: string;
  /** Column order; the headline first. */
  metrics: string[];
  /** Whether larger is better, per metric. */
  higherIsBetter: Record<string, boolean>;
  rows: SweepRow[];
  /** Per metric, the id of the best student row (TEACHER excluded: it reads another modality). */
  best: Record<string, string | null>;
}

export const CLASSIFICATION_METRICS = ['f1Weighted', 'accuracy', 'f1Macro', 'auc'];
export const REGRESSION_METRICS = ['mse', 'rmse', 'mae', 'r2'];

/** The headline gains of method row `row` over the no-KD student ('student'), paired by split. */
export function sweepGains(cells: readonly SweepCell[], row: string, task: 'classification' | 'regression'): number[] {
  const h = headlineOf(task);
  return pairedGains(
    cells.filter((c) => c.row === row),
    cells.filter((c) => c.row === 'student'),
    h.metric,
    h.higherIsBetter,
  );
}

/** The design the sweep's gains are decided under (its practical margin from the no-KD student's mean by default). */
export function sweepGainDesign(cells: readonly SweepCell[], task: 'classification' | 'regression', design: SweepDesign): GainDesign {
  const metric = headlineOf(task).metric;
  const baselineMean = summariseValues(cells.filter((c) => c.row === 'student').map((c) => c.test[metric])).mean;
  return gainDesign({ ...design, metric, baselineMean });
}

/** Aggregate cells into the table (rows in `order`; rows without cells show n = 0). */
export function sweepTable(
  cells: SweepCell[],
  order: { id: string; label: string; role: SweepRow['role'] }[],
  task: 'classification' | 'regression',
  repeats: number,
  design: SweepDesign,
): SweepTable {
  const metrics = task === 'classification' ? CLASSIFICATION_METRICS : REGRESSION_METRICS;
  const higherIsBetter = Object.fromEntries(metrics.map((m) => [m, !['mse', 'rmse', 'mae'].includes(m)]));
  const headline = metrics[0];
  const rows: SweepRow[] = order.map(({ id, label, role }) => {
    const mine = cells.filter((c) => c.row === id && c.repeat < repeats).sort((a, b) => a.repeat - b.repeat);
    return { id, label, role, metrics: summariseRecords(mine, metrics).test, delta: NaN };
  });
  // Δ is the difference of the two means (not the mean of paired differences, which differs in the last bits).
  const student = rows.find((r) => r.role === 'student');
  const within = cells.filter((c) => c.repeat < repeats);
  const d = sweepGainDesign(within, task, design);
  const methods = rows.filter((r) => r.role === 'method');
  const gains = candidateSummaries(
    methods.map((r) => ({ id: r.id, gains: sweepGains(within, r.id, task) })),
    d,
  );
  for (const r of rows) {
    if (r.role !== 'teacher' && student) r.delta = r.metrics[headline].mean - student.metrics[headline].mean;
    if (r.role === 'method' && student) {
      const g = gains.get(r.id)!;
      r.gain = { ...g.gain, ci: g.gainCi };
      r.effect = g.effect;
    }
  }
  const best: Record<string, string | null> = {};
  for (const m of metrics) {
    let bestRow: SweepRow | null = null;
    for (const r of rows) {
      const v = r.metrics[m].mean;
      if (r.role === 'teacher' || !Number.isFinite(v)) continue;
      if (!bestRow || (higherIsBetter[m] ? v > bestRow.metrics[m].mean : v < bestRow.metrics[m].mean)) bestRow = r;
    }
    best[m] = bestRow?.id ?? null;
  }
  return { headline, metrics, higherIsBetter, rows, best };
}

/**
 * The table as text cells: 'mean ± sd' per metric, '*' after the highest student mean per column, the
 * paired gain's interval with '!' where it excludes 0, and its outcome.
 */
export function formatSweepTable(t: SweepTable, digits = 3): { header: string[]; rows: string[][] } {
  // The report's number format (src/util/format.ts), `digits` significant digits.
  const f = { digits };
  const interval = (ci: [number, number]) => {
    const d = decimalsFor(ci, f);
    return `[${formatAt(ci[0], d, { ...f, signed: true })}, ${formatAt(ci[1], d, { ...f, signed: true })}]`;
  };
  const header = ['row', ...t.metrics, `Δ ${t.headline}`, 'paired gain, 95% CI', 'outcome', 'n'];
  const rows = t.rows.map((r) => [
    r.label,
    ...t.metrics.map((m) => {
      const s = r.metrics[m];
      if (s.n === 0 || Number.isNaN(s.mean)) return 'n/a';
      const text = formatMeanSd(s.mean, Number.isNaN(s.sd) ? null : s.sd, f);
      return t.best[m] === r.id ? `${text} *` : text;
    }),
    Number.isFinite(r.delta) ? formatNumber(r.delta, { ...f, signed: true }) : '',
    r.gain?.ci ? `${interval(r.gain.ci)}${r.gain.ci[0] > 0 || r.gain.ci[1] < 0 ? ' !' : ''}` : '',
    r.effect ?? '',
    String(r.metrics[t.headline].n),
  ]);
  return { header, rows };
}

/** The sweep table as a chart: each method's headline metric (mean ± sd), the no-KD student as the reference line. */
export function sweepFigureSpec(table: SweepTable, studentModality: string): VegaLiteSpec {
  const h = table.headline;
  const student = table.rows.find((r) => r.role === 'student');
  const methods = table.rows.filter((r) => r.role === 'method' && Number.isFinite(r.metrics[h].mean));
  check(methods.length > 0, 'sweep figure: no finished method rows');
  return methodsSpec(
    methods.map((r) => ({ method: r.label, mean: r.metrics[h].mean, sd: r.metrics[h].sd })),
    {
      title: `KD methods for the '${studentModality}' student`,
      metricTitle: `test ${metricLabel(h)} (mean ± sd over repeats)`,
      sort: table.higherIsBetter[h] ? 'max' : 'min',
      ...(student && Number.isFinite(student.metrics[h].mean)
        ? { baseline: { mean: student.metrics[h].mean, sd: student.metrics[h].sd, label: 'student without KD' } }
        : {}),
    },
  );
}
