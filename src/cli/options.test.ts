import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { executorOptions } from './options.js';

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
