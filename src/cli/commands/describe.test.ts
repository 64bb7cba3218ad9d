import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli as run } from '../../../test/cli.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** 24 rows: modality 'a' = k (constant 1), flag (one 1 in 24: near-constant), v (0..23, row 2 empty); 'w' = 30 columns w0..w29, w0..w5 constant; labels 19 × 'x', 5 × 'y'. */
function csv(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmkd-describe-'));
  roots.push(dir);
  const w = Array.from({ length: 30 }, (_, j) => `w${j}`);
  const rows = Array.from({ length: 24 }, (_, i) =>
    [1, i === 5 ? 1 : 0, i === 2 ? '' : i, ...w.map((_, j) => (j < 6 ? 7 : i * j)), i < 19 ? 'x' : 'y'].join(','),
  );
  writeFileSync(join(dir, 'd.csv'), ['k', 'flag', 'v', ...w, 'y'].join(',') + '\n' + rows.join('\n') + '\n');
  return join(dir, 'd.csv');
}

const args = (file: string) => ['data', 'describe', file, '--csv-modality', 'a=k,flag,v', '--csv-modality', 'w=w*', '--label', 'y'];

describe('cmkd data describe: per-column statistics', () => {
  it('a narrow modality gets a row per column; a wide one a summary naming the first constant columns', async () => {
    const r = await run(...args(csv()));
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).toMatch(/\na \(3 columns: 1 constant, 1 near-constant\)\ncolumn\s+mean\s+sd\s+min\s+max\s+missing\s+flag\n/);
    expect(out).toMatch(/\nk\s+1\s+0\s+1\s+1\s+0\s+constant\n/);
    expect(out).toMatch(/\nflag\s+0\.0417\s+0\.200\s+0\s+1\s+0\s+near-constant\n/);
    expect(out).toMatch(/\nv\s+11\.9\s+6\.78\s+0\s+23\s+1\n/); // 0..23 without 2: mean 274 / 23
    expect(out).toMatch(/\nw \(30 columns: 6 constant, 0 near-constant; --columns lists each\)\n {2}constant: w0, w1, w2, w3, w4, …\n/);
    expect(out).not.toMatch(/\nw7\s/);
  });

  it('--columns prints a row for every column of every modality', async () => {
    const r = await run(...args(csv()), '--columns');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\nw \(30 columns: 6 constant, 0 near-constant\)\n/);
    for (let j = 0; j < 30; j++) expect(r.stdout).toMatch(new RegExp(`\\nw${j}\\s`));
  });

  it('warns on stderr of constant columns and class imbalance; --json carries them with every column', async () => {
    const file = csv();
    const r = await run(...args(file));
    expect(r.stderr.trim().split('\n')).toEqual([
      "cmkd: warning: class imbalance: class 'x' has 19 samples and class 'y' 5 (ratio 3.8, above 3); accuracy mostly rewards the large classes, so read macro F1 (f1Macro) beside it",
      "cmkd: warning: modality 'a' has 1 constant column of 3: 'k'",
      "cmkd: warning: modality 'w' has 6 constant columns of 30: 'w0', 'w1', 'w2', 'w3', 'w4', …",
      "cmkd: warning: dataset 'd' has 24 rows; cmkd run needs at least 50 for its held-out metrics to mean anything (--allow-small to run anyway)",
    ]);
    const j = await run(...args(file), '--json');
    expect(j.stderr).toBe('');
    const s = JSON.parse(j.stdout);
    expect(s.warnings).toHaveLength(4);
    expect(s.modalities[1].columns).toHaveLength(30);
    expect(s.modalities[0].columns[2]).toMatchObject({ name: 'v', min: 0, max: 23, missing: 1, constant: false, nearConstant: false });
    expect(s.modalities[0]).toMatchObject({ constantColumns: 1, nearConstantColumns: 1 });
  });
});
