/**
 * estimateMI: one entry point for the estimators of src/mi/registry.ts, with input validation,
 * units and a confidence interval for every estimate. It validates, picks the estimator a pair
 * gets (the one named; discrete–discrete pairs: the plug-in), and converts units; each estimator
 * file holds its own estimate and interval.
 *
 * Intervals:
 * - gaussian, ksg / Ross, discrete plug-in, latent: repeated random half-splits
 *   (src/mi/estimator.ts has the reasons): θ̂ ± t_R·√mean((θ̂_A − θ̂_B)²/4), clipped at 0, t with
 *   R degrees of freedom because se² is a mean of R squared differences.
 *   Latent MI ends in KSG on its codes, so it shares KSG's reasons; each run (all rows, every
 *   half) trains with its own seed, so the halves differ in rows and in training.
 *   Rerunning on the same rows instead (3 seeds, each holding out a different half of one sample)
 *   left out the sample's own variability: on a 3 + 3-d Gaussian (n = 2000) ±0.026 around an
 *   estimate 0.154 nats below the truth; the half-splits give ±0.181 (src/mi/README.md).
 * - mine: repeated splits: the whole procedure (split, initialisation, training) is rerun with
 *   new seeds; value = mean, interval = mean ± t_{R−1}·sd/√R.
 */
import { CmkdError, check, oneOf } from '../util/errors.js';
import { makeRng } from '../util/rng.js';
import { pairKind, type EstimatorContext, type MIEstimatorDefinition, type MISettings } from './estimator.js';
import { DEFAULT_RESAMPLES, estimatorDefinition, estimatorFor } from './registry.js';
import { MI_UNITS, isDiscrete, type ContinuousInput, type MIEstimate, type MIInput, type MIOptions, type MIUnits } from './types.js';

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

/** Checks the options against the estimator named and returns its definition. */
function checkOptions(x: MIInput, y: MIInput, opts: MIOptions): MIEstimatorDefinition {
  check(opts !== null && typeof opts === 'object', 'options must be an object with at least {estimator}', 'invalid-option');
  const def = estimatorDefinition(String(opts.estimator));
  if (opts.units !== undefined) oneOf('units', String(opts.units), MI_UNITS);
  if (opts.bound !== undefined) oneOf('bound', String(opts.bound), ['dv', 'infonce']);
  if (opts.millerMadow !== undefined)
    check(typeof opts.millerMadow === 'boolean', `millerMadow must be true or false, got ${String(opts.millerMadow)}`, 'invalid-option');
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
  if (def.minSamples !== undefined)
    check(
      x.n >= def.minSamples,
      `the ${def.name} estimator trains a network on part of the samples and needs n ≥ ${def.minSamples}, got n = ${x.n}`,
      'invalid-option',
    );
  const k = opts.k ?? (def.defaults.k as number | undefined);
  if (k !== undefined) check(k < x.n, `k = ${k} must be smaller than the number of samples n = ${x.n}`, 'invalid-option');
  return def;
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
  const named = checkOptions(x, y, opts);
  const estimator = opts.estimator;
  const units: MIUnits = opts.units ?? 'nats';
  const seed = opts.seed ?? 0;
  const level = opts.ci ?? 0.95;
  const resamples = opts.bootstrap ?? DEFAULT_RESAMPLES[estimator];
  const settings: MISettings = { estimator, seed, ci: level, units, resamples };
  // Ross and the class-conditional Gaussian want the discrete variable second.
  const [a, b] = isDiscrete(x) && !isDiscrete(y) ? [y, x] : [x, y];
  const ctx: EstimatorContext = { opts, n: x.n, rng: makeRng(seed), resamples, level, settings };
  const { value, ci, scheme } = await estimatorFor(named, pairKind(a, b)).estimate(a, b, ctx);
  settings.interval = scheme;
  const scale = units === 'bits' ? 1 / Math.LN2 : 1;
  return {
    value: value * scale,
    ci: ci ? [ci[0] * scale, ci[1] * scale] : null,
    n: x.n,
    estimator,
    units,
    settings,
  };
}
