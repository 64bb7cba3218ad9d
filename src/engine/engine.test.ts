import { describe, expect, it } from 'vitest';
import { engineInfo, initEngine, nextSeed, setSeed, tf } from './index.js';

describe('engine', () => {
  it('initialises wasm by default when no native backend is installed', async () => {
    const info = await initEngine();
    expect(['wasm', 'tensorflow']).toContain(info.backend);
    if (info.backend === 'wasm') expect(info.wasm?.simd).toBe(true);
    expect(engineInfo().tfjsVersion).toBe(tf.version.tfjs);
  });

  it('is idempotent', async () => {
    const a = await initEngine();
    const b = await initEngine();
    expect(a).toBe(b);
  });

  it('rejects an unknown backend with the list of choices', async () => {
    await expect(initEngine({ backend: 'gpu' as never })).rejects.toThrow(/unknown backend 'gpu'.*auto, native, wasm, cpu/);
  });

  it('seed stream is reproducible', () => {
    setSeed(42);
    const a = [nextSeed(), nextSeed()];
    setSeed(42);
    expect([nextSeed(), nextSeed()]).toEqual(a);
  });
});
