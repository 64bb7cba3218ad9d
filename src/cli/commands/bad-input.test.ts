import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli as run } from '../../../test/cli.js';

const root = mkdtempSync(join(tmpdir(), 'cmkd-outdir-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const file = join(root, 'a-file');
writeFileSync(file, 'not a folder\n');

// Every command that writes takes --out; each bad folder fails before any work: exit 2, one line, nothing written.
const commands: string[][] = [
  ['train', 'digits', '--modality', 'blocks', '--epochs', '1'],
  ['distill', 'digits', '--method', 'kd', '--teacher', 'pixels', '--student', 'blocks', '--epochs', '1'],
  ['sweep', 'digits', '--student', 'blocks', '--teacher', 'pixels', '--quick'],
  ['run', 'digits', '--student', 'blocks'],
  ['cch', 'digits', '--student', 'blocks'],
  ['experiment', 'cch-gaussian', '--quick'],
];
const bad: [string, RegExp][] = [
  [file, /is an existing file, not a folder/],
  [join(file, 'sub'), /is a file, not a folder/],
  ['', /--out is empty/],
  ['/proc/cmkd-out', /inside \/proc, \/sys or \/dev/],
];

describe('--out is checked before any work', () => {
  for (const argv of commands) {
    it(`cmkd ${argv[0]}`, async () => {
      const before = readdirSync('.');
      for (const [out, message] of bad) {
        const r = await run(...argv, '--out', out);
        expect(r.code, `${argv[0]} --out '${out}'`).toBe(2);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(message);
      }
      expect(readdirSync('.')).toEqual(before);
      expect(existsSync(join(file, 'sub'))).toBe(false);
    });
  }
});

describe('usage errors are bad input too', () => {
  const cases: [string[], RegExp][] = [
    [['run', '--student', 'x', '--bogus'], /unknown option '--bogus'/],
    [['run', 'digits'], /required option '--student <modality>' not specified/],
    [['data', 'validate'], /missing required argument 'dataset'/],
    [['experiment', 'no-such-experiment'], /unknown command 'no-such-experiment'/],
  ];
  for (const [argv, message] of cases) {
    it(`cmkd ${argv.join(' ')}: exit 2, one line`, async () => {
      const r = await run(...argv);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    });
  }

  it('help and version still exit 0', async () => {
    expect((await run('--version')).code).toBe(0);
    expect((await run('run', '--help')).code).toBe(0);
  });
});
