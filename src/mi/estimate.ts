/**
 * estimateMI: one entry point for the four estimators, with input validation, units and a
 * confidence interval for every estimate.
 *
 * Intervals:
 * - gaussian, ksg / Ross, discrete plug-in, latent: repeated random half-splits. A with-replacement
 *   bootstrap puts exact duplicates in the sample: k-NN estimators read them as neighbours at
 *   distance 0, and duplicated rows shrink the effective sample size that the Gaussian bias
 *   correction assumes, so both estimates shift (the percentile interval then misses the
 *   estimate itself). Each split gives estimates on two disjoint halves; for a √n-consistent
 *   estimator Var(θ̂_{n/2}) ≈ 2 Var(θ̂_n), so E[(θ̂_A − θ̂_B)²/4] ≈ Var(θ̂_n), and the bias at n/2
 *   cancels in the difference. Interval: θ̂ ± z·√mean((θ̂_A − θ̂_B)²/4), clipped at 0.
 *   Latent MI ends in KSG on its codes, so it shares KSG's reasons; each run (all rows, every
 *   half) trains with its own seed, so the halves differ in rows and in training, and with the
 *   default R = 3 the multiplier is t_R rather than z (se² is a mean of R squared differences).
 *   Rerunning on the same rows instead (3 seeds, each holding out a different half of one sample)
 *   left out the sample's own variability: on a 3 + 3-d Gaussian (n = 2000) ±0.026 around an
 *   estimate 0.154 nats below the truth; the half-splits give ±0.181 (src/mi/README.md).
 * - mine: repeated splits: the whole procedure (split, initialisation, training) is rerun with
 *   new seeds; value = mean, interval = mean ± t_{R−1}·sd/√R.
 */
import { CmkdError, check, oneOf } from '../util/errors.js';
import { makeRng } from '../util/rng.js';
import { throwIfAborted, type ProgressEvent } from '../util/progress.js';
import { gaussianClassMI, gaussianMI, standardizeColumns, type GaussianResult } from './gaussian.js';
import { discreteMI, ksgRaw, rossRaw, scaleAndJitter } from './ksg.js';
import { latentMI, LATENT_DEFAULTS } from './latent.js';
import { MINE_DEFAULTS, mineMI } from './mine.js';
import { normalQuantile, studentQuantile } from './stats.js';
import {
  MI_ESTIMATORS,
  MI_UNITS,
  isDiscrete,
  type ContinuousInput,
  type DiscreteInput,
  type MIEstimate,
  type MIEstimatorName,
  type MIInput,
  type MIIntervalScheme,
  type MIOptions,
  type MIUnits,
} from './types.js';

/** Default number of resamples per estimator. */
export const DEFAULT_RESAMPLES: Record<MIEstimatorName, number> = {
  gaussian: 20,
  ksg: 20,
  mine: 3,
  latent: 3,
};

/** Validate one variable; `name` is the argument name used in messages ('x', 'y'). */
export function validateMIInput(name: string, v: MIInput): void {
  check(v !== null && typeof v === 'object', `${name} must be {data, n, d} (continuous) or {labels, n} (discrete)`);
  check(Number.isInteger(v.n) && v.n >= 1, `${name}.n must be a positive integer, got ${String(v.n)}`);
  if (isDiscrete(v)) {
    check(v.labels instanceof Int32Array, `${name}.labels must be an Int32Array of class indices`);
    check(v.labels.length === v.n, `${name}.labels has ${v.labels.length} entries but ${name}.n = ${v.n}`);
    return;
  }
  const c = v as ContinuousInput;
  check(
    c.data instanceof Float32Array || c.data instanceof Float64Array,
    `${name}.data must be a Float32Array or Float64Array (or give ${name}.labels for a discrete variable)`,
  );
  check(Number.isInteger(c.d) && c.d >= 1, `${name}.d must be a positive integer (values per sample), got ${String(c.d)}`);
  check(c.data.length === c.n * c.d, `${name}.data has ${c.data.length} values but ${name}.n × ${name}.d = ${c.n} × ${c.d} = ${c.n * c.d}`);
  for (let i = 0; i < c.data.length; i++) {
    if (!Number.isFinite(c.data[i])) {
      throw new CmkdError(`${name} has a non-finite value (${c.data[i]}) at sample ${Math.floor(i / c.d)}, column ${i % c.d}`);
    }
  }
}

