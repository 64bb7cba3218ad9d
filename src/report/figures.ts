/**
 * The main job's figures as Vega-Lite specs with inline data. Each builder takes plain arrays
 * and records (no cmkd result types), so any stage can feed it; render with `chartToSvg` /
 * `renderChart` or put it in a report as a figure block.
 */
import { check } from '../util/errors.js';
import type { VegaLiteSpec } from './charts.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const HELP_COLOR = '#059669';
const HURT_COLOR = '#dc2626';
const NEUTRAL_COLOR = '#6b7280';
const BASELINE_COLOR = '#374151';
const TEACHER_COLORS = ['#2563eb', '#7c3aed', '#d97706', '#0891b2', '#db2777', '#4b5563', '#9333ea', '#1e3a8a', '#a16207', '#be185d'];

const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** [lo, hi] covering `values` and 0, padded by `pad` of the range on each side. */
function paddedExtent(values: (number | null | undefined)[], pad = 0.12): [number, number] {
  const xs = values.filter(finite);
  let lo = Math.min(0, ...xs);
  let hi = Math.max(0, ...xs);
  if (hi - lo < 1e-12) {
    lo -= 1;
    hi += 1;
  }
  const p = (hi - lo) * pad;
  return [lo - p, hi + p];
}

/** A metric's valid range [min, max], null where it is unbounded (see metricRange). */
export type ValueRange = readonly [number | null, number | null];

/** `v` clipped into `range` (null stays null). */
function clip(v: number | null, range: ValueRange | undefined): number | null {
  if (v === null || !range) return v;
  const [lo, hi] = range;
  return Math.min(hi ?? Infinity, Math.max(lo ?? -Infinity, v));
}

/** An axis domain kept inside `range`: padding never runs past a bound the values cannot cross (F1 above 1). */
function clampDomain([a, b]: [number, number], range: ValueRange | undefined): [number, number] {
  return [clip(a, range) as number, clip(b, range) as number];
}

/** Title object of a spec: text plus an optional subtitle. */
function title(text: string, subtitle?: string): { text: string; subtitle?: string } {
  return subtitle ? { text, subtitle } : { text };
}

// ---------------------------------------------------------------------------------------------
// CCH scatter

export interface CchScatterPoint {
  teacher: string;
  /** CCH margin I(Ht;Hs) − I(Hs;Y) (or whichever margin the run reports). */
  margin: number;
  /** Confidence interval of the margin. */
  marginCi?: [number, number] | null;
  /** Measured KD gain: KD student minus no-KD student in the headline metric, positive = KD helped. */
  gain: number;
  /** Confidence interval of the gain (the run's: 95% over paired repeats), as the teachers table gives it. */
  gainCi?: [number, number] | null;
}

export interface CchScatterOptions {
  title?: string;
  subtitle?: string;
  /** x axis title (default 'CCH margin (nats)'). */
  marginTitle?: string;
  /** y axis title (default 'KD gain'). */
  gainTitle?: string;
  /** What the bars are, for the default subtitle (e.g. '95% intervals: margin half-split, gain over paired repeats'). */
  intervals?: string;
  /** The range a gain can take (for F1, a difference of two values in [0, 1]: [−1, 1]); axis and bars stay inside. */
  gainRange?: ValueRange;
  width?: number;
  height?: number;
}

/**
 * Measured KD gain against the CCH margin, one labelled point per teacher, with the margin's
 * interval (horizontal) and the gain's interval (vertical): the intervals the teachers table
 * gives, drawn as they are (the plot clips a bar at the edge of a bounded gain's range, the data
 * keep it whole). The right half (margin > 0) is where the CCH predicts KD helps; points in the
 * upper-right and lower-left agree with it.
 */
