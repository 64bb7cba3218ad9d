/**
 * HDF5 files (`.h5`, `.hdf5`), read by h5wasm (the HDF5 C library compiled to WebAssembly).
 * A modality is one dataset inside the file, named by its path (`"key": "/views/rgb"`), with
 * samples on its first axis like a .npy array; labels are a 1-D dataset of numbers or strings.
 * Compressed datasets load when their filters are HDF5's own (gzip, shuffle, …: BUILT_IN_FILTERS).
 */
import { CmkdError } from '../util/errors.js';

/** A numeric HDF5 dataset: prod(shape) values in C order. */
export interface Hdf5Array {
  shape: number[];
  values: Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array;
}

type H5 = typeof import('h5wasm/node').default;
let lib: Promise<H5> | undefined;

/** The library, loaded once; HDF5's error stack becomes an exception instead of text on stderr. */
function h5(): Promise<H5> {
  lib ??= import('h5wasm/node').then(async (m) => {
    const mod = await m.default.ready;
    mod.activate_throwing_error_handler();
    return m.default;
  });
  return lib;
}

/** The innermost HDF5 reason ("file signature not found", "truncated file: eof = …"), one line. */
function reason(e: unknown): string {
  const text = String(e instanceof Error ? e.message : e);
  const frames = [...text.matchAll(/ in [\w]+\(\): ([^\n]+)/g)].map((m) => m[1].trim());
  return frames.at(-1) ?? text.split('\n')[0];
}

/** Read dataset `key` of the HDF5 file at `path` (`file` names it in messages; `what` the manifest field). */
export async function readHdf5(
  path: string,
  file: string,
  key: string,
  what: string,
): Promise<Hdf5Array | { shape: number[]; text: string[] }> {
  const h = await h5();
  let f: InstanceType<H5['File']>;
  try {
    f = new h.File(path, 'r');
  } catch (e) {
    throw new CmkdError(`${file}: not a readable HDF5 file (${reason(e)})`, 'invalid-input');
  }
  try {
    let entity: ReturnType<typeof f.get>;
    try {
      entity = f.get(key);
    } catch (e) {
      throw new CmkdError(`${file}: cannot read '${key}' (${reason(e)}); the file may be truncated or corrupt`, 'invalid-input');
    }
    if (!(entity instanceof h.Dataset)) {
      const found = listDatasets(f, h);
      const shown = found.length > 12 ? found.slice(0, 12).join(', ') + ', …' : found.join(', ') || '(none)';
      const is = entity instanceof h.Group ? `'${key}' in ${file} is a group, not a dataset` : `${file} has no dataset '${key}'`;
      throw new CmkdError(`${what}: ${is}; its datasets are: ${shown}`, 'invalid-input');
    }
    const shape = entity.shape;
    if (!shape) throw new CmkdError(`${file} '${key}': a null dataspace holds no data`, 'invalid-input');
    let filters: { id: number; name: string }[] = [];
    try {
      filters = entity.filters;
    } catch {
      // A dataset whose filter pipeline cannot be listed: reading it says what is wrong.
    }
    const plugin = unsupportedFilters(filters, file, key);
    if (plugin) throw new CmkdError(plugin, 'unsupported');
    let value: unknown;
    try {
      value = entity.value;
    } catch (e) {
      throw new CmkdError(`${file} '${key}': cannot read the data (${reason(e)}); the file may be truncated or corrupt`, 'invalid-input');
    }
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return { shape, text: value as string[] };
    if (value instanceof BigInt64Array || value instanceof BigUint64Array) {
      return { shape, values: Float64Array.from(value as ArrayLike<bigint>, (v) => Number(v)) };
    }
    if (
      value instanceof Float32Array ||
      value instanceof Float64Array ||
      value instanceof Int8Array ||
      value instanceof Int16Array ||
      value instanceof Int32Array ||
      value instanceof Uint8Array ||
      value instanceof Uint16Array ||
      value instanceof Uint32Array
    ) {
      return { shape, values: value };
    }
    throw new CmkdError(
      `${file} '${key}': dtype '${String(entity.dtype)}' is not supported; expected a numeric dataset (float or integer)`,
      'unsupported',
    );
  } finally {
    f.close();
  }
}

/**
 * The filters the HDF5 library inside h5wasm decodes: deflate (gzip), shuffle, fletcher32,
 * nbit and scaleoffset (HDF5's own). Filters registered by plugins (LZF, Blosc, LZ4, Zstd,
 * bitshuffle, …; ids 256 and above) are not in it, and h5wasm loads no plugins.
 */
const BUILT_IN_FILTERS = new Set([1, 2, 3, 5, 6]);

/** How h5py names the common plugin filters (`create_dataset(..., compression=…)`), for messages. */
const PLUGIN_NAMES: Record<number, string> = {
  32000: "LZF (h5py compression='lzf')",
  32001: 'Blosc',
  32004: 'LZ4',
  32008: 'bitshuffle',
  32015: 'Zstandard',
};

/** One line for a dataset stored with filters cmkd cannot decode, or undefined when it can decode them all. */
function unsupportedFilters(filters: { id: number; name: string }[], file: string, key: string): string | undefined {
  const missing = filters.filter((f) => !BUILT_IN_FILTERS.has(f.id));
  if (missing.length === 0) return undefined;
  const names = missing.map((f) => PLUGIN_NAMES[f.id] ?? `'${f.name || 'unnamed'}' (filter id ${f.id})`).join(', ');
  return `${file} '${key}' is compressed with ${names}, a filter plugin cmkd's HDF5 reader does not have; re-save it with gzip (h5py: create_dataset(..., compression='gzip'), shuffle=True may be added) or without compression`;
}

/** Paths of every dataset in the file, for "did you mean" messages. */
function listDatasets(f: InstanceType<H5['Group']>, h: H5, prefix = ''): string[] {
  const out: string[] = [];
  for (const k of f.keys()) {
    const e = f.get(k);
    if (e instanceof h.Dataset) out.push(`${prefix}/${k}`);
    else if (e instanceof h.Group) out.push(...listDatasets(e, h, `${prefix}/${k}`));
  }
  return out;
}
