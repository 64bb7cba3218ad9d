/**
 * Multithreaded wasm (XNNPACK's thread pool) under Node.
 *
 * TF.js 4.22 switches wasm threads off in Node, and forcing them on fails: the pthread
 * worker is created from a `blob:` URL that Node's Worker cannot load. This module builds the
 * same threaded-SIMD backend by hand: the emscripten factory shipped in wasm-out/, with the
 * worker given as a `data:` URL holding a small ES module that evaluates TF.js's own worker
 * source with a real `require`, and the main script given as a file path. Two more fixes:
 * the C++ caps the pool at logical-cores / 2 (1 on a 2-core machine), so `os.cpus()` is
 * widened while the module initialises; and the pool's workers are unref'd so an idle
 * process still exits on its own.
 */
import * as tf from '@tensorflow/tfjs';
import { BackendWasm, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

interface PThreadPool {
  runningWorkers: { unref(): void }[];
  unusedWorkers: { unref(): void }[];
}

interface ThreadedModule {
  cwrap(name: string, ret: string | null, args: string[]): (...args: number[]) => number;
  PThread: PThreadPool;
  tfjs?: Record<string, unknown>;
}

type Factory = (config: Record<string, unknown>) => Promise<ThreadedModule>;

/** Builds a wasm backend running XNNPACK on `threads` threads (the calling thread included). */
export async function createThreadedWasmBackend(threads: number): Promise<BackendWasm> {
  const require = createRequire(import.meta.url);
  const pkg = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const mainScript = path.join(pkg, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.js');
  const workerSource = path.join(pkg, 'wasm-out', 'tfjs-backend-wasm-threaded-simd.worker.js');
  const wasmBinary = path.join(pkg, 'dist', 'tfjs-backend-wasm-threaded-simd.wasm');
  // TF.js ships the worker as a string; its "\n" escapes were unescaped by the template
  // literal it sits in, so they are re-escaped before evaluation (TF.js does the same).
  const bootstrap = [
    "import { createRequire } from 'node:module';",
    `const file = ${JSON.stringify(workerSource)};`,
    'const require = createRequire(file);',
    String.raw`const source = require(file).wasmWorkerContents.replace(/\n/g, '\\n');`,
    "new Function('require', '__filename', source)(require, file);",
  ].join('\n');
  const workerUrl = new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`);
  const factory = require(mainScript) as Factory;

  const cpus = os.cpus;
  os.cpus = () => {
    const real = cpus();
    const wanted = Math.max(real.length, 2 * threads);
    return Array.from({ length: wanted }, (_, i) => real[i % real.length]);
  };
  let module: ThreadedModule;
  try {
    module = await factory({
      locateFile: (file: string, prefix: string) =>
        file.endsWith('.worker.js') ? workerUrl : file.endsWith('.wasm') ? wasmBinary : prefix + file,
      mainScriptUrlOrBlob: mainScript,
    });
  } finally {
    os.cpus = cpus;
  }
  module.tfjs = {
    init: module.cwrap('init', null, []),
    initWithThreadsCount: module.cwrap('init_with_threads_count', null, ['number']),
    getThreadsCount: module.cwrap('get_threads_count', 'number', []),
    registerTensor: module.cwrap('register_tensor', null, ['number', 'number', 'number']),
    disposeData: module.cwrap('dispose_data', null, ['number']),
    dispose: module.cwrap('dispose', null, []),
  };
  setThreadsCount(threads);
  const backend = new BackendWasm(module as unknown as ConstructorParameters<typeof BackendWasm>[0]);
  // Pool threads are ref'd while they run (i.e. forever); an idle process must still exit.
  for (const worker of [...module.PThread.runningWorkers, ...module.PThread.unusedWorkers]) worker.unref();
  return backend;
}

/** Threads the running wasm backend's thread pool has (1 when single-threaded). */
export function wasmThreadCount(): number {
  const backend = tf.backend() as unknown as { wasm?: { tfjs?: { getThreadsCount?: () => number } } };
  return backend.wasm?.tfjs?.getThreadsCount?.() ?? 1;
}

/**
 * Makes tf.setBackend('wasm') build the threaded backend. Returns a function restoring
 * TF.js's own (single-threaded) wasm factory, for falling back if initialisation fails.
 */
export function useThreadedWasmFactory(threads: number): () => void {
  const engine = tf.engine() as unknown as { registryFactory: Record<string, { factory: () => unknown; priority: number }> };
  const original = engine.registryFactory.wasm;
  tf.removeBackend('wasm');
  tf.registerBackend('wasm', () => createThreadedWasmBackend(threads), original?.priority ?? 2);
  return () => {
    tf.removeBackend('wasm');
    if (original) tf.registerBackend('wasm', original.factory as () => Promise<tf.KernelBackend>, original.priority);
  };
}
