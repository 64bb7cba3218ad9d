/**
 * Numbers as text, one way everywhere a result is shown to people (report tables, captions,
 * verdicts, model cards): `digits` significant digits, and a spread (an sd or an interval)
 * written to the same decimal places as the number it belongs to, so `0.959 ± 0.000`, never
 * `0.959 ± 4.42e-5`. Minus signs are typographic (−), missing values '—'.
 */

export interface NumberFormat {
  /** Significant digits (default 3); 0 writes whole numbers (ranks, counts). */
  digits?: number;
  /** Show value × 100 with a % sign. */
  percent?: boolean;
  /** Always show the sign (+0.12). */
  signed?: boolean;
}

/** Magnitudes outside [1e-4, 1e7) are written in exponent notation (1.23e-5) instead of a run of zeros or digits. */
const TINY = 1e-4;
const HUGE = 1e7;

const scaled = (x: number, f: NumberFormat) => (f.percent ? x * 100 : x);

/**
 * The decimal places that show the largest finite magnitude among `values` with `f.digits`
 * significant digits (all numbers of one cell share them); null when that magnitude is best
 * written in exponent notation.
 */
export function decimalsFor(values: (number | null | undefined)[], f: NumberFormat = {}): number | null {
  const digits = f.digits ?? 3;
  if (digits === 0) return 0;
  let m = 0;
  for (const v of values) if (typeof v === 'number' && Number.isFinite(v)) m = Math.max(m, Math.abs(scaled(v, f)));
  if (m === 0) return digits - 1;
  if (m < TINY || m >= HUGE) return null;
  return Math.max(0, digits - 1 - Math.floor(Math.log10(m)));
}

/**
 * One number at `decimals` places (null: exponent notation with the format's digits); '—' when
 * missing, ∞ for infinities.
 */
export function formatAt(x: number | null | undefined, decimals: number | null, f: NumberFormat = {}): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  const v = scaled(x, f);
  const abs = Math.abs(v);
  const body = decimals === null ? abs.toExponential(Math.max(0, (f.digits ?? 3) - 1)) : abs.toFixed(decimals);
  const isZero = Number(body) === 0;
  const sign = v < 0 && !isZero ? '−' : f.signed && !isZero ? '+' : '';
  return sign + body + (f.percent ? '%' : '');
}

/** One number with `f.digits` significant digits: 0.123, 12.3, 1235, +0.0310, 1.23e-5, 91.2%. */
export function formatNumber(x: number | null | undefined, f: NumberFormat = {}): string {
  return formatAt(x, decimalsFor([x], f), f);
}

/** Mean and sd as ['0.959', ' ± 0.000']: the sd at the mean's decimal places (or its own, if larger); no aside without an sd. */
export function meanSdParts(mean: number | null | undefined, sd: number | null | undefined, f: NumberFormat = {}): [string, string] {
  const hasSd = typeof sd === 'number' && Number.isFinite(sd);
  const d = decimalsFor(hasSd ? [mean, sd] : [mean], f);
  return [formatAt(mean, d, f), hasSd ? ` ± ${formatAt(sd, d, { ...f, signed: false })}` : ''];
}

/** '0.959 ± 0.013' (or '0.959' without an sd). */
export function formatMeanSd(mean: number | null | undefined, sd: number | null | undefined, f: NumberFormat = {}): string {
  return meanSdParts(mean, sd, f).join('');
}

/** A value and its interval as ['+0.012', ' [−0.004, +0.028]'], all at one set of decimal places; no aside without an interval. */
export function estimateParts(
  value: number | null | undefined,
  ci: readonly [number | null, number | null] | null | undefined,
  f: NumberFormat = {},
): [string, string] {
  const d = decimalsFor(ci ? [value, ci[0], ci[1]] : [value], f);
  return [formatAt(value, d, f), ci ? ` [${formatAt(ci[0], d, f)}, ${formatAt(ci[1], d, f)}]` : ''];
}

/** '+0.012 [−0.004, +0.028]' (or the value alone without an interval). */
export function formatEstimate(
  value: number | null | undefined,
  ci: readonly [number | null, number | null] | null | undefined,
  f: NumberFormat = {},
): string {
  return estimateParts(value, ci, f).join('');
}
