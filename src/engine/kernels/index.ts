import * as tf from '@tensorflow/tfjs';

/**
 * Gradient kernels the wasm backend lacks, built from kernels it has. Registered once by
 * initEngine() when the wasm backend is chosen; returns the names it registered.
 */
export function registerWasmGradientKernels(): string[] {
  const registered: string[] = [];
  for (const config of WASM_GRADIENT_KERNELS) {
    if (!tf.getKernel(config.kernelName, 'wasm')) {
      tf.registerKernel({ ...config, backendName: 'wasm' });
      registered.push(config.kernelName);
    }
  }
  return registered;
}

/** Filled by the kernel modules (see the engine-speed issue). */
const WASM_GRADIENT_KERNELS: Omit<tf.KernelConfig, 'backendName'>[] = [];
