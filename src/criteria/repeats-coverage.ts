/**
 * Coverage of the interval over repeats (repeats.ts) by simulation: how often the combined
 * interval of R repeats contains the quantity it estimates, when the repeats' held-out rows
 * overlap as cmkd's splits make them overlap. One trial draws a dataset of per-row estimator
 * contributions z_i ~ N(0, 1), R held-out sets H_r, training effects t_r ~ N(0, σ²_t), and the
 * repeats' estimates m_r = t_r + mean_{i∈H_r} z_i with se_r = sd(z_{H_r})/√|H_r| (the target is
 * 0). Held-out sets are drawn as planSplits draws them: 'random', an independent 30% per repeat
 * (val + test of 70/10/20); 'kfold', per round of 5 repeats a shuffle into 5 folds, fold f's
 * rows plus the first 1/8 of the rest in the round's order (val + test of stratifiedKFoldSplits,
 * whose validation rows are much the same rows in every fold: ρ ≈ 0.42, more than random's 0.3).
 */
import { makeRng, type Rng } from '../util/rng.js';
import { check } from '../util/errors.js';
import { combineEstimates, heldOutOverlap } from './repeats.js';
import type { Estimate } from './types.js';

export interface CoverageSettings {
  repeats: number;
  scheme: 'random' | 'kfold';
  /** σ_t as a multiple of one repeat's estimator standard error σ_e = 1/√|H| (0: no training variance). */
  trainingSd: number;
  trials: number;
  /** Rows in the dataset (default 400). */
  rows?: number;
  level?: number;
  seed?: number;
}

export interface CoverageResult {
  /** Share of trials whose interval (SE² = s²/R + ρ·mean se², ρ measured from the sets) holds the target. */
  coverage: number;
  /** The same with the earlier SE² = s²/R + mean(se²)/R (ρ = 1/R). */
  coverageBefore: number;
  /** Mean ρ over trials. */
  overlap: number;
}

function heldOutSets(rng: Rng, n: number, repeats: number, scheme: 'random' | 'kfold'): Int32Array[] {
  const rows = (): Int32Array => Int32Array.from({ length: n }, (_, i) => i);
  if (scheme === 'random') {
    const size = Math.round(0.3 * n);
    return Array.from({ length: repeats }, () => rng.shuffle(rows()).slice(0, size) as Int32Array);
  }
  const k = 5;
  const out: Int32Array[] = [];
  let order: Int32Array = rows();
  for (let r = 0; r < repeats; r++) {
    if (r % k === 0) order = rng.shuffle(rows()) as Int32Array;
    const f = r % k;
    const fold: number[] = [];
    const rest: number[] = [];
    order.forEach((row, at) => (at % k === f ? fold : rest).push(row));
    out.push(Int32Array.from([...fold, ...rest.slice(0, Math.round(rest.length / 8))]));
  }
  return out;
}

// coverage = #{trials: 0 ∈ m̄ ± t_ν·SE} / trials, SE² = s²/R + ρ·mean(se_r²) (after) or s²/R + mean(se_r²)/R (before)
export function simulateRepeatsCoverage(o: CoverageSettings): CoverageResult {
  check(Number.isInteger(o.repeats) && o.repeats >= 2, 'simulateRepeatsCoverage: repeats must be an integer ≥ 2');
  const n = o.rows ?? 400;
  const level = o.level ?? 0.95;
  const rng = makeRng(o.seed ?? 1);
  let hit = 0;
  let hitBefore = 0;
  let overlapSum = 0;
  const z = new Float64Array(n);
  for (let trial = 0; trial < o.trials; trial++) {
    for (let i = 0; i < n; i++) z[i] = rng.normal();
    const sets = heldOutSets(rng, n, o.repeats, o.scheme);
    const estimates: Estimate[] = sets.map((h) => {
      let sum = 0;
      let sq = 0;
      for (const i of h) {
        sum += z[i];
        sq += z[i] * z[i];
      }
      const m = sum / h.length;
      const sd = Math.sqrt((sq - h.length * m * m) / (h.length - 1));
      const t = o.trainingSd * rng.normal() * (1 / Math.sqrt(h.length));
      return { value: t + m, ci: null, se: sd / Math.sqrt(h.length) };
    });
    const rho = heldOutOverlap(sets);
    overlapSum += rho;
    const holds = (e: Estimate) => e.ci !== null && e.ci[0] <= 0 && 0 <= e.ci[1];
    if (holds(combineEstimates(estimates, level, { overlap: rho }))) hit++;
    if (holds(combineEstimates(estimates, level, { overlap: 1 / o.repeats }))) hitBefore++;
  }
  return { coverage: hit / o.trials, coverageBefore: hitBefore / o.trials, overlap: overlapSum / o.trials };
}
