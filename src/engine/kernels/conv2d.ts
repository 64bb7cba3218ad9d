/**
 * Conv2D and its gradients for the wasm backend.
 *
 * - Conv2D (wasm's is XNNPACK's): an implicit GEMM in wasm SIMD over a zero-padded copy of x
 *   (directConv2D below), the same bits without XNNPACK's per-call operator and filter packing.
 * - Conv2DBackpropFilter (missing on wasm): dW[K, Cout] = colsᵀ[K, M] · dy[M, Cout], with
 *   M = N·OH·OW output positions and K = FH·FW·Cin patch entries. When Cout is a multiple of 4,
 *   straight from x and dy in wasm SIMD tiles (simd.ts filterTile; 3.5× faster at the quick CNN's
 *   first layer, 2.2× at its second); otherwise im2col + XNNPACK's matMul, colsᵀ written directly
 *   from x transposed to [Cin, N, H, W], so every copied row is contiguous. Both give the same
 *   bits: each entry is the float32 sum over the positions in order.
 * - Conv2DBackpropInput (wasm has a naive one, ~10× slower): for stride 1 a forward Conv2D of
 *   dy with the spatially flipped, in/out-swapped filter (the Conv2D above); otherwise
 *   dcols[M, K] = dy[M, Cout] · Wᵀ[Cout, K] followed by col2im (scatter-add into dx).
 * Only non-transposed matMuls are used: wasm's transposed BatchMatMul paths are ~12× slower.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { GEMM_TILE_MAX_P, GEMM_TILE_MAX_V, FILTER_TILE_MAX_T, FILTER_TILE_MAX_V, simdGemm, type SimdLoops } from './simd.js';
import { assertChannelsLast, free, heapBuffer, runWasm, reshaped, type Info } from './wasm.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;
type Shape4 = [number, number, number, number];

export interface Geometry {
  N: number;
  H: number;
  W: number;
  Cin: number;
  OH: number;
  OW: number;
  Cout: number;
  FH: number;
  FW: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
  bottom: number;
  right: number;
}

export function geometry(
  xShape: number[],
  filterShape: number[],
  strides: number | [number, number],
  pad: Pad,
  rounding: Rounding,
): Geometry {
  const info = tf.backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, strides, 1, pad, rounding, false, 'channelsLast');
  return {
    N: info.batchSize,
    H: info.inHeight,
    W: info.inWidth,
    Cin: info.inChannels,
    OH: info.outHeight,
    OW: info.outWidth,
    Cout: info.outChannels,
    FH: info.filterHeight,
    FW: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
    bottom: info.padInfo.bottom,
    right: info.padInfo.right,
  };
}

/** The whole heap as float32, addressed by element offset. */
function heapOf(backend: BackendWasm): Float32Array {
  return new Float32Array(heapBuffer(backend));
}

function offsetOf(backend: BackendWasm, info: Info): number {
  return backend.dataIdMap.get(info.dataId)!.memoryOffset / 4;
}

/** colsᵀ[k, m] = x[n, oh·sh + fh − top, ow·sw + fw − left, ci], zero outside; xT is x as [Cin, N, H, W]. */
function im2colTransposed(heap: Float32Array, xT: number, cols: number, g: Geometry): void {
  const { N, H, W, Cin, OH, OW, FH, FW, sh, sw, top, left } = g;
  const M = N * OH * OW;
  if (sh === 1 && sw === 1 && OH === H && OW === W) {
    im2colTransposedSame(heap, xT, cols, g);
    return;
  }
  for (let fh = 0; fh < FH; fh++) {
    for (let fw = 0; fw < FW; fw++) {
      const owLo = Math.min(OW, Math.max(0, Math.ceil((left - fw) / sw)));
      const owHi = Math.max(owLo, Math.min(OW, Math.floor((W - 1 + left - fw) / sw) + 1));
      for (let ci = 0; ci < Cin; ci++) {
        let dst = cols + ((fh * FW + fw) * Cin + ci) * M;
        for (let n = 0; n < N; n++) {
          const plane = xT + (ci * N + n) * H * W;
          for (let oh = 0; oh < OH; oh++, dst += OW) {
            const ih = oh * sh + fh - top;
            if (ih < 0 || ih >= H) {
              heap.fill(0, dst, dst + OW);
              continue;
            }
            const src = plane + ih * W + fw - left;
            for (let ow = 0; ow < owLo; ow++) heap[dst + ow] = 0;
            if (sw === 1) {
              for (let ow = owLo; ow < owHi; ow++) heap[dst + ow] = heap[src + ow];
            } else {
              for (let ow = owLo; ow < owHi; ow++) heap[dst + ow] = heap[src + ow * sw];
            }
            for (let ow = owHi; ow < OW; ow++) heap[dst + ow] = 0;
          }
        }
      }
    }
  }
}

