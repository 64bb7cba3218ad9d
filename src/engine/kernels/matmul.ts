/**
 * Faster wrappers around wasm kernels whose slow paths training hits on every step.
 *
 * - BatchMatMul / _FusedMatMul: a single product without activation (a bias is fine) runs in
 *   wasm SIMD tiles (simdProduct; XNNPACK's bits without its packing of the fresh right-hand
 *   operand). Otherwise wasm runs XNNPACK's GEMM only when neither operand is
 *   transposed; with transposeA or transposeB it falls to a loop ~12× slower. Transposing the
 *   operand first (wasm's Transpose, a cheap copy) keeps every product on the fast path; where
 *   it packs less, the product is taken as Cᵀ = Bᵀ·Aᵀ.
 * - Sum over leading axes (bias gradients: Σ over batch and space of an NHWC tensor): wasm
 *   transposes the whole tensor first; a running column sum over the heap (in wasm SIMD where
 *   available, simd.ts) is several times faster.
 * - Add of a tensor and a vector along its last axis (biases, forward): wasm's broadcasting loop
 *   computes every element's source index; SIMD rows (simd.ts) are ≈4× faster.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { GEMM_TILE_MAX_P, simdGemm, simdLoops, type SimdLoops } from './simd.js';
import { free, heapBuffer, heapF32, runWasm, type Info } from './wasm.js';

type KernelArgs = { inputs: Record<string, Info>; backend: BackendWasm; attrs: tf.NamedAttrMap };

function swapLastTwo(backend: BackendWasm, x: Info): Info {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return runWasm(backend, 'Transpose', { x }, { perm });
}

/**
 * Tensors XNNPACK has packed as a right-hand operand: wasm keeps the packed copy, keyed by the
 * tensor, until the tensor is disposed, so another product with the same right-hand side
 * costs no packing.
 */
const packedOperands = new WeakSet<object>();
/**
 * Tensors met as the right-hand operand of a product before: one met twice is a fixed weight
 * (inference), taken directly so that it is packed once and reused; a training step's weights
 * are fresh tensors at every step.
 */
const seenOperands = new WeakSet<object>();

// Relative costs, from timings on wasm SIMD: XNNPACK's packing of a fresh right-hand operand
// ≈ 5–10 ns per value, a transpose ≈ 0.3 ns per value plus a few µs per call. With these, at
// batch 32 the input gradient dy·Wᵀ of a 1568→64 layer takes 0.20 ms instead of 0.45 ms, its
// forward product 0.37 instead of 0.42 ms; a 64→10 layer's stays direct (reoriented it was slower).
const PACK = 20;
const COPY = 1;
const CALL = 10000;

/**
 * A kernel config that materialises transposed operands, then runs `original` untransposed.
 *
 * XNNPACK packs the right-hand operand B of C = A·B (K·N values) before multiplying, and in
 * training every B is fresh: the packing costs up to as much as the product. Where A has fewer
 * rows than B has columns (the batch against a layer's width: a dense layer's forward pass and
 * its input gradient dy·Wᵀ) the product is taken as Cᵀ = Bᵀ·Aᵀ, packing the smaller Aᵀ, and
 * transposed back. Each element of C is the same dot product summed in the same order either
 * way (tested bit for bit against the direct product); products with a bias or an activation
 * are always taken directly.
 */
