/**
 * UnsortedSegmentSum for the wasm backend (it has none): the gradient of gather, used when
 * a model indexes rows of a tensor (embeddings, batch gathering inside a taped function).
 * out[s, ...] = Σ_{i : ids[i] = s} x[i, ...]; ids outside [0, numSegments) are dropped, as in TF.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapF32, heapI32, type Info } from './wasm.js';

function unsortedSegmentSum({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: { numSegments: number };
}): Info {
  const { x, segmentIds } = inputs as { x: Info; segmentIds: Info };
  const { numSegments } = attrs;
  if (x.dtype !== 'float32' && x.dtype !== 'int32') throw new Error(`UnsortedSegmentSum on wasm: unsupported dtype ${x.dtype}`);
  const idRank = segmentIds.shape.length;
  if (x.shape.slice(0, idRank).join(',') !== segmentIds.shape.join(',')) {
    throw new Error(`UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must be a prefix of x shape [${x.shape}]`);
  }
  const inner = tf.util.sizeFromShape(x.shape.slice(idRank));
  const out = backend.makeOutput([numSegments, ...x.shape.slice(idRank)], x.dtype);
  const ids = heapI32(backend, segmentIds);
  const values = x.dtype === 'float32' ? heapF32(backend, x) : heapI32(backend, x);
  const sums = x.dtype === 'float32' ? heapF32(backend, out) : heapI32(backend, out);
  sums.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let j = 0; j < inner; j++) sums[dst + j] += values[src + j];
  }
  return out;
}

export const unsortedSegmentSumConfig = {
  kernelName: tf.UnsortedSegmentSum,
  kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc,
};
