/**
 * Paired resampling of several MI terms, so that any function of them (the CCH margin, the
 * co-information) gets an interval that accounts for the terms' correlation.
 *
 * Every term is estimated on the same rows in each resample, with the same scheme estimateMI
 * uses for a single term:
 * - gaussian / ksg: R random half-splits. For a derived quantity f, each split gives f on two
 *   disjoint halves A and B; se = √mean((f_A − f_B)²/4) (Var(θ̂_{n/2}) ≈ 2 Var(θ̂_n)), and the
 *   interval is f̂ ± z·se around the full-sample value f̂.
 * - mine / latent: R reruns with fresh seeds, every term of a rerun sharing its seed (hence its
 *   held-out rows); f̂ = mean over reruns, interval f̂ ± t_{R−1}·sd/√R.
 * Each term is clipped at 0 (no detectable dependence, as estimateMI) before f is applied.
 */
import {
  estimateMI,
  isDiscrete,
  latentMI,
  mineMI,
  networkFeatures,
  normalQuantile,
  studentQuantile,
  type MIEstimatorName,
  type MIInput,
} from '../mi/index.js';
import { check } from '../util/errors.js';
import { throwIfAborted, type ProgressFn } from '../util/progress.js';
import { makeRng } from '../util/rng.js';
import type { Estimate, MiPassThrough } from './types.js';

/**
 * Default resamples: half the single-term default for gaussian / ksg (every term is
 * re-estimated on both halves of every split, so the cost is terms × (1 + 2R) estimates), the
 * same 3 reruns as estimateMI for mine / latent.
 */
export const PAIRED_RESAMPLES: Record<MIEstimatorName, number> = {
  gaussian: 10,
  ksg: 10,
  mine: 3,
  latent: 3,
};

export interface Term {
  key: string;
  /** Shown in progress events, e.g. 'I(pixels;textured)'. */
  label?: string;
  x: MIInput;
  y: MIInput;
}

export type TermValues = Record<string, number>;

export interface Quantity {
  key: string;
  f: (v: TermValues) => number;
  /** MI-valued quantities have their interval clipped at 0. */
  nonNegative?: boolean;
}

