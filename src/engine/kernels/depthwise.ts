/**
 * DepthwiseConv2dNative gradients for the wasm backend (it has neither): direct loops over
 * the wasm heap, ported from the cpu backend's kernels. Correct but not tuned; cmkd's own
 * models use plain conv2d. NHWC only, like wasm's forward depthwise conv.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { heapF32, type Info } from './wasm.js';

type Pad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
type Shape4 = [number, number, number, number];

interface DepthwiseAttrs {
  strides: number | [number, number];
  dilations: number | [number, number];
  pad: Pad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function convInfo(xShape: number[], filterShape: number[], a: DepthwiseAttrs): tf.backend_util.Conv2DInfo {
  const info = tf.backend_util.computeConv2DInfo(
    xShape as Shape4,
    filterShape as Shape4,
    a.strides,
    a.dilations,
    a.pad,
    a.dimRoundingMode,
    true,
  );
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) {
    throw new Error('depthwise conv2d gradients on wasm support dilation 1 only');
  }
  return info;
}

function backpropFilter({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: DepthwiseAttrs & { filterShape: Shape4 };
}): Info {
  const { x, dy } = inputs as { x: Info; dy: Info };
  const c = convInfo(x.shape, attrs.filterShape, attrs);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = c;
  const { strideHeight: sh, strideWidth: sw } = c;
  const top = c.padInfo.top;
  const left = c.padInfo.left;
  const chMul = outChannels / inChannels;
  const out = backend.makeOutput([...attrs.filterShape], 'float32');
  const xs = heapF32(backend, x);
  const dys = heapF32(backend, dy);
  const dW = heapF32(backend, out);
  for (let fh = 0; fh < filterHeight; fh++) {
    const ohMin = Math.max(0, Math.ceil((top - fh) / sh));
    const ohMax = Math.min(outHeight, (inHeight + top - fh) / sh);
    for (let fw = 0; fw < filterWidth; fw++) {
      const owMin = Math.max(0, Math.ceil((left - fw) / sw));
      const owMax = Math.min(outWidth, (inWidth + left - fw) / sw);
      for (let d2 = 0; d2 < outChannels; d2++) {
        const d1 = Math.trunc(d2 / chMul);
        let sum = 0;
        for (let n = 0; n < batchSize; n++) {
          for (let oh = ohMin; oh < ohMax; oh++) {
            const ih = fh + oh * sh - top;
            const xRow = (n * inHeight + ih) * inWidth;
            const yRow = (n * outHeight + oh) * outWidth;
            for (let ow = owMin; ow < owMax; ow++) {
              const iw = fw + ow * sw - left;
              sum += xs[(xRow + iw) * inChannels + d1] * dys[(yRow + ow) * outChannels + d2];
            }
          }
        }
        dW[(fh * filterWidth + fw) * outChannels + d2] = sum;
      }
    }
  }
  return out;
}

function backpropInput({
  inputs,
  backend,
  attrs,
}: {
  inputs: tf.NamedTensorInfoMap;
  backend: BackendWasm;
  attrs: DepthwiseAttrs & { inputShape: Shape4 };
}): Info {
  const { dy, filter } = inputs as { dy: Info; filter: Info };
  const c = convInfo(attrs.inputShape, filter.shape, attrs);
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = c;
  const { strideHeight: sh, strideWidth: sw } = c;
  const top = filterHeight - 1 - c.padInfo.top;
  const left = filterWidth - 1 - c.padInfo.left;
  const chMul = outChannels / inChannels;
  const out = backend.makeOutput([...attrs.inputShape], 'float32');
  const dys = heapF32(backend, dy);
  const w = heapF32(backend, filter);
  const dx = heapF32(backend, out);
  for (let n = 0; n < batchSize; n++) {
    for (let d1 = 0; d1 < inChannels; d1++) {
      for (let ih = 0; ih < inHeight; ih++) {
        const rowCorner = ih - top;
        const ohMin = Math.max(0, Math.ceil(rowCorner / sh));
        const ohMax = Math.min(outHeight, (filterHeight + rowCorner) / sh);
        for (let iw = 0; iw < inWidth; iw++) {
          const colCorner = iw - left;
          const owMin = Math.max(0, Math.ceil(colCorner / sw));
          const owMax = Math.min(outWidth, (filterWidth + colCorner) / sw);
          let sum = 0;
          for (let oh = ohMin; oh < ohMax; oh++) {
            const fh = oh * sh - rowCorner;
            for (let ow = owMin; ow < owMax; ow++) {
              const fw = ow * sw - colCorner;
              const dyAt = ((n * outHeight + oh) * outWidth + ow) * outChannels + d1 * chMul;
              const wAt = (((filterHeight - 1 - fh) * filterWidth + (filterWidth - 1 - fw)) * inChannels + d1) * chMul;
              for (let dm = 0; dm < chMul; dm++) sum += dys[dyAt + dm] * w[wAt + dm];
            }
          }
          dx[((n * inHeight + ih) * inWidth + iw) * inChannels + d1] = sum;
        }
      }
    }
  }
  return out;
}

export const depthwiseBackpropFilterConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter,
  kernelFunc: backpropFilter as unknown as tf.KernelFunc,
};

export const depthwiseBackpropInputConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput,
  kernelFunc: backpropInput as unknown as tf.KernelFunc,
};
