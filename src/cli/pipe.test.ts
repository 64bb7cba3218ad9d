import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** The CLI from its sources in a child process, as `node dist/cli/main.js` runs (the pool's TypeScript hooks load the .ts files). */
function spawnCli(args: string[]) {
  const hooks = new URL('../run/ts-hooks.mjs', import.meta.url).href;
  const register = `data:text/javascript,import{register}from"node:module";register(${JSON.stringify(hooks)})`;
  return spawn(process.execPath, ['--import', register, fileURLToPath(new URL('./main.ts', import.meta.url)), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('stdout closed early', () => {
  it('`cmkd … --json | head` ends quietly, exit 0, no stack trace', async () => {
    // ~600 KB of JSON (every column of every modality): more than a pipe holds, so the write meets the closed reader.
    const child = spawnCli(['data', 'describe', 'digits?n=200', '--json']);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += String(c)));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    expect(stderr).not.toMatch(/EPIPE|Error|at /);
    expect(code).toBe(0);
  }, 60_000);
});

describe('output folders', () => {
  it('a run that fails on bad input after its --out check leaves no empty folder behind', async () => {
    const out = path.join(await mkdtemp(path.join(tmpdir(), 'cmkd-out-')), 'runs', 'r1');
    const child = spawnCli(['run', 'digits?n=200', '--student', 'nope', '--out', out]);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += String(c)));
    const code = await new Promise<number | null>((done) => child.on('close', (c) => done(c)));
    expect(code).toBe(2);
    expect(stderr).toMatch(/has no modality 'nope'/);
    expect(existsSync(path.dirname(out))).toBe(false);
  }, 60_000);
});
