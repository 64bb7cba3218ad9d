import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { defaultRunDir } from './experiment.js';
import { runCli as run } from '../../../test/cli.js';

const root = mkdtempSync(join(tmpdir(), 'cmkd-cli-experiment-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

describe('cmkd experiment', () => {
  it('lists the registered experiments', async () => {
    const r = await run('experiment', 'list', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).map((e: { name: string }) => e.name)).toContain('cch-gaussian');
  });

  it('runs cch-gaussian into --out and prints the agreement per λ', async () => {
    const out = join(root, 'run');
    const r = await run(
      'experiment',
      'cch-gaussian',
      '--n',
      '200',
      '--p',
      '4',
      '--settings',
      '3',
      '--seeds',
      '1',
      '--lambdas',
      '0.2,0.8',
      '--n-test',
      '200',
      '--mi-samples',
      '100',
      '--adam-steps',
      '100',
      '--learning-rate',
      '0.05',
      '--out',
      out,
      '--quiet',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cch-gaussian: 3\/3 settings × 1 seeds, n = 200, p = 4/);
    expect(r.stdout).toMatch(/agree CCH \(exact\)/);
    expect(r.stdout.split('\n').filter((l) => /^0\.[28]\s/.test(l))).toHaveLength(2);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(json.options).toMatchObject({ n: 200, p: 4, lambdas: [0.2, 0.8], teacherData: 'independent' });
    expect(readFileSync(join(out, 'settings.csv'), 'utf8').split('\n')[0]).toContain('agreesWithCch');
  });

  it('rejects bad option values with one line naming the flag', async () => {
    const r1 = await run('experiment', 'cch-gaussian', '--lambdas', '0.2,abc', '--out', join(root, 'bad'));
    expect(r1.code).toBe(2);
    expect(r1.stderr).toBe("cmkd: error: --lambdas '0.2,abc': expected comma-separated values, each a number from 0 to 1000\n");
    const r2 = await run('experiment', 'cch-gaussian', '--n', '10', '--p', '20', '--out', join(root, 'bad'));
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/^cmkd: error: cch-gaussian: --n must exceed --p \+ 1 \(--n 10, --p 20\)/);
    const r3 = await run('experiment', 'cch-gaussian', '--teacher-data', 'both', '--out', join(root, 'bad'));
    expect(r3.stderr).toMatch(/--teacher-data must be one of independent, same, got 'both'/);
  });

  it('--workers runs the cells on a pool of processes and gives the rows of one process', async () => {
    const tiny = ['--seeds', '1', '--epochs', '20', '--gamma-sweep', '0,10', '--alpha-sweep', '20', '--n-train', '40', '--n-test', '60'];
    const rows = async (workers: string) => {
      const r = await run('experiment', 'mfh-synthetic', ...tiny, '--workers', workers, '--out', join(root, `mfh-${workers}`), '--json');
      expect(r.code).toBe(0);
      return (JSON.parse(r.stdout) as { rows: unknown[] }).rows;
    };
    const one = await rows('1');
    expect(one).toHaveLength(3);
    expect(await rows('2')).toEqual(one);
    const bad = await run('experiment', 'mfh-synthetic', '--workers', '0', '--out', join(root, 'bad'));
    expect([bad.code, bad.stderr]).toEqual([2, "cmkd: error: --workers '0': expected an integer from 1 to 1024 or 'auto'\n"]);
    const both = await run('experiment', 'cch-digits', '--workers', '2', '--queue', 'redis://127.0.0.1:1', '--out', join(root, 'bad'));
    expect(both.stderr).toMatch(/^cmkd: error: --workers and --queue: give one/);
  }, 120_000);

  it('defaults the run folder to runs/<name>-<timestamp>', () => {
    expect(defaultRunDir('cch-gaussian', new Date(2026, 0, 2, 3, 4, 5))).toBe(join('runs', 'cch-gaussian-2026-01-02T03-04-05'));
  });
});
