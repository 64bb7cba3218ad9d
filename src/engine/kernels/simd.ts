/**
 * Loops in wasm SIMD (f32x4, f64x2) on the TF.js wasm heap, for element-wise work that JavaScript
 * can only do one double at a time (with a rounding to float32 after every operation, or a branch
 * per comparison). The module is assembled here from its instructions (no toolchain, no
 * dependency) and imports the backend's own memory, so it reads and writes tensors in place.
 * Every arithmetic instruction used (f32x4 add, sub, mul, div, sqrt; f64x2 add and the exact
 * float32 → float64 promotion) is IEEE arithmetic rounded once: the same bits as the scalar
 * Math.fround / float64 form, several lanes at a time; comparisons and bit selections move values
 * unchanged. Callers fall back to their scalar loops where the module cannot be built.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/**
 * adam(g, w, m, v, out, chunks, β₁, 1−β₁, β₂, 1−β₂, ε, s, κ) over `chunks` groups of four floats at
 * the given byte offsets:
 *   m ← β₁m + (1−β₁)g,  v ← β₂v + (1−β₂)g²,  out ← κw − s·m/(√v + ε)   (κ = 1: w·1 = w exactly).
 */
export type SimdAdam = (g: number, w: number, m: number, v: number, out: number, chunks: number, ...scalars: number[]) => void;

/**
 * maxPoolGradRow(x, dy, dx, OW, cBytes, rowBytes): one output row of 2×2/2 max pooling's gradient,
 * four channels at a time (C a multiple of 4; cBytes = 4C, rowBytes = 4WC; x and dx at the row
 * pair's first element, dy at the output row's). Each window's dy goes to its first maximum by
 * the comparison chain (a later element wins only if greater; NaNs never win after position 0),
 * 0 to the other three: all four written.
 */
export type SimdMaxPoolGradRow = (x: number, dy: number, dx: number, outWidth: number, cBytes: number, rowBytes: number) => void;

/**
 * reluMask(dy, y, out, bytes): out = dy · step(y) over `bytes` bytes (a multiple of 16), four
 * floats at a time: step(y) is 1 for y > 0, y itself for a NaN, 0 otherwise (wasm's Step with
 * alpha 0), and the product one float32 multiplication (Multiply): a ReLU's gradient from its output.
 */
export type SimdReluMask = (dy: number, y: number, out: number, bytes: number) => void;

/**
 * addRows(x, b, out, rows, cBytes): out[r, c] = x[r, c] + b[c] over `rows` rows of C floats (C a
 * multiple of 4, cBytes = 4C): a tensor plus a vector along its last axis (a bias).
 */
export type SimdAddRows = (x: number, b: number, out: number, rows: number, cBytes: number) => void;

/**
 * columnSums(x, acc, rows, cBytes): acc[c] += Σ_r x[r, c] over `rows` rows of C float32 (C even,
 * cBytes = 4C) into C float64 accumulators, four rows per step: acc += ((x₀ + x₁) + x₂) + x₃ in
 * float64, then one row at a time for the rest: the order of the scalar loop it replaces.
 */
export type SimdColumnSums = (x: number, acc: number, rows: number, cBytes: number) => void;

/**
 * filterTile(x, dy, out, rows, cols, xRowStep, dyRowStep, xColStep, dyColStep, outStride): one
 * tile of a convolution's filter gradient, out[i, j] += Σ_p x[p, i] · dy[p, j] over a grid of
 * rows × cols positions p, for T input channels i (T floats at x's position address) and 4V
 * output channels j (V vectors at dy's), with out[i, ·] at out + i·outStride. Positions are taken
 * row by row, each column in order, every product rounded to float32 and added to its
 * accumulator in that order: acc ← acc + x·dy, the sequential sum of a float32 GEMM without FMA.
 * Addresses and steps in bytes.
 */
