/** Test helpers: run the CLI in-process (`main`), capturing what it writes; or as a process of its own, for commands that run until stopped. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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

export interface CliProcess {
  child: ChildProcess;
  /** Its stdout and stderr so far, a line each, in the order they arrived. */
  lines: string[];
  /** Resolves when a line matching `re` has appeared. */
  waitFor(re: RegExp): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<void>;
  /** Resolves with its exit code once it has exited (-1: ended by a signal). */
  exited: Promise<number>;
}

const MAIN = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const HOOKS = new URL('../src/run/ts-hooks.mjs', import.meta.url).href;

/** Starts `cmkd …args` from the sources in a process of its own (e.g. `cmkd worker`, `cmkd serve`). */
export function startCli(args: string[]): CliProcess {
  return startSource(MAIN, args);
}

/** Starts the TypeScript file `file` (a path) with `args` in a process of its own, as startCli runs the CLI. */
export function startSource(file: string, args: string[]): CliProcess {
  const register = `data:text/javascript,import{register}from"node:module";register(${JSON.stringify(HOOKS)})`;
  const child = fork(file, args, { execArgv: ['--import', register], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream?.on('data', (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        for (const w of waiters.filter((x) => x.re.test(line))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    });
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    // 'close': after its output has been read to the end.
    exited: new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? -1))),
    lines,
    waitFor: (re) => {
      const seen = lines.find((l) => re.test(l));
      return seen !== undefined ? Promise.resolve(seen) : new Promise((resolve) => waiters.push({ re, resolve }));
    },
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
