/**
 * k-nearest-neighbour mutual-information estimators under the max-norm:
 * KSG algorithm 1 (Kraskov, Stögbauer, Grassberger 2004) for two continuous variables and
 * Ross (2014) for a continuous and a discrete one, with sklearn's conventions
 * (`mutual_info_regression` / `mutual_info_classif`): each continuous column scaled to unit
 * variance (not centred), tiny seeded Gaussian noise 1e-10·max(1, mean|column|) to break ties,
 * k = 3 by default. Results in nats; the public wrapper clips at 0, these raw functions do not.
 */
import { makeRng } from '../util/rng.js';
import { halfSplitEstimate, pick, rowsOf, type MIEstimatorDefinition } from './estimator.js';
import { allCountsCloser, allCountsCloser1D, allKthDistances, buildKDTree } from './kdtree.js';
import { digammaTable } from './special.js';
import { isDiscrete, type ContinuousInput } from './types.js';

/**
 * sklearn's preprocessing for k-NN estimators: a float64 copy with every column divided by its
 * standard deviation (ddof 0; constant columns left alone) plus noise 1e-10·max(1, mean|col|)·N(0, 1).
 */
export function scaleAndJitter(data: ArrayLike<number>, n: number, d: number, seed: number): Float64Array {
  const out = Float64Array.from(data as ArrayLike<number>);
  const rng = makeRng(seed);
  for (let c = 0; c < d; c++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += out[i * d + c];
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (out[i * d + c] - mean) ** 2;
    const std = Math.sqrt(ss / n);
    const scale = std > 0 ? std : 1;
    let meanAbs = 0;
    for (let i = 0; i < n; i++) {
      out[i * d + c] /= scale;
      meanAbs += Math.abs(out[i * d + c]);
    }
    const amp = 1e-10 * Math.max(1, meanAbs / n);
    for (let i = 0; i < n; i++) out[i * d + c] += amp * rng.normal();
  }
  return out;
}

/** Joint rows [x_i, y_i] as one n × (dx + dy) array. */
function concatColumns(x: Float64Array, dx: number, y: Float64Array, dy: number, n: number): Float64Array {
  const d = dx + dy;
  const xy = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < dx; c++) xy[i * d + c] = x[i * dx + c];
    for (let c = 0; c < dy; c++) xy[i * d + dx + c] = y[i * dy + c];
  }
  return xy;
}

/** For each row, the number of other rows strictly closer than radius[i] (1-d: sorted order and galloping; else k-d tree). */
export function marginalCounts(v: Float64Array, n: number, d: number, radius: Float64Array): Int32Array {
  if (d === 1) return allCountsCloser1D(v, radius);
  return allCountsCloser(buildKDTree(v, n, d), radius);
}

/**
 * KSG estimator 1 on already preprocessed data (no scaling, no noise, no clipping):
 * I = ψ(k) + ψ(N) − ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩, with ε_i the max-norm distance to the k-th
 * neighbour in the joint space and n_x, n_y the marginal counts strictly inside ε_i (KSG eq. 8).
 */
export function ksgRaw(x: Float64Array, dx: number, y: Float64Array, dy: number, n: number, k: number): number {
  const joint = buildKDTree(concatColumns(x, dx, y, dy, n), n, dx + dy);
  const eps = allKthDistances(joint, k);
  const nx = marginalCounts(x, n, dx, eps);
  const ny = marginalCounts(y, n, dy, eps);
  const psi = digammaTable(n + 1);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += psi[nx[i] + 1] + psi[ny[i] + 1];
  return psi[k] + psi[n] - sum / n;
}

/**
 * Ross (2014) estimator for continuous c and discrete labels on preprocessed data:
 * I = ψ(N) + ⟨ψ(k_i)⟩ − ⟨ψ(N_{y_i})⟩ − ⟨ψ(m_i + 1)⟩ (Ross eq. 2), where the k_i-th neighbour
 * among samples of the same label sets the radius and m_i counts all samples strictly inside
 * it. As sklearn: k_i = min(k, N_y − 1), and samples whose label occurs once are left out.
 */