export function untransposedMatMul(original: tf.KernelConfig): Omit<tf.KernelConfig, 'backendName'> {
  const run = (backend: BackendWasm, inputs: Record<string, Info>, attrs: tf.NamedAttrMap, a: Info, b: Info): Info => {
    packedOperands.add(b.dataId);
    return original.kernelFunc({ inputs: { ...inputs, a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } }) as Info;
  };
  const kernelFunc = ({ inputs, backend, attrs }: KernelArgs): Info | Info[] => {
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    const { a, b } = inputs;
    const simd = tileable(inputs, attrs) ? simdGemm(backend) : null;
    const tiled = simd ? simdProduct(backend, simd, a, b, inputs.bias, transposeA, transposeB) : null;
    if (tiled) return tiled;
    const fixed = !transposeB && seenOperands.has(b.dataId);
    if (!transposeB) seenOperands.add(b.dataId);
    if (!fixed && plainProduct(inputs, attrs) && reorientCheaper(a, b, transposeA, transposeB)) {
      const bT = transposeB ? b : swapLastTwo(backend, b);
      const aT = transposeA ? a : swapLastTwo(backend, a);
      let cT: Info | null = null;
      try {
        cT = run(backend, inputs, attrs, bT, aT);
        return swapLastTwo(backend, cT);
      } finally {
        if (!transposeB) free(backend, bT);
        if (!transposeA) free(backend, aT);
        if (cT) free(backend, cT);
      }
    }
    if (!transposeA && !transposeB) return run(backend, inputs, attrs, a, b);
    const a2 = transposeA ? swapLastTwo(backend, a) : a;
    const b2 = transposeB ? swapLastTwo(backend, b) : b;
    try {
      return run(backend, inputs, attrs, a2, b2);
    } finally {
      if (transposeA) free(backend, a2);
      if (transposeB) free(backend, b2);
    }
  };
  return { kernelName: original.kernelName, setupFunc: original.setupFunc, kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}

/**
 * C = op(A)·op(B) (+ bias) in wasm SIMD tiles (simd.ts gemmRows) for float32 operands: A is read
 * in place with any layout (its entries are loaded one at a time), B untransposed (a transposed B
 * is copied first). Each entry is summed from +0, or from its bias, in the order of k, one product
 * and one sum rounded at a time, as XNNPACK's GEMM does (no FMA): the same bits without XNNPACK's
 * packing of the right-hand operand, which training pays on every fresh B. Columns beyond the last
 * multiple of 4 go through a 4-column copy of B's (and the bias's) last columns, zero-padded.
 * Null where the tiles do not apply.
 */
function simdProduct(
  backend: BackendWasm,
  simd: SimdLoops,
  a: Info,
  b: Info,
  bias: Info | undefined,
  transposeA: boolean,
  transposeB: boolean,
): Info | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  const [ra, rb] = [a.shape.length, b.shape.length];
  const [M, K] = transposeA ? [a.shape[ra - 1], a.shape[ra - 2]] : [a.shape[ra - 2], a.shape[ra - 1]];
  const N = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  if (M * N * K === 0) return null;
  if (bias && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== N || bias.shape.at(-1) !== N)) return null;
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const bPlain = transposeB ? swapLastTwo(backend, b) : b;
  const out = backend.makeOutput([...outer, M, N], 'float32');
  const r = N % 4;
  const N4 = N - r;
  // The last r columns: B's as [K, 4] and the bias's as [4], zero-padded; the result as [M, 4].
  const tailB = r ? backend.makeOutput([K, 4], 'float32') : null;
  const tailBias = r && bias ? backend.makeOutput([4], 'float32') : null;
  const tailOut = r ? backend.makeOutput([M, 4], 'float32') : null;
  const at = (t: Info): number => backend.dataIdMap.get(t.dataId)!.memoryOffset;
  const [a0, b0, out0] = [at(a), at(bPlain), at(out)];
  // Position m's row of op(A): K floats, aK bytes apart, from a0 + m·posStride.
  const [posStride, aK] = transposeA ? [4, M * 4] : [K * 4, 4];
  const P = GEMM_TILE_MAX_P;
  const [chunks, rest] = [Math.floor(M / P), M % P];
  // Rows of 4V output columns from B's column `col` (rows bRow bytes apart) into out (rows outRow bytes apart).
  const columns = (V: number, bCol: number, biasCol: number, o: number, bRow: number, outRow: number): void => {
    if (chunks > 0) simd.gemmRows[P - 1][V - 1](a0, bCol, o, 1, chunks, 1, K, 0, posStride, bRow, outRow, 0, 0, aK, biasCol, 0);
    if (rest > 0) {
      const [aRest, oRest] = [a0 + chunks * P * posStride, o + chunks * P * outRow];
      simd.gemmRows[rest - 1][V - 1](aRest, bCol, oRest, 1, 1, 1, K, 0, posStride, bRow, outRow, 0, 0, aK, biasCol, 0);
    }
  };
  const bias0 = bias ? at(bias) : 0;
  for (let v = 0; v < N4 / 4; v += 2) {
    const V = Math.min(2, N4 / 4 - v);
    columns(V, b0 + v * 16, bias ? bias0 + v * 16 : 0, out0 + v * 16, N * 4, N * 4);
  }
  if (tailB && tailOut) {
    const heap = new Float32Array(heapBuffer(backend));
    const [tb, to, ob, bb] = [at(tailB) >> 2, at(tailOut) >> 2, out0 >> 2, b0 >> 2];
    for (let k = 0; k < K; k++) {
      for (let c = 0; c < 4; c++) heap[tb + 4 * k + c] = c < r ? heap[bb + k * N + N4 + c] : 0;
    }
    if (tailBias && bias) {
      const [tbias, b1] = [at(tailBias) >> 2, bias0 >> 2];
      for (let c = 0; c < 4; c++) heap[tbias + c] = c < r ? heap[b1 + N4 + c] : 0;
    }
    columns(1, at(tailB), tailBias ? at(tailBias) : 0, at(tailOut), 16, 16);
    for (let m = 0; m < M; m++) {
      for (let c = 0; c < r; c++) heap[ob + m * N + N4 + c] = heap[to + 4 * m + c];
    }
    free(backend, tailB, tailOut, ...(tailBias ? [tailBias] : []));
  }
  if (transposeB) free(backend, bPlain);
  return out;
}

