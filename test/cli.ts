/** Test helper: run the CLI in-process (`main`), capturing what it writes to stdout and stderr. */
import { vi } from 'vitest';
import { main } from '../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runCli(...args: string[]): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((stdout += String(s)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((stderr += String(s)), true));
  try {
    return { code: await main(['node', 'cmkd', ...args]), stdout, stderr };
  } finally {
    vi.restoreAllMocks();
  }
}
