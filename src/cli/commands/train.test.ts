import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { makeRng } from '../../util/rng.js';
import { runCli as run } from '../../../test/cli.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
afterEach(() => vi.restoreAllMocks());

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmkd-cli-train-'));
  roots.push(dir);
  return dir;
}

/** A dataset directory: 'tab' (4 columns, 3 separable classes) and 'noise' (2 columns), 90 samples. */
function dataset(): string {
  const dir = tempDir();
  const rng = makeRng(7);
  const tab = ['a,b,c,d'];
  const noise = ['u,v'];
  const labels = ['y'];
  for (let i = 0; i < 90; i++) {
    const c = i % 3;
    tab.push([0, 1, 2, 3].map((k) => (rng.normal() + (k === c ? 3 : 0)).toFixed(4)).join(','));
    noise.push(`${rng.normal().toFixed(4)},${rng.normal().toFixed(4)}`);
    labels.push(['red', 'green', 'blue'][c]);
  }
  const manifest = {
    name: 'toy',
    modalities: [
      { name: 'tab', kind: 'table', file: 'tab.csv' },
      { name: 'noise', kind: 'table', file: 'noise.csv' },
    ],
    labels: { file: 'labels.csv', column: 'y' },
    task: { kind: 'classification', classes: ['red', 'green', 'blue'] },
  };
  writeFileSync(join(dir, 'cmkd.json'), JSON.stringify(manifest));
  writeFileSync(join(dir, 'tab.csv'), tab.join('\n') + '\n');
  writeFileSync(join(dir, 'noise.csv'), noise.join('\n') + '\n');
  writeFileSync(join(dir, 'labels.csv'), labels.join('\n') + '\n');
  return dir;
}

describe('cmkd train / evaluate', () => {
  const data = dataset();
  const out = join(tempDir(), 'model');

  it('trains, saves the model and metrics.json, and evaluate reproduces the test metrics', async () => {
    const r = await run(
      'train',
      data,
      '--modality',
      'tab',
      '--out',
      out,
      '--epochs',
      '6',
      '--lr',
      '0.02',
      '--batch-size',
      '16',
      '--hidden',
      '8',
      '--quiet',
      '--json',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const printed = JSON.parse(r.stdout);
    for (const f of ['model.json', 'weights.bin', 'metrics.json', 'checkpoint/resume.ckpt', 'checkpoint/best/model.json']) {
      expect(existsSync(join(out, f))).toBe(true);
    }
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(metrics.split).toEqual({ seed: 0, train: 63, val: 9, test: 18 });
    expect(metrics.history.length).toBeGreaterThan(0);
    expect(metrics.test.summary.accuracy).toBeGreaterThan(0.8);
    expect(printed.test).toEqual(metrics.test);
    const model = JSON.parse(readFileSync(join(out, 'model.json'), 'utf8'));
    expect(model.userDefinedMetadata.cmkd.modality).toBe('tab');
    expect(model.userDefinedMetadata.cmkd.classes).toEqual(['red', 'green', 'blue']);
    expect(model.userDefinedMetadata.cmkd.standardizer.mean).toHaveLength(4);

    const e = await run('evaluate', out, data, '--json');
    expect(e.code).toBe(0);
    const ev = JSON.parse(e.stdout);
    expect(ev.split).toBe('test');
    expect(ev.n).toBe(18);
    expect(ev.summary).toEqual(metrics.test.summary);
    const all = JSON.parse((await run('evaluate', out, data, '--split', 'all', '--json')).stdout);
    expect(all.n).toBe(90);
  });

  it('--model linear trains softmax regression on the table, and evaluate reproduces its test metrics', async () => {
    const lin = join(tempDir(), 'linear');
    const r = await run(
      'train',
      data,
      '--modality',
      'tab',
      '--model',
      'linear',
      '--out',
      lin,
      '--epochs',
      '30',
      '--batch-size',
      '16',
      '--lr',
      '0.02',
      '--quiet',
      '--json',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const spec = JSON.parse(readFileSync(join(lin, 'model.json'), 'utf8')).userDefinedMetadata.cmkd.spec;
    expect(spec).toMatchObject({ kind: 'linear', inputShape: [4], hidden: [], channels: [] });
    const metrics = JSON.parse(readFileSync(join(lin, 'metrics.json'), 'utf8'));
    expect(metrics.test.summary.accuracy).toBeGreaterThan(0.8);
    const e = await run('evaluate', lin, data, '--json');
    expect(JSON.parse(e.stdout).summary).toEqual(metrics.test.summary);
  });

  it('SIGINT during training: exit 130 with one line, the checkpoint kept; --resume ends with the metrics of an uninterrupted run', async () => {
    const args = (o: string) =>
      [
        'train',
        data,
        '--modality',
        'tab',
        '--out',
        o,
        '--epochs',
        '60',
        '--patience',
        '0',
        '--batch-size',
        '8',
        '--hidden',
        '8',
        '--quiet',
      ] as const;
    const whole = join(tempDir(), 'whole');
    expect((await run(...args(whole))).code).toBe(0);

    const cut = join(tempDir(), 'cut');
    const log = join(cut, 'checkpoint', 'log.json');
    // The signal comes once the first epoch is checkpointed (as a user's Ctrl-C would, from outside the loop).
    const poll = setInterval(() => {
      if (existsSync(log)) {
        clearInterval(poll);
        process.emit('SIGINT');
      }
    }, 5);
    const stopped = await run(...args(cut));
    clearInterval(poll);
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toBe('cmkd: interrupted; finished results were kept\n');
    expect(existsSync(join(cut, 'metrics.json'))).toBe(false);
    const done = JSON.parse(readFileSync(log, 'utf8')).history.length;
    expect(done).toBeGreaterThan(0);
    expect(done).toBeLessThan(60);

    const refused = await run(...args(cut));
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/already holds files \('checkpoint'\) of an earlier run; pass --resume to continue it/);
    const resumed = await run(...args(cut), '--resume');
    expect(resumed.code).toBe(0);
    const metrics = (o: string) => JSON.parse(readFileSync(join(o, 'metrics.json'), 'utf8'));
    expect(metrics(cut).test).toEqual(metrics(whole).test);
    expect(metrics(cut).history.map((h: { trainLoss: number }) => h.trainLoss)).toEqual(
      metrics(whole).history.map((h: { trainLoss: number }) => h.trainLoss),
    );
  });

  it('reports bad input on one line with exit code 2', async () => {
    const a = await run('train', data, '--modality', 'nope', '--out', join(tempDir(), 'x'), '--quiet');
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/^cmkd: error: dataset 'toy' has no modality 'nope'; it has: tab, noise\n$/);
    const b = await run('train', data, '--modality', 'tab', '--out', join(tempDir(), 'x'), '--model', 'cnn', '--quiet');
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/needs image inputs of shape \[H, W, C\], got \[4\]/);
    const c = await run('train', data, '--modality', 'tab', '--out', join(tempDir(), 'x'), '--epochs', '0', '--quiet');
    expect(c.stderr).toMatch(/--epochs '0': expected an integer from 1 to 10000/);
    const d = await run('evaluate', out, data, '--modality', 'noise', '--quiet');
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/has samples of shape \[2\]; the model in .* reads \[4\]/);
    const e = await run('evaluate', join(tempDir(), 'none'), data);
    expect(e.stderr).toMatch(/model directory not found/);
  });
});
