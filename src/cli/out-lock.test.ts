/**
 * One output folder, one writer: while a command writes to its --out, a second one on the same
 * folder (two `--resume` at once) is refused with one line naming the folder and the other pid;
 * the lock goes when the command ends, and one left by a killed process is taken over.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_FILE } from '../util/fs.js';
import { runCli as run, startCli } from '../../test/cli.js';
import { toyTrain, writeToyCsv } from '../../test/toy-csv.js';

const root = mkdtempSync(join(tmpdir(), 'cmkd-out-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const csv = writeToyCsv(root);
const train = (out: string, epochs: number, ...more: string[]) => toyTrain(csv, out, epochs, ...more);

describe('a lock on the output folder', () => {
  it('a second --resume while the first runs: one line naming the folder and the first pid, exit 2, nothing touched', async () => {
    const out = join(root, 'busy');
    const first = startCli(train(out, 10000));
    try {
      // Once it has checkpointed an epoch, it is writing there.
      const log = join(out, 'checkpoint', 'log.json');
      while (!existsSync(log)) {
        expect(first.child.exitCode, first.lines.join('\n')).toBe(null);
        await new Promise((r) => setTimeout(r, 20));
      }
      const before = readFileSync(join(out, LOCK_FILE), 'utf8');
      const second = await run(...train(out, 10000, '--resume'));
      expect(second.code).toBe(2);
      expect(second.stdout).toBe('');
      expect(second.stderr.split('\n')).toHaveLength(2);
      expect(second.stderr).toContain(`--out '${out}' is being written by another cmkd run (pid ${first.child.pid}, since `);
      expect(readFileSync(join(out, LOCK_FILE), 'utf8')).toBe(before);
    } finally {
      await first.stop('SIGINT');
    }
    expect(await first.exited).toBe(130);
    // Released when the command ended.
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
  });

  it('a lock left by a killed process is taken over, and released when the command ends', async () => {
    const out = join(root, 'stale');
    mkdirSync(out);
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(join(out, LOCK_FILE), JSON.stringify({ pid: dead, host: hostname(), since: '2026-01-01T00:00:00.000Z' }));
    const r = await run(...train(out, 2, '--resume'));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(existsSync(join(out, 'metrics.json'))).toBe(true);
    expect(existsSync(join(out, LOCK_FILE))).toBe(false);
    // Two commands one after the other in one process: the second is not refused.
    expect((await run(...train(out, 2, '--resume'))).code).toBe(0);
  });

  it("another machine's lock is not taken over", async () => {
    const out = join(root, 'remote');
    mkdirSync(out);
    writeFileSync(join(out, LOCK_FILE), JSON.stringify({ pid: 1, host: 'elsewhere', since: '2026-01-01T00:00:00.000Z' }));
    const r = await run(...train(out, 2, '--resume'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is being written by another cmkd run \(pid 1 on elsewhere, since 2026-01-01T00:00:00.000Z\)/);
  });
});
