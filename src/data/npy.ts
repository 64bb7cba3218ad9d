/**
 * NumPy `.npy` files (format versions 1–3): little-endian float16/32/64, int8/16/32/64 and
 * uint8/16, and strings (unicode `U`, bytes `S`: class names for labels), in C or Fortran order (Fortran-order arrays are reordered to C order; float16 is
 * widened to float32). A small reader is enough here; the header is validated field by field so a
 * wrong file says what is wrong with it instead of yielding garbage numbers.
 */
import { CmkdError } from '../util/errors.js';
import { excerpt } from '../util/text.js';

export type NpyDtype = 'f2' | 'f4' | 'f8' | 'i1' | 'i2' | 'i4' | 'i8' | 'u1' | 'u2';

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** prod(shape) values in C order, converted to JS numbers' natural typed array. */
  values: Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array;
}

/** A string array (NumPy's unicode `<U`/`>U` or bytes `S` dtype): class names, for labels. */
export interface NpyText {
  dtype: 'U' | 'S';
  shape: number[];
  /** prod(shape) strings in C order, NumPy's trailing NUL padding removed. */
  text: string[];
}

const ITEM_SIZE: Record<NpyDtype, number> = { f2: 2, f4: 4, f8: 8, i1: 1, i2: 2, i4: 4, i8: 8, u1: 1, u2: 2 };
const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** Parse the bytes of a .npy file; `file` names it in error messages. */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray | NpyText {
  const bad = (what: string) => new CmkdError(`${file}: not a valid .npy file: ${what}`, 'invalid-input');
  if (bytes.length === 0) throw new CmkdError(`${file} is empty (0 bytes); expected a .npy array`, 'invalid-input');
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw bad('missing the \\x93NUMPY magic string');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw bad('truncated header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    throw bad(`unsupported format version ${major}.${bytes[7]} (expected 1.x, 2.x or 3.x)`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) throw bad('truncated header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(headerStart, dataStart));

  const descr = /['"]descr['"]\s*:\s*['"]([^'"]+)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw bad(`header lacks descr/fortran_order/shape: ${excerpt(header.trim(), 80)}`);
  }
  const text = /^([<>|=])([US])(\d+)$/.exec(descr);
  if (text)
    return parseText(
      bytes,
      dataStart,
      text[2] as 'U' | 'S',
      Number(text[3]),
      text[1] === '>',
      parseShape(shapeText, bad),
      fortran === 'True',
      file,
    );
  const m = /^([<>|=])([fiu])(\d+)$/.exec(descr);
  const dtype = m ? ((m[2] + m[3]) as NpyDtype) : undefined;
  if (!m || dtype === undefined || !(dtype in ITEM_SIZE)) {
    throw new CmkdError(
      `${file}: unsupported dtype '${descr}'; expected float16/32/64, int8/16/32/64, uint8/16 (e.g. save with a.astype('float32')), or strings (unicode or bytes) for class labels`,
      'unsupported',
    );
  }
  if (m[1] === '>' && ITEM_SIZE[dtype] > 1) {
    throw new CmkdError(`${file}: big-endian dtype '${descr}' is not supported; save with a.astype('<${dtype}')`, 'unsupported');
  }
  const shape = parseShape(shapeText, bad);
  const count = shape.reduce((a, b) => a * b, 1);
  const itemSize = ITEM_SIZE[dtype];
  const need = count * itemSize;
  if (bytes.length - dataStart < need) {
    throw bad(`shape (${shape.join(', ')}) needs ${need} data bytes but the file holds ${bytes.length - dataStart}`);
  }
  // Copy into a fresh aligned buffer: the data offset is not guaranteed to be a multiple of the item size.
  // (Uint8Array.from, not slice: a Node Buffer's slice is a view into a shared pool.)
  const buf = Uint8Array.from(bytes.subarray(dataStart, dataStart + need)).buffer;
  let values: NpyArray['values'];
  switch (dtype) {
    case 'f2': {
      const half = new Uint16Array(buf);
      values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = halfToFloat(half[i]);
      break;
    }
    case 'f4':
      values = new Float32Array(buf);
      break;
    case 'f8':
      values = new Float64Array(buf);
      break;
    case 'i1':
      values = new Int8Array(buf);
      break;
    case 'i2':
      values = new Int16Array(buf);
      break;
    case 'i4':
      values = new Int32Array(buf);
      break;
    case 'u1':
      values = new Uint8Array(buf);
      break;
    case 'u2':
      values = new Uint16Array(buf);
      break;
    case 'i8': {
      const big = new BigInt64Array(buf);
      values = new Float64Array(count);
      for (let i = 0; i < count; i++) values[i] = Number(big[i]);
      break;
    }
  }
  if (fortran === 'True' && shape.length > 1) values = fortranToC(values, shape);
  return { dtype, shape, values };
}

function parseShape(shapeText: string, bad: (what: string) => CmkdError): number[] {
  return shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map((s) => {
      const v = Number(s.replace(/L$/, ''));
      if (!Number.isInteger(v) || v < 0) throw bad(`bad shape entry ${excerpt(s)}`);
      return v;
    });
}

/**
 * NumPy strings: `U<n>` holds n UTF-32 code units per item (byte order from the descr), `S<n>` n
 * bytes (read as Latin-1, as NumPy's bytes are not decoded); both are padded with NULs at the end.
 */
function parseText(
  bytes: Uint8Array,
  dataStart: number,
  kind: 'U' | 'S',
  chars: number,
  bigEndian: boolean,
  shape: number[],
  fortran: boolean,
  file: string,
): NpyText {
  const count = shape.reduce((a, b) => a * b, 1);
  const itemSize = kind === 'U' ? 4 * chars : chars;
  const need = count * itemSize;
  if (bytes.length - dataStart < need) {
    throw new CmkdError(
      `${file}: not a valid .npy file: shape (${shape.join(', ')}) needs ${need} data bytes but the file holds ${bytes.length - dataStart}`,
      'invalid-input',
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart, need);
  const text: string[] = new Array<string>(count);
  for (let i = 0; i < count; i++) {
    let s = '';
    for (let c = 0; c < chars; c++) {
      const p = i * itemSize + (kind === 'U' ? 4 * c : c);
      const code = kind === 'U' ? view.getUint32(p, !bigEndian) : view.getUint8(p);
      if (code === 0) break;
      if (code > 0x10ffff) throw new CmkdError(`${file}: item ${i} is not valid UTF-32 text (code ${code})`, 'invalid-input');
      s += String.fromCodePoint(code);
    }
    text[i] = s;
  }
  if (fortran && shape.length > 1) {
    const order = fortranToC(
      Float64Array.from({ length: count }, (_, i) => i),
      shape,
    );
    return { dtype: kind, shape, text: Array.from(order, (i) => text[i]) };
  }
  return { dtype: kind, shape, text };
}

/** IEEE 754 half-precision bits to a number. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Reorder a Fortran-order (first axis fastest) array to C order (last axis fastest). */
function fortranToC<T extends NpyArray['values']>(src: T, shape: number[]): T {
  const out = new (src.constructor as new (n: number) => T)(src.length);
  const k = shape.length;
  // Fortran stride of each axis.
  const stride = new Array<number>(k);
  stride[0] = 1;
  for (let a = 1; a < k; a++) stride[a] = stride[a - 1] * shape[a - 1];
  const idx = new Array<number>(k).fill(0);
  let f = 0; // Fortran offset of idx
  for (let c = 0; c < src.length; c++) {
    out[c] = src[f];
    // Advance idx in C order (last axis fastest), keeping f in step.
    for (let a = k - 1; a >= 0; a--) {
      idx[a]++;
      f += stride[a];
      if (idx[a] < shape[a]) break;
      f -= stride[a] * shape[a];
      idx[a] = 0;
    }
  }
  return out;
}

/** Encode a C-order little-endian .npy (version 1.0); used by tests and for exporting arrays. */
export function encodeNpy(shape: number[], values: ArrayLike<number>, dtype: NpyDtype = 'f4'): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (values.length !== count) {
    throw new CmkdError(`encodeNpy: shape (${shape.join(', ')}) needs ${count} values, got ${values.length}`, 'invalid-option');
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const descr = dtype === 'u1' || dtype === 'i1' ? `|${dtype}` : `<${dtype}`;
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const unpadded = 10 + header.length + 1;
  header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
  const itemSize = ITEM_SIZE[dtype];
  const out = new Uint8Array(10 + header.length + count * itemSize);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  const view = new DataView(out.buffer);
  view.setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  const off = 10 + header.length;
  for (let i = 0; i < count; i++) {
    const v = values[i];
    const p = off + i * itemSize;
    switch (dtype) {
      case 'f2':
        throw new CmkdError('encodeNpy: float16 output is not supported; use f4', 'invalid-option');
      case 'f4':
        view.setFloat32(p, v, true);
        break;
      case 'f8':
        view.setFloat64(p, v, true);
        break;
      case 'i1':
        view.setInt8(p, v);
        break;
      case 'i2':
        view.setInt16(p, v, true);
        break;
      case 'i4':
        view.setInt32(p, v, true);
        break;
      case 'i8':
        view.setBigInt64(p, BigInt(Math.trunc(v)), true);
        break;
      case 'u1':
        view.setUint8(p, v);
        break;
      case 'u2':
        view.setUint16(p, v, true);
        break;
    }
  }
  return out;
}