export function cchScatterSpec(points: CchScatterPoint[], opts: CchScatterOptions = {}): VegaLiteSpec {
  check(points.length > 0, 'CCH scatter: no teachers to plot');
  for (const p of points)
    check(
      finite(p.margin) && finite(p.gain),
      () => `CCH scatter: teacher '${p.teacher}' has margin ${p.margin} and gain ${p.gain}; both must be finite`,
    );
  const interval = (c: [number, number] | null | undefined) => (c && finite(c[0]) && finite(c[1]) ? c : null);
  const values = points.map((p) => {
    const ci = interval(p.marginCi);
    const gci = interval(p.gainCi);
    return {
      teacher: p.teacher,
      margin: p.margin,
      gain: p.gain,
      ciLo: ci?.[0] ?? null,
      ciHi: ci?.[1] ?? null,
      gainLo: gci?.[0] ?? null,
      gainHi: gci?.[1] ?? null,
    };
  });
  const [xmin, xmax] = paddedExtent(values.flatMap((v) => [v.margin, v.ciLo, v.ciHi]));
  const [ymin, ymax] = clampDomain(
    paddedExtent(values.flatMap((v) => [v.gain, clip(v.gainLo, opts.gainRange), clip(v.gainHi, opts.gainRange)])),
    opts.gainRange,
  );
  const x = {
    field: 'margin',
    type: 'quantitative',
    title: opts.marginTitle ?? 'CCH margin (nats)',
    scale: { domain: [xmin, xmax], nice: false, zero: false },
  } as const;
  const y = {
    field: 'gain',
    type: 'quantitative',
    title: opts.gainTitle ?? 'KD gain (KD − no KD)',
    scale: { domain: [ymin, ymax], nice: false, zero: false },
  } as const;
  // Teachers are told apart by colour in a legend, not by labels next to the points, which overlap
  // when two teachers score alike. The colours avoid the green / red that mean help / hurt here.
  const teacherColor = { field: 'teacher', type: 'nominal', title: 'teacher', scale: { range: TEACHER_COLORS } } as const;
  const halves = [
    { x0: 0, x1: xmax, region: 'CCH predicts help', labelX: xmax, align: 'right' },
    { x0: xmin, x1: 0, region: 'CCH predicts hurt', labelX: xmin, align: 'left' },
  ];
  return {
    $schema: SCHEMA,
    title: title(
      opts.title ?? 'Does the CCH margin predict the KD gain?',
      opts.subtitle ??
        `upper right and lower left: the prediction held; bars: ${opts.intervals ?? 'confidence intervals of margin (↔) and gain (↕)'}`,
    ),
    width: opts.width ?? 420,
    height: opts.height ?? 320,
    layer: [
      // One layer per half with a fixed colour: a colour *scale* here would be shared with the
      // teacher colours of the points and hide them.
      ...halves.map((h) => ({
        data: { values: [h] },
        mark: { type: 'rect' as const, opacity: 0.08, color: h.region.endsWith('help') ? HELP_COLOR : HURT_COLOR },
        encoding: {
          x: { field: 'x0', type: 'quantitative' as const, scale: x.scale, title: x.title },
          x2: { field: 'x1' },
          y: { datum: ymin, type: 'quantitative' as const, scale: y.scale, title: y.title },
          y2: { datum: ymax },
        },
      })),
      ...halves.map((h) => ({
        data: { values: [h] },
        mark: {
          type: 'text' as const,
          align: h.align as 'left' | 'right',
          baseline: 'top' as const,
          dx: h.align === 'left' ? 6 : -6,
          dy: 6,
          fontSize: 11,
          fontWeight: 'bold' as const,
          color: h.region.endsWith('help') ? HELP_COLOR : HURT_COLOR,
        },
        encoding: {
          x: { field: 'labelX', type: 'quantitative' as const },
          y: { datum: ymax, type: 'quantitative' as const },
          text: { field: 'region' },
        },
      })),
      // Datum-only layers still need a row of data to draw once.
      { data: { values: [{}] }, mark: { type: 'rule', color: NEUTRAL_COLOR }, encoding: { y: { datum: 0, type: 'quantitative' } } },
      {
        data: { values: [{}] },
        mark: { type: 'rule', color: NEUTRAL_COLOR, strokeDash: [4, 3] },
        encoding: { x: { datum: 0, type: 'quantitative' } },
      },
      {
        data: { values },
        layer: [
          {
            transform: [{ filter: 'datum.ciLo !== null' }],
            mark: { type: 'rule', strokeWidth: 1.5 },
            encoding: { x: { field: 'ciLo', type: 'quantitative' }, x2: { field: 'ciHi' }, y, color: teacherColor },
          },
          {
            transform: [{ filter: 'datum.gainLo !== null' }],
            mark: { type: 'rule', strokeWidth: 1.5, clip: true },
            encoding: { x, y: { field: 'gainLo', type: 'quantitative' }, y2: { field: 'gainHi' }, color: teacherColor },
          },
          {
            mark: { type: 'point', filled: true, size: 80, opacity: 1 },
            encoding: {
              x,
              y,
              color: teacherColor,
              tooltip: [
                { field: 'teacher' },
                { field: 'margin', format: '.3r' },
                { field: 'ciLo', title: 'margin interval low', format: '.3r' },
                { field: 'ciHi', title: 'margin interval high', format: '.3r' },
                { field: 'gain', format: '.3r' },
                { field: 'gainLo', title: 'gain interval low', format: '.3r' },
                { field: 'gainHi', title: 'gain interval high', format: '.3r' },
              ],
            },
          },
        ],
      },
    ],
  } as VegaLiteSpec;
}

