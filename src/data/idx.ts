/**
 * IDX files, the format MNIST (and MNIST-style sets such as Fashion-MNIST, MNIST-M exports)
 * ship in: a 4-byte magic (0, 0, type, ndims), ndims big-endian uint32 sizes, then big-endian
 * values. Gzipped files (`train-images-idx3-ubyte.gz`) are decompressed transparently.
 */
import { gunzipSync } from 'node:zlib';
import { CmkdError } from '../util/errors.js';

export interface IdxArray {
  shape: number[];
  values: Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;
}

const TYPES: Record<number, { name: string; size: number }> = {
  0x08: { name: 'ubyte', size: 1 },
  0x09: { name: 'sbyte', size: 1 },
  0x0b: { name: 'int16', size: 2 },
  0x0c: { name: 'int32', size: 4 },
  0x0d: { name: 'float32', size: 4 },
  0x0e: { name: 'float64', size: 8 },
};

/** Parse IDX bytes (gzipped or not); `file` names the file in error messages. */
export function parseIdx(raw: Uint8Array, file: string): IdxArray {
  if (raw.length === 0) throw new CmkdError(`${file} is empty (0 bytes); expected an IDX file`, 'invalid-input');
  let bytes = raw;
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      bytes = new Uint8Array(gunzipSync(raw));
    } catch (e) {
      throw new CmkdError(`${file}: gzip data is corrupt (${(e as Error).message})`, 'invalid-input');
    }
  }
  const bad = (what: string) => new CmkdError(`${file}: not a valid IDX file: ${what}`, 'invalid-input');
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw bad('the first two bytes must be zero');
  const type = TYPES[bytes[2]];
  if (!type) throw bad(`unknown data type code 0x${bytes[2].toString(16).padStart(2, '0')}`);
  const ndims = bytes[3];
  if (ndims < 1) throw bad('zero dimensions');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 4 + 4 * ndims) throw bad('truncated header');
  const shape: number[] = [];
  for (let i = 0; i < ndims; i++) shape.push(view.getUint32(4 + 4 * i, false));
  const count = shape.reduce((a, b) => a * b, 1);
  const off = 4 + 4 * ndims;
  const need = count * type.size;
  if (bytes.length - off < need) {
    throw bad(`shape [${shape.join(', ')}] of ${type.name} needs ${need} data bytes but the file holds ${bytes.length - off}`);
  }
  let values: IdxArray['values'];
  switch (type.name) {
    case 'ubyte':
      values = Uint8Array.from(bytes.subarray(off, off + count)); // a copy, never a view into a Buffer pool
      break;
    case 'sbyte':
      values = Int8Array.from(bytes.subarray(off, off + count), (b) => (b << 24) >> 24);
      break;
    default: {
      const Ctor = { int16: Int16Array, int32: Int32Array, float32: Float32Array, float64: Float64Array }[
        type.name as 'int16' | 'int32' | 'float32' | 'float64'
      ];
      values = new Ctor(count);
      for (let i = 0; i < count; i++) {
        const p = off + i * type.size;
        values[i] =
          type.name === 'int16'
            ? view.getInt16(p, false)
            : type.name === 'int32'
              ? view.getInt32(p, false)
              : type.name === 'float32'
                ? view.getFloat32(p, false)
                : view.getFloat64(p, false);
      }
    }
  }
  return { shape, values };
}

/** Encode an unsigned-byte IDX file (the MNIST type); used by tests and to export small sets. */
export function encodeIdxUbyte(shape: number[], values: ArrayLike<number>): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (values.length !== count) {
    throw new CmkdError(`encodeIdxUbyte: shape [${shape.join(', ')}] needs ${count} values, got ${values.length}`, 'invalid-option');
  }
  const out = new Uint8Array(4 + 4 * shape.length + count);
  out[2] = 0x08;
  out[3] = shape.length;
  const view = new DataView(out.buffer);
  shape.forEach((s, i) => view.setUint32(4 + 4 * i, s, false));
  for (let i = 0; i < count; i++) out[4 + 4 * shape.length + i] = values[i];
  return out;
}
