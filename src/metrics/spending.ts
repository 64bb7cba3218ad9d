/**
 * Group-sequential boundaries by alpha spending (Lan & DeMets 1983, "Discrete sequential boundaries
 * for clinical trials", Biometrika 70:659–663): a one-sided test that looks at the data K times, at
 * information fractions 0 < t_1 < … < t_K = 1, and rejects at the first look k with Z_k ≥ b_k, where
 * the boundaries spend the error α over the looks as a function α(t) fixed in advance. Pure and
 * deterministic; computed by the recursive numerical integration of Armitage, McPherson & Rowe
 * (1969) as described in Jennison & Turnbull (2000), "Group Sequential Methods", §19.2.
 */
import { check } from '../util/errors.js';
import { normalCdf, normalQuantile } from './distributions.js';

/** 'pocock': spends early (flat boundaries); 'obrien-fleming': spends late (high early boundaries). */
export type SpendingName = 'pocock' | 'obrien-fleming';
export const SPENDING_NAMES: readonly SpendingName[] = ['pocock', 'obrien-fleming'];

// Lan–DeMets Pocock-type α(t) = α·ln(1 + (e − 1)·t); O'Brien–Fleming-type α(t) = 2 − 2·Φ(z_{1−α/2}/√t)
export function spent(name: SpendingName, alpha: number, t: number): number {
  if (t <= 0) return 0;
  if (t >= 1) return alpha;
  return name === 'pocock' ? alpha * Math.log(1 + (Math.E - 1) * t) : 2 * normalCdf(-normalQuantile(1 - alpha / 2) / Math.sqrt(t));
}

/** Grid step of the integration, in units of W (Brownian motion at information fraction t ≤ 1). */
const STEP = 0.025;
/** Lower end of the grid: W below −10 (10 sd at t = 1) has probability < 1e-23. */
const LOW = -10;

const cache = new Map<string, number[]>();

/**
 * Upper boundaries b_1..b_K on the Z scale of a one-sided level-α group-sequential test with
 * looks at information fractions `fractions` (strictly increasing, the last 1):
 * P₀(Z_j < b_j for j < k, Z_k ≥ b_k) = α(t_k) − α(t_{k−1}), Z_k = W(t_k)/√t_k for a standard
 * Brownian motion W (independent increments). Cached per (spending, α, fractions).
 */
export function spendingBoundaries(fractions: readonly number[], alpha: number, name: SpendingName = 'pocock'): number[] {
  check(alpha > 0 && alpha < 1, `alpha must be in (0, 1); got ${alpha}`, 'invalid-option');
  check(
    fractions.length > 0 && Math.abs(fractions[fractions.length - 1] - 1) < 1e-12,
    'the last information fraction must be 1',
    'invalid-option',
  );
  for (let k = 0; k < fractions.length; k++)
    check(
      fractions[k] > (k ? fractions[k - 1] : 0),
      `information fractions must increase from above 0; got ${fractions.join(', ')}`,
      'invalid-option',
    );
  const key = `${name}|${alpha}|${fractions.join(',')}`;
  const hit = cache.get(key);
  if (hit) return hit.slice();
  const out: number[] = [];
  // Density of W(t_{k−1}) on the continuation region, on an equally spaced grid with Simpson weights.
  let grid: Float64Array | null = null;
  let dens: Float64Array | null = null;
  let weights: Float64Array | null = null;
  let tPrev = 0;
  for (let k = 0; k < fractions.length; k++) {
    const t = fractions[k];
    const target = spent(name, alpha, t) - spent(name, alpha, tPrev);
    const sd = Math.sqrt(t - tPrev);
    // P(W(t) ≥ B, not stopped before) as a function of B (on the W scale).
    const exit = (B: number): number => {
      if (!grid) return normalCdf(-B / sd);
      let p = 0;
      for (let i = 0; i < grid.length; i++) p += weights![i] * dens![i] * normalCdf((grid[i] - B) / sd);
      return p;
    };
    let B: number;
    if (target <= 0) B = Infinity;
    else {
      let lo = -10;
      let hi = 20;
      for (let i = 0; i < 100 && hi - lo > 1e-10; i++) {
        const mid = (lo + hi) / 2;
        if (exit(mid) > target) lo = mid;
        else hi = mid;
      }
      B = (lo + hi) / 2;
    }
    out.push(B / Math.sqrt(t));
    if (k === fractions.length - 1) break;
    // Density of W(t) on (LOW, B): the previous density convolved with N(0, t − t_prev), or N(0, t) at the first look.
    const top = Math.min(B, 12);
    const n = 2 * Math.ceil((top - LOW) / (2 * STEP)) + 1;
    const h = (top - LOW) / (n - 1);
    const g = new Float64Array(n);
    const d = new Float64Array(n);
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      g[i] = LOW + i * h;
      w[i] = (h / 3) * (i === 0 || i === n - 1 ? 1 : i % 2 ? 4 : 2);
    }
    const phi = (x: number, s: number) => Math.exp((-0.5 * x * x) / (s * s)) / (s * Math.sqrt(2 * Math.PI));
    for (let i = 0; i < n; i++) {
      if (!grid) d[i] = phi(g[i], sd);
      else {
        let s = 0;
        for (let j = 0; j < grid.length; j++) s += weights![j] * dens![j] * phi(g[i] - grid[j], sd);
        d[i] = s;
      }
    }
    grid = g;
    dens = d;
    weights = w;
    tPrev = t;
  }
  cache.set(key, out);
  return out.slice();
}