// ---------------------------------------------------------------------------------------------
// Teacher ranking

export type RankingVerdict = 'helps' | 'hurts' | 'uncertain';

export interface TeacherRankingRow {
  teacher: string;
  margin: number;
  ci?: [number, number] | null;
  /** Colour of the row (default from the interval: above 0 helps, below hurts, else uncertain). */
  verdict?: RankingVerdict;
}

export interface TeacherRankingOptions {
  title?: string;
  subtitle?: string;
  marginTitle?: string;
  width?: number;
}

/** The verdict an interval gives: wholly above 0 helps, wholly below hurts, else uncertain. */
export function verdictOfInterval(margin: number, ci?: [number, number] | null): RankingVerdict {
  const [lo, hi] = ci ?? [margin, margin];
  return lo > 0 ? 'helps' : hi < 0 ? 'hurts' : 'uncertain';
}

/** Teachers ranked by CCH margin (best on top), each with its interval, coloured by verdict. */
export function teacherRankingSpec(rows: TeacherRankingRow[], opts: TeacherRankingOptions = {}): VegaLiteSpec {
  check(rows.length > 0, 'teacher ranking: no teachers');
  for (const r of rows)
    check(finite(r.margin), () => `teacher ranking: teacher '${r.teacher}' has margin ${r.margin}; expected a finite number`);
  const sorted = [...rows].sort((a, b) => b.margin - a.margin);
  const values = sorted.map((r) => {
    const ci = r.ci && finite(r.ci[0]) && finite(r.ci[1]) ? r.ci : null;
    return {
      teacher: r.teacher,
      margin: r.margin,
      lo: ci?.[0] ?? null,
      hi: ci?.[1] ?? null,
      verdict: r.verdict ?? verdictOfInterval(r.margin, ci),
    };
  });
  const [xmin, xmax] = paddedExtent(
    values.flatMap((v) => [v.margin, v.lo, v.hi]),
    0.08,
  );
  const x = {
    field: 'margin',
    type: 'quantitative',
    title: opts.marginTitle ?? 'CCH margin (nats), with interval',
    scale: { domain: [xmin, xmax], nice: false, zero: false },
  } as const;
  const yEnc = { field: 'teacher', type: 'nominal', sort: values.map((v) => v.teacher), title: null } as const;
  const color = {
    field: 'verdict',
    type: 'nominal',
    title: 'verdict',
    scale: { domain: ['helps', 'uncertain', 'hurts'], range: [HELP_COLOR, NEUTRAL_COLOR, HURT_COLOR] },
  } as const;
  return {
    $schema: SCHEMA,
    title: title(opts.title ?? 'Teachers ranked by CCH margin', opts.subtitle ?? 'margin > 0: KD from this teacher is predicted to help'),
    width: opts.width ?? 420,
    height: { step: 28 },
    data: { values },
    layer: [
      { mark: { type: 'rule', color: NEUTRAL_COLOR, strokeDash: [4, 3] }, encoding: { x: { datum: 0, type: 'quantitative' } } },
      {
        transform: [{ filter: 'datum.lo !== null' }],
        mark: { type: 'rule', strokeWidth: 2.5 },
        encoding: { y: yEnc, x: { field: 'lo', type: 'quantitative', scale: x.scale, title: x.title }, x2: { field: 'hi' }, color },
      },
      {
        mark: { type: 'point', filled: true, size: 80, opacity: 1 },
        encoding: {
          y: yEnc,
          x,
          color,
          tooltip: [
            { field: 'teacher' },
            { field: 'margin', format: '.3r' },
            { field: 'lo', format: '.3r' },
            { field: 'hi', format: '.3r' },
            { field: 'verdict' },
          ],
        },
      },
    ],
  } as VegaLiteSpec;
}