export interface PairedOptions {
  estimator: MIEstimatorName;
  k?: number;
  seed: number;
  bootstrap?: number;
  ci: number;
  mi?: MiPassThrough;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

export interface PairedResult {
  estimates: Record<string, Estimate>;
  /** Term values on all rows (gaussian / ksg) or averaged over reruns (mine / latent), nats. */
  terms: TermValues;
  interval: 'half-split' | 'repeated-split' | 'none';
  resamples: number;
}

function subset(v: MIInput, idx: Int32Array): MIInput {
  if (isDiscrete(v)) return { labels: Int32Array.from(idx, (i) => v.labels[i]), n: idx.length };
  const out = new Float64Array(idx.length * v.d);
  for (let j = 0; j < idx.length; j++) out.set(v.data.subarray(idx[j] * v.d, (idx[j] + 1) * v.d), j * v.d);
  return { data: out, n: idx.length, d: v.d };
}

/** One term on rows `idx` (null: all), unclipped nats. */
async function estimateTerm(t: Term, idx: Int32Array | null, seed: number, o: PairedOptions): Promise<number> {
  const x = idx ? subset(t.x, idx) : t.x;
  const y = idx ? subset(t.y, idx) : t.y;
  if (o.estimator === 'gaussian' || o.estimator === 'ksg' || (isDiscrete(x) && isDiscrete(y))) {
    const r = await estimateMI(x, y, { estimator: o.estimator, k: o.k, seed, bootstrap: 0, ...o.mi });
    return Number(r.settings.unclipped ?? r.value);
  }
  // The discrete variable goes second, as estimateMI orders it.
  const [a, b] = isDiscrete(x) ? [y, x] : [x, y];
  if (o.estimator === 'mine') {
    const fa = networkFeatures(a);
    const fb = networkFeatures(b);
    return (await mineMI(fa.data, fa.d, fb.data, fb.d, a.n, { ...o.mi, seed, signal: o.signal })).value;
  }
  return (await latentMI(a, b, { ...o.mi, k: o.k, seed, signal: o.signal })).value;
}

/** Every quantity with its interval, from the terms estimated on shared resamples (see the module comment). */
export async function pairedEstimates(terms: Term[], quantities: Quantity[], o: PairedOptions): Promise<PairedResult> {
  check(terms.length > 0, 'no MI terms to estimate');
  const n = terms[0].x.n;
  for (const t of terms)
    check(t.x.n === n && t.y.n === n, `term ${t.key}: every representation must have the same rows (n = ${n}), got ${t.x.n} and ${t.y.n}`);
  const neural = o.estimator === 'mine' || o.estimator === 'latent';
  const resamples = o.bootstrap ?? PAIRED_RESAMPLES[o.estimator];
  const rng = makeRng(o.seed);
  const runs = neural ? Math.max(1, resamples) : 1 + 2 * resamples;
  const total = runs * terms.length;
  let done = 0;
  const evaluate = async (idx: Int32Array | null, seed: number): Promise<TermValues> => {
    const v: TermValues = {};
    for (const t of terms) {
      throwIfAborted(o.signal);
      v[t.key] = Math.max(0, await estimateTerm(t, idx, seed, o));
      o.onProgress?.({ task: `${o.estimator} MI terms`, done: ++done, total, detail: t.label ?? t.key });
    }
    return v;
  };
  const z = normalQuantile(0.5 + o.ci / 2);
  const estimates: Record<string, Estimate> = {};
  const clip = (q: Quantity, ci: [number, number]): [number, number] => (q.nonNegative ? [Math.max(0, ci[0]), Math.max(0, ci[1])] : ci);
  const finiteCi = (ci: [number, number]): [number, number] | null => (Number.isFinite(ci[0]) && Number.isFinite(ci[1]) ? ci : null);

  if (!neural) {
    const seed = o.seed;
    const full = await evaluate(null, seed);
    const halves: [TermValues, TermValues][] = [];
    if (resamples > 0) {
      const half = Math.floor(n / 2);
      const minRows = (o.k ?? 3) + 1;
      check(
        half >= minRows,
        `n = ${n} rows are too few for half-split intervals (each half needs ${minRows}); pass --bootstrap 0 for no resampling`,
        'invalid-option',
      );
      const perm = Int32Array.from({ length: n }, (_, i) => i);
      for (let r = 0; r < resamples; r++) {
        rng.shuffle(perm);
        const a = perm.slice(0, half).sort();
        const b = perm.slice(half, 2 * half).sort();
        halves.push([await evaluate(a, seed), await evaluate(b, seed)]);
      }
    }
    for (const q of quantities) {
      const value = q.f(full);
      let ci: [number, number] | null = null;
      let se: number | undefined;
      if (halves.length > 0) {
        let sumSq = 0;
        for (const [a, b] of halves) sumSq += (q.f(a) - q.f(b)) ** 2 / 4;
        se = Math.sqrt(sumSq / halves.length);
        ci = finiteCi(clip(q, [value - z * se, value + z * se]));
      }
      estimates[q.key] = se === undefined ? { value, ci } : { value, ci, se };
    }
    return { estimates, terms: full, interval: resamples > 0 ? 'half-split' : 'none', resamples };
  }

  const reruns: TermValues[] = [];
  for (let r = 0; r < runs; r++) reruns.push(await evaluate(null, rng.seed()));
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  for (const q of quantities) {
    const values = reruns.map(q.f);
    const value = mean(values);
    let ci: [number, number] | null = null;
    let se: number | undefined;
    if (runs >= 2) {
      se = Math.sqrt(values.reduce((s, x) => s + (x - value) ** 2, 0) / (runs - 1)) / Math.sqrt(runs);
      const half = studentQuantile(0.5 + o.ci / 2, runs - 1) * se;
      ci = finiteCi(clip(q, [value - half, value + half]));
    }
    estimates[q.key] = se === undefined ? { value, ci } : { value, ci, se, df: runs - 1 };
  }
  const terms0: TermValues = {};
  for (const t of terms) terms0[t.key] = mean(reruns.map((v) => v[t.key]));
  return {
    estimates,
    terms: terms0,
    interval: runs >= 2 ? 'repeated-split' : 'none',
    resamples: resamples === 0 ? 0 : runs,
  };
}
