/**
 * A full disk (ENOSPC injected by test/full-disk.mjs for every file written under one folder) in
 * `cmkd run` (its models, its export, its pool workers) and `cmkd train`: one line naming the file
 * and saying --resume continues, exit code 74, and --resume on a disk with space ends the run.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli as run } from '../../../test/cli.js';
import { toyRun, toyTrain, writeToyCsv } from '../../../test/toy-csv.js';

const INJECT = new URL('../../../test/full-disk.mjs', import.meta.url);
const root = mkdtempSync(join(tmpdir(), 'cmkd-full-disk-'));
let data = '';
const saved = { full: process.env.CMKD_TEST_FULL_DISK, code: process.env.CMKD_TEST_WRITE_ERROR, options: process.env.NODE_OPTIONS };

beforeAll(async () => {
  await import(INJECT.href);
  data = writeToyCsv(root);
});
afterEach(() => {
  for (const [key, value] of [
    ['CMKD_TEST_FULL_DISK', saved.full],
    ['CMKD_TEST_WRITE_ERROR', saved.code],
    ['NODE_OPTIONS', saved.options],
  ] as const)
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The one stderr line of a refused write of a file under `under`. */
const fullLine = (under: string, resume: boolean, why = 'no space left on the device \\(ENOSPC\\)') =>
  new RegExp(
    `^cmkd: error: cannot write ${under.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\S+: ${why}; free space or fix permissions, then run ${resume ? 'the same command with --resume to continue' : 'the command again'}\\n$`,
  );

describe('a full disk: one line naming the file, exit 74, --resume continues', () => {
  it.each([
    ['the models of cmkd run', 'models', 1],
    ["cmkd run's export", 'best-student', 1],
    ['the pool workers of cmkd run', 'models', 2],
  ])('%s', async (_kind, folder, workers) => {
    const out = join(root, `run-${folder}-${workers}`);
    process.env.CMKD_TEST_FULL_DISK = join(out, folder);
    // Pool workers are processes of their own: they load the same injection.
    process.env.NODE_OPTIONS = `${saved.options ?? ''} --import ${pathToFileURL(INJECT.pathname).href}`;
    const r = await run(...toyRun(data, out, [], workers));
    expect(r.code, r.stderr).toBe(74);
    expect(r.stdout).toBe('');
    expect(
      r.stderr
        .split('\n')
        .filter((l) => !l.startsWith('cmkd: warning: '))
        .join('\n'),
    ).toMatch(fullLine(join(out, folder), true));
    delete process.env.CMKD_TEST_FULL_DISK;
    const again = await run(...toyRun(data, out, ['--resume'], workers));
    expect(again.code, again.stderr).toBe(0);
  });

  it.each([
    ['ENOSPC', 'no space left on the device \\(ENOSPC\\)'],
    ['EACCES', 'permission denied \\(EACCES\\)'],
  ])('cmkd train (%s)', async (code, why) => {
    const out = join(root, `train-${code}`);
    mkdirSync(out);
    process.env.CMKD_TEST_FULL_DISK = out;
    process.env.CMKD_TEST_WRITE_ERROR = code;
    const r = await run(...toyTrain(data, out, 2));
    expect(r.code, r.stderr).toBe(74);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(fullLine(out, true, why));
  });
});