export type SimdFilterTile = (
  x: number,
  dy: number,
  out: number,
  rows: number,
  cols: number,
  xRowStep: number,
  dyRowStep: number,
  xColStep: number,
  dyColStep: number,
  outStride: number,
) => void;

/**
 * gemmRows(a, b, out, rows, chunks, segs, segLen, segStride, posStride, bRow, outPos, aRowStep,
 * outRowStep, aK, bias, reluBias): an implicit GEMM, out[p, j] = Σ_k a_p[k] · b[k, j], for rows × chunks tiles of
 * P positions by 4V output columns. Position p of a tile reads its row of A in `segs` segments of
 * segLen floats aK bytes apart, segment s starting at (p's address) + s·segStride (a
 * convolution's filter rows over a zero-padded image; one segment for a plain product); b is
 * [K, ·] with rows bRow bytes apart, out has positions outPos bytes apart. Tile t of a row starts
 * t·P positions (P·posStride bytes of a, P·outPos of out) after the row's first, rows aRowStep
 * and outRowStep bytes apart. Each entry is summed from +0 (or from bias[j], bias ≠ 0: 4V floats,
 * as XNNPACK's biased GEMM starts) in the order of k, acc ← acc + a·b, rounding each product and
 * sum to float32. With reluBias ≠ 0 each finished entry is then stored as relu(acc + reluBias[j]):
 * the sum rounded to float32, then v ≤ 0 ? +0 : v (NaN kept) — a bias Add and a Relu after the
 * product, element by element.
 */
export type SimdGemmRows = (
  a: number,
  b: number,
  out: number,
  rows: number,
  chunks: number,
  segs: number,
  segLen: number,
  segStride: number,
  posStride: number,
  bRow: number,
  outPos: number,
  aRowStep: number,
  outRowStep: number,
  aK: number,
  bias: number,
  reluBias: number,
) => void;

/** The implicit-GEMM tiles built: P positions (1–4) by V vectors of output columns (1–4). */
export const GEMM_TILE_MAX_P = 4;
export const GEMM_TILE_MAX_V = 4;

/** The filter-gradient tiles built: T input channels (1–4) by V vectors of output channels (1–4). */
export const FILTER_TILE_MAX_T = 4;
export const FILTER_TILE_MAX_V = 4;

export interface SimdLoops {
  adam: SimdAdam;
  maxPoolGradRow: SimdMaxPoolGradRow;
  reluMask: SimdReluMask;
  addRows: SimdAddRows;
  columnSums: SimdColumnSums;
  /** filterTile[T − 1][V − 1]. */
  filterTile: SimdFilterTile[][];
  /** gemmRows[P − 1][V − 1]. */
  gemmRows: SimdGemmRows[][];
}

const I32 = 0x7f;
const F32 = 0x7d;
const V128 = 0x7b;

