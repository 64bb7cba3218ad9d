import type { Command } from 'commander';
import { BACKEND_CHOICES, initEngine, type BackendChoice } from '../../engine/index.js';
import { oneOf } from '../../util/errors.js';
import { VERSION } from '../../version.js';
import { emit } from '../output.js';

export function register(program: Command): void {
  program
    .command('info')
    .description('show the TensorFlow.js backend in use and its settings')
    .option('--backend <name>', `backend to initialise (${BACKEND_CHOICES.join('|')})`, 'auto')
    .option('--json', 'print JSON')
    .action(async (opts: { backend: string; json?: boolean }) => {
      const backend = oneOf<BackendChoice>('backend', opts.backend, BACKEND_CHOICES);
      const info = await initEngine({ backend });
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
