/**
 * `cmkd worker` and a submitter given a queue URL Redis would misread: refused before connecting,
 * exit 2 and one stderr line naming --queue and what is expected (no Redis needed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/cli.js';

const root = mkdtempSync(join(tmpdir(), 'cmkd-worker-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const refused: [url: string, line: RegExp][] = [
  [
    'redis://127.0.0.1:6379/99',
    /^cmkd: error: --queue 'redis:\/\/127\.0\.0\.1:6379\/99': database 99 is out of range: expected \/0 to \/15 /,
  ],
  ['redis://256.1.1.1:1', /^cmkd: error: --queue 'redis:\/\/256\.1\.1\.1:1': host '256\.1\.1\.1' is not an IPv4 address: expected /],
];

describe('a queue URL Redis would misread is refused before connecting', () => {
  for (const [url, line] of refused) {
    it(`cmkd worker --queue ${url}`, async () => {
      const r = await runCli('worker', '--queue', url);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.stderr).toMatch(line);
    });

    it(`cmkd run --queue ${url}`, async () => {
      const r = await runCli('run', 'digits?n=100', '--student', 'profiles', '--out', join(root, 'run'), '--queue', url);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(r.stderr).toMatch(line);
    });
  }
});