/** Signed LEB128 (i32.const immediates). */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    const done = (n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

// Instructions.
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const load = (ptr: number, at: number): number[] => [...get(ptr), ...get(at), 0x6a, ...simd(0x00), 0x00, 0x00]; // v128.load align=1
const storeTo = (ptr: number, at: number, value: number[]): number[] => [
  ...get(ptr),
  ...get(at),
  0x6a,
  ...value,
  ...simd(0x0b),
  0x00,
  0x00,
];
const ADD = simd(0xe4);
const SUB = simd(0xe5);
const MUL = simd(0xe6);
const DIV = simd(0xe7);
const SQRT = simd(0xe3);
const SPLAT = simd(0x13);
const GT = simd(0x44); // f32x4.gt
const LE = simd(0x45); // f32x4.le
const NE = simd(0x42); // f32x4.ne
const AND = simd(0x4e);
const ANDNOT = simd(0x4f); // a & ~b
const OR = simd(0x50);
const BITSELECT = simd(0x52); // (a & c) | (b & ~c)
const PROMOTE = simd(0x5f); // f64x2.promote_low_f32x4
const F64_ADD = simd(0xf0);
const addI32 = (a: number[], b: number[]): number[] => [...a, ...b, 0x6a];
const loadAt = (address: number[]): number[] => [...address, ...simd(0x00), 0x00, 0x00];
const storeAt = (address: number[], value: number[]): number[] => [...address, ...value, ...simd(0x0b), 0x00, 0x00];
/** local ← local + by (i32). */
const inc = (local: number, by: number[]): number[] => [...addI32(get(local), by), ...set(local)];
const i32 = (n: number): number[] => [0x41, ...sleb(n)];
const mulI32 = (a: number[], b: number[]): number[] => [...a, ...b, 0x6c];
/** A load's or store's alignment (log2 bytes) and byte offset. */
const memarg = (align: number, offset: number): number[] => [align, ...uleb(offset)];
/** The start of a counted loop in a block: block; loop; if counter ≥ limit (i32, unsigned): break out of the block. */
const repeatWhileBelow = (counter: number, limit: number[]): number[] => [0x02, 0x40, 0x03, 0x40, ...get(counter), ...limit, 0x4f, 0x0d, 1];
/** The end of a counted loop in a block: branch back to the loop's start, end the loop, end the block. */
const REPEAT_END = [0x0c, 0, 0x0b, 0x0b];

/** adam's type and body. */
function adamFunction(): { params: number[]; body: number[] } {
  // Parameters: 0 g, 1 w, 2 m, 3 v, 4 out, 5 chunks (i32); 6 β₁, 7 1−β₁, 8 β₂, 9 1−β₂, 10 ε, 11 s, 12 κ (f32).
  const params = [I32, I32, I32, I32, I32, I32, F32, F32, F32, F32, F32, F32, F32];
  // Locals: 13 at (i32), 14 end (i32); 15–21 the seven scalars splatted (v128); 22 g, 23 m, 24 v (v128).
  const [at, end, G, M, V] = [13, 14, 22, 23, 24];
  const splat = (k: number): number => 15 + k;
  const body = [
    ...vec([
      [2, I32],
      [10, V128],
    ]),
    ...get(5),
    0x41,
    4,
    0x74, // i32.shl: end = chunks · 16 bytes
    ...set(end),
    ...[6, 7, 8, 9, 10, 11, 12].flatMap((p, k) => [...get(p), ...SPLAT, ...set(splat(k))]),
    0x41,
    0,
    ...set(at),
    0x02,
    0x40, // block
    0x03,
    0x40, // loop
    ...get(at),
    ...get(end),
    0x4f, // i32.ge_u
    0x0d,
    1, // br_if to the block's end
    ...load(0, at),
    ...set(G),
    // m ← β₁m + (1−β₁)g
    ...storeTo(2, at, [...load(2, at), ...get(splat(0)), ...MUL, ...get(G), ...get(splat(1)), ...MUL, ...ADD, 0x22, ...uleb(M)]),
    // v ← β₂v + (1−β₂)g²
    ...storeTo(3, at, [
      ...load(3, at),
      ...get(splat(2)),
      ...MUL,
      ...get(G),
      ...get(G),
      ...MUL,
      ...get(splat(3)),
      ...MUL,
      ...ADD,
      0x22,
      ...uleb(V),
    ]),
    // out ← κw − ((m / (√v + ε)) · s)
    ...storeTo(4, at, [
      ...load(1, at),
      ...get(splat(6)),
      ...MUL,
      ...get(M),
      ...get(V),
      ...SQRT,
      ...get(splat(4)),
      ...ADD,
      ...DIV,
      ...get(splat(5)),
      ...MUL,
      ...SUB,
    ]),
    ...get(at),
    0x41,
    16,
    0x6a,
    ...set(at),
    0x0c,
    0, // br to the loop's start
    0x0b, // end loop
    0x0b, // end block
    0x0b, // end function
  ];
  return { params, body };
}

/** maxPoolGradRow's type and body. */
function maxPoolGradRowFunction(): { params: number[]; body: number[] } {
  // Parameters: 0 x, 1 dy, 2 dx, 3 OW, 4 cBytes, 5 rowBytes (i32).
  const params = [I32, I32, I32, I32, I32, I32];
  // Locals: 6 ow, 7 cb, 8 a (x address), 9 d (dx address) (i32); 10 g, 11 c1, 12 c2, 13 c3, 14 m (v128).
  const [ow, cb, a, d, g, c1, c2, c3, m] = [6, 7, 8, 9, 10, 11, 12, 13, 14];
  const x1 = addI32(get(a), get(4));
  const x2 = addI32(get(a), get(5));
  const x3 = addI32(x2, get(4));
  const body = [
    ...vec([
      [4, I32],
      [5, V128],
    ]),
    0x02,
    0x40, // block (rows done)
    0x03,
    0x40, // loop over ow
    ...get(ow),
    ...get(3),
    0x4f, // i32.ge_u
    0x0d,
    1,
    0x41,
    0,
    ...set(cb),
    0x02,
    0x40, // block (channels done)
    0x03,
    0x40, // loop over groups of four channels
    ...get(cb),
    ...get(4),
    0x4f,
    0x0d,
    1,
    ...addI32(get(0), get(cb)),
    ...set(a),
    ...addI32(get(2), get(cb)),
    ...set(d),
    ...loadAt(addI32(get(1), get(cb))),
    ...set(g),
    // The chain: c1 = x1 > x0, m = c1 ? x1 : x0, c2 = x2 > m, m = c2 ? x2 : m, c3 = x3 > m.
    ...loadAt(x1),
    ...loadAt(get(a)),
    ...GT,
    ...set(c1),
    ...loadAt(x1),
    ...loadAt(get(a)),
    ...get(c1),
    ...BITSELECT,
    ...set(m),
    ...loadAt(x2),
    ...get(m),
    ...GT,
    ...set(c2),
    ...loadAt(x2),
    ...get(m),
    ...get(c2),
    ...BITSELECT,
    ...set(m),
    ...loadAt(x3),
    ...get(m),
    ...GT,
    ...set(c3),
    // Position 3 if c3; 2 if c2 and not c3; 1 if c1 and neither; 0 if none.
    ...storeAt(addI32(addI32(get(d), get(5)), get(4)), [...get(g), ...get(c3), ...AND]),
    ...storeAt(addI32(get(d), get(5)), [...get(g), ...get(c2), ...AND, ...get(c3), ...ANDNOT]),
    ...storeAt(addI32(get(d), get(4)), [...get(g), ...get(c1), ...AND, ...get(c2), ...ANDNOT, ...get(c3), ...ANDNOT]),
    ...storeAt(get(d), [...get(g), ...get(c1), ...get(c2), ...OR, ...get(c3), ...OR, ...ANDNOT]),
    ...inc(cb, i32(16)),
    0x0c,
    0,
    0x0b, // end loop over channels
    0x0b, // end block
    // Next window: x and dx two columns on, dy one.
    ...inc(0, addI32(get(4), get(4))),
    ...inc(2, addI32(get(4), get(4))),
    ...inc(1, get(4)),
    ...inc(ow, i32(1)),
    0x0c,
    0,
    0x0b, // end loop over ow
    0x0b, // end block
    0x0b, // end function
  ];
  return { params, body };
}

/** reluMask's type and body. */
function reluMaskFunction(): { params: number[]; body: number[] } {
  // Parameters: 0 dy, 1 y, 2 out, 3 bytes (i32). Locals: 4 at (i32); 5 y vector, 6 step (v128).
  const params = [I32, I32, I32, I32];
  const [at, yv, st] = [4, 5, 6];
  const ONE = [...simd(0x0c), ...Array.from({ length: 4 }, () => [0x00, 0x00, 0x80, 0x3f]).flat()];
  const ZERO = [...simd(0x0c), ...Array<number>(16).fill(0)];
  const body = [
    ...vec([
      [1, I32],
      [2, V128],
    ]),
    ...repeatWhileBelow(at, get(3)),
    ...load(1, at),
    ...set(yv),
    // step = y > 0 ? 1 : 0, then y where y is NaN
    ...ONE,
    ...ZERO,
    ...get(yv),
    ...ZERO,
    ...GT,
    ...BITSELECT,
    ...set(st),
    ...get(yv),
    ...get(st),
    ...get(yv),
    ...get(yv),
    ...NE,
    ...BITSELECT,
    ...set(st),
    ...storeTo(2, at, [...load(0, at), ...get(st), ...MUL]),
    ...inc(at, i32(16)),
    ...REPEAT_END,
    0x0b,
  ];
  return { params, body };
}

/** addRows's type and body. */
function addRowsFunction(): { params: number[]; body: number[] } {
  // Parameters: 0 x, 1 b, 2 out, 3 rows, 4 cBytes (i32). Locals: 5 r, 6 cb (i32).
  const params = [I32, I32, I32, I32, I32];
  const [r, cb] = [5, 6];
  const body = [
    ...vec([[2, I32]]),
    // loop over rows
    ...repeatWhileBelow(r, get(3)),
    0x41,
    0,
    ...set(cb),
    // loop over groups of four columns
    ...repeatWhileBelow(cb, get(4)),
    ...storeAt(addI32(get(2), get(cb)), [...loadAt(addI32(get(0), get(cb))), ...loadAt(addI32(get(1), get(cb))), ...ADD]),
    ...inc(cb, i32(16)),
    ...REPEAT_END,
    ...inc(0, get(4)),
    ...inc(2, get(4)),
    ...inc(r, i32(1)),
    ...REPEAT_END,
    0x0b,
  ];
  return { params, body };
}

/** columnSums's type and body. */
function columnSumsFunction(): { params: number[]; body: number[] } {
  // Parameters: 0 x, 1 acc, 2 rows, 3 cBytes (i32). Locals: 4 r, 5 cb (float32 column byte), 6 row (i32).
  const params = [I32, I32, I32, I32];
  const [r, cb, row] = [4, 5, 6];
  const pair = (address: number[]): number[] => [...address, ...simd(0x5d), 0x03, 0x00, ...PROMOTE]; // two floats → f64x2
  const accAt = addI32(get(1), addI32(get(cb), get(cb))); // float64 column = 2 × float32 column bytes
  // One pass over the rows from `r` in steps of `step` rows while r + step ≤ rows, adding `terms`.
  const pass = (step: number, terms: number[]): number[] => [
    0x02,
    0x40,
    0x03,
    0x40,
    ...addI32(get(r), i32(step)),
    ...get(2),
    0x4b, // i32.gt_u: r + step > rows → done
    0x0d,
    1,
    0x41,
    0,
    ...set(cb),
    ...repeatWhileBelow(cb, get(3)),
    ...storeAt(accAt, [...loadAt(accAt), ...terms, ...F64_ADD]),
    ...inc(cb, i32(8)),
    ...REPEAT_END,
    // Next rows: row += step · cBytes, r += step.
    ...get(row),
    0x41,
    ...sleb(step),
    ...get(3),
    0x6c, // i32.mul
    0x6a,
    ...set(row),
    ...inc(r, i32(step)),
    ...REPEAT_END,
  ];
  const rowAt = (k: number): number[] => addI32(addI32(get(row), get(cb)), [0x41, ...sleb(k), ...get(3), 0x6c]);
  const body = [
    ...vec([[3, I32]]),
    ...get(0),
    ...set(row),
    ...pass(4, [...pair(rowAt(0)), ...pair(rowAt(1)), ...F64_ADD, ...pair(rowAt(2)), ...F64_ADD, ...pair(rowAt(3)), ...F64_ADD]),
    ...pass(1, pair(rowAt(0))),
    0x0b,
  ];
  return { params, body };
}

/** filterTile's type and body for T input channels by V vectors of output channels. */
function filterTileFunction(T: number, V: number): { params: number[]; body: number[] } {
  // Parameters: 0 x, 1 dy, 2 out, 3 rows, 4 cols, 5 xRowStep, 6 dyRowStep, 7 xColStep, 8 dyColStep, 9 outStride (i32).
  const params = [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32];
  // Locals: 10 r, 11 c, 12 xp, 13 dp (i32); then T·V accumulators, V dy vectors, 1 splat (v128).
  const [r, c, xp, dp] = [10, 11, 12, 13];
  const acc = (i: number, j: number): number => 14 + i * V + j;
  const d = (j: number): number => 14 + T * V + j;
  const sp = 14 + T * V + V;
  const outRow = (i: number): number[] => (i === 0 ? get(2) : addI32(get(2), [...get(9), 0x41, ...sleb(i), 0x6c]));
  const body: number[] = [
    ...vec([
      [4, I32],
      [T * V + V + 1, V128],
    ]),
  ];
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < V; j++) body.push(...outRow(i), ...simd(0x00), ...memarg(4, 16 * j), ...set(acc(i, j)));
  }
  body.push(
    // loop over rows
    ...repeatWhileBelow(r, get(3)),
    ...get(0),
    ...set(xp),
    ...get(1),
    ...set(dp),
    0x41,
    0,
    ...set(c),
    // loop over the row's positions
    ...repeatWhileBelow(c, get(4)),
  );
  for (let j = 0; j < V; j++) body.push(...get(dp), ...simd(0x00), ...memarg(4, 16 * j), ...set(d(j)));
  for (let i = 0; i < T; i++) {
    body.push(...get(xp), ...simd(0x09), ...memarg(2, 4 * i), ...set(sp)); // v128.load32_splat
    for (let j = 0; j < V; j++) body.push(...get(acc(i, j)), ...get(sp), ...get(d(j)), ...MUL, ...ADD, ...set(acc(i, j)));
  }
  body.push(
    ...inc(xp, get(7)),
    ...inc(dp, get(8)),
    ...inc(c, i32(1)),
    ...REPEAT_END,
    ...inc(0, get(5)),
    ...inc(1, get(6)),
    ...inc(r, i32(1)),
    ...REPEAT_END,
  );
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < V; j++) body.push(...outRow(i), ...get(acc(i, j)), ...simd(0x0b), ...memarg(4, 16 * j));
  }
  body.push(0x0b);
  return { params, body };
}