// ---------------------------------------------------------------------------------------------
// Methods

export interface MethodRow {
  method: string;
  mean: number;
  sd?: number | null;
  /** Optional grouping (e.g. the teacher), shown as colour with rows side by side. */
  group?: string;
}

export interface MethodsOptions {
  title?: string;
  subtitle?: string;
  /** Headline metric name for the axis (e.g. 'test accuracy'). */
  metricTitle?: string;
  /** The no-KD student: a reference line at its mean (and a band of ± sd). */
  baseline?: { mean: number; sd?: number | null; label?: string };
  /** The metric's valid range (metricRange: [0, 1] for accuracy and F1): the axis and the ± sd bars stay inside it. */
  range?: ValueRange;
  /** Sort methods best first: 'max' (accuracy) or 'min' (MSE); default keeps the given order. */
  sort?: 'max' | 'min';
  width?: number;
}

/** Mean ± sd of the headline metric per KD method, with the no-KD student as a reference line. */
export function methodsSpec(rows: MethodRow[], opts: MethodsOptions = {}): VegaLiteSpec {
  check(rows.length > 0, 'methods chart: no methods');
  for (const r of rows) check(finite(r.mean), () => `methods chart: method '${r.method}' has mean ${r.mean}; expected a finite number`);
  const grouped = rows.some((r) => r.group !== undefined);
  const values = rows.map((r) => {
    const sd = finite(r.sd) ? r.sd : null;
    return {
      method: r.method,
      group: r.group ?? '',
      mean: r.mean,
      lo: sd === null ? null : clip(r.mean - sd, opts.range),
      hi: sd === null ? null : clip(r.mean + sd, opts.range),
      sd,
    };
  });
  let order = [...new Set(values.map((v) => v.method))];
  if (opts.sort) {
    const bestOf = (m: string) => {
      const ms = values.filter((v) => v.method === m).map((v) => v.mean);
      return opts.sort === 'max' ? Math.max(...ms) : Math.min(...ms);
    };
    order = order.sort((a, b) => (opts.sort === 'max' ? bestOf(b) - bestOf(a) : bestOf(a) - bestOf(b)));
  }
  const b = opts.baseline;
  const bSd = b && finite(b.sd) ? b.sd : null;
  const extentValues = values.flatMap((v) => [v.mean, v.lo, v.hi]);
  const band = b && bSd !== null ? { lo: clip(b.mean - bSd, opts.range) as number, hi: clip(b.mean + bSd, opts.range) as number } : null;
  if (b) extentValues.push(b.mean, band?.lo ?? null, band?.hi ?? null);
  const xs = extentValues.filter(finite);
  const span = Math.max(...xs) - Math.min(...xs) || Math.abs(xs[0]) || 1;
  const domain = clampDomain([Math.min(...xs) - span * 0.08, Math.max(...xs) + span * 0.08], opts.range);
  const x = {
    field: 'mean',
    type: 'quantitative',
    title: opts.metricTitle ?? 'headline metric (mean ± sd)',
    scale: { domain, nice: false, zero: false },
  } as const;
  const y = { field: 'method', type: 'nominal', sort: order, title: null } as const;
  const color = grouped ? { field: 'group', type: 'nominal', title: 'teacher' } : { value: '#2563eb' };
  const offset = grouped ? { yOffset: { field: 'group', type: 'nominal' } } : {};
  const layers: unknown[] = [];
  if (b) {
    const label = b.label ?? 'student without KD';
    if (band) {
      layers.push({
        data: { values: [band] },
        mark: { type: 'rect', color: BASELINE_COLOR, opacity: 0.08 },
        encoding: { x: { field: 'lo', type: 'quantitative' }, x2: { field: 'hi' } },
      });
    }
    layers.push({
      data: { values: [{ mean: b.mean, label }] },
      mark: { type: 'rule', color: BASELINE_COLOR, strokeDash: [5, 3], strokeWidth: 1.5 },
      encoding: { x: { field: 'mean', type: 'quantitative' } },
    });
    layers.push({
      data: { values: [{ mean: b.mean, label }] },
      mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 4, dy: -2, fontSize: 10, color: BASELINE_COLOR },
      encoding: { x: { field: 'mean', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
    });
  }
  layers.push({
    data: { values },
    layer: [
      {
        transform: [{ filter: 'datum.lo !== null' }],
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: { y, ...offset, x: { field: 'lo', type: 'quantitative', scale: x.scale, title: x.title }, x2: { field: 'hi' }, color },
      },
      {
        mark: { type: 'point', filled: true, size: 70, opacity: 1 },
        encoding: {
          y,
          ...offset,
          x,
          color,
          tooltip: [
            { field: 'method' },
            ...(grouped ? [{ field: 'group' }] : []),
            { field: 'mean', format: '.3r' },
            { field: 'sd', format: '.3r' },
          ],
        },
      },
    ],
  });
  return {
    $schema: SCHEMA,
    title: title(
      opts.title ?? 'KD methods compared',
      opts.subtitle ?? (b ? 'mean ± sd over repeated splits; dashed line: the student without KD' : 'mean ± sd over repeated splits'),
    ),
    width: opts.width ?? 420,
    height: { step: grouped ? 14 * new Set(values.map((v) => v.group)).size + 10 : 26 },
    layer: layers,
  } as VegaLiteSpec;
}

// ---------------------------------------------------------------------------------------------
// Learning curves

/** The per-epoch fields the curves read (a subset of the trainer's EpochRecord). */
export interface CurvePoint {
  epoch: number;
  trainLoss?: number | null;
  valLoss?: number | null;
  valMetric?: number | null;
}

export type CurveQuantity = 'trainLoss' | 'valLoss' | 'valMetric';

export interface LearningCurvesOptions {
  title?: string;
  /** Name of valMetric (default 'accuracy'). */
  metricName?: string;
  /** Panels, left to right (default: validation loss and validation metric; training loss if no validation). */
  panels?: CurveQuantity[];
  /** Epoch whose weights each model kept, marked on its curve. */
  bestEpoch?: Record<string, number>;
  width?: number;
  height?: number;
}

/** Per-epoch curves of every model, one panel per quantity, one line per model. */
export function learningCurvesSpec(series: { model: string; history: CurvePoint[] }[], opts: LearningCurvesOptions = {}): VegaLiteSpec {
  check(series.length > 0, 'learning curves: no models');
  const metricName = opts.metricName ?? 'accuracy';
  const names: Record<CurveQuantity, string> = {
    trainLoss: 'training loss',
    valLoss: 'validation loss',
    valMetric: `validation ${metricName}`,
  };
  const hasVal = series.some((s) => s.history.some((h) => finite(h.valLoss) || finite(h.valMetric)));
  const panels = opts.panels ?? (hasVal ? (['valLoss', 'valMetric'] as CurveQuantity[]) : (['trainLoss'] as CurveQuantity[]));
  const values: { model: string; epoch: number; quantity: string; value: number; best: boolean }[] = [];
  for (const s of series) {
    for (const h of s.history) {
      for (const q of panels) {
        const v = h[q];
        if (finite(v))
          values.push({ model: s.model, epoch: h.epoch, quantity: names[q], value: v, best: opts.bestEpoch?.[s.model] === h.epoch });
      }
    }
  }
  check(values.length > 0, () => `learning curves: no finite ${panels.map((q) => names[q]).join(' / ')} values in the histories`);
  const x = { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } } as const;
  const y = { field: 'value', type: 'quantitative', title: null, scale: { zero: false } } as const;
  const color = { field: 'model', type: 'nominal', title: 'model' } as const;
  return {
    $schema: SCHEMA,
    title: title(opts.title ?? 'Learning curves', opts.bestEpoch ? 'ringed point: the epoch whose weights were kept' : undefined),
    data: { values },
    facet: { column: { field: 'quantity', type: 'nominal', title: null, sort: panels.map((q) => names[q]) } },
    spec: {
      width: opts.width ?? 260,
      height: opts.height ?? 200,
      layer: [
        { mark: { type: 'line', strokeWidth: 1.8 }, encoding: { x, y, color } },
        {
          mark: { type: 'point', filled: true, size: 16 },
          encoding: { x, y, color, tooltip: [{ field: 'model' }, { field: 'epoch' }, { field: 'value', format: '.3r' }] },
        },
        {
          transform: [{ filter: 'datum.best' }],
          mark: { type: 'point', size: 120, strokeWidth: 2, filled: false },
          encoding: { x, y, color },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
  } as VegaLiteSpec;
}

// ---------------------------------------------------------------------------------------------
// Confusion matrix

export interface ConfusionOptions {
  title?: string;
  subtitle?: string;
  /** Side of one cell in pixels (default: fits 10 classes in ~360 px). */
  cellSize?: number;
}

/**
 * Confusion-matrix heatmap: rows = true class, columns = predicted (the layout of
 * src/metrics confusionMatrix); colour = the row-normalised share (recall along the diagonal),
 * text = counts.
 */
export function confusionMatrixSpec(matrix: number[][], classes: string[], opts: ConfusionOptions = {}): VegaLiteSpec {
  const C = classes.length;
  check(C > 0, 'confusion matrix chart: no classes');
  check(
    matrix.length === C && matrix.every((r) => r.length === C),
    () =>
      `confusion matrix chart: expected a ${C}×${C} matrix for classes [${classes.join(', ')}], got ${matrix.length} rows of lengths [${matrix.map((r) => r.length).join(', ')}]`,
  );
  const values = matrix.flatMap((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((count, j) => ({ actual: classes[i], predicted: classes[j], count, share: total > 0 ? count / total : 0 }));
  });
  const cell = opts.cellSize ?? Math.max(18, Math.min(40, Math.round(360 / C)));
  const axis = (field: string, t: string) => ({ field, type: 'ordinal', sort: classes, title: t }) as const;
  return {
    $schema: SCHEMA,
    title: title(opts.title ?? 'Confusion matrix', opts.subtitle ?? 'rows: true class; colour: share of the row; numbers: counts'),
    data: { values },
    width: { step: cell },
    height: { step: cell },
    encoding: { x: { ...axis('predicted', 'predicted class'), axis: { orient: 'top', labelAngle: 0 } }, y: axis('actual', 'true class') },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          color: { field: 'share', type: 'quantitative', title: 'row share', scale: { domain: [0, 1], range: ['#f8fafc', '#1e40af'] } },
          tooltip: [{ field: 'actual' }, { field: 'predicted' }, { field: 'count' }, { field: 'share', format: '.1%' }],
        },
      },
      {
        mark: { type: 'text', fontSize: cell < 24 ? 8 : 10 },
        encoding: {
          text: { field: 'count', type: 'quantitative' },
          color: { condition: { test: 'datum.share > 0.55', value: 'white' }, value: '#111827' },
        },
      },
    ],
  } as VegaLiteSpec;
}
