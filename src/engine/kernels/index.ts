import * as tf from '@tensorflow/tfjs';
import { conv2DBackpropFilterConfig, conv2DBackpropInputConfig, directConv2D } from './conv2d.js';
import { conv2dLayerGradient, conv2dLayerKernels } from './conv2d-layer.js';
import { denseGradient, denseKernels } from './dense.js';
import { dropoutGradient, dropoutKernels } from './dropout.js';
import { depthwiseBackpropFilterConfig, depthwiseBackpropInputConfig } from './depthwise.js';
import { shareSavedTensorsOnWasm, sharedCast, sharedIdentity } from './identity.js';
import { leadingAxesSum, rowBroadcastAdd, untransposedMatMul } from './matmul.js';
import { maxPoolGradConfig } from './pool.js';
import { unsortedSegmentSumConfig } from './segment.js';
import { softmaxLossGradients, softmaxLossKernels } from './softmax-losses.js';

type Config = Omit<tf.KernelConfig, 'backendName'>;

/** Kernels the wasm backend lacks (TF.js 4.22), built from kernels it has. */
const MISSING: Config[] = [
  conv2DBackpropFilterConfig,
  depthwiseBackpropFilterConfig,
  depthwiseBackpropInputConfig,
  unsortedSegmentSumConfig,
  // One-kernel softmax losses and their gradients (softmax-losses.ts): kernels of cmkd's own, no other backend has them.
  ...softmaxLossKernels,
  // tf.dropout as one kernel and its gradient (dropout.ts).
  ...dropoutKernels,
  // A dense layer's training pass as one kernel and its gradients (dense.ts).
  ...denseKernels,
  // A conv layer's training pass as one kernel, its ReLU mask with the bias's gradient as one (conv2d-layer.ts).
  ...conv2dLayerKernels,
];

/**
 * Kernels wasm has but that we replace: its Conv2DBackpropInput is a naive loop (~10× slower
 * than ours) and its MaxPoolGrad is wrong when a window's maximum is negative.
 */
const REPLACED: Config[] = [conv2DBackpropInputConfig, maxPoolGradConfig];

/** wasm kernels wrapped to avoid their slow paths or copies (see matmul.ts, identity.ts, conv2d.ts); built from the originals. */
const WRAPPED: [string, (original: tf.KernelConfig) => Config][] = [
  ['Conv2D', directConv2D],
  ['BatchMatMul', untransposedMatMul],
  ['_FusedMatMul', untransposedMatMul],
  ['Sum', leadingAxesSum],
  ['Add', rowBroadcastAdd],
  ['Identity', sharedIdentity],
  ['Cast', sharedCast],
];

let registered: string[] | null = null;
const originals = new Map<string, tf.KernelConfig>();

/** wasm's own kernel `name` as it was before registerWasmGradientKernels() wrapped it (for tests), if wrapped. */
export function originalWasmKernel(name: string): tf.KernelConfig | undefined {
  return originals.get(name);
}

/**
 * Gradient kernels the wasm backend lacks, built from kernels it has, plus replacements
 * for slow or wrong ones. Registered once by initEngine() when the wasm backend is
 * chosen; returns the names it registered (idempotent). Also makes the tape save tensors
 * without an Identity dispatch on wasm (identity.ts shareSavedTensorsOnWasm).
 */
export function registerWasmGradientKernels(): string[] {
  if (registered) return registered;
  registered = [];
  for (const config of MISSING) {
    if (!tf.getKernel(config.kernelName, 'wasm')) {
      tf.registerKernel({ ...config, backendName: 'wasm' });
      registered.push(config.kernelName);
    }
  }
  for (const config of REPLACED) {
    if (tf.getKernel(config.kernelName, 'wasm')) tf.unregisterKernel(config.kernelName, 'wasm');
    tf.registerKernel({ ...config, backendName: 'wasm' });
    registered.push(config.kernelName);
  }
  for (const [name, wrap] of WRAPPED) {
    const original = tf.getKernel(name, 'wasm');
    if (!original) continue;
    originals.set(name, original);
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...wrap(original), backendName: 'wasm' });
    registered.push(name);
  }
  for (const config of [...softmaxLossGradients, dropoutGradient, denseGradient, conv2dLayerGradient]) tf.registerGradient(config);
  shareSavedTensorsOnWasm();
  return registered;
}
