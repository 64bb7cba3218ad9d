import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { correlatedGaussians } from '../../mi/testdata.js';
import { runCli as run } from '../../../test/cli.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** A two-modality table dataset: a = (x₁, x₂), b = y₁ with corr(x₁, y₁) = 0.8; label = [x₁ > 0]. */
function dataset(n: number): { dir: string; exact: number } {
  const p = correlatedGaussians(n, [0.8], 1);
  const extra = correlatedGaussians(n, [0], 2);
  const dir = mkdtempSync(join(tmpdir(), 'cmkd-cli-mi-'));
  roots.push(dir);
  const rows = (f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('\n') + '\n';
  writeFileSync(join(dir, 'a.csv'), 'x1,x2\n' + rows((i) => `${p.x[i]},${extra.x[i]}`));
  writeFileSync(join(dir, 'b.csv'), 'y1\n' + rows((i) => `${p.y[i]}`));
  writeFileSync(join(dir, 'labels.csv'), 'y\n' + rows((i) => (p.x[i] > 0 ? 'pos' : 'neg')));
  writeFileSync(
    join(dir, 'cmkd.json'),
    JSON.stringify({
      name: 'toy',
      modalities: [
        { name: 'a', kind: 'table', file: 'a.csv' },
        { name: 'b', kind: 'table', file: 'b.csv' },
      ],
      labels: { file: 'labels.csv', column: 'y' },
      task: { kind: 'classification', classes: ['neg', 'pos'] },
    }),
  );
  return { dir, exact: p.exact };
}

describe('cmkd mi', () => {
  const { dir, exact } = dataset(1000);

  it('estimates I(a; b) with KSG and prints JSON', async () => {
    const r = await run('mi', dir, '--x', 'a', '--y', 'b', '--seed', '3', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ dataset: 'toy', x: 'a', y: 'b', estimator: 'ksg', units: 'nats', n: 1000 });
    expect(out.settings).toMatchObject({ k: 3, seed: 3, interval: 'half-split', method: 'KSG algorithm 1' });
    expect(Math.abs(out.value - exact)).toBeLessThan(0.1);
    expect(out.ci[0]).toBeLessThan(out.value);
  });

  it("'label' is the task's labels; human output names both variables and the interval", async () => {
    const r = await run('mi', dir, '--x', 'a', '--y', 'label', '--estimator', 'gaussian', '--units', 'bits', '--bootstrap', '5');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^I\(a; label\) = \d\.\d{3} bits \[95% CI \d\.\d{3}, \d\.\d{3}\]\n {2}toy: class-conditional Gaussian posterior \(QDA\), n=1000, half-split x5, seed=0\n$/,
    );
  });

  it('mine prints the batch it used, and for InfoNCE its log B cap', async () => {
    const r = await run(
      'mi',
      dir,
      '--x',
      'a',
      '--y',
      'b',
      '--estimator',
      'mine',
      '--bound',
      'infonce',
      '--epochs',
      '2',
      '--bootstrap',
      '0',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\n {2}toy: MINE \(infonce, separable critic\), n=1000, batch=128 \(InfoNCE ≤ log B = 4\.85\), seed=0\n$/);
  });

  it('--samples takes a seeded subset', async () => {
    const r = await run('mi', dir, '--x', 'b', '--y', 'a', '--samples', '300', '--bootstrap', '0', '--json');
    const out = JSON.parse(r.stdout);
    expect(out.n).toBe(300);
    expect(out.ci).toBeNull();
  });

  const bad: [string[], RegExp][] = [
    [['--x', 'a', '--y', 'c'], /dataset 'toy' has no modality 'c'; it has: a, b/],
    [['--x', 'a', '--y', 'b', '--estimator', 'kde'], /unknown estimator 'kde'/],
    [['--x', 'a', '--y', 'b', '--k', '1000'], /k = 1000 must be smaller than the number of samples n = 1000/],
    [['--x', 'a', '--y', 'b', '--k', 'three'], /--k 'three': expected an integer from 1 to 1000/],
  ];
  for (const [args, re] of bad) {
    it(`${args.slice(-2).join(' ')}: exit 2 with one line naming the fault`, async () => {
      const r = await run('mi', dir, ...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  }
});

describe('cmkd mi on a single CSV', () => {
  // Columns x1, x2 (modality a), y1 (modality b), cls (a label), with corr(x1, y1) = 0.8.
  const n = 600;
  const p = correlatedGaussians(n, [0.8], 11);
  const extra = correlatedGaussians(n, [0], 12);
  const dir = mkdtempSync(join(tmpdir(), 'cmkd-cli-mi-csv-'));
  roots.push(dir);
  const file = join(dir, 'table.csv');
  const lines = Array.from({ length: n }, (_, i) => `${p.x[i]},${extra.x[i]},${p.y[i]},${p.x[i] > 0 ? 'pos' : 'neg'}`);
  writeFileSync(file, 'x1,x2,y1,cls\n' + lines.join('\n') + '\n');
  const nanFile = join(dir, 'nan.csv');
  writeFileSync(nanFile, 'x1,x2,y1,cls\n' + lines.map((l, i) => (i === 7 ? l.replace(/^[^,]*/, '') : l)).join('\n') + '\n');
  const columns = ['--csv-modality', 'a=x1,x2', '--csv-modality', 'b=y1'];

  it('MI between two modalities needs no --label', async () => {
    const r = await run('mi', file, ...columns, '--x', 'a', '--y', 'b', '--bootstrap', '0', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ dataset: 'table', x: 'a', y: 'b', n, estimator: 'ksg' });
    expect(Math.abs(out.value - p.exact)).toBeLessThan(0.1);
  });

  it('MI with the label takes --label as before', async () => {
    const r = await run('mi', file, ...columns, '--label', 'cls', '--x', 'a', '--y', 'label', '--bootstrap', '0', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ y: 'label', n, settings: { method: 'Ross 2014 (mixed)' } });
  });

  const bad: [string, string[], RegExp][] = [
    [
      '--y label without --label',
      [file, ...columns, '--x', 'a', '--y', 'label'],
      /^cmkd: error: --y label: name the CSV's label column with --label <column>$/,
    ],
    [
      '--x label without --label',
      [file, ...columns, '--x', 'label', '--y', 'b'],
      /^cmkd: error: --x label: name the CSV's label column with --label <column>$/,
    ],
    [
      '--task without --label',
      [file, ...columns, '--task', 'regression', '--x', 'a', '--y', 'b'],
      /--task and --classes describe the label column; name it with --label <column>/,
    ],
    [
      'no --csv-modality',
      [file, '--x', 'a', '--y', 'b'],
      /table\.csv: a single-CSV dataset needs column options: which columns form each modality/,
    ],
    [
      'an unknown column',
      [file, '--csv-modality', 'a=x1,x9', '--csv-modality', 'b=y1', '--x', 'a', '--y', 'b'],
      /modality 'a': .*table\.csv has no column 'x9'; its columns are: x1, x2, y1, cls/,
    ],
    ['an unknown modality', [file, ...columns, '--x', 'a', '--y', 'c'], /dataset 'table' has no modality 'c'; it has: a, b/],
    ['an empty cell', [nanFile, ...columns, '--x', 'a', '--y', 'b'], /modality 'a' .*row 8, column 'x1': value is NaN/],
  ];
  for (const [name, args, re] of bad) {
    it(`${name}: exit 2 with one line naming the fault`, async () => {
      const r = await run('mi', ...args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.trim()).toMatch(re);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    });
  }
});