/**
 * Stride 1 with output size = input size ('same'): colsᵀ row (fh, fw, ci) is channel ci of x,
 * all images at once, shifted by (fh − top)·W + (fw − left) — one memmove per row, then the
 * positions whose source lies outside the image are zeroed.
 */
function im2colTransposedSame(heap: Float32Array, xT: number, cols: number, g: Geometry): void {
  const { N, H, W, Cin, FH, FW, top, left } = g;
  const plane = H * W;
  const M = N * plane;
  for (let fh = 0; fh < FH; fh++) {
    const dh = fh - top;
    for (let fw = 0; fw < FW; fw++) {
      const dw = fw - left;
      const shift = dh * W + dw;
      const owLo = Math.max(0, -dw);
      const owHi = Math.min(W, W - dw);
      for (let ci = 0; ci < Cin; ci++) {
        const dst = cols + ((fh * FW + fw) * Cin + ci) * M;
        const src = xT + ci * M;
        // dst[m] = src[m + shift] wherever that stays inside this channel's [N, H, W] block.
        if (shift >= 0) {
          heap.copyWithin(dst, src + shift, src + M);
          heap.fill(0, dst + M - shift, dst + M);
        } else {
          heap.copyWithin(dst - shift, src, src + M + shift);
          heap.fill(0, dst, dst - shift);
        }
        for (let n = 0; n < N; n++) {
          for (let oh = 0; oh < H; oh++) {
            const row = dst + n * plane + oh * W;
            const ih = oh + dh;
            if (ih < 0 || ih >= H) {
              heap.fill(0, row, row + W);
              continue;
            }
            for (let ow = 0; ow < owLo; ow++) heap[row + ow] = 0;
            for (let ow = owHi; ow < W; ow++) heap[row + ow] = 0;
          }
        }
      }
    }
  }
}

/** dx[n, ih, iw, ci] += dcols[m, (fh·FW + fw)·Cin + ci] over the patches containing (ih, iw). */
function col2im(heap: Float32Array, dcols: number, dx: number, g: Geometry): void {
  const { N, H, W, Cin, OH, OW, FH, FW, sh, sw, top, left } = g;
  const K = FH * FW * Cin;
  heap.fill(0, dx, dx + N * H * W * Cin);
  let src = dcols;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++, src += K) {
        for (let fh = 0; fh < FH; fh++) {
          const ih = oh * sh + fh - top;
          if (ih < 0 || ih >= H) continue;
          for (let fw = 0; fw < FW; fw++) {
            const iw = ow * sw + fw - left;
            if (iw < 0 || iw >= W) continue;
            const d = dx + ((n * H + ih) * W + iw) * Cin;
            const s = src + (fh * FW + fw) * Cin;
            for (let ci = 0; ci < Cin; ci++) heap[d + ci] += heap[s + ci];
          }
        }
      }
    }
  }
}

interface BackpropFilterAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: string;
  dimRoundingMode?: Rounding;
  filterShape: Shape4;
}

function conv2DBackpropFilter({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: BackpropFilterAttrs;
}): Info {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  assertChannelsLast('Conv2DBackpropFilter', dataFormat);
  const g = geometry(x.shape, filterShape, strides, pad, dimRoundingMode);
  const simd = g.Cout % 4 === 0 && x.dtype === 'float32' && dy.dtype === 'float32' ? simdGemm(backend) : null;
  if (simd) return backpropFilterDirect(backend, simd, x, dy, g);
  return backpropFilterByIm2col(backend, x, dy, g);
}

/**
 * dW = colsᵀ · dy through im2col and wasm's matMul (XNNPACK): each dW entry is the float32 sum
 * over the positions m = (n, oh, ow) in order, acc ← acc + x·dy from +0 (XNNPACK's GEMM without
 * FMA), as the kernel tests check. Used where the SIMD tiles cannot be (Cout not a multiple of 4).
 */
