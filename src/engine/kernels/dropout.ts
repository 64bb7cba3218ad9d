/**
 * tf.dropout as one wasm kernel with a one-kernel gradient. TF.js draws the uniform noise u in
 * JavaScript and then runs add, floor, div and mul (with two scalar tensors) to form
 * x · floor(u + keep)/keep; on the small MLP that was four kernel calls and two uploads per
 * dropout layer and step. The kernel takes the same draw (tf.randomUniform with the layer's
 * seed, as tf.dropout makes it) and repeats the same float32 operations — (u + keep) rounded,
 * floored, divided by keep, times x — so its output and its gradient dy · floor(u + keep)/keep
 * are the same bits (kernels.test.ts compares them with tf.dropout's). Other backends, and a
 * noise shape other than x's, run tf.dropout.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapF32, type Info } from './wasm.js';

const DROPOUT = 'CmkdDropout';
const DROPOUT_GRAD = 'CmkdDropoutGrad';

type Args = { inputs: Record<string, Info>; backend: BackendWasm; attrs: { rate: number } };

/** out = x · floor(u + keep)/keep with keep = 1 − rate, every step rounded to float32 as tf.dropout's kernels round it. */
function scaleByMask({ inputs, backend, attrs }: Args, x: Info): Info {
  const out = backend.makeOutput([...x.shape], 'float32');
  const keep = Math.fround(1 - attrs.rate);
  const xs = heapF32(backend, x);
  const u = heapF32(backend, inputs.u);
  const ys = heapF32(backend, out);
  for (let k = 0; k < ys.length; k++) ys[k] = xs[k] * Math.fround(Math.floor(Math.fround(u[k] + keep)) / keep);
  return out;
}

const forward = (args: Args): Info => scaleByMask(args, args.inputs.x);
// mul's gradient with respect to x: dy times the same multiplier
const backward = (args: Args): Info => scaleByMask(args, args.inputs.dy);

export const dropoutKernels: Omit<tf.KernelConfig, 'backendName'>[] = [
  { kernelName: DROPOUT, kernelFunc: forward as unknown as tf.KernelFunc },
  { kernelName: DROPOUT_GRAD, kernelFunc: backward as unknown as tf.KernelFunc },
];

export const dropoutGradient: tf.GradConfig = {
  kernelName: DROPOUT,
  inputsToSave: ['u'],
  gradFunc: (dy, [u], attrs) => ({
    x: () => tf.engine().runKernel(DROPOUT_GRAD, { dy: dy as tf.Tensor, u }, attrs) as tf.Tensor,
  }),
};

/** tf.dropout(x, rate, undefined, seed): one kernel on wasm, TF.js's ops elsewhere. */
export function dropout(x: tf.Tensor, rate: number, seed?: number): tf.Tensor {
  if (tf.getKernel(DROPOUT, tf.getBackend()) === undefined || x.dtype !== 'float32' || !(rate > 0 && rate < 1)) {
    return tf.dropout(x, rate, undefined, seed);
  }
  return tf.tidy(() => {
    const u = tf.randomUniform(x.shape, 0, 1, 'float32', seed);
    return tf.engine().runKernel(DROPOUT, { x, u }, { rate }) as tf.Tensor;
  });
}