function checkOptions(x: MIInput, y: MIInput, opts: MIOptions): void {
  check(opts !== null && typeof opts === 'object', 'options must be an object with at least {estimator}', 'invalid-option');
  oneOf('estimator', String(opts.estimator), MI_ESTIMATORS);
  if (opts.units !== undefined) oneOf('units', String(opts.units), MI_UNITS);
  if (opts.bound !== undefined) oneOf('bound', String(opts.bound), ['dv', 'infonce']);
  check(x.n === y.n, `x and y must have the same number of samples: x.n = ${x.n}, y.n = ${y.n}`);
  const intOpt = (key: keyof MIOptions, min: number) => {
    const v = opts[key];
    if (v !== undefined)
      check(Number.isInteger(v) && (v as number) >= min, `${key} must be an integer ≥ ${min}, got ${String(v)}`, 'invalid-option');
  };
  intOpt('k', 1);
  intOpt('bootstrap', 0);
  intOpt('hidden', 1);
  intOpt('epochs', 1);
  intOpt('batchSize', 2);
  intOpt('patience', 1);
  intOpt('latentDim', 1);
  if (opts.seed !== undefined) check(Number.isInteger(opts.seed), `seed must be an integer, got ${String(opts.seed)}`, 'invalid-option');
  if (opts.ci !== undefined) check(opts.ci > 0 && opts.ci < 1, `ci must be a confidence level in (0, 1), got ${opts.ci}`, 'invalid-option');
  if (opts.heldOut !== undefined)
    check(opts.heldOut > 0 && opts.heldOut < 1, `heldOut must be a fraction in (0, 1), got ${opts.heldOut}`, 'invalid-option');
  if (opts.learningRate !== undefined)
    check(opts.learningRate > 0, `learningRate must be positive, got ${opts.learningRate}`, 'invalid-option');
  if (typeof opts.shrinkage === 'number')
    check(
      opts.shrinkage >= 0 && opts.shrinkage <= 1,
      `shrinkage must be 'ledoit-wolf' or a number in [0, 1], got ${opts.shrinkage}`,
      'invalid-option',
    );
  else if (opts.shrinkage !== undefined) oneOf('shrinkage', String(opts.shrinkage), ['auto', 'ledoit-wolf']);
  if (opts.estimator === 'mine' || opts.estimator === 'latent')
    check(
      x.n >= 20,
      `the ${opts.estimator} estimator trains a network on part of the samples and needs n ≥ 20, got n = ${x.n}`,
      'invalid-option',
    );
  if (opts.k !== undefined || opts.estimator === 'ksg') {
    const k = opts.k ?? 3;
    check(k < x.n, `k = ${k} must be smaller than the number of samples n = ${x.n}`, 'invalid-option');
  }
}

/** Standardised columns (continuous) or one-hot codes (discrete), float32 for TF.js. */
export function networkFeatures(v: MIInput): { data: Float32Array; d: number } {
  if (isDiscrete(v)) {
    const classes = [...new Set(v.labels)].sort((a, b) => a - b);
    const col = new Map(classes.map((c, j) => [c, j]));
    const data = new Float32Array(v.n * classes.length);
    for (let i = 0; i < v.n; i++) data[i * classes.length + col.get(v.labels[i])!] = 1;
    return { data, d: classes.length };
  }
  const s = standardizeColumns(v.data, v.n, v.d);
  if (s.p === 0) return { data: new Float32Array(v.n), d: 1 };
  return { data: Float32Array.from(s.z), d: s.p };
}

/**
 * Estimate I(X;Y) with the chosen estimator; see the module comment for the intervals.
 * Continuous–continuous: gaussian, ksg (KSG 1), mine, latent. Continuous–discrete: gaussian
 * (class-conditional Gaussians), ksg (Ross 2014), mine (one-hot y), latent (autoencoder for the
 * continuous side, Ross on its latent). Discrete–discrete: the plug-in estimate for every estimator.
 */