/** gemmRows's type and body for tiles of P positions by V vectors of output columns. */
function gemmRowsFunction(P: number, V: number): { params: number[]; body: number[] } {
  // Parameters: 0 a, 1 b, 2 out, 3 rows, 4 chunks, 5 segs, 6 segLen, 7 segStride, 8 posStride,
  // 9 bRow, 10 outPos, 11 aRowStep, 12 outRowStep, 13 aK, 14 bias, 15 reluBias (i32).
  const params = Array<number>(16).fill(I32);
  // Locals: 16 r, 17 c, 18 s, 19 k, 20 ac (tile's a), 21 oc (tile's out), 22 aSeg, 23 bp, then P
  // position pointers (i32); P·V accumulators, V b vectors, 1 splat (v128).
  const [r, c, sg, k, ac, oc, aSeg, bp] = [16, 17, 18, 19, 20, 21, 22, 23];
  const ap = (p: number): number => 24 + p;
  const acc = (p: number, j: number): number => 24 + P + p * V + j;
  const w = (j: number): number => 24 + P + P * V + j;
  const sp = 24 + P + P * V + V;
  // block; loop; if counter ≥ limit: break; …body…; counter += 1; continue
  const counted = (counter: number, limit: number[], body: number[]): number[] => [
    ...i32(0),
    ...set(counter),
    ...repeatWhileBelow(counter, limit),
    ...body,
    ...inc(counter, i32(1)),
    ...REPEAT_END,
  ];
  const inner: number[] = [];
  for (let j = 0; j < V; j++) inner.push(...get(bp), ...simd(0x00), ...memarg(4, 16 * j), ...set(w(j)));
  for (let p = 0; p < P; p++) {
    inner.push(...get(ap(p)), ...simd(0x09), ...memarg(2, 0), ...set(sp)); // v128.load32_splat
    for (let j = 0; j < V; j++) inner.push(...get(acc(p, j)), ...get(sp), ...get(w(j)), ...MUL, ...ADD, ...set(acc(p, j)));
  }
  for (let p = 0; p < P; p++) inner.push(...inc(ap(p), get(13)));
  inner.push(...inc(bp, get(9)));
  const segment: number[] = [];
  for (let p = 0; p < P; p++) segment.push(...(p === 0 ? get(aSeg) : addI32(get(aSeg), mulI32(get(8), i32(p)))), ...set(ap(p)));
  segment.push(...counted(k, get(6), inner), ...inc(aSeg, get(7)));
  const tile: number[] = [];
  // Each accumulator starts at the bias's column (bias ≠ 0) or at +0: select(bias[j], 0, bias ≠ 0).
  for (let p = 0; p < P; p++) {
    for (let j = 0; j < V; j++) {
      tile.push(
        ...get(14),
        ...simd(0x00),
        ...memarg(4, 16 * j),
        ...simd(0x0c),
        ...Array<number>(16).fill(0),
        ...get(14),
        0x1c,
        1,
        V128,
        ...set(acc(p, j)),
      );
    }
  }
  tile.push(...get(ac), ...set(aSeg), ...get(1), ...set(bp), ...counted(sg, get(5), segment));
  // reluBias ≠ 0: acc ← acc + reluBias[j], then bitselect(0, acc, acc ≤ 0): max(acc, 0) with +0 for −0 and NaN kept, as Relu.
  const ZERO = [...simd(0x0c), ...Array<number>(16).fill(0)];
  tile.push(...get(15), 0x04, 0x40); // if
  for (let p = 0; p < P; p++) {
    for (let j = 0; j < V; j++) {
      tile.push(...get(acc(p, j)), ...get(15), ...simd(0x00), ...memarg(4, 16 * j), ...ADD, ...set(acc(p, j)));
      tile.push(...ZERO, ...get(acc(p, j)), ...get(acc(p, j)), ...ZERO, ...LE, ...BITSELECT, ...set(acc(p, j)));
    }
  }
  tile.push(0x0b); // end if
  for (let p = 0; p < P; p++) {
    for (let j = 0; j < V; j++) {
      const at = p === 0 ? get(oc) : addI32(get(oc), mulI32(get(10), i32(p)));
      tile.push(...at, ...get(acc(p, j)), ...simd(0x0b), ...memarg(4, 16 * j));
    }
  }
  tile.push(...inc(ac, mulI32(get(8), i32(P))), ...inc(oc, mulI32(get(10), i32(P))));
  const row = [...get(0), ...set(ac), ...get(2), ...set(oc), ...counted(c, get(4), tile), ...inc(0, get(11)), ...inc(2, get(12))];
  const body = [
    ...vec([
      [8 + P, I32],
      [P * V + V + 1, V128],
    ]),
    ...counted(r, get(3), row),
    0x0b,
  ];
  return { params, body };
}

