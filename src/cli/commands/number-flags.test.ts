/**
 * Numeric and list flags through the real CLI entry (`main`): a value out of its flag's bounds is
 * refused before any work with exit code 2 and one stderr line naming the flag and what it takes.
 * The dataset named does not exist, so a command that let the value through would fail later on
 * the dataset instead (or train for ever, with `--max-steps 1e20`): each case fails without the bound.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli as run } from '../../../test/cli.js';
import { numberListOption, numberOption, RANGES } from '../options.js';

const root = mkdtempSync(join(tmpdir(), 'cmkd-numbers-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const none = join(root, 'no-such.csv');
const out = (name: string) => ['--out', join(root, name)];

const cases: [string, string[], RegExp][] = [
  [
    'run --max-steps 1e20 (training would never end)',
    ['run', none, '--student', 's', '--max-steps', '1e20', ...out('r1')],
    /^--max-steps '1e20': expected an integer from 1 to 10000000$/,
  ],
  [
    'cch --bootstrap 1e9',
    ['cch', none, '--student', 's', '--bootstrap', '1e9', ...out('c1')],
    /^--bootstrap '1e9': expected an integer from 0 to 100000$/,
  ],
  [
    'run --seed 2^53 + 1 (read as 2^53: two seeds collapse)',
    ['run', none, '--student', 's', '--seed', '9007199254740993', ...out('r2')],
    /^--seed '9007199254740993': expected an integer from 0 to 4294967295$/,
  ],
  [
    'run --seed 2^32 (the generator keeps seed mod 2^32: seed 0 again)',
    ['run', none, '--student', 's', '--seed', '4294967296', ...out('r3')],
    /^--seed '4294967296': expected an integer from 0 to 4294967295$/,
  ],
  [
    'run --repeats 1e6',
    ['run', none, '--student', 's', '--repeats', '1e6', ...out('r4')],
    /^--repeats '1e6': expected an integer from 1 to 100 or 'auto'$/,
  ],
  [
    'run --max-repeats 1e6',
    ['run', none, '--student', 's', '--max-repeats', '1e6', ...out('r6')],
    /^--max-repeats '1e6': expected an integer from 2 to 100$/,
  ],
  [
    'run --delta 1e40',
    ['run', none, '--student', 's', '--delta', '1e40', ...out('r7')],
    /^--delta '1e40': expected a number > 0 and ≤ 1e\+30$/,
  ],
  [
    'run --teachers with an empty name',
    ['run', none, '--student', 's', '--teachers', 'a,', ...out('r5')],
    /^--teachers 'a,': expected comma-separated names, none empty, e\.g\. a,b$/,
  ],
  [
    'mi --seed 2^53 + 1',
    ['mi', none, '--x', 'a', '--y', 'b', '--seed', '9007199254740993'],
    /^--seed '9007199254740993': expected an integer from 0 to 4294967295$/,
  ],
  [
    'mi --bootstrap 1e9',
    ['mi', none, '--x', 'a', '--y', 'b', '--bootstrap', '1e9'],
    /^--bootstrap '1e9': expected an integer from 0 to 100000$/,
  ],
  [
    'train --epochs 1e9',
    ['train', none, '--modality', 'a', '--epochs', '1e9', ...out('t1')],
    /^--epochs '1e9': expected an integer from 1 to 10000$/,
  ],
  [
    'train --seed 2^53 + 1',
    ['train', none, '--modality', 'a', '--seed', '9007199254740993', ...out('t2')],
    /^--seed '9007199254740993': expected an integer from 0 to 4294967295$/,
  ],
  [
    'train --hidden with a width of 1e12',
    ['train', none, '--modality', 'a', '--hidden', '64,1e12', ...out('t3')],
    /^--hidden '64,1e12': expected comma-separated values, each an integer from 1 to 65536$/,
  ],
  [
    'distill --split-seed 1e30',
    ['distill', none, '--method', 'kd', '--teacher', 'a', '--student', 'b', '--split-seed', '1e30', ...out('d1')],
    /^--split-seed '1e30': expected an integer from 0 to 4294967295$/,
  ],
  [
    'sweep --repeats 1e6',
    ['sweep', none, '--student', 'a', '--teacher', 'b', '--repeats', '1e6', ...out('s1')],
    /^--repeats '1e6': expected an integer from 1 to 100 or 'auto'$/,
  ],
  [
    'sweep --temperatures with a non-number',
    ['sweep', none, '--student', 'a', '--teacher', 'b', '--temperatures', '2,x', ...out('s2')],
    /^--temperatures '2,x': expected comma-separated values, each a number > 0 and ≤ 1000$/,
  ],
  [
    'evaluate --split-seed 2^53 + 1',
    ['evaluate', join(root, 'no-model'), none, '--split-seed', '9007199254740993'],
    /^--split-seed '9007199254740993': expected an integer from 0 to 4294967295$/,
  ],
  [
    "an experiment's own --seed past 2^32 - 1",
    ['experiment', 'cch-gaussian', '--quick', '--seed', '9007199254740993', ...out('e2')],
    /^--seed '9007199254740993': expected an integer from 0 to 4294967295$/,
  ],
  [
    "an experiment's own --learning-rate 1e9",
    ['experiment', 'cch-gaussian', '--quick', '--learning-rate', '1e9', ...out('e3')],
    /^--learning-rate '1e9': expected a number > 0 and ≤ 100$/,
  ],
  [
    'experiment --workers 1e6',
    ['experiment', 'cch-gaussian', '--quick', '--workers', '1e6', ...out('e1')],
    /^--workers '1e6': expected an integer from 1 to 1024 or 'auto'$/,
  ],
];

describe('numeric flags are bounded: exit 2, one line naming the flag and the range, before any work', () => {
  for (const [kind, argv, want] of cases) {
    it(kind, async () => {
      const r = await run(...argv);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stdout).toBe('');
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0].replace(/^cmkd: error: /, '')).toMatch(want);
    });
  }

  it('the help of a numeric flag shows its range', async () => {
    const r = await run('run', '--help');
    expect(r.code).toBe(0);
    const help = r.stdout.replace(/\s+/g, ' ');
    expect(help).toMatch(/--seed <int> seed of splits, initial weights and the MI resampling \(integer, 0 to 4294967295\)/);
    expect(help).toMatch(
      /--max-steps <n> training length in optimizer steps, whatever the data size \(default: the budget's\) \(integer, 1 to 10000000\)/,
    );
  });
});

describe('the one number parser', () => {
  it('takes the bounds of its rule and no more', () => {
    expect(numberOption('--seed', '4294967295', RANGES.seed)).toBe(4294967295);
    expect(numberOption('--seed', undefined, RANGES.seed)).toBeUndefined();
    expect(numberOption('--ci', '0.9', RANGES.ci)).toBe(0.9);
    for (const bad of ['', ' ', 'x', '1.5', '-1', 'Infinity', 'NaN', '4294967296'])
      expect(() => numberOption('--seed', bad, RANGES.seed), bad).toThrow(`--seed '${bad}': expected an integer from 0 to 4294967295`);
    expect(() => numberOption('--ci', '0', RANGES.ci)).toThrow("--ci '0': expected a number > 0 and ≤ 0.999999");
    expect(numberListOption('--lambdas', '0.5, 1', RANGES.lambda)).toEqual([0.5, 1]);
    expect(() => numberListOption('--lambdas', '0.5,,1', RANGES.lambda)).toThrow(
      "--lambdas '0.5,,1': expected comma-separated values, each a number from 0 to 1000",
    );
  });

  it('every rule bounds its flag: integers within the safe range', () => {
    for (const [name, rule] of Object.entries(RANGES)) {
      expect(Number.isFinite(rule.max), name).toBe(true);
      if ('integer' in rule && rule.integer) expect(rule.max <= Number.MAX_SAFE_INTEGER, name).toBe(true);
    }
  });
});
