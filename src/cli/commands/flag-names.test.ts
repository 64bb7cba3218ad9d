import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli as run, startCli } from '../../../test/cli.js';

const root = mkdtempSync(join(tmpdir(), 'cmkd-flags-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Bad input: exit 2, one line on stderr, nothing on stdout. */
async function fails(...argv: string[]): Promise<string> {
  const r = await run(...argv);
  expect(r.code, argv.join(' ')).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr
    .trim()
    .split('\n')
    .filter((l) => !l.startsWith('['));
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0];
}

describe("bad input names the CLI's own flags", () => {
  it('a missing --student on cmkd cch and cmkd run: exit 2', async () => {
    expect(await fails('cch', 'digits')).toMatch(/required option '--student <modality>' not specified/);
    expect(await fails('run', 'digits')).toMatch(/required option '--student <modality>' not specified/);
  });

  it('too few rows for the half-split intervals: --bootstrap 0, not the library option', async () => {
    const mi = await fails('mi', 'digits?n=6', '--x', 'pixels', '--y', 'label');
    expect(mi).toMatch(/pass --bootstrap 0/);
    expect(mi).not.toMatch(/bootstrap: 0/);
    const cch = await fails(
      ...['cch', 'digits', '--student', 'textured', '--teachers', 'blocks', '--no-fusion', '--samples', '12', '--allow-small'],
      ...['--repeats', '1', '--max-steps', '1', '--quiet', '--out', join(root, 'cch12')],
    );
    expect(cch).toMatch(/pass --bootstrap 0/);
    expect(cch).not.toMatch(/bootstrap: 0/);
  });

  it('--samples leaving a split part empty is said so, not "evaluation: no rows to evaluate"', async () => {
    const msg = await fails(
      ...['cch', 'digits', '--student', 'textured', '--teachers', 'blocks', '--no-fusion', '--samples', '5', '--allow-small'],
      ...['--repeats', '1', '--max-steps', '1', '--quiet', '--out', join(root, 'cch5')],
    );
    expect(msg).toMatch(
      /dataset 'digits' has \d+ rows: repeat 1 leaves \d+ training, \d+ validation and \d+ test rows; each part needs at least one/,
    );
  });

  it('experiment options are named by their flags', async () => {
    expect(await fails('experiment', 'cch-gaussian', '--quick', '--mi-samples', '100000', '--out', join(root, 'g1'))).toMatch(
      /--mi-samples \(100000\) cannot exceed --n-test \(2000\)/,
    );
    expect(await fails('experiment', 'cch-gaussian', '--quick', '--learning-rate', '0', '--out', join(root, 'g2'))).toMatch(
      /--learning-rate '0': expected a number > 0 and ≤ 100/,
    );
    expect(await fails('experiment', 'cch-gaussian', '--quick', '--n', '10', '--out', join(root, 'g3'))).toMatch(
      /--n must exceed --p \+ 1 \(--n 10, --p 20\)/,
    );
  });

  it('cmkd sweep names --temperatures, --lambdas and --feature-modes', async () => {
    const sweep = ['sweep', 'digits?n=200', '--student', 'blocks', '--teacher', 'pixels', '--quick'];
    expect(await fails(...sweep, '--temperatures', '0', '--out', join(root, 's1'))).toMatch(
      /--temperatures '0': expected comma-separated values, each a number > 0 and ≤ 1000/,
    );
    expect(await fails(...sweep, '--lambdas', '-1', '--out', join(root, 's2'))).toMatch(
      /--lambdas '-1': expected comma-separated values, each a number from 0 to 1000/,
    );
    expect(await fails(...sweep, '--feature-modes', 'output,logits', '--out', join(root, 's3'))).toMatch(
      /unknown --feature-modes value 'logits'; expected one of: output, embedding/,
    );
    expect(await fails(...sweep, '--methods', 'kd', '--feature-modes', 'output', '--out', join(root, 's4'))).toMatch(
      /--feature-modes gives rows of feature KD; --methods has no feature/,
    );
  });

  it('cmkd mi --ci is checked as a flag', async () => {
    expect(await fails('mi', 'digits?n=100', '--x', 'pixels', '--y', 'label', '--ci', '2')).toMatch(
      /--ci '2': expected a number > 0 and ≤ 0\.999999/,
    );
  });
});

describe('every command that runs models takes the same shared flags', () => {
  const trains = [['run'], ['cch'], ['train'], ['distill'], ['sweep'], ['mi'], ['experiment', 'cch-gaussian']];
  it.each(trains)('cmkd %s takes --backend, --json, --quiet and --seed', async (...cmd) => {
    const r = await run(...cmd, '--help');
    expect(r.code).toBe(0);
    for (const flag of ['--backend <name>', '--json', '--quiet']) expect(r.stdout, flag).toContain(flag);
    if (cmd[0] !== 'experiment') expect(r.stdout).toMatch(/--seed <(n|int)>/);
  });

  it('refuses an unknown backend on one line before any work, in mi as in run', async () => {
    expect(await fails('mi', 'digits?n=100', '--x', 'pixels', '--y', 'label', '--backend', 'gpu')).toMatch(/backend.*'gpu'/);
    expect(await fails('run', 'digits', '--student', 'textured', '--backend', 'gpu', '--out', join(root, 'b1'))).toMatch(/backend.*'gpu'/);
  });

  it('without --backend a command takes $CMKD_BACKEND, as src/engine documents (a default of auto hid it)', async () => {
    const before = process.env.CMKD_BACKEND;
    process.env.CMKD_BACKEND = 'cpu';
    try {
      const info = startCli(['info']);
      expect(await info.waitFor(/^backend:/)).toMatch(/^backend: +cpu$/);
      await info.stop();
    } finally {
      if (before === undefined) delete process.env.CMKD_BACKEND;
      else process.env.CMKD_BACKEND = before;
    }
  });
});
