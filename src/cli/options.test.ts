import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CmkdError } from '../util/errors.js';
import { executorOptions, parseArchitecture } from './options.js';

afterEach(() => vi.restoreAllMocks());

describe('--workers', () => {
  it('above the core count is capped at the cores, with one warning on stderr', () => {
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
    const cores = availableParallelism();
    expect(executorOptions({ workers: '999' })).toEqual({ workers: cores });
    expect(stderr).toBe(
      `cmkd: warning: --workers 999: this machine has ${cores} core${cores === 1 ? '' : 's'}; using ${cores} worker process${cores === 1 ? '' : 'es'}\n`,
    );
  });

  it('up to the core count is taken as given, silently', () => {
    let stderr = '';
    vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
    expect(executorOptions({ workers: String(availableParallelism()) })).toEqual({ workers: availableParallelism() });
    expect(executorOptions({ workers: '1' })).toEqual({ workers: 1 });
    expect(stderr).toBe('');
  });
});

describe('--model linear', () => {
  it('refuses widths it has no layers for, naming the flag', () => {
    expect(() => parseArchitecture({ model: 'linear', hidden: '64' })).toThrow(CmkdError);
    expect(() => parseArchitecture({ model: 'linear', channels: '8' })).toThrow(
      /^--channels: a linear model \(--model linear\) has no hidden layers/,
    );
    expect(parseArchitecture({ model: 'linear', dropout: '0.2' })).toEqual({ kind: 'linear', architecture: { dropout: 0.2 } });
    expect(parseArchitecture({ model: 'mlp', hidden: '64' })).toEqual({ kind: 'mlp', architecture: { hidden: [64] } });
  });
});