export function backpropFilterByIm2col(backend: BackendWasm, x: Info, dy: Info, g: Geometry): Info {
  const filterShape = [g.FH, g.FW, g.Cin, g.Cout];
  const M = g.N * g.OH * g.OW;
  const K = g.FH * g.FW * g.Cin;
  const xT = g.Cin === 1 ? reshaped(backend, x, [1, g.N, g.H, g.W]) : runWasm(backend, 'Transpose', { x }, { perm: [3, 0, 1, 2] });
  const cols = backend.makeOutput([K, M], 'float32');
  im2colTransposed(heapOf(backend), offsetOf(backend, xT), offsetOf(backend, cols), g);
  const dy2d = reshaped(backend, dy, [M, g.Cout]);
  const dW = runWasm(backend, 'BatchMatMul', { a: cols, b: dy2d }, { transposeA: false, transposeB: false });
  free(backend, xT, cols, dy2d);
  return { dataId: dW.dataId, shape: filterShape, dtype: 'float32' };
}

/**
 * The same sums straight from x and dy in wasm SIMD (simd.ts filterTile), with no im2col copy and
 * no packing of the fresh dy that XNNPACK does before every product: for each image, each filter
 * tap and each tile of input × output channels, one pass over the output positions whose input
 * lies inside the image (the others add x = 0, which leaves a sum started at +0 unchanged). Every
 * entry still adds its products in the order of the positions, from +0, rounding each product and
 * each sum to float32: the im2col path's bits.
 */
export function backpropFilterDirect(backend: BackendWasm, simd: SimdLoops, x: Info, dy: Info, g: Geometry): Info {
  const { N, H, W, Cin, OH, OW, Cout, FH, FW, sh, sw, top, left } = g;
  const dW = backend.makeOutput([FH, FW, Cin, Cout], 'float32');
  const out0 = offsetOf(backend, dW);
  heapOf(backend).fill(0, out0, out0 + FH * FW * Cin * Cout);
  const [x0, dy0, dW0] = [offsetOf(backend, x) * 4, offsetOf(backend, dy) * 4, out0 * 4];
  const vectors = Cout / 4;
  // Tiles of at most 8 accumulators: V vectors of output channels by T input channels.
  const V = Math.min(vectors, 2, FILTER_TILE_MAX_V);
  const T = Math.min(Cin, FILTER_TILE_MAX_T, Math.max(1, Math.floor(8 / V)));
  const [xRowStep, dyRowStep, xColStep, dyColStep, outStride] = [sh * W * Cin * 4, OW * Cout * 4, sw * Cin * 4, Cout * 4, Cout * 4];
  for (let n = 0; n < N; n++) {
    for (let fh = 0; fh < FH; fh++) {
      const ohLo = Math.min(OH, Math.max(0, Math.ceil((top - fh) / sh)));
      const ohHi = Math.max(ohLo, Math.min(OH, Math.floor((H - 1 + top - fh) / sh) + 1));
      if (ohLo === ohHi) continue;
      for (let fw = 0; fw < FW; fw++) {
        const owLo = Math.min(OW, Math.max(0, Math.ceil((left - fw) / sw)));
        const owHi = Math.max(owLo, Math.min(OW, Math.floor((W - 1 + left - fw) / sw) + 1));
        if (owLo === owHi) continue;
        const xAt = x0 + ((n * H + ohLo * sh + fh - top) * W + owLo * sw + fw - left) * Cin * 4;
        const dyAt = dy0 + ((n * OH + ohLo) * OW + owLo) * Cout * 4;
        const outAt = dW0 + (fh * FW + fw) * Cin * Cout * 4;
        for (let ci = 0; ci < Cin; ci += T) {
          const t = Math.min(T, Cin - ci);
          for (let v = 0; v < vectors; v += V) {
            const u = Math.min(V, vectors - v);
            simd.filterTile[t - 1][u - 1](
              xAt + ci * 4,
              dyAt + v * 16,
              outAt + ci * Cout * 4 + v * 16,
              ohHi - ohLo,
              owHi - owLo,
              xRowStep,
              dyRowStep,
              xColStep,
              dyColStep,
              outStride,
            );
          }
        }
      }
    }
  }
  return dW;
}

