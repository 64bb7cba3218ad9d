/**
 * On-disk cache of built digits datasets: `<key>.f32` holds labels then every modality as
 * little-endian Float32, `<key>.json` the layout, the options and a CRC-32 of the payload.
 * Both are written atomically (temp file + rename), payload first, so a reader never sees a
 * header without its payload. A header or payload that does not check out is ignored and
 * the dataset rebuilt; cache I/O failures never fail a load.
 */
import { open, readFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { writeFileAtomic } from '../../util/fs.js';
import type { Modality, ModalityKind, MultimodalDataset } from '../types.js';

const FORMAT = 'cmkd-digits-cache';

interface Entry {
  name: string;
  kind: ModalityKind;
  shape: number[];
  columns?: string[];
  source?: string;
  /** Offset and length in float32 values. */
  offset: number;
  length: number;
}

interface Header {
  format: string;
  key: string;
  options: unknown;
  name: string;
  description?: string;
  classes: string[];
  n: number;
  labels: { offset: number; length: number };
  modalities: Entry[];
  floats: number;
  crc32: number;
}

/** Cache directory: `$CMKD_CACHE_DIR/digits`, else `./.cache/digits`. */
export function defaultCacheDir(): string {
  const root = process.env.CMKD_CACHE_DIR;
  return root ? path.resolve(root, 'digits') : path.resolve('.cache', 'digits');
}

function files(dir: string, key: string): { header: string; payload: string } {
  return { header: path.join(dir, `${key}.json`), payload: path.join(dir, `${key}.f32`) };
}

/** Write a classification dataset to the cache. Errors are swallowed: the cache is an optimisation. */
export async function writeCache(dir: string, key: string, options: unknown, ds: MultimodalDataset): Promise<boolean> {
  if (ds.task.kind !== 'classification' || endianness() !== 'LE') return false;
  try {
    let floats = ds.n;
    const modalities: Entry[] = ds.modalities.map((m) => {
      const e: Entry = { name: m.name, kind: m.kind, shape: m.shape, offset: floats, length: m.data.length };
      if (m.columns) e.columns = m.columns;
      if (m.source) e.source = m.source;
      floats += m.data.length;
      return e;
    });
    const payload = new Float32Array(floats);
    payload.set(ds.labels, 0);
    ds.modalities.forEach((m, j) => payload.set(m.data, modalities[j].offset));
    const bytes = new Uint8Array(payload.buffer);
    const header: Header = {
      format: FORMAT,
      key,
      options,
      name: ds.name,
      description: ds.description,
      classes: ds.task.classes,
      n: ds.n,
      labels: { offset: 0, length: ds.n },
      modalities,
      floats,
      crc32: crc32(bytes),
    };
    const f = files(dir, key);
    await writeFileAtomic(f.payload, bytes);
    await writeFileAtomic(f.header, JSON.stringify(header));
    return true;
  } catch {
    return false;
  }
}

/** The cached dataset for `key`, or null when absent, stale or corrupt. */
export async function readCache(dir: string, key: string): Promise<MultimodalDataset | null> {
  if (endianness() !== 'LE') return null;
  const f = files(dir, key);
  let header: Header;
  try {
    header = JSON.parse(await readFile(f.header, 'utf8')) as Header;
  } catch {
    return null;
  }
  if (!validHeader(header, key)) return null;
  // Read labels and each modality straight into its own array, CRC-ing as we go.
  const labelFloats = new Float32Array(header.n);
  const arrays = [labelFloats, ...header.modalities.map((e) => new Float32Array(e.length))];
  let crc = 0;
  try {
    const fh = await open(f.payload, 'r');
    try {
      const { size } = await fh.stat();
      if (size !== header.floats * 4) return null;
      let pos = 0;
      for (const arr of arrays) {
        const bytes = new Uint8Array(arr.buffer);
        let done = 0;
        while (done < bytes.length) {
          const { bytesRead } = await fh.read(bytes, done, bytes.length - done, pos + done);
          if (bytesRead === 0) return null;
          done += bytesRead;
        }
        crc = crc32(bytes, crc);
        pos += bytes.length;
      }
    } finally {
      await fh.close();
    }
  } catch {
    return null;
  }
  if (crc !== header.crc32) return null;
  const labels = Int32Array.from(labelFloats);
  const modalities: Modality[] = header.modalities.map((e, j) => {
    const m: Modality = { name: e.name, kind: e.kind, shape: e.shape, data: arrays[j + 1] };
    if (e.columns) m.columns = e.columns;
    if (e.source) m.source = e.source;
    return m;
  });
  return {
    name: header.name,
    n: header.n,
    modalities,
    task: { kind: 'classification', classes: header.classes },
    labels,
    description: header.description,
  };
}

function validHeader(h: Header, key: string): boolean {
  if (!h || h.format !== FORMAT || h.key !== key || !Number.isInteger(h.n) || h.n < 0) return false;
  if (!Number.isInteger(h.floats) || !Number.isInteger(h.crc32) || !Array.isArray(h.modalities) || !Array.isArray(h.classes)) return false;
  if (h.labels?.offset !== 0 || h.labels.length !== h.n) return false;
  let end = h.n;
  for (const e of h.modalities) {
    if (typeof e.name !== 'string' || (e.kind !== 'image' && e.kind !== 'table') || !Array.isArray(e.shape)) return false;
    const size = e.shape.reduce((a, b) => a * b, 1);
    if (e.offset !== end || e.length !== size * h.n) return false;
    end += e.length;
  }
  return end === h.floats;
}
