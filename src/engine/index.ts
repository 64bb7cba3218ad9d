/**
 * The one module that owns TensorFlow.js. Every other module imports `tf` from here and
 * calls `initEngine()` (idempotent) before running tensor code; nothing else imports a
 * backend. The engine picks the fastest available backend, fills in the gradient kernels
 * the wasm backend lacks, and hands out seeds so runs are reproducible.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { createRequire } from 'node:module';
import path from 'node:path';
import { CmkdError } from '../util/errors.js';
import { makeRng, type Rng } from '../util/rng.js';
import { registerWasmGradientKernels } from './kernels/index.js';
import { useThreadedWasmFactory, wasmThreadCount } from './wasm-threads.js';

export { tf };

export type BackendChoice = 'auto' | 'native' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'native', 'wasm', 'cpu'];

export interface EngineOptions {
  /** Which backend to use; 'auto' prefers a native tfjs-node(-gpu) install, then wasm. Env CMKD_BACKEND overrides the default. */
  backend?: BackendChoice;
  /** Seed for the engine's seed stream (weight initialisers, dropout, shuffles). */
  seed?: number;
  /**
   * Threads for the wasm backend's thread pool (XNNPACK convolutions and matMuls); 1 is the
   * stock single-threaded SIMD build. Env CMKD_THREADS overrides the default. See bench/README.md.
   */
  threads?: number;
}

/** Default wasm thread count when neither the option nor CMKD_THREADS is given. */
export const DEFAULT_WASM_THREADS = 1;

export interface EngineInfo {
  backend: string;
  tfjsVersion: string;
  /** Native package in use, if any. */
  nativePackage: string | null;
  /** Native packages found installed (whether or not in use). */
  nativeAvailable: string[];
  wasm: { simd: boolean; threads: boolean; threadCount: number } | null;
  /** Kernels cmkd registered on top of the backend (e.g. wasm gradients). */
  customKernels: string[];
  seed: number;
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

let ready: Promise<EngineInfo> | null = null;
let info: EngineInfo | null = null;
let seedStream: Rng = makeRng(0);
let currentSeed = 0;

function nativeInstalled(): string[] {
  const require = createRequire(import.meta.url);
  return NATIVE_PACKAGES.filter((p) => {
    try {
      require.resolve(p);
      return true;
    } catch {
      return false;
    }
  });
}

async function tryNative(found: string[]): Promise<string | null> {
  for (const p of found) {
    try {
      await import(p);
      // Both native packages register the backend under the name 'tensorflow'.
      if (await tf.setBackend('tensorflow')) return p;
    } catch {
      // A broken native install (missing libtensorflow, ABI mismatch) falls back to wasm.
    }
  }
  return null;
}

function threadsWanted(option: number | undefined): number {
  const raw = option ?? (process.env.CMKD_THREADS !== undefined ? Number(process.env.CMKD_THREADS) : DEFAULT_WASM_THREADS);
  if (!Number.isInteger(raw) || raw < 1 || raw > 8) {
    throw new CmkdError(
      `wasm threads must be an integer from 1 to 8 (option 'threads' or env CMKD_THREADS), got ${option ?? process.env.CMKD_THREADS}`,
      'invalid-option',
    );
  }
  return raw;
}

async function useWasm(threads: number): Promise<void> {
  const require = createRequire(import.meta.url);
  const dir = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  setWasmPaths(dir + path.sep);
  await withoutEmscriptenExitHandlers(async () => {
    if (threads > 1) {
      const restore = useThreadedWasmFactory(threads);
      if (await tf.setBackend('wasm')) return;
      // The threaded build failed to start (no SharedArrayBuffer, workers refused): run single-threaded.
      restore();
    }
    if (!(await tf.setBackend('wasm'))) throw new CmkdError('the wasm backend failed to initialise', 'unsupported');
  });
  await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
}

/**
 * Emscripten's module adds process-wide uncaughtException/unhandledRejection listeners that
 * rethrow, so any later crash prints a line of the minified wasm glue instead of the real
 * stack. Node's defaults already crash on both; drop the listeners the module added.
 */
async function withoutEmscriptenExitHandlers(f: () => Promise<void>): Promise<void> {
  const emitter = process as unknown as NodeJS.EventEmitter;
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = new Map(events.map((e) => [e, new Set(emitter.listeners(e))]));
  try {
    await f();
  } finally {
    for (const e of events) {
      for (const listener of emitter.listeners(e)) {
        if (!before.get(e)!.has(listener)) emitter.removeListener(e, listener as (...args: unknown[]) => void);
      }
    }
  }
}

/**
 * Initialise TensorFlow.js once per process. Later calls return the same promise; a call
 * asking for a different backend than the one running is an error rather than a silent switch.
 */
export function initEngine(options: EngineOptions = {}): Promise<EngineInfo> {
  const requested = options.backend ?? (process.env.CMKD_BACKEND as BackendChoice | undefined) ?? 'auto';
  if (!BACKEND_CHOICES.includes(requested)) {
    return Promise.reject(
      new CmkdError(`unknown backend '${requested}'; expected one of: ${BACKEND_CHOICES.join(', ')}`, 'invalid-option'),
    );
  }
  let threads: number;
  try {
    threads = threadsWanted(options.threads);
  } catch (e) {
    return Promise.reject(e);
  }
  if (options.seed !== undefined) setSeed(options.seed);
  if (ready) return ready;
  ready = (async () => {
    // TF.js prints a hint about tfjs-node to stdout on first use; the CLI owns stdout. Prod
    // mode silences it; IS_TEST would too but also turns on per-kernel leak checks, which
    // cost time and wrongly reject customGrad ops (softmaxCrossEntropy, logSoftmax) on wasm.
    tf.enableProdMode();
    const found = nativeInstalled();
    let nativePackage: string | null = null;
    if (requested === 'native' || requested === 'auto') {
      nativePackage = await tryNative(found);
      if (!nativePackage && requested === 'native') {
        throw new CmkdError(
          found.length
            ? `native backend ${found.join(', ')} is installed but failed to load`
            : 'native backend requested but neither @tensorflow/tfjs-node nor @tensorflow/tfjs-node-gpu is installed',
          'unsupported',
        );
      }
    }
    if (!nativePackage) {
      if (requested === 'cpu') {
        await tf.setBackend('cpu');
      } else {
        await useWasm(threads);
      }
    }
    await tf.ready();
    const backend = tf.getBackend();
    const customKernels = backend === 'wasm' ? registerWasmGradientKernels() : [];
    info = {
      backend,
      tfjsVersion: tf.version.tfjs,
      nativePackage,
      nativeAvailable: found,
      wasm:
        backend === 'wasm'
          ? {
              simd: Boolean(tf.env().getBool('WASM_HAS_SIMD_SUPPORT')),
              threads: wasmThreadCount() > 1,
              threadCount: wasmThreadCount(),
            }
          : null,
      customKernels,
      seed: currentSeed,
    };
    return info;
  })();
  ready.catch(() => {
    ready = null;
  });
  return ready;
}

/** Information on the running engine; throws if initEngine() has not completed. */
export function engineInfo(): EngineInfo {
  if (!info) throw new Error('engine not initialised: await initEngine() first');
  return { ...info, seed: currentSeed };
}

/** Reset the engine's seed stream. */
export function setSeed(seed: number): void {
  currentSeed = seed;
  seedStream = makeRng(seed);
  if (info) info.seed = seed;
}

/** Next seed from the engine's stream, for TF.js initialisers and random ops. */
export function nextSeed(): number {
  return seedStream.seed();
}