interface BackpropInputAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: string;
  dimRoundingMode?: Rounding;
  inputShape: Shape4;
}

function conv2DBackpropInput({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: BackpropInputAttrs;
}): Info {
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  assertChannelsLast('Conv2DBackpropInput', dataFormat);
  const g = geometry(inputShape, filter.shape, strides, pad, dimRoundingMode);
  const padsFit = g.top < g.FH && g.bottom < g.FH && g.left < g.FW && g.right < g.FW;
  if (g.sh === 1 && g.sw === 1 && padsFit) return backpropInputByConv(backend, dy, filter, g);
  return backpropInputByCol2im(backend, dy, filter, g);
}

/** Stride 1: dx = conv2d(dy, W̃) with W̃[a, b, co, ci] = W[FH−1−a, FW−1−b, ci, co] and pads FH−1−top etc. */
function backpropInputByConv(backend: BackendWasm, dy: Info, filter: Info, g: Geometry): Info {
  const { FH, FW, Cin, Cout } = g;
  const flipped = backend.makeOutput([FH, FW, Cout, Cin], 'float32');
  const heap = heapOf(backend);
  const w = offsetOf(backend, filter);
  const f = offsetOf(backend, flipped);
  for (let a = 0; a < FH; a++) {
    for (let b = 0; b < FW; b++) {
      const src = w + ((FH - 1 - a) * FW + (FW - 1 - b)) * Cin * Cout;
      const dst = f + (a * FW + b) * Cout * Cin;
      for (let ci = 0; ci < Cin; ci++) {
        for (let co = 0; co < Cout; co++) heap[dst + co * Cin + ci] = heap[src + ci * Cout + co];
      }
    }
  }
  const pad: tf.backend_util.ExplicitPadding = [
    [0, 0],
    [FH - 1 - g.top, FH - 1 - g.bottom],
    [FW - 1 - g.left, FW - 1 - g.right],
    [0, 0],
  ];
  const dx = runWasm(backend, 'Conv2D', { x: dy, filter: flipped }, { strides: [1, 1], pad, dilations: [1, 1], dataFormat: 'NHWC' });
  free(backend, flipped);
  return dx;
}

function backpropInputByCol2im(backend: BackendWasm, dy: Info, filter: Info, g: Geometry): Info {
  const M = g.N * g.OH * g.OW;
  const K = g.FH * g.FW * g.Cin;
  const w2d = reshaped(backend, filter, [K, g.Cout]);
  const wT = runWasm(backend, 'Transpose', { x: w2d }, { perm: [1, 0] });
  const dy2d = reshaped(backend, dy, [M, g.Cout]);
  const dcols = runWasm(backend, 'BatchMatMul', { a: dy2d, b: wT }, { transposeA: false, transposeB: false });
  const dx = backend.makeOutput([g.N, g.H, g.W, g.Cin], 'float32');
  col2im(heapOf(backend), offsetOf(backend, dcols), offsetOf(backend, dx), g);
  free(backend, w2d, wT, dy2d, dcols);
  return dx;
}

export interface Conv2DAttrs {
  strides: number | [number, number];
  pad: Pad;
  dataFormat?: string;
  dilations?: number | [number, number];
  dimRoundingMode?: Rounding;
}

/**
 * The forward Conv2D as an implicit GEMM in wasm SIMD (simd.ts gemmRows) over a zero-padded copy
 * of x, where wasm's is XNNPACK's indirect GEMM: no operator to create, no filter to pack and no
 * indirection buffer to fill on every step (training's filters are fresh tensors). Each output is
 * summed from +0 over the taps (fh, fw) and input channels in that order, acc ← acc + x·w, padded
 * taps adding 0·w as XNNPACK's zero buffer does: XNNPACK's bits, as the kernel tests check. Falls
 * back to `original` for dilations, NCHW, an output channel count not a multiple of 4, or no SIMD.
 */
