import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CmkdError } from '../../util/errors.js';
import { makeRng } from '../../util/rng.js';
import { featureSize, getModality, subsetRows } from '../access.js';
import type { Modality, MultimodalDataset } from '../types.js';
import { defaultCacheDir } from './cache.js';
import { DIGITS_MODALITIES, blurModality, loadDigits, parseDigitsSpec, stratifiedSubsample } from './index.js';
import { readRawDigits } from './source.js';
import { synthTexture, textureSeed, texturedDigits } from './texture.js';
import { blockFeatures, blurImages, fourierColumns, fourierFeatures, gaussianKernel, profileFeatures } from './views.js';

const POOL_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978];

let ds: MultimodalDataset;
let cacheRoot: string;

beforeAll(async () => {
  cacheRoot = await mkdtemp(path.join(tmpdir(), 'cmkd-digits-'));
  ds = await loadDigits({ n: 2000, seed: 3, cache: false });
});
afterAll(async () => {
  await rm(cacheRoot, { recursive: true, force: true });
});

/** Bitwise equality of two typed arrays (vitest's deep equality is far too slow for millions of values). */
function sameArray(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return (
    a.constructor === b.constructor &&
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))
  );
}

/** Same dataset: metadata deeply equal, arrays bitwise equal. */
function expectSameDataset(a: MultimodalDataset, b: MultimodalDataset): void {
  const meta = (d: MultimodalDataset) => ({ ...d, labels: null, modalities: d.modalities.map((m) => ({ ...m, data: null })) });
  expect(meta(a)).toEqual(meta(b));
  expect(sameArray(a.labels, b.labels)).toBe(true);
  a.modalities.forEach((m, j) => expect(sameArray(m.data, b.modalities[j].data), m.name).toBe(true));
}

function range(a: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of a) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return [lo, hi];
}

/** Nearest-class-mean accuracy, trained on the first nTrain rows, tested on the rest. */
function nearestCentroidAccuracy(m: Pick<Modality, 'data' | 'shape'>, labels: ArrayLike<number>, nTrain: number): number {
  const d = featureSize(m);
  const n = labels.length;
  const centroid = new Float64Array(10 * d);
  const count = new Float64Array(10);
  for (let i = 0; i < nTrain; i++) {
    count[labels[i]]++;
    for (let j = 0; j < d; j++) centroid[labels[i] * d + j] += m.data[i * d + j];
  }
  for (let c = 0; c < 10; c++) for (let j = 0; j < d; j++) centroid[c * d + j] /= count[c];
  let correct = 0;
  for (let i = nTrain; i < n; i++) {
    let best = -1;
    let bestDist = Infinity;
    for (let c = 0; c < 10; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (m.data[i * d + j] - centroid[c * d + j]) ** 2;
      if (s < bestDist) [best, bestDist] = [c, s];
    }
    if (best === labels[i]) correct++;
  }
  return correct / (n - nTrain);
}

const COS28 = Array.from({ length: 28 }, (_, k) => Math.cos((2 * Math.PI * k) / 28));
const SIN28 = Array.from({ length: 28 }, (_, k) => Math.sin((2 * Math.PI * k) / 28));

/** Energy Σ|F(u,v)|² of one 28×28 image at frequencies with max(|u|,|v|) ≥ 7 (naive DFT). */
function highFrequencyEnergy(img: Float32Array): number {
  let e = 0;
  for (let u = 0; u < 28; u++) {
    for (let v = 0; v < 28; v++) {
      const fu = Math.min(u, 28 - u);
      const fv = Math.min(v, 28 - v);
      if (Math.max(fu, fv) < 7) continue;
      let re = 0;
      let im = 0;
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const k = (u * y + v * x) % 28;
          re += img[y * 28 + x] * COS28[k];
          im -= img[y * 28 + x] * SIN28[k];
        }
      }
      e += re * re + im * im;
    }
  }
  return e;
}

describe('raw digits from the mnist package', () => {
  it('holds the first 10,000 MNIST training images, values k/255', async () => {
    const raw = await readRawDigits();
    expect(raw.classCounts).toEqual(POOL_COUNTS);
    expect(raw.labels.length).toBe(10_000);
    expect(raw.images.length).toBe(10_000 * 784);
    for (let i = 0; i < 784 * 50; i++) expect(Math.abs(raw.images[i] * 255 - Math.round(raw.images[i] * 255))).toBeLessThan(1e-4);
  });
});

