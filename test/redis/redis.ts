/**
 * A real Redis for tests: Debian's redis-server started on 127.0.0.1 and a free port, in a temporary
 * folder, stopped by the test. Tests that need it use `describe.skipIf(!HAS_REDIS)` and print
 * NO_REDIS_REASON, so a machine without redis-server skips them visibly instead of failing.
 *
 * Also `startWorker`: a `cmkd worker` process running the TypeScript sources (as the pool's workers
 * do under vitest), its stderr lines kept for the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startCli, type CliProcess } from '../cli.js';

/** redis-server to run; CMKD_REDIS_SERVER overrides the Debian path. */
export const REDIS_SERVER_PATH = process.env.CMKD_REDIS_SERVER ?? '/usr/bin/redis-server';
export const HAS_REDIS = existsSync(REDIS_SERVER_PATH);
export const NO_REDIS_REASON = `queue tests skipped: no redis-server at ${REDIS_SERVER_PATH} (install it with 'apt-get install -y redis-server', or set CMKD_REDIS_SERVER)`;

/** A free TCP port on 127.0.0.1 (the OS's choice, released before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server (SIGTERM: with `persist` it saves its data first) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port and folder. */
  start(): Promise<void>;
}

/**
 * Starts redis-server on a free port; `persist` keeps the data across a restart (append-only file,
 * fsync always); `password` makes it require one (the URL returned has none); `databases` sets
 * how many databases it has (Redis's default 16).
 */
export async function startRedis(o: { persist?: boolean; password?: string; databases?: number } = {}): Promise<RedisServer> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'cmkd-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', ''];
  if (o.password !== undefined) args.push('--requirepass', o.password);
  if (o.databases !== undefined) args.push('--databases', String(o.databases));
  args.push(...(o.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
  let child: ChildProcess | null = null;
  const start = async () => {
    const c = spawn(REDIS_SERVER_PATH, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    await new Promise<void>((resolve, reject) => {
      let out = '';
      const onData = (chunk: Buffer) => {
        out += chunk.toString();
        if (/Ready to accept connections/.test(out)) resolve();
      };
      c.stdout?.on('data', onData);
      c.once('exit', (code) => reject(new Error(`redis-server exited with code ${code}: ${out.slice(-500)}`)));
    });
  };
  const stop = async () => {
    const c = child;
    child = null;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
    });
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start };
}

/**
 * Starts `cmkd worker --queue <url> …args` from the sources (its stderr a line each in `lines`),
 * with `--root /` unless args give one: the tests' runs write into the temporary folder and are
 * submitted from the repository.
 */
export function startWorker(url: string, args: string[] = []): CliProcess {
  return startCli(['worker', '--queue', url, ...(args.includes('--root') ? [] : ['--root', '/']), ...args]);
}

export type WorkerProcess = CliProcess;
