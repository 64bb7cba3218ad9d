/**
 * Identity, and Cast to the same dtype, on wasm without the copy. TF.js's gradient tape clones
 * (Identity) every tensor a gradient will need, and ReLU's gradient casts its float32 input to
 * float32; wasm copies the whole buffer for both: every activation of every training step is
 * copied once or twice more. Sharing the buffer with a reference count, as wasm's own Reshape
 * does (and as the cpu backend's Cast to the same dtype does), gives the same values; no wasm
 * kernel writes into its inputs, and cmkd's in-place updates (src/engine/adam.ts) only touch
 * memory whose reference count is 1.
 */
import * as tf from '@tensorflow/tfjs';
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

interface EngineInternals {
  backendName: string;
  backend: BackendWasm;
  saveTensorsForBackwardMode(tensors: tf.Tensor[]): tf.Tensor[];
  makeTensorFromTensorInfo(info: Info): tf.Tensor;
  keep<T extends tf.Tensor>(t: T): T;
  clone(x: tf.Tensor): tf.Tensor;
}

let tapeSharing = false;

/**
 * While the tape records, TF.js saves each tensor a gradient will need as engine.clone(tensor):
 * a full Identity dispatch plus a tape node of its own (about a third of a dense step's kernel
 * calls). On wasm this makes the saved tensor directly, as the shared Identity above does (the
 * same buffer, one more reference), with neither: the same values, and the same gradients (a
 * clone's tape node lies on no path from the inputs to the loss). Other backends, strings and
 * tensors of another backend keep TF.js's clone. Idempotent.
 */
export function shareSavedTensorsOnWasm(): void {
  if (tapeSharing) return;
  tapeSharing = true;
  const engine = tf.engine() as unknown as EngineInternals;
  const original = engine.saveTensorsForBackwardMode;
  engine.saveTensorsForBackwardMode = function (this: EngineInternals, tensors: tf.Tensor[]): tf.Tensor[] {
    if (this.backendName !== 'wasm') return original.call(this, tensors);
    const backend = this.backend;
    return tensors.map((t) => {
      if (t.dtype === 'string' || !backend.dataIdMap.has(t.dataId)) return this.keep(this.clone(t));
      backend.incRef(t.dataId);
      return this.keep(this.makeTensorFromTensorInfo({ dataId: t.dataId, shape: t.shape, dtype: t.dtype }));
    });
  };
}