/** A product the tiles take: one matrix pair (no batch), no activation (a bias is fine). */
function tileable(inputs: Record<string, Info | undefined>, attrs: tf.NamedAttrMap): boolean {
  const single = (x: Info | undefined): boolean => x !== undefined && tf.util.sizeFromShape(x.shape.slice(0, -2)) === 1;
  const activation = (attrs.activation as string | undefined) ?? 'linear';
  return single(inputs.a) && single(inputs.b) && !inputs.preluActivationWeights && activation === 'linear';
}

/** A single product (no batch) with no bias and no activation, so that Cᵀ = Bᵀ·Aᵀ holds element for element. */
function plainProduct(inputs: Record<string, Info | undefined>, attrs: tf.NamedAttrMap): boolean {
  const single = (x: Info | undefined): boolean => x !== undefined && tf.util.sizeFromShape(x.shape.slice(0, -2)) === 1;
  const activation = (attrs.activation as string | undefined) ?? 'linear';
  return single(inputs.a) && single(inputs.b) && !inputs.bias && !inputs.preluActivationWeights && activation === 'linear';
}

/** Whether Cᵀ = Bᵀ·Aᵀ (packing A) costs less than C = A·B (packing B), transposes included. */
function reorientCheaper(a: Info, b: Info, transposeA: boolean, transposeB: boolean): boolean {
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const packB = !transposeB && packedOperands.has(b.dataId) ? 0 : PACK * k * n;
  const packA = transposeA && packedOperands.has(a.dataId) ? 0 : PACK * k * m;
  const direct = packB + (transposeA ? COPY * m * k + CALL : 0) + (transposeB ? COPY * k * n + CALL : 0);
  const reoriented = packA + (transposeB ? 0 : COPY * n * k + CALL) + (transposeA ? 0 : COPY * k * m + CALL) + COPY * m * n + CALL;
  return reoriented < direct;
}

/**
 * Add of a float32 tensor and a vector along its last axis (the bias of every dense and conv
 * layer, forward): wasm's broadcasting loop computes each element's source index; rows of four
 * floats in wasm SIMD are ≈4× faster. The same float32 additions (a + b = b + a exactly).
 */
