/**
 * `cmkd worker` and a submitter given a queue URL Redis would misread: refused before connecting,
 * exit 2 and one stderr line naming --queue and what is expected (no Redis needed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test/cli.js';
import { executorOptions } from '../options.js';
import { warn } from '../output.js';

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

describe('--root and --queue-key', () => {
  it('a worker root that is not a folder, an empty key and a key without --queue: one line, exit 2', async () => {
    const missing = join(root, 'missing');
    const cases: [string[], string][] = [
      [['worker', '--queue', 'redis://127.0.0.1:6379', '--root', missing], `cmkd: error: --root ${missing}: not a folder on this worker`],
      [
        ['worker', '--queue', 'redis://127.0.0.1:6379', '--queue-key', ''],
        'cmkd: error: --queue-key is empty: expected the shared key, or leave it unset for unsigned jobs',
      ],
      [
        ['run', 'digits?n=100', '--student', 'profiles', '--out', join(root, 'key'), '--queue-key', 'k'],
        'cmkd: error: --queue-key: signs queued jobs; give it with --queue',
      ],
    ];
    for (const [argv, line] of cases) {
      const r = await runCli(...argv);
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }, argv.join(' ')).toEqual({ code: 2, stdout: '', stderr: `${line}\n` });
    }
  });

  it('the key comes from --queue-key, else from CMKD_QUEUE_KEY', () => {
    const before = process.env.CMKD_QUEUE_KEY;
    try {
      process.env.CMKD_QUEUE_KEY = 'from-env';
      expect(executorOptions({ workers: 'auto', queue: 'redis://h:1' })).toEqual({
        workers: 1,
        queue: { url: 'redis://h:1', key: 'from-env', onIdle: warn },
      });
      expect(executorOptions({ workers: 'auto', queue: 'redis://h:1', queueKey: 'flag' }).queue).toEqual({
        url: 'redis://h:1',
        key: 'flag',
        onIdle: warn,
      });
      delete process.env.CMKD_QUEUE_KEY;
      expect(executorOptions({ workers: 'auto', queue: 'redis://h:1' }).queue).toEqual({ url: 'redis://h:1', onIdle: warn });
    } finally {
      if (before === undefined) delete process.env.CMKD_QUEUE_KEY;
      else process.env.CMKD_QUEUE_KEY = before;
    }
  });
});
