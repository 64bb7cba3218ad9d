/**
 * A dense layer's training pass, relu(x·W + b) or x·W + b, as one kernel forward and one kernel
 * per gradient. Under a gradient tape TF.js runs a ReLU layer unfused — matMul, add, relu, and
 * backward step, cast, mul, a bias sum and reshapes around two matMuls — and a linear one through
 * fused.matMul's custom gradient with reshapes on both sides: about 15 kernel calls per layer and
 * step, each with its tape node, on the small MLP more than its arithmetic.
 *
 * Same bits: the kernels run wasm's (and cmkd's) own kernels on the same operands as those ops —
 * ReLU: BatchMatMul, then Add of the bias, then Relu; gradient: dz = dy · step(y) (step of the
 * output: step(relu(z)) = step(z), NaN included), dx = dz·Wᵀ, dW = xᵀ·dz, db = Σ_rows dz; linear:
 * _FusedMatMul with the bias, as fused.matMul — without their dispatches, tape nodes and reshapes.
 * dense.test.ts compares values and gradients with the stock ops' bit for bit.
 *
 * Used only while a gradient is being recorded (outside one TF.js fuses the ReLU into the product,
 * other bits), on wasm; elsewhere `denseOnTape` returns null and the layer runs as before.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { free, reshaped, runWasm, type Info } from './wasm.js';

const DENSE = 'CmkdDense';
const DENSE_GRAD = 'CmkdDenseGrad';

export type DenseActivation = 'relu' | 'linear';
type Attrs = { activation: DenseActivation; wrt?: 'x' | 'w' | 'bias' };
type Args = { inputs: Record<string, Info>; backend: BackendWasm; attrs: Attrs };

const NO_TRANSPOSE = { transposeA: false, transposeB: false };

// relu: Relu(Add(BatchMatMul(x, W), b)); linear: _FusedMatMul(x, W, b) as fused.matMul calls it (3-D operands)
function forward({ inputs, backend, attrs }: Args): Info {
  const { x, w, bias } = inputs;
  const [rows, inner] = x.shape;
  const cols = w.shape[1];
  if (attrs.activation === 'linear') {
    const x3 = reshaped(backend, x, [1, rows, inner]);
    const w3 = reshaped(backend, w, [1, inner, cols]);
    try {
      const y = runWasm(backend, '_FusedMatMul', { a: x3, b: w3, bias }, { ...NO_TRANSPOSE, activation: 'linear', leakyreluAlpha: 0.2 });
      return { dataId: y.dataId, shape: [rows, cols], dtype: 'float32' };
    } finally {
      free(backend, x3, w3);
    }
  }
  const product = runWasm(backend, 'BatchMatMul', { a: x, b: w }, NO_TRANSPOSE);
  const z = runWasm(backend, 'Add', { a: product, b: bias });
  try {
    return runWasm(backend, 'Relu', { x: z });
  } finally {
    free(backend, product, z);
  }
}

// The gradient with respect to one input, for upstream dy and the forward output y
function backward({ inputs, backend, attrs }: Args): Info {
  const { dy, x, w, y } = inputs;
  const [rows, inner] = x.shape;
  const cols = w.shape[1];
  let dz: Info;
  if (attrs.activation === 'relu') {
    // wasm's own Step and Multiply (vectorised; a JavaScript loop here measured slower)
    const step = runWasm(backend, 'Step', { x: y }, { alpha: 0 });
    dz = runWasm(backend, 'Multiply', { a: dy, b: step });
    free(backend, step);
  } else {
    dz = reshaped(backend, dy, [1, rows, cols]);
  }
  // The relu path's products take 2-D operands (matMul's gradient), the linear path's 3-D ones (fused.matMul's).
  const as = (t: Info, shape: number[]): Info => reshaped(backend, t, attrs.activation === 'relu' ? shape : [1, ...shape]);
  const views: Info[] = [dz];
  const view = (t: Info, shape: number[]): Info => {
    const v = as(t, shape);
    views.push(v);
    return v;
  };
  try {
    let out: Info;
    if (attrs.wrt === 'x') {
      out = runWasm(
        backend,
        'BatchMatMul',
        { a: view(dz, [rows, cols]), b: view(w, [inner, cols]) },
        { transposeA: false, transposeB: true },
      );
    } else if (attrs.wrt === 'w') {
      out = runWasm(
        backend,
        'BatchMatMul',
        { a: view(x, [rows, inner]), b: view(dz, [rows, cols]) },
        { transposeA: true, transposeB: false },
      );
    } else {
      const d = view(dz, [rows, cols]);
      out = runWasm(backend, 'Sum', { x: d }, { axis: attrs.activation === 'relu' ? [0] : [0, 1], keepDims: false });
    }
    const shape = attrs.wrt === 'x' ? x.shape : attrs.wrt === 'w' ? w.shape : [cols];
    return { dataId: out.dataId, shape: [...shape], dtype: 'float32' };
  } finally {
    free(backend, ...views);
  }
}

export const denseKernels: Omit<tf.KernelConfig, 'backendName'>[] = [
  { kernelName: DENSE, kernelFunc: forward as unknown as tf.KernelFunc },
  { kernelName: DENSE_GRAD, kernelFunc: backward as unknown as tf.KernelFunc },
];

export const denseGradient: tf.GradConfig = {
  kernelName: DENSE,
  inputsToSave: ['x', 'w'],
  outputsToSave: [true],
  gradFunc: (dy, [x, w, y], attrs) => {
    const along = (wrt: 'x' | 'w' | 'bias') => () =>
      tf.engine().runKernel(DENSE_GRAD, { dy: dy as tf.Tensor, x, w, y }, { ...attrs, wrt }) as tf.Tensor;
    return { x: along('x'), w: along('w'), bias: along('bias') };
  },
};

/**
 * activation(x·W + b) for a dense layer's forward pass under a gradient tape, as one kernel with
 * the same bits as the layer's own ops; null where that does not apply (not recording, another
 * backend, another activation or rank, no bias).
 */
export function denseOnTape(x: tf.Tensor, w: tf.Tensor, bias: tf.Tensor | null, activation: string): tf.Tensor2D | null {
  const recording = (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0;
  if (!recording || tf.getKernel(DENSE, tf.getBackend()) === undefined) return null;
  if (activation !== 'relu' && activation !== 'linear') return null;
  if (
    !bias ||
    x.rank !== 2 ||
    w.rank !== 2 ||
    bias.rank !== 1 ||
    x.dtype !== 'float32' ||
    w.dtype !== 'float32' ||
    bias.dtype !== 'float32'
  ) {
    return null;
  }
  return tf.engine().runKernel(DENSE, { x, w, bias }, { activation }) as tf.Tensor2D;
}
