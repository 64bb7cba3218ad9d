/** Special functions for the k-NN estimators. */

const EULER_GAMMA = 0.5772156649015329;

/** Digamma ψ(x) for x > 0: recurrence up to x ≥ 10, then the asymptotic series. */
export function digamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  let acc = 0;
  while (x < 10) {
    acc -= 1 / x;
    x += 1;
  }
  const inv = 1 / x;
  const inv2 = inv * inv;
  // ψ(x) ~ ln x − 1/(2x) − Σ B₂ₖ/(2k x²ᵏ)
  return acc + Math.log(x) - 0.5 * inv - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 * (1 / 240 - inv2 * (1 / 132)))));
}

/** ψ(1..m) as a table (index i holds ψ(i); index 0 is NaN), exact to rounding: ψ(i+1) = ψ(i) + 1/i. */
export function digammaTable(m: number): Float64Array {
  const t = new Float64Array(m + 1);
  t[0] = Number.NaN;
  if (m >= 1) t[1] = -EULER_GAMMA;
  // Re-anchor every 64 steps on the series so rounding never accumulates.
  for (let i = 2; i <= m; i++) t[i] = (i & 63) === 0 ? digamma(i) : t[i - 1] + 1 / (i - 1);
  return t;
}