describe('loadDigits', () => {
  it('builds every view with the documented shapes, columns and value ranges', () => {
    expect(ds.name).toBe('digits');
    expect(ds.n).toBe(2000);
    expect(ds.task).toEqual({ kind: 'classification', classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
    expect(ds.labels).toBeInstanceOf(Int32Array);
    expect(ds.modalities.map((m) => m.name)).toEqual([...DIGITS_MODALITIES]);
    const shapes = Object.fromEntries(ds.modalities.map((m) => [m.name, m.shape]));
    expect(shapes).toEqual({ pixels: [28, 28, 1], textured: [28, 28, 3], blocks: [49], profiles: [56], fourier: [61] });
    for (const m of ds.modalities) {
      expect(m.data.length).toBe(ds.n * featureSize(m));
      const [lo, hi] = range(m.data);
      expect(lo).toBeGreaterThanOrEqual(0);
      expect(hi).toBeLessThanOrEqual(1);
      if (m.kind === 'table') expect(m.columns).toHaveLength(m.shape[0]);
    }
    expect(getModality(ds, 'blocks').columns?.slice(0, 2)).toEqual(['block_r0_c0', 'block_r0_c1']);
    expect(getModality(ds, 'profiles').columns?.[28]).toBe('col_0');
    expect(fourierColumns()[0]).toBe('dft_u0_v0');
    expect(range(getModality(ds, 'pixels').data)).toEqual([0, 1]);
  });

  it('subsamples each class in proportion to the pool (largest remainder), without repeats', async () => {
    const raw = await readRawDigits();
    const idx = stratifiedSubsample(raw.labels, raw.classCounts, 1000, 7);
    expect(new Set(idx).size).toBe(1000);
    const counts = new Array(10).fill(0);
    for (const i of idx) counts[raw.labels[i]]++;
    // 1000·count/10000 = 100.1, 112.7, 99.1, 103.2, 98.0, 86.3, 101.4, 107.0, 94.4, 97.8 → remainders go to 9, 1, 6.
    expect(counts).toEqual([100, 113, 99, 103, 98, 86, 102, 107, 94, 98]);
    const dsCounts = new Array(10).fill(0);
    for (const y of ds.labels) dsCounts[y]++;
    dsCounts.forEach((c, k) => expect(Math.abs(c - POOL_COUNTS[k] / 5)).toBeLessThanOrEqual(1));
    // Seeded order: not grouped by class.
    expect(new Set(Array.from(ds.labels.slice(0, 30))).size).toBeGreaterThan(5);
  });

  it('past a skip, takes rows disjoint from every subsample of at most skip rows of the same seed', async () => {
    const raw = await readRawDigits();
    const first = new Set(stratifiedSubsample(raw.labels, raw.classCounts, 2000, 0));
    // Nested in n: the 1,000-row subsample lies inside the 2,000-row one.
    expect(Array.from(stratifiedSubsample(raw.labels, raw.classCounts, 1000, 0)).every((i) => first.has(i))).toBe(true);
    for (const n of [2000, 1000, 150]) {
      const later = stratifiedSubsample(raw.labels, raw.classCounts, n, 0, 2000);
      expect(new Set(later).size).toBe(n);
      expect(Array.from(later).filter((i) => first.has(i))).toEqual([]);
    }
    const twice = new Set(stratifiedSubsample(raw.labels, raw.classCounts, 2000, 0, 2000));
    expect(Array.from(stratifiedSubsample(raw.labels, raw.classCounts, 2000, 0, 4000)).filter((i) => twice.has(i))).toEqual([]);
    const spec = await loadDigits({ ...parseDigitsSpec('digits?n=100&skip=2000&modalities=blocks'), cache: false });
    expectSameDataset(spec, await loadDigits({ n: 100, skip: 2000, modalities: ['blocks'], cache: false }));
    expect(spec.description).toMatch(/after the first 2000 of the seed's order/);
    await expect(loadDigits({ n: 2000, skip: 8001, cache: false })).rejects.toThrow(/skip must be an integer from 0 to 8000/);
    // Largest-remainder quotas can shrink in a class as n grows: a 1-row sample past 555 would take 2 rows.
    expect(() => stratifiedSubsample(raw.labels, raw.classCounts, 1, 0, 555)).toThrow(/class 8 a negative share/);
  });

  it('is a pure function of its seed', async () => {
    const again = await loadDigits({ n: 300, seed: 5, cache: false });
    const same = await loadDigits({ n: 300, seed: 5, cache: false });
    const other = await loadDigits({ n: 300, seed: 6, cache: false });
    expectSameDataset(same, again);
    expect(sameArray(other.labels, again.labels)).toBe(false);
  });

  it('gives a digit the same texture whatever subsample it lands in', async () => {
    const small = await loadDigits({ n: 200, seed: 9, modalities: ['pixels', 'textured'], cache: false });
    const large = await loadDigits({ n: 2000, seed: 9, modalities: ['pixels', 'textured'], cache: false });
    const [sp, st] = small.modalities;
    const [lp, lt] = large.modalities;
    for (const i of [0, 1, 2]) {
      const img = sp.data.subarray(i * 784, (i + 1) * 784);
      let match = -1;
      for (let k = 0; k < large.n && match < 0; k++) if (lp.data.subarray(k * 784, (k + 1) * 784).every((v, p) => v === img[p])) match = k;
      expect(match).toBeGreaterThanOrEqual(0);
      expect(sameArray(lt.data.subarray(match * 2352, (match + 1) * 2352), st.data.subarray(i * 2352, (i + 1) * 2352))).toBe(true);
    }
  });

  it('adds blurred copies of image views from options and specs', async () => {
    const b = await loadDigits({ n: 100, modalities: ['blocks'], blur: { pixels: [2, 1.5] }, cache: false });
    expect(b.modalities.map((m) => m.name)).toEqual(['blocks', 'pixels_blur2', 'pixels_blur1p5']);
    const fromSpec = await loadDigits({ ...parseDigitsSpec('digits?n=100&modalities=blocks&blur.pixels=2,1.5'), cache: false });
    expectSameDataset(fromSpec, b);
  });

  it('rejects bad options with CmkdError', async () => {
    await expect(loadDigits({ n: 0, cache: false })).rejects.toThrow(CmkdError);
    await expect(loadDigits({ n: 10_001, cache: false })).rejects.toThrow(/n must be an integer in \[1, 10000\]/);
    await expect(loadDigits({ n: 1.5, cache: false })).rejects.toThrow(CmkdError);
    await expect(loadDigits({ seed: -1, cache: false })).rejects.toThrow(/seed/);
    // @ts-expect-error: not a digits modality
    await expect(loadDigits({ modalities: ['audio'], cache: false })).rejects.toThrow(/unknown digits modality 'audio'/);
    // @ts-expect-error: only image views can be blurred
    await expect(loadDigits({ blur: { blocks: 1 }, cache: false })).rejects.toThrow(/expected one of: pixels, textured/);
    await expect(loadDigits({ blur: { pixels: -1 }, cache: false })).rejects.toThrow(/blur.pixels/);
  });
});

describe('views carry label information of different strength', () => {
  it('separates classes well above chance (nearest class mean, 1500 train / 500 test)', () => {
    const acc = Object.fromEntries(ds.modalities.map((m) => [m.name, nearestCentroidAccuracy(m, ds.labels, 1500)]));
    // Measured (n = 5000, 4000/1000): pixels 0.81, blocks 0.78, profiles 0.63, fourier 0.61, textured 0.22.
    expect(acc.pixels).toBeGreaterThan(0.7);
    expect(acc.blocks).toBeGreaterThan(0.65);
    expect(acc.profiles).toBeGreaterThan(0.45);
    expect(acc.fourier).toBeGreaterThan(0.45);
    // The textured view is much harder for a linear rule…
    expect(acc.pixels - acc.textured).toBeGreaterThan(0.3);
    expect(acc.textured).toBeGreaterThan(0.12);
  });

  it('keeps the digit recoverable from the textured view by local contrast (what a conv layer sees)', () => {
    const t = getModality(ds, 'textured');
    const smooth = blurImages(t.data, ds.n, 28, 28, 3, 1);
    const contrast = new Float32Array(ds.n * 784);
    for (let p = 0; p < contrast.length; p++) {
      for (let ch = 0; ch < 3; ch++) contrast[p] += Math.abs(t.data[p * 3 + ch] - smooth[p * 3 + ch]);
    }
    const features = blurImages(contrast, ds.n, 28, 28, 1, 1);
    // Measured 0.70 at n = 5000.
    expect(nearestCentroidAccuracy({ data: features, shape: [784] }, ds.labels, 1500)).toBeGreaterThan(0.55);
  });
});

describe('feature views (hand-computed)', () => {
  it('computes block means, row/column profiles and DFT magnitudes', () => {
    const img = new Float32Array(784);
    img[0] = 1; // (y 0, x 0)
    img[5 * 28 + 9] = 0.5; // (y 5, x 9): block (1, 2)
    const blocks = blockFeatures(img, 1);
    expect(blocks[0]).toBeCloseTo(1 / 16, 7);
    expect(blocks[1 * 7 + 2]).toBeCloseTo(0.5 / 16, 7);
    expect(blocks.reduce((a, b) => a + b, 0)).toBeCloseTo(1.5 / 16, 7);
    const prof = profileFeatures(img, 1);
    expect(prof[0]).toBeCloseTo(1 / 28, 7); // row 0
    expect(prof[5]).toBeCloseTo(0.5 / 28, 7); // row 5
    expect(prof[28 + 9]).toBeCloseTo(0.5 / 28, 7); // column 9
    const f = fourierFeatures(img, 1);
    const cols = fourierColumns();
    // F(u,v) = 1 + 0.5·e^{−2πi(5u + 9v)/28}; |F(0,0)| = 1.5, |F(0,1)|² = 1.25 + cos(2π·9/28)
    expect(f[cols.indexOf('dft_u0_v0')]).toBeCloseTo(1.5 / 784, 7);
    expect(f[cols.indexOf('dft_u0_v1')]).toBeCloseTo(Math.sqrt(1.25 + Math.cos((2 * Math.PI * 9) / 28)) / 784, 7);
    expect(f[cols.indexOf('dft_u2_v-3')]).toBeCloseTo(Math.sqrt(1.25 + Math.cos((2 * Math.PI * (10 - 27)) / 28)) / 784, 7);
  });

  it('blends the digit MNIST-M style: out = |bg − digit|', () => {
    const bg = new Float32Array(2352);
    synthTexture(makeRng(textureSeed(4, 17)), bg, 0);
    const zeros = texturedDigits(new Float32Array(784), [17], 4);
    const ones = texturedDigits(new Float32Array(784).fill(1), [17], 4);
    expect(sameArray(zeros, bg)).toBe(true);
    for (let j = 0; j < 2352; j += 97) expect(ones[j]).toBeCloseTo(1 - bg[j], 6);
  });
});

describe('blur', () => {
  const few = (name: string): Modality => getModality(subsetRows(ds, [0, 1, 2, 3, 4, 5, 6, 7]), name);
  const pixels = (): Modality => getModality(ds, 'pixels');

  it('is the identity at σ = 0 and does not modify its input', () => {
    const before = pixels().data.slice();
    const b0 = blurModality(pixels(), 0);
    expect(b0.name).toBe('pixels_blur0');
    expect(sameArray(b0.data, before)).toBe(true);
    expect(b0.data === pixels().data).toBe(false);
    blurModality(pixels(), 2);
    expect(sameArray(pixels().data, before)).toBe(true);
  });

  it('spreads a point into the normalised Gaussian kernel and keeps its mass at a corner (reflect padding)', () => {
    const k = gaussianKernel(1);
    expect(k).toHaveLength(7);
    const z = [0, 1, 2, 3].map((t) => Math.exp(-(t * t) / 2));
    expect(k[3]).toBeCloseTo(1 / (z[0] + 2 * (z[1] + z[2] + z[3])), 12);
    const centre = new Float32Array(784);
    centre[14 * 28 + 14] = 1;
    const bc = blurImages(centre, 1, 28, 28, 1, 1);
    expect(bc[14 * 28 + 14]).toBeCloseTo(k[3] * k[3], 6);
    expect(bc[14 * 28 + 16]).toBeCloseTo(k[3] * k[5], 6);
    const corner = new Float32Array(784);
    corner[0] = 1;
    const bk = blurImages(corner, 1, 28, 28, 1, 2);
    expect(bk.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    // Reflection about the pixel edge: the corner pixel gets its own weight plus its mirror's.
    const k2 = gaussianKernel(2);
    const r = (k2.length - 1) / 2;
    expect(bk[0]).toBeCloseTo((k2[r] + k2[r + 1]) ** 2, 6);
  });

  it('preserves each image’s mass and removes high-frequency energy', () => {
    const p = few('pixels');
    const b = blurModality(p, 2);
    const t = blurModality(few('textured'), 1.5);
    expect(t.name).toBe('textured_blur1p5');
    expect(t.shape).toEqual([28, 28, 3]);
    for (const i of [0, 1, 2, 3]) {
      const img = p.data.subarray(i * 784, (i + 1) * 784);
      const out = b.data.subarray(i * 784, (i + 1) * 784);
      expect(out.reduce((a, v) => a + v, 0)).toBeCloseTo(
        img.reduce((a, v) => a + v, 0),
        2,
      );
      expect(highFrequencyEnergy(out)).toBeLessThan(0.05 * highFrequencyEnergy(img));
    }
  });

  it('rejects tables and bad σ', () => {
    expect(() => blurModality(getModality(ds, 'blocks'), 1)).toThrow(/expected an image/);
    expect(() => blurModality(pixels(), NaN)).toThrow(CmkdError);
    expect(() => blurModality(pixels(), -1)).toThrow(/σ/);
  });
});

describe('cache', () => {
  it('round-trips exactly and is reused', async () => {
    const dir = path.join(cacheRoot, 'rt');
    const opts = { n: 500, seed: 2, blur: { pixels: 1 }, cache: dir } as const;
    const built = await loadDigits(opts);
    const files = (await readdir(dir)).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/^digits-v\d+-n500-s2-[0-9a-f]{16}\.f32$/);
    expect(files[1]).toMatch(/\.json$/);
    const loaded = await loadDigits(opts);
    expectSameDataset(loaded, built);
    expect(loaded.labels).toBeInstanceOf(Int32Array);
    // Reused: a marker in the header's description shows up only if the cache is read.
    const header = path.join(dir, files[1]);
    const h = JSON.parse(await readFile(header, 'utf8'));
    h.description = 'from cache';
    await writeFile(header, JSON.stringify(h));
    expect((await loadDigits(opts)).description).toBe('from cache');
  });

  it('rebuilds a corrupt or truncated cache instead of trusting it', async () => {
    const dir = path.join(cacheRoot, 'corrupt');
    const opts = { n: 200, seed: 1, modalities: ['pixels', 'blocks'], cache: dir } as const;
    const built = await loadDigits(opts);
    const payload = path.join(
      dir,
      (await readdir(dir)).find((f) => f.endsWith('.f32'))!,
    );
    const bytes = await readFile(payload);
    bytes[bytes.length - 5] ^= 0x40; // one flipped bit in the last modality
    await writeFile(payload, bytes);
    expectSameDataset(await loadDigits(opts), built);
    expect((await readFile(payload)).equals(bytes)).toBe(false); // rewritten
    await writeFile(payload, bytes.subarray(0, 1000));
    expectSameDataset(await loadDigits(opts), built);
    const header = payload.replace(/\.f32$/, '.json');
    await writeFile(header, '{"format": "cmkd-digits-cache", "key"');
    expectSameDataset(await loadDigits(opts), built);
  });

  it('lives in $CMKD_CACHE_DIR/digits or ./.cache/digits', () => {
    const saved = process.env.CMKD_CACHE_DIR;
    try {
      process.env.CMKD_CACHE_DIR = '/tmp/somewhere';
      expect(defaultCacheDir()).toBe(path.resolve('/tmp/somewhere', 'digits'));
      delete process.env.CMKD_CACHE_DIR;
      expect(defaultCacheDir()).toBe(path.resolve('.cache', 'digits'));
    } finally {
      if (saved === undefined) delete process.env.CMKD_CACHE_DIR;
      else process.env.CMKD_CACHE_DIR = saved;
    }
  });
});

describe('parseDigitsSpec', () => {
  it('reads n, seed, modalities, blur and cache', () => {
    expect(parseDigitsSpec('digits')).toEqual({});
    expect(parseDigitsSpec('digits?n=2000&blur.pixels=2&seed=1')).toEqual({ n: 2000, seed: 1, blur: { pixels: [2] } });
    expect(parseDigitsSpec('digits?modalities=pixels,textured&blur.textured=1,2.5&cache=false')).toEqual({
      modalities: ['pixels', 'textured'],
      blur: { textured: [1, 2.5] },
      cache: false,
    });
  });

  it('rejects unknown names and non-numbers', () => {
    expect(() => parseDigitsSpec('mnist?n=3')).toThrow(CmkdError);
    expect(() => parseDigitsSpec('digits?size=3')).toThrow(/unknown option 'size'/);
    expect(() => parseDigitsSpec('digits?n=many')).toThrow(/n must be a number/);
    expect(() => parseDigitsSpec('digits?n=')).toThrow(/n must be a number/);
    expect(() => parseDigitsSpec('digits?modalities=pixels,audio')).toThrow(/audio/);
    expect(() => parseDigitsSpec('digits?blur.blocks=1')).toThrow(/blocks/);
  });
});
