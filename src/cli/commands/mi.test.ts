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
      /^I\(a; label\) = \d\.\d{4} bits \[95% CI \d\.\d{4}, \d\.\d{4}\]\n {2}toy: class-conditional Gaussian posterior \(QDA\), n=1000, half-split x5, seed=0\n$/,
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
    expect(r.stdout).toMatch(/\n {2}toy: MINE \(infonce, separable critic\), n=1000, batch=128 \(InfoNCE ≤ log B = 4\.8520\), seed=0\n$/);
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
    [['--x', 'a', '--y', 'b', '--k', 'three'], /--k must be an integer ≥ 1, got 'three'/],
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
