/**
 * Faster wrappers around wasm kernels whose slow paths training hits on every step.
 *
 * - BatchMatMul / _FusedMatMul: wasm runs XNNPACK's GEMM only when neither operand is
 *   transposed; with transposeA or transposeB (every dense and conv backward pass) it falls
 *   to a loop ~12× slower. Transposing the operand first (wasm's Transpose, a cheap copy)
 *   keeps every product on the fast path.
 * - Sum over leading axes (bias gradients: Σ over batch and space of an NHWC tensor): wasm
 *   transposes the whole tensor first; a running row sum over the heap is several times faster.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { free, heapF32, runWasm, type Info } from './wasm.js';

type KernelArgs = { inputs: Record<string, Info>; backend: BackendWasm; attrs: tf.NamedAttrMap };

function swapLastTwo(backend: BackendWasm, x: Info): Info {
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return runWasm(backend, 'Transpose', { x }, { perm });
}

/** A kernel config that materialises transposed operands, then runs `original` untransposed. */
export function untransposedMatMul(original: tf.KernelConfig): Omit<tf.KernelConfig, 'backendName'> {
  const kernelFunc = ({ inputs, backend, attrs }: KernelArgs): Info | Info[] => {
    const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
    if (!transposeA && !transposeB) return original.kernelFunc({ inputs, backend, attrs });
    const a = transposeA ? swapLastTwo(backend, inputs.a) : inputs.a;
    const b = transposeB ? swapLastTwo(backend, inputs.b) : inputs.b;
    try {
      return original.kernelFunc({ inputs: { ...inputs, a, b }, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
    } finally {
      if (transposeA) free(backend, a);
      if (transposeB) free(backend, b);
    }
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
