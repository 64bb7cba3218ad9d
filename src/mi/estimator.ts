/**
 * What an MI estimator is to estimateMI: one definition per estimator file (its name, the pairs
 * of variables it takes, its defaults, and its estimate function), collected in
 * src/mi/registry.ts. The estimator list, `--estimator` choices and default resample counts are
 * derived from the registry, so adding an estimator is one file plus one registry line.
 *
 * Also here: the repeated half-split interval that every estimator but MINE uses. A
 * with-replacement bootstrap puts exact duplicates in the sample: k-NN estimators read them as
 * neighbours at distance 0, and duplicated rows shrink the effective sample size that the
 * Gaussian bias correction assumes, so both estimates shift (the percentile interval then misses
 * the estimate itself). Each split gives estimates on two disjoint halves; for a √n-consistent
 * estimator Var(θ̂_{n/2}) ≈ 2 Var(θ̂_n), so E[(θ̂_A − θ̂_B)²/4] ≈ Var(θ̂_n), and the bias at n/2
 * cancels in the difference. Interval: θ̂ ± t_R·se, se² = mean_r((θ̂_A − θ̂_B)²/4). Student t with R
 * degrees of freedom, not z, because se² is a mean of only R squared differences, and R rather
 * than R − 1 because no mean is subtracted (E[θ̂_A − θ̂_B] = 0: the halves are exchangeable).
 * Measured coverage of nominal 95 % intervals of the exact MI, gaussian estimator, samples
 * s = 0..2999 of correlatedGaussians(400, [0.5, 0.3], 1000 + s) (src/mi/testdata.ts) with seed s:
 * R = 2: z 0.804, t_R 0.947, t_{R−1} 0.992; R = 5: 0.881, 0.941, 0.953; R = 10: 0.915, 0.945,
 * 0.948; at n = 100, R = 20 (2000 samples): z 0.924, t_R 0.939.
 */
import { check } from '../util/errors.js';
import { throwIfAborted } from '../util/progress.js';
import type { Rng } from '../util/rng.js';
import { studentQuantile } from './stats.js';
import { isDiscrete, type MIEstimatorName, type MIInput, type MIIntervalScheme, type MIOptions } from './types.js';

/** The kinds of variable pair: continuous–continuous, continuous–discrete (either order), discrete–discrete. */
export type MIPairKind = 'continuous' | 'mixed' | 'discrete';

export function pairKind(x: MIInput, y: MIInput): MIPairKind {
  const dx = isDiscrete(x);
  const dy = isDiscrete(y);
  return dx && dy ? 'discrete' : dx || dy ? 'mixed' : 'continuous';
}

export type MISettings = Record<string, number | string | boolean>;

/** What estimateMI hands an estimator besides the data. */
export interface EstimatorContext {
  opts: MIOptions;
  n: number;
  /** The estimate's one random stream (seeded by opts.seed): estimators draw seeds and splits from it in a fixed order. */
  rng: Rng;
  /** Resamples for the interval (0: none). */
  resamples: number;
  /** Confidence level of the interval. */
  level: number;
  /** Every setting that produced the value; estimators add theirs in the order they are reported. */
  settings: MISettings;
}

/** An estimate in nats before units: the reported (clipped) value, its interval, and how the interval was obtained. */
export interface EstimatorResult {
  value: number;
  ci: [number, number] | null;
  scheme: MIIntervalScheme;
}

