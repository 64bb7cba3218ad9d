import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli as run } from '../../../test/cli.js';
import { resumeCommand } from './run.js';

const root = mkdtempSync(join(tmpdir(), 'cmkd-cli-run-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('cmkd run flags', () => {
  it('reports a bad budget override on one line with exit code 2', async () => {
    for (const [flag, value, want] of [
      ['--max-steps', '0', /^cmkd: error: --max-steps '0': expected an integer from 1 to 10000000\n$/],
      ['--repeats', 'two', /^cmkd: error: --repeats 'two': expected an integer from 1 to 100 or 'auto'\n$/],
      ['--max-repeats', '1', /^cmkd: error: --max-repeats '1': expected an integer from 2 to 100\n$/],
      ['--delta', '-0.01', /^cmkd: error: --delta '-0.01': expected a number > 0 and ≤ 1e\+30\n$/],
      ['--epochs', '2.5', /^cmkd: error: --epochs '2.5': expected an integer from 1 to 10000\n$/],
      ['--samples', '-3', /^cmkd: error: --samples '-3': expected an integer from 1 to 1000000000\n$/],
      ['--patience', '', /^cmkd: error: --patience '': expected an integer from 1 to 10000\n$/],
      ['--workers', '0', /^cmkd: error: --workers '0': expected an integer from 1 to 1024 or 'auto'\n$/],
      ['--model', 'vit', /^cmkd: error: .*model.*'vit'.*mlp.*\n$/],
      ['--hidden', '8,0', /^cmkd: error: --hidden '8,0': expected comma-separated values, each an integer from 1 to 65536\n$/],
      ['--dropout', '1', /^cmkd: error: --dropout '1': expected a number from 0 to 0.99\n$/],
      ['--splits', 'loo', /^cmkd: error: unknown --splits 'loo'; expected one of: random, kfold\n$/],
    ] as const) {
      const r = await run('run', 'digits', '--student', 'textured', flag, value, '--out', join(root, 'x'), '--quiet');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(want);
    }
  });

  it('refuses --splits random below 300 rows on one line (small data is always split by 5-fold)', async () => {
    const r = await run(
      'run',
      'digits?n=120&modalities=profiles,blocks&cache=false',
      '--student',
      'profiles',
      '--splits',
      'random',
      '--out',
      join(root, 's'),
      '--quiet',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'cmkd: error: --splits random: below 300 rows a run splits by stratified 5-fold (this dataset has 120); expected kfold or no --splits\n',
    );
  });

  it('refuses data below the floor on one line naming --allow-small', async () => {
    const r = await run(
      'run',
      'digits?n=40&modalities=profiles,blocks&cache=false',
      '--student',
      'profiles',
      '--out',
      join(root, 'y'),
      '--quiet',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^cmkd: error: dataset '.*' has 40 rows; cmkd run needs at least 50 .*\(--allow-small to run anyway\)\n$/);
  });
});

describe('cmkd cch --model', () => {
  it("takes the run's architecture flags, and refuses a convolutional model on a table in one line", async () => {
    const r = await run(
      'cch',
      'digits?n=300&modalities=profiles,blocks&cache=false',
      '--student',
      'profiles',
      '--model',
      'resnet',
      '--blocks',
      '2',
      '--out',
      join(root, 'z'),
      '--quiet',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^cmkd: error: --model resnet: reads images, and modality 'profiles' of this run is a table; .*\n$/);
  });
});

describe("the next step's command", () => {
  it('is the run again in its folder, without --resume, --out, --repeats or --max-repeats, each argument quoted for a shell', () => {
    expect(
      resumeCommand(['run', 'data.csv', '--student', 'a b', '--max-repeats', '8', '--out=x', '--resume', '--label', "it's"], '/tmp/r 1'),
    ).toBe("cmkd run data.csv --student 'a b' --label 'it'\\''s' --out '/tmp/r 1'");
    // A fixed run goes on with sequential splits: --repeats goes, the next step's --max-repeats sets the cap.
    expect(resumeCommand(['--quiet', 'run', 'digits', '--repeats', '3', '--student', 'textured', '--out', 'runs/x'], 'runs/x')).toBe(
      'cmkd run --quiet digits --student textured --out runs/x',
    );
  });
});
