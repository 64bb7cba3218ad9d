import type { Command } from 'commander';
import { initEngine } from '../../engine/index.js';
import { VERSION } from '../../version.js';
import { emit } from '../output.js';
import { addBackendFlag, addOutputFlags, backendOption } from '../options.js';

export function register(program: Command): void {
  addOutputFlags(addBackendFlag(program.command('info').description('show the TensorFlow.js backend in use and its settings')), {
    progress: false,
  }).action(async (opts: { backend?: string; json?: boolean }) => {
    const info = await initEngine({ backend: backendOption(opts) });
    const result = { cmkd: VERSION, node: process.version, ...info };
    emit(result, opts, (r) =>
      [
        `cmkd ${r.cmkd} (node ${r.node}, tfjs ${r.tfjsVersion})`,
        `backend:          ${r.backend}${r.nativePackage ? ` via ${r.nativePackage}` : ''}`,
        r.wasm ? `wasm:             simd=${r.wasm.simd} threads=${r.wasm.threads}` : '',
        `native installed: ${r.nativeAvailable.length ? r.nativeAvailable.join(', ') : 'none (optional: npm i @tensorflow/tfjs-node)'}`,
        `custom kernels:   ${r.customKernels.length ? r.customKernels.join(', ') : 'none'}`,
      ]
        .filter(Boolean)
        .join('\n'),
    );
  });
}