/** The module's bytes: the loops above, exported by name, over the imported memory env.memory. */
function loopsModule(shared: boolean): Uint8Array {
  const functions = [
    { name: 'adam', ...adamFunction() },
    { name: 'maxPoolGradRow', ...maxPoolGradRowFunction() },
    { name: 'reluMask', ...reluMaskFunction() },
    { name: 'addRows', ...addRowsFunction() },
    { name: 'columnSums', ...columnSumsFunction() },
  ];
  for (let t = 1; t <= FILTER_TILE_MAX_T; t++) {
    for (let v = 1; v <= FILTER_TILE_MAX_V; v++) functions.push({ name: `filterTile${t}x${v}`, ...filterTileFunction(t, v) });
  }
  for (let p = 1; p <= GEMM_TILE_MAX_P; p++) {
    for (let v = 1; v <= GEMM_TILE_MAX_V; v++) functions.push({ name: `gemmRows${p}x${v}`, ...gemmRowsFunction(p, v) });
  }
  const memoryLimits = shared ? [0x03, 0x00, ...uleb(65536)] : [0x00, 0x00];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vec(functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), 0]))),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, ...memoryLimits]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(functions.map((f) => [...uleb(f.body.length), ...f.body]))),
  ]);
}

/** The part of the WebAssembly API used here (this project's TypeScript libraries do not declare it). */
interface Wasm {
  Memory: abstract new (...args: never[]) => { buffer: ArrayBufferLike };
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

const built = new WeakMap<object, SimdLoops | null>();

/** The SIMD loops on this backend's heap, or null where wasm SIMD or the heap's memory is unavailable. */
export function simdLoops(backend: BackendWasm): SimdLoops | null {
  const key = backend.wasm as object;
  if (built.has(key)) return built.get(key)!;
  let loops: SimdLoops | null = null;
  try {
    const wasm = (globalThis as unknown as { WebAssembly: Wasm }).WebAssembly;
    // The single-threaded build exports its memory; the threaded one imports it (shared).
    const module_ = backend.wasm as unknown as { asm?: { memory?: unknown }; wasmMemory?: unknown };
    const memory = module_.asm?.memory ?? module_.wasmMemory;
    if (memory instanceof wasm.Memory) {
      const shared = typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
      const module = new wasm.Module(loopsModule(shared));
      const { exports } = new wasm.Instance(module, { env: { memory } });
      loops = {
        adam: exports.adam as SimdAdam,
        maxPoolGradRow: exports.maxPoolGradRow as SimdMaxPoolGradRow,
        reluMask: exports.reluMask as SimdReluMask,
        addRows: exports.addRows as SimdAddRows,
        columnSums: exports.columnSums as SimdColumnSums,
        filterTile: Array.from({ length: FILTER_TILE_MAX_T }, (_, t) =>
          Array.from({ length: FILTER_TILE_MAX_V }, (_, v) => exports[`filterTile${t + 1}x${v + 1}`] as SimdFilterTile),
        ),
        gemmRows: Array.from({ length: GEMM_TILE_MAX_P }, (_, p) =>
          Array.from({ length: GEMM_TILE_MAX_V }, (_, v) => exports[`gemmRows${p + 1}x${v + 1}`] as SimdGemmRows),
        ),
      };
    }
  } catch {
    loops = null; // no wasm SIMD here: callers keep their scalar loops
  }
  built.set(key, loops);
  return loops;
}

/**
 * The SIMD loops for the GEMM-like kernels (Conv2D, its filter gradient, plain products), which
 * run on one thread: null where the backend runs a thread pool, so that XNNPACK keeps splitting
 * those products over its threads (the same bits: it splits the outputs, not the sums).
 */
export function simdGemm(backend: BackendWasm): SimdLoops | null {
  const threads = (backend.wasm as unknown as { tfjs?: { getThreadsCount?: () => number } }).tfjs?.getThreadsCount?.() ?? 1;
  return threads > 1 ? null : simdLoops(backend);
}

/** The SIMD Adam loop, or null (see simdLoops). */
export function simdAdam(backend: BackendWasm): SimdAdam | null {
  return simdLoops(backend)?.adam ?? null;
}