export interface MIEstimatorDefinition {
  /** The one name: `estimator` option, `--estimator` flag, `settings.estimator`. 'plug-in' is not selectable (below). */
  readonly name: MIEstimatorName | 'plug-in';
  /**
   * False for the discrete plug-in estimate: no one selects it, every estimator hands it the
   * discrete–discrete pairs it does not take.
   */
  readonly selectable: boolean;
  /** Variable pairs it estimates; mixed pairs arrive with the continuous variable first. */
  readonly takes: readonly MIPairKind[];
  /** Option defaults (`k`, network sizes, ...); neural estimators record them in settings. */
  readonly defaults: Readonly<Record<string, number | string>>;
  /** Default resamples of its interval when `bootstrap` is not given (absent: those of the estimator the user named). */
  readonly resamples?: number;
  /** Samples needed for one estimate (networks train on part of them); checked before anything runs. */
  readonly minSamples?: number;
  /** The estimate of I(a;b) in nats (a continuous when the pair is mixed), with its interval. */
  estimate(a: MIInput, b: MIInput, ctx: EstimatorContext): Promise<EstimatorResult>;
}

/** An estimator with a half-split interval: one estimate on the rows `idx` (all rows for null), unclipped, in nats. */
export interface HalfSplitPlan {
  run: (idx: Int32Array | null, part: string) => number | Promise<number>;
  /** Rows each half needs. */
  minRows: number;
}

/**
 * The estimate on all rows, clipped at 0, with the interval θ̂ ± t_R·se,
 * se = √mean_r((θ̂_A − θ̂_B)²/4) over R random half-splits (module comment), clipped at 0.
 */
export async function halfSplitEstimate(plan: HalfSplitPlan, ctx: EstimatorContext): Promise<EstimatorResult> {
  const { n, resamples, settings, rng, opts } = ctx;
  const half = Math.floor(n / 2);
  if (resamples > 0)
    check(
      half >= plan.minRows,
      `n = ${n} is too small for the half-split interval${settings.k !== undefined ? ` with k = ${settings.k}` : ''} (each half needs ${plan.minRows} samples); pass --bootstrap 0 for no interval`,
      'invalid-option',
    );
  const raw = await plan.run(null, 'all rows');
  // Negative estimates mean no detectable dependence: clipped at 0, as sklearn.
  const value = Math.max(0, raw);
  settings.unclipped = raw;
  if (resamples === 0) return { value, ci: null, scheme: 'none' };
  const quantile = studentQuantile(0.5 + ctx.level / 2, resamples);
  const perm = Int32Array.from({ length: n }, (_, i) => i);
  let sumSq = 0;
  for (let r = 0; r < resamples; r++) {
    throwIfAborted(opts.signal);
    rng.shuffle(perm);
    const split = `split ${r + 1}/${resamples}`;
    const diff =
      (await plan.run(perm.slice(0, half), `${split}, half A`)) - (await plan.run(perm.slice(half, 2 * half), `${split}, half B`));
    sumSq += (diff * diff) / 4;
    opts.onProgress?.({ task: `${opts.estimator} half-splits`, done: r + 1, total: resamples });
  }
  const se = Math.sqrt(sumSq / resamples);
  settings.standardError = se;
  return { value, ci: [Math.max(0, raw - quantile * se), Math.max(0, raw + quantile * se)], scheme: 'half-split' };
}

/** Records each default of a neural estimator in settings (the given option where there is one). */
export function recordDefaults(settings: MISettings, defaults: Readonly<Record<string, number | string>>, opts: MIOptions): void {
  for (const key of Object.keys(defaults)) {
    const given = (opts as unknown as Record<string, number | string | undefined>)[key];
    settings[key] = given ?? defaults[key];
  }
}

/** The rows `idx` of a variable. */
export function rowsOfInput(v: MIInput, idx: Int32Array): MIInput {
  if (isDiscrete(v)) return { labels: pick(v.labels, idx), n: idx.length };
  return { data: rowsOf(v.data, v.d, idx), n: idx.length, d: v.d };
}

export function pick(labels: Int32Array, idx: Int32Array): Int32Array {
  return Int32Array.from(idx, (i) => labels[i]);
}

export function rowsOf(
  data: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> },
  d: number,
  idx: Int32Array,
): Float64Array {
  const out = new Float64Array(idx.length * d);
  for (let j = 0; j < idx.length; j++) out.set(data.subarray(idx[j] * d, (idx[j] + 1) * d), j * d);
  return out;
}
