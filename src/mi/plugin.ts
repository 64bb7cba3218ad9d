/**
 * The plug-in estimate for two discrete variables: the MI of their empirical joint distribution
 * (contingency table). Not selectable: every estimator hands it the discrete–discrete pairs it
 * does not take, with that estimator's default number of half-splits.
 */
import { halfSplitEstimate, pick, type MIEstimatorDefinition } from './estimator.js';
import type { DiscreteInput } from './types.js';

/**
 * Plug-in MI of two discrete variables from their contingency table: Σ p(a,b) log(p(a,b) / p(a)p(b)),
 * i.e. Ĥ(A) + Ĥ(B) − Ĥ(A,B) with empirical entropies. With `millerMadow`, each entropy gets the
 * Miller (1955) correction Ĥ_MM = Ĥ + (m − 1)/(2n), m its number of non-empty cells, which removes
 * the first-order bias −(m − 1)/(2n) of Ĥ; for MI that adds (m_A + m_B − m_AB − 1)/(2n), about
 * −(K − 1)²/(2n) for two independent variables of K values (the plug-in's upward bias).
 */
export function discreteMI(a: Int32Array, b: Int32Array, n: number, opts: { millerMadow?: boolean } = {}): number {
  const joint = new Map<string, number>();
  const pa = new Map<number, number>();
  const pb = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = `${a[i]},${b[i]}`;
    joint.set(key, (joint.get(key) ?? 0) + 1);
    pa.set(a[i], (pa.get(a[i]) ?? 0) + 1);
    pb.set(b[i], (pb.get(b[i]) ?? 0) + 1);
  }
  let mi = 0;
  for (const [key, nab] of joint) {
    const [u, v] = key.split(',').map(Number);
    mi += (nab / n) * Math.log((nab * n) / (pa.get(u)! * pb.get(v)!));
  }
  // Ĥ_MM = Ĥ + (m − 1)/(2n) for H(A), H(B) and H(A,B) (Miller 1955).
  if (opts.millerMadow) mi += (pa.size - 1 + (pb.size - 1) - (joint.size - 1)) / (2 * n);
  return mi;
}

// Î(A;B) = Σ_{a,b} p̂(a,b) log(p̂(a,b) / p̂(a)p̂(b)) (Cover & Thomas 2006, ch. 2); option millerMadow: each Ĥ + (m − 1)/(2n) (Miller 1955).
export const plugIn: MIEstimatorDefinition = {
  name: 'plug-in',
  selectable: false,
  takes: ['discrete'],
  defaults: {},
  estimate(a, b, ctx) {
    const la = (a as DiscreteInput).labels;
    const lb = (b as DiscreteInput).labels;
    const millerMadow = ctx.opts.millerMadow === true;
    ctx.settings.method = millerMadow ? 'plug-in (discrete, Miller–Madow)' : 'plug-in (discrete)';
    if (millerMadow) ctx.settings.millerMadow = true;
    const o = { millerMadow };
    return halfSplitEstimate(
      { run: (idx) => (idx ? discreteMI(pick(la, idx), pick(lb, idx), idx.length, o) : discreteMI(la, lb, ctx.n, o)), minRows: 2 },
      ctx,
    );
  },
};
