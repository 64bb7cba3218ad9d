/**
 * The plug-in estimate for two discrete variables: the MI of their empirical joint distribution
 * (contingency table). Not selectable: every estimator hands it the discrete–discrete pairs it
 * does not take, with that estimator's default number of half-splits.
 */
import { halfSplitEstimate, pick, type MIEstimatorDefinition } from './estimator.js';
import type { DiscreteInput } from './types.js';

/** Plug-in MI of two discrete variables from their contingency table: Σ p(a,b) log(p(a,b) / p(a)p(b)). */
export function discreteMI(a: Int32Array, b: Int32Array, n: number): number {
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
  return mi;
}

// Î(A;B) = Σ_{a,b} p̂(a,b) log(p̂(a,b) / p̂(a)p̂(b)), p̂ the empirical frequencies (Cover & Thomas 2006, ch. 2).
export const plugIn: MIEstimatorDefinition = {
  name: 'plug-in',
  selectable: false,
  takes: ['discrete'],
  defaults: {},
  estimate(a, b, ctx) {
    const la = (a as DiscreteInput).labels;
    const lb = (b as DiscreteInput).labels;
    ctx.settings.method = 'plug-in (discrete)';
    return halfSplitEstimate(
      { run: (idx) => (idx ? discreteMI(pick(la, idx), pick(lb, idx), idx.length) : discreteMI(la, lb, ctx.n)), minRows: 2 },
      ctx,
    );
  },
};
