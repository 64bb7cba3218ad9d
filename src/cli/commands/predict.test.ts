import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRng } from '../../util/rng.js';
import { runCli as run } from '../../../test/cli.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmkd-cli-predict-'));
  roots.push(dir);
  return dir;
}

const CLASSES = ['red', 'green', 'blue'];

/** Rows of 'tab' (a,b,c,d): class c has +3 in column c. */
function rows(n: number, seed: number): { x: string[]; y: string[] } {
  const rng = makeRng(seed);
  const x: string[] = [];
  const y: string[] = [];
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    x.push([0, 1, 2, 3].map((k) => (rng.normal() + (k === c ? 3 : 0)).toFixed(4)).join(','));
    y.push(CLASSES[c]);
  }
  return { x, y };
}

describe('cmkd predict', () => {
  const data = tempDir();
  const model = join(tempDir(), 'model');
  beforeAll(async () => {
    const { x, y } = rows(90, 7);
    const noise = makeRng(8);
    writeFileSync(
      join(data, 'cmkd.json'),
      JSON.stringify({
        modalities: [
          { name: 'tab', file: 'tab.csv' },
          { name: 'noise', file: 'noise.csv' },
        ],
        labels: { file: 'labels.csv', column: 'y' },
        task: { kind: 'classification', classes: CLASSES },
      }),
    );
    writeFileSync(join(data, 'tab.csv'), ['a,b,c,d', ...x].join('\n') + '\n');
    writeFileSync(join(data, 'noise.csv'), ['u', ...x.map(() => noise.normal().toFixed(4))].join('\n') + '\n');
    writeFileSync(join(data, 'labels.csv'), ['y', ...y].join('\n') + '\n');
    const r = await run('train', data, '--modality', 'tab', '--out', model, '--epochs', '20', '--lr', '0.02', '--hidden', '8', '--quiet');
    expect(r.code).toBe(0);
  }, 120_000);

  it('writes id, predicted and p_<class> for each new row (no label column needed), the classes of the model', async () => {
    const dir = tempDir();
    const { x, y } = rows(30, 99);
    writeFileSync(join(dir, 'new.csv'), ['a,b,c,d', ...x].join('\n') + '\n');
    const out = join(dir, 'preds.csv');
    const r = await run('predict', model, join(dir, 'new.csv'), '--out', out, '--quiet');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const recs = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(Object.keys(recs[0])).toEqual(['id', 'predicted', 'p_red', 'p_green', 'p_blue']);
    expect(recs.map((p) => p.id)).toEqual(x.map((_, i) => String(i)));
    let right = 0;
    recs.forEach((p, i) => {
      const probs = CLASSES.map((c) => Number(p[`p_${c}`]));
      expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(p.predicted).toBe(CLASSES[probs.indexOf(Math.max(...probs))]);
      if (p.predicted === y[i]) right++;
    });
    // Held-out rows of the same separable classes: the model trained above gets most of them.
    expect(right / recs.length).toBeGreaterThan(0.8);

    // Without --out the CSV goes to stdout, the same rows.
    const stdout = await run('predict', model, join(dir, 'new.csv'), '--quiet');
    expect(stdout.stdout).toBe(readFileSync(out, 'utf8'));
  });

  it("a pandas-written CSV's index names the rows; a CSV with a label column adds it; a wrong width is one line", async () => {
    const dir = tempDir();
    const { x, y } = rows(6, 5);
    writeFileSync(join(dir, 'idx.csv'), [',a,b,c,d', ...x.map((r, i) => `s${i},${r}`)].join('\n') + '\n');
    const a = await run('predict', model, join(dir, 'idx.csv'), '--quiet');
    expect(a.code).toBe(0);
    const ra = parse(a.stdout, { columns: true }) as Record<string, string>[];
    expect(ra.map((p) => p.id)).toEqual(['s0', 's1', 's2', 's3', 's4', 's5']);
    expect(a.stderr).toMatch(/column 1 has no name and holds distinct values/);

    writeFileSync(join(dir, 'lab.csv'), ['a,b,c,d,y', ...x.map((r, i) => `${r},${y[i]}`)].join('\n') + '\n');
    const b = await run('predict', model, join(dir, 'lab.csv'), '--label', 'y', '--quiet');
    expect(b.code).toBe(0);
    const rb = parse(b.stdout, { columns: true }) as Record<string, string>[];
    expect(Object.keys(rb[0])).toEqual(['id', 'label', 'predicted', 'p_red', 'p_green', 'p_blue']);
    expect(rb.map((p) => p.label)).toEqual(y);

    writeFileSync(join(dir, 'narrow.csv'), 'a,b\n1,2\n');
    const c = await run('predict', model, join(dir, 'narrow.csv'), '--quiet');
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(
      /^cmkd: error: modality 'tab' of .*narrow\.csv has samples of shape \[2\] \(columns a, b\); the model in .* reads \[4\]\n$/,
    );
  });
});
