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
  const tiled = FH === sh && FW === sw && top === 0 && left === 0 && OH * sh <= H && OW * sw <= W;
  if (tiled) {
    if (OH * sh < H || OW * sw < W) dx.fill(0);
    tiledMaxPoolGrad(xs, dys, dx, N, H, W, C, OH, OW, FH, FW);
    return out;
  }
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

/**
 * Windows that tile the input (stride = window, no padding; the usual 2×2 pooling): every
 * input element lies in at most one window, so each is written once, dy at its window's
 * first maximum and 0 elsewhere, with no zero-fill pass and no scattered accumulation.
 */
function tiledMaxPoolGrad(
  xs: Float32Array,
  dys: Float32Array,
  dx: Float32Array,
  N: number,
  H: number,
  W: number,
  C: number,
  OH: number,
  OW: number,
  FH: number,
  FW: number,
): void {
  const rowStride = W * C;
  if (FH === 2 && FW === 2) {
    for (let n = 0; n < N; n++) {
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const g = ((n * OH + oh) * OW + ow) * C;
          const p0 = ((n * H + 2 * oh) * W + 2 * ow) * C;
          const p1 = p0 + C;
          const p2 = p0 + rowStride;
          const p3 = p2 + C;
          for (let c = 0; c < C; c++) {
            let m = xs[p0 + c];
            let k = 0;
            const b = xs[p1 + c];
            if (b > m) {
              m = b;
              k = 1;
            }
            const d = xs[p2 + c];
            if (d > m) {
              m = d;
              k = 2;
            }
            if (xs[p3 + c] > m) k = 3;
            const gv = dys[g + c];
            dx[p0 + c] = k === 0 ? gv : 0;
            dx[p1 + c] = k === 1 ? gv : 0;
            dx[p2 + c] = k === 2 ? gv : 0;
            dx[p3 + c] = k === 3 ? gv : 0;
          }
        }
      }
    }
    return;
  }
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const g = ((n * OH + oh) * OW + ow) * C;
        const first = ((n * H + oh * FH) * W + ow * FW) * C;
        for (let c = 0; c < C; c++) {
          let bestAt = first + c;
          let best = xs[bestAt];
          for (let i = 0; i < FH; i++) {
            for (let j = 0, at = first + i * rowStride + c; j < FW; j++, at += C) {
              dx[at] = 0;
              if (xs[at] > best) {
                best = xs[at];
                bestAt = at;
              }
            }
          }
          dx[bestAt] = dys[g + c];
        }
      }
    }
  }
}

export const maxPoolGradConfig = {
  kernelName: tf.MaxPoolGrad,
  kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
};
