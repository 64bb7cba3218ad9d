/**
 * Image folders: one PNG or JPEG per sample, decoded by sharp into [H, W, C] channels-last
 * bytes (0–255; `scale` turns them into 0–1). Samples are matched by file stem: to the ids of
 * a listing (the label file's `id` column) when there is one, else in natural sort order of
 * the stems ('2' before '10'), which every image folder of the dataset must share.
 */
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { CmkdError } from '../util/errors.js';

export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'] as const;

export interface ImageFolderOptions {
  /** 1 (grayscale) or 3 (RGB); default 1 when every image is grayscale, else 3. Alpha is dropped. */
  channels?: 1 | 3;
  /** Resize every image to [H, W] (stretching); without it every image must have the first one's size. */
  resize?: [number, number];
  /** Sample i is the image whose stem is ids.values[i]; without ids, every image in stem order. */
  ids?: { values: string[]; where(i: number): string };
  /** Throws for an image file that may not be read (a symlink to outside the dataset folder). */
  checkFile?: (path: string) => void;
}

export interface ImageFolder {
  /** The folder as the user named it. */
  file: string;
  n: number;
  sampleShape: [number, number, number];
  values: Float32Array;
  /** File stem of each sample, in sample order. */
  stems: string[];
}

/** '2' < '10': digit runs compare as numbers, the rest by code point. */
export function naturalCompare(a: string, b: string): number {
  const ca = a.match(/\d+|\D+/g) ?? [];
  const cb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const x = ca[i];
    const y = cb[i];
    if (x === y) continue;
    const dx = /^\d/.test(x);
    const dy = /^\d/.test(y);
    if (dx && dy) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      return x.length - y.length;
    }
    return x < y ? -1 : 1;
  }
  return ca.length - cb.length;
}

/** Image files of a folder by stem; anything else in it (but hidden files), a FIFO or device too, is an error. */
function listImages(dir: string, shown: string, what: string, checkFile?: (path: string) => void): Map<string, string> {
  const byStem = new Map<string, string>();
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    const ext = extname(name).toLowerCase();
    const full = join(dir, name);
    if (!(IMAGE_EXTENSIONS as readonly string[]).includes(ext) || !statSync(full).isFile()) {
      throw new CmkdError(
        `${what}: ${join(shown, name)} is not a PNG or JPEG file; an image folder holds one .png/.jpg/.jpeg per sample and nothing else`,
        'invalid-input',
      );
    }
    checkFile?.(full);
    const stem = name.slice(0, name.length - ext.length);
    const prev = byStem.get(stem);
    if (prev !== undefined) {
      throw new CmkdError(`${what}: ${shown} holds two images for sample '${stem}' (${prev} and ${name})`, 'invalid-input');
    }
    byStem.set(stem, name);
  }
  if (byStem.size === 0) throw new CmkdError(`${what}: ${shown} holds no .png/.jpg/.jpeg images`, 'invalid-input');
  return byStem;
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e)
    .split('\n')[0]
    .replace(/[:\s]+$/, '');
}

/** Decode the image folder `dir` (`shown` names it in messages, `what` the manifest field). */
export async function readImageFolder(dir: string, shown: string, opts: ImageFolderOptions, what: string): Promise<ImageFolder> {
  const { default: sharp } = await import('sharp');
  const byStem = listImages(dir, shown, what, opts.checkFile);
  let stems: string[];
  if (opts.ids) {
    const { values, where } = opts.ids;
    stems = values;
    values.forEach((id, i) => {
      if (!byStem.has(id)) {
        throw new CmkdError(`${what}: ${shown} has no image '${id}.png' or '${id}.jpg' for ${where(i)}`, 'invalid-input');
      }
    });
  } else {
    stems = [...byStem.keys()].sort(naturalCompare);
  }
  const files = stems.map((s) => byStem.get(s)!);
  const path = (k: number) => join(shown, files[k]);

  // Headers first: the channel count and the common size come from every image, before decoding any.
  const metas = await mapAll(files, async (f, k) => {
    try {
      return await sharp(join(dir, f)).metadata();
    } catch (e) {
      throw new CmkdError(`${path(k)}: cannot read the image (${firstLine(e)}); the file may be truncated or corrupt`, 'invalid-input');
    }
  });
  const channels = opts.channels ?? (metas.every((m) => (m.channels ?? 3) <= 2) ? 1 : 3);
  let h: number;
  let w: number;
  if (opts.resize) {
    [h, w] = opts.resize;
  } else {
    h = metas[0].height;
    w = metas[0].width;
    metas.forEach((m, k) => {
      if (m.height !== h || m.width !== w) {
        throw new CmkdError(
          `${path(k)}: image is ${m.width}×${m.height} (W×H) but ${path(0)} is ${w}×${h}; every image of a modality needs one size, or set "resize": [H, W]`,
          'invalid-input',
        );
      }
    });
  }
  const d = h * w * channels;
  const values = new Float32Array(files.length * d);
  await mapAll(files, async (f, k) => {
    let img = sharp(join(dir, f), { failOn: 'warning' }).removeAlpha();
    if (opts.resize) img = img.resize(w, h, { fit: 'fill' });
    img = channels === 1 ? img.greyscale() : img.toColourspace('srgb');
    let out: { data: Buffer; info: { width: number; height: number; channels: number } };
    try {
      out = await img.raw().toBuffer({ resolveWithObject: true });
    } catch (e) {
      throw new CmkdError(`${path(k)}: cannot decode the image (${firstLine(e)}); the file may be truncated or corrupt`, 'invalid-input');
    }
    if (out.info.width !== w || out.info.height !== h || out.info.channels !== channels || out.data.length !== d) {
      throw new CmkdError(
        `${path(k)}: decoded to ${out.info.width}×${out.info.height}×${out.info.channels}, expected ${w}×${h}×${channels}`,
        'invalid-input',
      );
    }
    values.set(out.data, k * d);
  });
  return { file: shown, n: files.length, sampleShape: [h, w, channels], values, stems };
}

/** f over every item (sharp queues the work on its own thread pool); the first failure in item order wins, so messages are deterministic. */
async function mapAll<T, R>(items: T[], f: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const settled = await Promise.allSettled(items.map(f));
  const bad = settled.find((r) => r.status === 'rejected');
  if (bad) throw bad.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<R>).value);
}
