/**
 * Identity, and Cast to the same dtype, on wasm without the copy. TF.js's gradient tape clones
 * (Identity) every tensor a gradient will need, and ReLU's gradient casts its float32 input to
 * float32; wasm copies the whole buffer for both: every activation of every training step is
 * copied once or twice more. Sharing the buffer with a reference count, as wasm's own Reshape
 * does (and as the cpu backend's Cast to the same dtype does), gives the same values; no wasm
 * kernel writes into its inputs, and cmkd's in-place updates (src/engine/adam.ts) only touch
 * memory whose reference count is 1.
 */
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { Info } from './wasm.js';

type Args = { inputs: { x: Info }; backend: BackendWasm; attrs: tf.NamedAttrMap };

function share(args: Args): Info {
  const { x } = args.inputs;
  args.backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
}

export function sharedIdentity(original: tf.KernelConfig): Omit<tf.KernelConfig, 'backendName'> {
  const kernelFunc = (args: Args): Info =>
    args.inputs.x.dtype === 'string' ? (original.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as Info) : share(args);
  return { kernelName: original.kernelName, setupFunc: original.setupFunc, kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}

/** Cast that shares the buffer when the dtype does not change, and hands every real conversion to `original`. */
export function sharedCast(original: tf.KernelConfig): Omit<tf.KernelConfig, 'backendName'> {
  const kernelFunc = (args: Args): Info =>
    args.inputs.x.dtype === 'string' || args.attrs.dtype !== args.inputs.x.dtype
      ? (original.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as Info)
      : share(args);
  return { kernelName: original.kernelName, setupFunc: original.setupFunc, kernelFunc: kernelFunc as unknown as tf.KernelFunc };
}