export function rossRaw(c: Float64Array, d: number, labels: Int32Array, n: number, k: number): number {
  const groups = groupByLabel(labels);
  const radius = new Float64Array(n);
  const kOf = new Int32Array(n);
  const classCount = new Int32Array(n);
  for (const rows of groups) {
    for (const r of rows) classCount[r] = rows.length;
    if (rows.length < 2) continue;
    const kc = Math.min(k, rows.length - 1);
    const sub = new Float64Array(rows.length * d);
    rows.forEach((r, j) => sub.set(c.subarray(r * d, (r + 1) * d), j * d));
    const dist = allKthDistances(buildKDTree(sub, rows.length, d), kc);
    rows.forEach((r, j) => {
      radius[r] = dist[j];
      kOf[r] = kc;
    });
  }
  const kept: number[] = [];
  for (let i = 0; i < n; i++) if (classCount[i] > 1) kept.push(i);
  const m = kept.length;
  if (m === 0) return 0;
  const ck = new Float64Array(m * d);
  const rk = new Float64Array(m);
  kept.forEach((r, j) => {
    ck.set(c.subarray(r * d, (r + 1) * d), j * d);
    rk[j] = radius[r];
  });
  const mAll = marginalCounts(ck, m, d, rk);
  const psi = digammaTable(n + 1);
  let sum = 0;
  for (let j = 0; j < m; j++) {
    const r = kept[j];
    sum += psi[kOf[r]] - psi[classCount[r]] - psi[mAll[j] + 1];
  }
  return psi[m] + sum / m;
}

/** Row indices per distinct label, in order of first appearance. */
export function groupByLabel(labels: Int32Array): number[][] {
  const map = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    let g = map.get(labels[i]);
    if (!g) map.set(labels[i], (g = []));
    g.push(i);
  }
  return [...map.values()];
}

export interface KsgOptions {
  k?: number;
  seed?: number;
}

/** KSG MI (nats, unclipped) between continuous x (n × dx) and y (n × dy), with sklearn's preprocessing. */
export function ksgMI(x: ArrayLike<number>, dx: number, y: ArrayLike<number>, dy: number, n: number, opts: KsgOptions = {}): number {
  const seed = opts.seed ?? 0;
  const rng = makeRng(seed);
  const xs = scaleAndJitter(x, n, dx, rng.seed());
  const ys = scaleAndJitter(y, n, dy, rng.seed());
  return ksgRaw(xs, dx, ys, dy, n, opts.k ?? 3);
}

/** Ross MI (nats, unclipped) between continuous x (n × d) and discrete labels, with sklearn's preprocessing. */
export function rossMI(x: ArrayLike<number>, d: number, labels: Int32Array, n: number, opts: KsgOptions = {}): number {
  const rng = makeRng(opts.seed ?? 0);
  return rossRaw(scaleAndJitter(x, n, d, rng.seed()), d, labels, n, opts.k ?? 3);
}

// I = ψ(k) + ψ(N) − ⟨ψ(n_x + 1) + ψ(n_y + 1)⟩ (KSG 2004 eq. 8); labels: I = ψ(N) + ⟨ψ(k_i)⟩ − ⟨ψ(N_{y_i})⟩ − ⟨ψ(m_i + 1)⟩ (Ross 2014 eq. 2).
export const ksg: MIEstimatorDefinition = {
  name: 'ksg',
  selectable: true,
  takes: ['continuous', 'mixed'],
  defaults: { k: 3 },
  resamples: 20,
  estimate(a, b, ctx) {
    const { opts, n, settings, rng } = ctx;
    const k = opts.k ?? 3;
    settings.k = k;
    settings.method = isDiscrete(b) ? 'Ross 2014 (mixed)' : 'KSG algorithm 1';
    const ca = a as ContinuousInput;
    const pa = scaleAndJitter(ca.data, n, ca.d, rng.seed());
    const pb = isDiscrete(b) ? null : scaleAndJitter(b.data, n, b.d, rng.seed());
    const run = (idx: Int32Array | null) => {
      const m = idx ? idx.length : n;
      const sa = idx ? rowsOf(pa, ca.d, idx) : pa;
      if (isDiscrete(b)) return rossRaw(sa, ca.d, idx ? pick(b.labels, idx) : b.labels, m, k);
      const db = (b as ContinuousInput).d;
      return ksgRaw(sa, ca.d, idx ? rowsOf(pb!, db, idx) : pb!, db, m, k);
    };
    return halfSplitEstimate({ run, minRows: k + 1 }, ctx);
  },
};
