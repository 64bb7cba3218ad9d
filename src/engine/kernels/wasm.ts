/**
 * Helpers for writing wasm-backend kernels in TypeScript: run another wasm kernel on
 * TensorInfos, view a tensor's float32 data in place on the wasm heap, free intermediates.
 * Kernels built from these never go through the engine, so nothing is tracked or taped.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type Info = tf.TensorInfo;
export type NamedInfos = Record<string, Info>;

/** Runs the wasm backend's own kernel `name` directly; the caller owns (and frees) the result. */
export function runWasm(backend: BackendWasm, name: string, inputs: NamedInfos, attrs: tf.NamedAttrMap = {}): Info {
  const kernel = tf.getKernel(name, 'wasm');
  if (!kernel) throw new Error(`wasm backend has no ${name} kernel`);
  const out = kernel.kernelFunc({ inputs, attrs, backend });
  if (Array.isArray(out)) throw new Error(`${name} returned several outputs`);
  return out;
}

/** The same data under another shape (no copy); the view holds its own reference. */
export function reshaped(backend: BackendWasm, info: Info, shape: number[]): Info {
  backend.incRef(info.dataId);
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/** The wasm heap's current buffer (replaced when the heap grows). */
export function heapBuffer(backend: BackendWasm): ArrayBufferLike {
  return (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.buffer;
}

/** A float32 view of the tensor's data on the heap. Take views after the last allocation: heap growth detaches them. */
export function heapF32(backend: BackendWasm, info: Info): Float32Array {
  const { memoryOffset } = backend.dataIdMap.get(info.dataId)!;
  return new Float32Array(heapBuffer(backend), memoryOffset, tf.util.sizeFromShape(info.shape));
}

/** An int32 view of the tensor's data on the heap. */
export function heapI32(backend: BackendWasm, info: Info): Int32Array {
  const { memoryOffset } = backend.dataIdMap.get(info.dataId)!;
  return new Int32Array(heapBuffer(backend), memoryOffset, tf.util.sizeFromShape(info.shape));
}

/** Drops one reference to each intermediate. */
export function free(backend: BackendWasm, ...infos: Info[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** Conv kernels here read NHWC only, like the wasm backend's forward Conv2D. */
export function assertChannelsLast(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`${kernel} on the wasm backend supports dataFormat NHWC only, got ${dataFormat}`);
  }
}
