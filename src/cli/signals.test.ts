/**
 * SIGTERM (`kill`, a scheduler's stop) and SIGHUP (the terminal closed) stop a command as Ctrl-C
 * does: the same one line, exit code 128 + the signal's number (143, 129), the finished work kept.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli as run } from '../../test/cli.js';
import { toyTrain, writeToyCsv } from '../../test/toy-csv.js';

const root = mkdtempSync(join(tmpdir(), 'cmkd-signals-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const csv = writeToyCsv(root);

describe('signals other than Ctrl-C', () => {
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${signal} during training: the Ctrl-C line, exit ${code}, the checkpoint kept`, async () => {
      const out = join(root, signal);
      const log = join(out, 'checkpoint', 'log.json');
      // Sent once the first epoch is checkpointed, from outside the training loop (as `kill` would).
      const poll = setInterval(() => {
        if (existsSync(log)) {
          clearInterval(poll);
          process.emit(signal, signal);
        }
      }, 5);
      const r = await run(...toyTrain(csv, out, 200));
      clearInterval(poll);
      expect(r.stderr).toBe('cmkd: interrupted; finished results were kept\n');
      expect(r.code).toBe(code);
      expect(existsSync(join(out, 'metrics.json'))).toBe(false);
      expect(JSON.parse(readFileSync(log, 'utf8')).history.length).toBeGreaterThan(0);
    });
  }
});