export function rowBroadcastAdd(original: tf.KernelConfig): Omit<tf.KernelConfig, 'backendName'> {
  const kernelFunc = ({ inputs, backend, attrs }: KernelArgs): Info | Info[] => {
    const { a, b } = inputs;
    const [x, bias] = tf.util.sizeFromShape(a.shape) >= tf.util.sizeFromShape(b.shape) ? [a, b] : [b, a];
    const C = x.shape.at(-1) ?? 0;
    const isRowVector = bias.shape.length <= x.shape.length && bias.shape.at(-1) === C && tf.util.sizeFromShape(bias.shape) === C;
    const simd = x.dtype === 'float32' && bias.dtype === 'float32' && isRowVector && C % 4 === 0 && C > 0 ? simdLoops(backend) : null;
    if (!simd || tf.util.sizeFromShape(x.shape) === C) return original.kernelFunc({ inputs, backend, attrs });
    const out = backend.makeOutput([...x.shape], 'float32');
    const at = (t: Info): number => backend.dataIdMap.get(t.dataId)!.memoryOffset;
    simd.addRows(at(x), at(bias), at(out), tf.util.sizeFromShape(x.shape) / C, C << 2);
    return out;
  };
  return { kernelName: original.kernelName, setupFunc: original.setupFunc, kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}

/** Sum that reduces leading axes itself and hands every other case to `original`. */
export function leadingAxesSum(original: tf.KernelConfig): Omit<tf.KernelConfig, 'backendName'> {
  const kernelFunc = ({ inputs, backend, attrs }: KernelArgs): Info | Info[] => {
    const { x } = inputs;
    const { axis, keepDims } = attrs as { axis: number | number[]; keepDims: boolean };
    const rank = x.shape.length;
    const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
    const leading = axes.length > 0 && axes.length < rank && axes.every((ax, i) => ax === i);
    if (x.dtype !== 'float32' || !leading) return original.kernelFunc({ inputs, backend, attrs });
    const rows = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
    const keptShape = x.shape.slice(axes.length);
    const cols = tf.util.sizeFromShape(keptShape);
    const outShape = keepDims ? [...axes.map(() => 1), ...keptShape] : keptShape;
    const out = backend.makeOutput(outShape, 'float32');
    const simd = cols % 2 === 0 ? simdLoops(backend) : null;
    if (simd) {
      // Two columns per f64x2 instruction, the same float64 sums in the same order; accumulators in a scratch tensor.
      const scratch = backend.makeOutput([2 * cols], 'float32');
      const at = (t: Info): number => backend.dataIdMap.get(t.dataId)!.memoryOffset;
      if (at(scratch) % 8 === 0) {
        const acc = new Float64Array(heapBuffer(backend), at(scratch), cols);
        acc.fill(0);
        simd.columnSums(at(x), at(scratch), rows, cols << 2);
        heapF32(backend, out).set(new Float64Array(heapBuffer(backend), at(scratch), cols));
        free(backend, scratch);
        return out;
      }
      free(backend, scratch);
    }
    const xs = heapF32(backend, x);
    const sums = heapF32(backend, out);
    sums.set(columnSums(xs, rows, cols));
    return out;
  };
  return { kernelName: original.kernelName, setupFunc: original.setupFunc, kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}

/** Σ over rows of a row-major [rows, cols] array, four rows per pass (float64 accumulators). */
function columnSums(xs: Float32Array, rows: number, cols: number): Float64Array {
  const acc = new Float64Array(cols);
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const a0 = r * cols;
    const a1 = a0 + cols;
    const a2 = a1 + cols;
    const a3 = a2 + cols;
    for (let c = 0; c < cols; c++) acc[c] += xs[a0 + c] + xs[a1 + c] + xs[a2 + c] + xs[a3 + c];
  }
  for (; r < rows; r++) {
    const at = r * cols;
    for (let c = 0; c < cols; c++) acc[c] += xs[at + c];
  }
  return acc;
}
