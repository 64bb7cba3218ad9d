/**
 * MaxPoolGrad for the wasm backend. TF.js 4.22's wasm MaxPoolGrad routes the gradient to the
 * wrong element when a window's maximum is negative (found by this module's tests against
 * the cpu backend), so this replaces it: each window's dy goes to its first maximum, as on cpu.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapF32, type Info } from './wasm.js';

interface MaxPoolGradAttrs {
  filterSize: number | [number, number];
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function maxPoolGrad({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs: MaxPoolGradAttrs }): Info {
  const { dy, input } = inputs as { dy: Info; input: Info };
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW } = info;
  const { filterHeight: FH, filterWidth: FW, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const out = backend.makeOutput([...input.shape], 'float32');
  const xs = heapF32(backend, input);
  const dys = heapF32(backend, dy);
  const dx = heapF32(backend, out);
  dx.fill(0);
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const ihLo = Math.max(0, oh * sh - top);
      const ihHi = Math.min(H, oh * sh - top + FH);
      for (let ow = 0; ow < OW; ow++) {
        const iwLo = Math.max(0, ow * sw - left);
        const iwHi = Math.min(W, ow * sw - left + FW);
        if (ihLo >= ihHi || iwLo >= iwHi) continue;
        const g = ((n * OH + oh) * OW + ow) * C;
        const first = ((n * H + ihLo) * W + iwLo) * C;
        for (let c = 0; c < C; c++) {
          let bestAt = first + c;
          let best = xs[bestAt];
          for (let ih = ihLo; ih < ihHi; ih++) {
            for (let iw = iwLo, at = ((n * H + ih) * W + iwLo) * C + c; iw < iwHi; iw++, at += C) {
              const v = xs[at];
              if (v > best) {
                best = v;
                bestAt = at;
              }
            }
          }
          dx[bestAt] += dys[g + c];
        }
      }
    }
  }
  return out;
}

export const maxPoolGradConfig = {
  kernelName: tf.MaxPoolGrad,
  kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
};