export async function estimateMI(x: MIInput, y: MIInput, opts: MIOptions): Promise<MIEstimate> {
  validateMIInput('x', x);
  validateMIInput('y', y);
  checkOptions(x, y, opts);
  const estimator = opts.estimator;
  const units: MIUnits = opts.units ?? 'nats';
  const seed = opts.seed ?? 0;
  const level = opts.ci ?? 0.95;
  const resamples = opts.bootstrap ?? DEFAULT_RESAMPLES[estimator];
  const n = x.n;
  const rng = makeRng(seed);
  const settings: Record<string, number | string | boolean> = {
    estimator,
    seed,
    ci: level,
    units,
    resamples,
  };
  // Ross and the class-conditional Gaussian want the discrete variable second.
  const [a, b] = isDiscrete(x) && !isDiscrete(y) ? [y, x] : [x, y];
  const bothDiscrete = isDiscrete(a) && isDiscrete(b);

  let value: number;
  let ci: [number, number] | null = null;
  let scheme: MIIntervalScheme = 'none';
  const z = normalQuantile(0.5 + level / 2);

  // The batch the neural estimators used (the option capped at the training rows).
  let batchSize = 0;
  if (bothDiscrete || estimator !== 'mine') {
    // One estimate on the rows `idx` (all rows for null), unclipped, in nats; `part` names the run in progress events.
    let run: (idx: Int32Array | null, part: string) => number | Promise<number>;
    let minRows = 2;
    // Half-width = quantile × se; se² averages R squared half-differences, so R degrees of freedom.
    let quantile = z;
    if (bothDiscrete) {
      const la = (a as DiscreteInput).labels;
      const lb = (b as DiscreteInput).labels;
      settings.method = 'plug-in (discrete)';
      run = (idx) => (idx ? discreteMI(pick(la, idx), pick(lb, idx), idx.length) : discreteMI(la, lb, n));
    } else if (estimator === 'gaussian') {
      const shrinkage = opts.shrinkage ?? 'auto';
      const ca = a as ContinuousInput;
      settings.shrinkage = shrinkage;
      settings.method = isDiscrete(b) ? 'class-conditional Gaussian posterior' : 'closed form';
      const fit = (idx: Int32Array | null): GaussianResult & { model?: 'qda' | 'lda' } => {
        const xa = idx ? rowsOf(ca.data, ca.d, idx) : ca.data;
        const m = idx ? idx.length : n;
        if (isDiscrete(b)) return gaussianClassMI(xa, ca.d, idx ? pick(b.labels, idx) : b.labels, m, shrinkage);
        return gaussianMI(xa, ca.d, idx ? rowsOf(b.data, b.d, idx) : b.data, b.d, m, shrinkage);
      };
      const full = fit(null);
      if (full.model) settings.method = `class-conditional Gaussian posterior (${full.model.toUpperCase()})`;
      settings.lambda = full.lambda;
      settings.biasCorrected = full.biasCorrected;
      run = (idx) => (idx ? fit(idx).value : full.value);
    } else if (estimator === 'latent') {
      // Every run (all rows, and each half of each split) trains anew with its own seed, so the
      // half-split spread covers the training's variability as well as the sample's.
      minRows = 20;
      if (resamples > 0) quantile = studentQuantile(0.5 + level / 2, resamples);
      run = async (idx, part) => {
        const onProgress = opts.onProgress && ((e: ProgressEvent) => opts.onProgress!({ ...e, task: `${e.task} (${part})` }));
        const res = await latentMI(idx ? rowsOfInput(a, idx) : a, idx ? rowsOfInput(b, idx) : b, {
          ...opts,
          seed: rng.seed(),
          onProgress,
        });
        if (!idx) {
          batchSize = res.batchSize;
          Object.assign(settings, {
            method: `latent MI (autoencoders + ${isDiscrete(b) ? 'Ross' : 'KSG'})`,
            epochsRun: res.epochs,
            nHeldOut: res.nHeldOut,
            encoded: res.encoded.join(','),
          });
        }
        return res.value;
      };
    } else {
      const k = opts.k ?? 3;
      minRows = k + 1;
      settings.k = k;
      settings.method = isDiscrete(b) ? 'Ross 2014 (mixed)' : 'KSG algorithm 1';
      const ca = a as ContinuousInput;
      const pa = scaleAndJitter(ca.data, n, ca.d, rng.seed());
      const pb = isDiscrete(b) ? null : scaleAndJitter(b.data, n, b.d, rng.seed());
      run = (idx) => {
        const m = idx ? idx.length : n;
        const sa = idx ? rowsOf(pa, ca.d, idx) : pa;
        if (isDiscrete(b)) return rossRaw(sa, ca.d, idx ? pick(b.labels, idx) : b.labels, m, k);
        const db = (b as ContinuousInput).d;
        return ksgRaw(sa, ca.d, idx ? rowsOf(pb!, db, idx) : pb!, db, m, k);
      };
    }
    const half = Math.floor(n / 2);
    if (resamples > 0)
      check(
        half >= minRows,
        `n = ${n} is too small for the half-split interval${settings.k !== undefined ? ` with k = ${settings.k}` : ''} (each half needs ${minRows} samples); pass --bootstrap 0 for no interval`,
        'invalid-option',
      );
    const raw = await run(null, 'all rows');
    // Negative estimates mean no detectable dependence: clipped at 0, as sklearn.
    value = Math.max(0, raw);
    settings.unclipped = raw;
    if (resamples > 0) {
      scheme = 'half-split';
      const perm = Int32Array.from({ length: n }, (_, i) => i);
      let sumSq = 0;
      for (let r = 0; r < resamples; r++) {
        throwIfAborted(opts.signal);
        rng.shuffle(perm);
        const split = `split ${r + 1}/${resamples}`;
        const diff = (await run(perm.slice(0, half), `${split}, half A`)) - (await run(perm.slice(half, 2 * half), `${split}, half B`));
        sumSq += (diff * diff) / 4;
        opts.onProgress?.({ task: `${estimator} half-splits`, done: r + 1, total: resamples });
      }
      const se = Math.sqrt(sumSq / resamples);
      settings.standardError = se;
      ci = [Math.max(0, raw - quantile * se), Math.max(0, raw + quantile * se)];
    }
  } else {
    const repeats = Math.max(1, resamples);
    const values: number[] = [];
    for (let r = 0; r < repeats; r++) {
      throwIfAborted(opts.signal);
      const runSeed = rng.seed();
      const onProgress = opts.onProgress && ((e: ProgressEvent) => opts.onProgress!({ ...e, task: `${e.task} (run ${r + 1}/${repeats})` }));
      const fa = networkFeatures(a);
      const fb = networkFeatures(b);
      const res = await mineMI(fa.data, fa.d, fb.data, fb.d, n, { ...opts, seed: runSeed, onProgress });
      values.push(res.value);
      batchSize = res.batchSize;
      const bound = opts.bound ?? MINE_DEFAULTS.bound;
      Object.assign(settings, {
        method: bound === 'infonce' ? 'MINE (infonce, separable critic)' : `MINE (${bound})`,
        epochsRun: res.epochs,
        nHeldOut: res.nHeldOut,
      });
    }
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    // A bound or estimate below 0 means no detectable dependence, as sklearn clips.
    value = Math.max(0, mean);
    settings.repeats = repeats;
    settings.runs = values.map((v) => v.toFixed(6)).join(',');
    if (resamples >= 2) {
      scheme = 'repeated-split';
      const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (repeats - 1));
      const half = (studentQuantile(0.5 + level / 2, repeats - 1) * sd) / Math.sqrt(repeats);
      ci = [Math.max(0, mean - half), Math.max(0, mean + half)];
    }
  }
  if (!bothDiscrete && (estimator === 'mine' || estimator === 'latent')) {
    const defaults: Record<string, number | string> = estimator === 'mine' ? { ...MINE_DEFAULTS } : { ...LATENT_DEFAULTS };
    for (const key of Object.keys(defaults)) {
      const given = (opts as unknown as Record<string, number | string | undefined>)[key];
      settings[key] = given ?? defaults[key];
    }
    // The batch actually used: the option capped at the training rows (InfoNCE is at most its log).
    settings.batchSize = batchSize;
  }
  settings.interval = scheme;
  const scale = units === 'bits' ? 1 / Math.LN2 : 1;
  return {
    value: value * scale,
    ci: ci ? [ci[0] * scale, ci[1] * scale] : null,
    n,
    estimator,
    units,
    settings,
  };
}

/** The rows `idx` of a variable. */
function rowsOfInput(v: MIInput, idx: Int32Array): MIInput {
  if (isDiscrete(v)) return { labels: pick(v.labels, idx), n: idx.length };
  return { data: rowsOf(v.data, v.d, idx), n: idx.length, d: v.d };
}

function pick(labels: Int32Array, idx: Int32Array): Int32Array {
  return Int32Array.from(idx, (i) => labels[i]);
}

function rowsOf(data: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> }, d: number, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length * d);
  for (let j = 0; j < idx.length; j++) out.set(data.subarray(idx[j] * d, (idx[j] + 1) * d), j * d);
  return out;
}
