/**
 * A 2-D convolution layer's training pass, relu(conv(x, W) + b), as one kernel forward, one kernel
 * for the ReLU's mask and the bias's gradient, and one per other gradient. Under a gradient tape tf.layers'
 * Conv2D runs fused.conv2d unfused — the conv2d op, add, relu, and backward step, cast, mul, the
 * add's bias sum and reshape and the two conv2d gradient ops — each with its checks, dispatch and
 * tape node.
 *
 * Same bits: the kernels repeat those ops' float32 operations on the same operands — forward
 * Conv2D, then Add of the bias, then Relu (where cmkd's SIMD convolution runs, the add and the clip
 * in its tiles' epilogue, element by element; elsewhere wasm's own three kernels); backward
 * dz = dy · step(y) (step of the output: step(relu(z)) = step(z), NaN included; wasm's Step and
 * Multiply in one SIMD pass), dx = Conv2DBackpropInput(dz), dW = Conv2DBackpropFilter(x, dz),
 * db = Σ over batch, rows and columns of dz — without their op wrappers, dispatches, tape nodes
 * and intermediate tensors. conv2d-layer.test.ts compares values and gradients with
 * the stock layer's bit for bit.
 *
 * Used only while a gradient is being recorded (outside one TF.js fuses the ReLU into its
 * convolution, other bits), on wasm, for ReLU layers (a linear one runs FusedConv2D under the tape,
 * whose sums start from the bias: other bits); elsewhere `conv2dOnTape` returns null and the layer
 * runs as before.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { convDirect, convDirectLoops, geometry } from './conv2d.js';
import { simdLoops } from './simd.js';
import { free, runWasm, type Info } from './wasm.js';

const CONV = 'CmkdConv2D';
const RELU_MASK = 'CmkdReluMaskAndBias';

type Pad = 'same' | 'valid';
type Attrs = { strides: [number, number]; pad: Pad };
type Args = { inputs: Record<string, Info>; backend: BackendWasm; attrs: Attrs };

// The attributes tf.conv2d gives its kernels from a layer's call (NHWC, no dilation, no rounding mode)
const convAttrs = ({ strides, pad }: Attrs) => ({
  strides,
  pad,
  dataFormat: 'NHWC',
  dilations: [1, 1] as [number, number],
  dimRoundingMode: undefined,
});

// Relu(Add(Conv2D(x, W), b)): in one pass where the SIMD convolution runs (its epilogue adds the bias and clips, element by element)
function forward({ inputs, backend, attrs }: Args): Info {
  const { x, filter, bias } = inputs;
  const simd = bias.shape[0] % 4 === 0 ? convDirectLoops(backend, x, filter, convAttrs(attrs)) : null;
  if (simd) return convDirect(backend, simd, x, filter, geometry(x.shape, filter.shape, attrs.strides, attrs.pad, undefined), bias);
  const conv = runWasm(backend, 'Conv2D', { x, filter }, convAttrs(attrs) as unknown as tf.NamedAttrMap);
  const z = runWasm(backend, 'Add', { a: conv, b: bias });
  free(backend, conv);
  try {
    return runWasm(backend, 'Relu', { x: z });
  } finally {
    free(backend, z);
  }
}

// relu's gradient dz = dy · step(y) — wasm's Step and Multiply in one SIMD pass (simd.ts reluMask), or run as
// they are — and the bias's, Sum(dz) over all axes but the last, the add's gradient
function reluMaskAndBias(args: { inputs: Record<string, Info>; backend: BackendWasm }): Info[] {
  const dz = reluMask(args);
  const rank = dz.shape.length;
  const db = runWasm(args.backend, 'Sum', { x: dz }, { axis: Array.from({ length: rank - 1 }, (_, i) => i), keepDims: false });
  return [dz, db];
}

function reluMask({ inputs, backend }: { inputs: Record<string, Info>; backend: BackendWasm }): Info {
  const { dy, y } = inputs;
  const size = tf.util.sizeFromShape(y.shape);
  const simd = size % 4 === 0 && dy.dtype === 'float32' && y.dtype === 'float32' ? simdLoops(backend) : null;
  if (simd) {
    const out = backend.makeOutput([...y.shape], 'float32');
    const at = (t: Info): number => backend.dataIdMap.get(t.dataId)!.memoryOffset;
    simd.reluMask(at(dy), at(y), at(out), size * 4);
    return out;
  }
  const step = runWasm(backend, 'Step', { x: inputs.y }, { alpha: 0 });
  try {
    return runWasm(backend, 'Multiply', { a: inputs.dy, b: step });
  } finally {
    free(backend, step);
  }
}

export const conv2dLayerKernels: Omit<tf.KernelConfig, 'backendName'>[] = [
  { kernelName: CONV, kernelFunc: forward as unknown as tf.KernelFunc },
  { kernelName: RELU_MASK, kernelFunc: reluMaskAndBias as unknown as tf.KernelFunc },
];

export const conv2dLayerGradient: tf.GradConfig = {
  kernelName: CONV,
  inputsToSave: ['x', 'filter'],
  outputsToSave: [true],
  gradFunc: (dy, [x, filter, y], attrs) => {
    const a = attrs as unknown as Attrs;
    const engine = tf.engine();
    // The mask once for all three gradients, with the bias's gradient (tensors of the backward pass's scope, disposed with it).
    const [dz, db] = engine.runKernel(RELU_MASK, { dy: dy as tf.Tensor, y }) as tf.Tensor[];
    const { strides, pad, dataFormat, dimRoundingMode } = convAttrs(a);
    return {
      x: () =>
        engine.runKernel(tf.Conv2DBackpropInput, { dy: dz, filter }, {
          strides,
          pad,
          dataFormat,
          dimRoundingMode,
          inputShape: x.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
      filter: () =>
        engine.runKernel(tf.Conv2DBackpropFilter, { x, dy: dz }, {
          strides,
          pad,
          dataFormat,
          dimRoundingMode,
          filterShape: filter.shape,
        } as unknown as tf.NamedAttrMap) as tf.Tensor,
      bias: () => db,
    };
  },
};

const pair = (v: number | number[]): [number, number] | null =>
  typeof v === 'number' ? [v, v] : v.length === 2 ? [v[0], v[1]] : v.length === 1 ? [v[0], v[0]] : null;

/**
 * relu(conv2d(x, W) + b) for a Conv2D layer's forward pass under a gradient tape, as one
 * kernel with the same bits as the layer's own ops; null where that does not apply (not
 * recording, another backend, activation, padding mode, data format or rank, dilation, no bias).
 */
export function conv2dOnTape(
  x: tf.Tensor,
  filter: tf.Tensor,
  bias: tf.Tensor | null,
  options: { strides: number | number[]; padding: string; dilationRate: number | number[]; dataFormat: string; activation: string },
): tf.Tensor4D | null {
  const recording = (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0;
  if (!recording || tf.getKernel(CONV, tf.getBackend()) === undefined) return null;
  const { padding, dataFormat, activation } = options;
  const strides = pair(options.strides);
  const dilations = pair(options.dilationRate);
  if (activation !== 'relu') return null;
  if (padding !== 'same' && padding !== 'valid') return null;
  if (dataFormat !== 'channelsLast' || !strides || !dilations || dilations[0] !== 1 || dilations[1] !== 1) return null;
  if (
    !bias ||
    x.rank !== 4 ||
    filter.rank !== 4 ||
    bias.rank !== 1 ||
    x.dtype !== 'float32' ||
    filter.dtype !== 'float32' ||
    bias.dtype !== 'float32'
  ) {
    return null;
  }
  return tf.engine().runKernel(CONV, { x, filter, bias }, { strides, pad: padding }) as tf.Tensor4D;
}
