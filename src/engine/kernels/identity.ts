/**
 * Identity on wasm without the copy. TF.js's gradient tape clones (Identity) every tensor a
 * gradient will need, and wasm's Identity copies the whole buffer: every activation of every
 * training step is copied once more. Sharing the buffer with a reference count, as wasm's own
 * Reshape does, gives the same values; no wasm kernel writes into its inputs, and cmkd's
 * in-place updates (src/engine/adam.ts) only touch memory whose reference count is 1.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Info } from './wasm.js';

export function sharedIdentity(original: tf.KernelConfig): Omit<tf.KernelConfig, 'backendName'> {
  const kernelFunc = (args: { inputs: { x: Info }; backend: BackendWasm; attrs: tf.NamedAttrMap }): Info => {
    const { x } = args.inputs;
    if (x.dtype === 'string') return original.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as Info;
    args.backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  return { kernelName: original.kernelName, setupFunc: original.setupFunc, kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}