/** The SIMD loops when convDirect can run this Conv2D (float32, NHWC, no dilation, output channels a multiple of 4), else null. */
export function convDirectLoops(backend: BackendWasm, x: Info, filter: Info, attrs: Conv2DAttrs): SimdLoops | null {
  const { dataFormat, dilations } = attrs;
  const dilated = dilations !== undefined && (Array.isArray(dilations) ? dilations[0] !== 1 || dilations[1] !== 1 : dilations !== 1);
  const nhwc = dataFormat === undefined || dataFormat === 'NHWC' || dataFormat === 'channelsLast';
  const float32 = x.dtype === 'float32' && filter.dtype === 'float32';
  return float32 && !dilated && nhwc && filter.shape[3] % 4 === 0 ? simdGemm(backend) : null;
}

export function directConv2D(original: tf.KernelConfig): Omit<tf.KernelConfig, 'backendName'> {
  const kernelFunc = (args: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: Conv2DAttrs }): Info => {
    const { inputs, backend, attrs } = args;
    const { x, filter } = inputs as { x: Info; filter: Info };
    const { strides, pad, dimRoundingMode } = attrs;
    const simd = convDirectLoops(backend, x, filter, attrs);
    if (!simd) return original.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as Info;
    return convDirect(backend, simd, x, filter, geometry(x.shape, filter.shape, strides, pad, dimRoundingMode));
  };
  return { kernelName: original.kernelName, kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}

/** The convolution; with reluBias, relu(conv + reluBias) in the same pass (gemmRows' epilogue: Add then Relu's bits). */
export function convDirect(backend: BackendWasm, simd: SimdLoops, x: Info, filter: Info, g: Geometry, reluBias?: Info): Info {
  const { N, H, W, Cin, OH, OW, Cout, FH, FW, sh, sw, top, left, bottom, right } = g;
  const out = backend.makeOutput([N, OH, OW, Cout], 'float32');
  if (N * OH * OW === 0) return out;
  const padded = top + bottom + left + right > 0;
  const [Hp, Wp] = [H + top + bottom, W + left + right];
  const xp = padded ? backend.makeOutput([N, Hp, Wp, Cin], 'float32') : x;
  if (padded) {
    const heap = heapOf(backend);
    const [src0, dst0] = [offsetOf(backend, x), offsetOf(backend, xp)];
    heap.fill(0, dst0, dst0 + N * Hp * Wp * Cin);
    for (let n = 0; n < N; n++) {
      for (let h = 0; h < H; h++) {
        const src = src0 + (n * H + h) * W * Cin;
        heap.copyWithin(dst0 + ((n * Hp + h + top) * Wp + left) * Cin, src, src + W * Cin);
      }
    }
  }
  const [a0, b0, out0] = [offsetOf(backend, xp) * 4, offsetOf(backend, filter) * 4, offsetOf(backend, out) * 4];
  const relu0 = reluBias ? offsetOf(backend, reluBias) * 4 : 0;
  const P = GEMM_TILE_MAX_P;
  const [chunks, rest] = [Math.floor(OW / P), OW % P];
  const [posStride, segStride, aRowStep, outRowStep] = [sw * Cin * 4, Wp * Cin * 4, sh * Wp * Cin * 4, OW * Cout * 4];
  // Tiles of at most 8 accumulators: P positions by V vectors of output channels.
  const pass = (positions: number, count: number, a: number, o: number): void => {
    const most = Math.min(GEMM_TILE_MAX_V, Math.max(1, Math.floor(8 / positions)));
    for (let v = 0; v < Cout / 4; v += most) {
      const V = Math.min(most, Cout / 4 - v);
      simd.gemmRows[positions - 1][V - 1](
        a,
        b0 + v * 16,
        o + v * 16,
        OH,
        count,
        FH,
        FW * Cin,
        segStride,
        posStride,
        Cout * 4,
        Cout * 4,
        aRowStep,
        outRowStep,
        4,
        0,
        relu0 === 0 ? 0 : relu0 + v * 16,
      );
    }
  };
  for (let n = 0; n < N; n++) {
    const a = a0 + n * Hp * Wp * Cin * 4;
    const o = out0 + n * OH * OW * Cout * 4;
    if (chunks > 0) pass(P, chunks, a, o);
    if (rest > 0) pass(rest, 1, a + chunks * P * posStride, o + chunks * P * Cout * 4);
  }
  if (padded) free(backend, xp);
  return out;
}

export const conv2DBackpropFilterConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
};

export const conv2DBackpropInputConfig = {
  kernelName: tf.Conv2DBackpropInput,
  kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
};
