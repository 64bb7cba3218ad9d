import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { datasetWarnings, describeDataset, labelLeaks, loadDataset, type MultimodalDataset } from './index.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function makeDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmkd-leak-'));
  roots.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

/** A deterministic stream in [0, 1). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

/**
 * The user's files: a CSV per view whose last column is the class, headed with a second '0'
 * (so it loads as '0.1'); 3 classes, 60 rows, two noise features per view.
 */
function views(): Record<string, string> {
  const rand = lcg(7);
  const y = Array.from({ length: 60 }, (_, i) => i % 3);
  const view = () => ['0,1,0', ...y.map((c) => `${rand().toFixed(4)},${rand().toFixed(4)},${c}`)].join('\n') + '\n';
  return { 'a.csv': view(), 'b.csv': view() };
}

describe('label leak', () => {
  it("a view's copy of the label column is named, with the exclusion that removes it; excluding it clears the warning", async () => {
    const manifest = (bColumns?: string) =>
      JSON.stringify({
        modalities: [
          { name: 'a', file: 'a.csv' },
          { name: 'b', file: 'b.csv', ...(bColumns ? { columns: bColumns } : {}) },
        ],
        labels: { file: 'a.csv', column: '0.1' },
        task: { kind: 'classification' },
      });
    const dir = makeDir({ ...views(), 'cmkd.json': manifest() });
    const ds = await loadDataset(dir);
    expect(ds.modalities[1].columns).toEqual(['0', '1', '0.1']);
    expect(labelLeaks(ds)).toEqual([{ modality: 'b', column: '0.1', kind: 'equals', score: 1 }]);
    const leak = datasetWarnings(ds).filter((w) => w.startsWith('label leak'));
    expect(leak).toEqual([
      `label leak: modality 'b' column '0.1' equals the label (one value per class); a model would learn the label from it. Leave it out of the modality: add '!0.1' to its columns ("columns": "!0.1" in cmkd.json, --csv-modality b='!0.1' for a single CSV)`,
    ]);
    expect(describeDataset(ds).warnings).toContain(leak[0]);
    expect(describeDataset(ds).leaks).toHaveLength(1);

    // The exclusion the warning names is valid manifest syntax and removes the leak.
    writeFileSync(join(dir, 'cmkd.json'), manifest('!0.1'));
    const fixed = await loadDataset(dir);
    expect(fixed.modalities[1].columns).toEqual(['0', '1']);
    expect(labelLeaks(fixed)).toEqual([]);
    expect(datasetWarnings(fixed).some((w) => w.startsWith('label leak'))).toBe(false);
  });

  it('a continuous feature that thresholds the class is named as predicting it; noise and a weak feature are not', () => {
    const n = 400;
    const rand = lcg(3);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
    const d = 3;
    const data = new Float32Array(n * d);
    for (let i = 0; i < n; i++) {
      data[i * d] = labels[i] + rand() * 0.9; // class 0 in [0, 0.9), class 1 in [1, 1.9): a threshold at 0.95
      data[i * d + 1] = rand(); // noise
      data[i * d + 2] = labels[i] + rand() * 3; // overlaps: a weak feature
    }
    const ds: MultimodalDataset = {
      name: 't',
      n,
      modalities: [
        { name: 'x', kind: 'table', shape: [d], data, columns: ['cut', 'noise', 'weak'] },
        { name: 'z', kind: 'table', shape: [1], data: Float32Array.from({ length: n }, () => rand()) },
      ],
      task: { kind: 'classification', classes: ['a', 'b'] },
      labels,
    };
    const leaks = labelLeaks(ds);
    expect(leaks.map((l) => [l.modality, l.column, l.kind])).toEqual([['x', 'cut', 'predicts']]);
    expect(leaks[0].score).toBeGreaterThanOrEqual(0.99);
    expect(datasetWarnings(ds).find((w) => w.startsWith('label leak'))).toMatch(
      /column 'cut' predicts the label alone \(balanced accuracy/,
    );
  });

  it('regression: a column equal to the target, or a straight line of it, is named', () => {
    const n = 50;
    const rand = lcg(11);
    const y = Float32Array.from({ length: n }, () => rand() * 10);
    const data = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) {
      data[i * 3] = y[i];
      data[i * 3 + 1] = 2 * y[i] + 1;
      data[i * 3 + 2] = rand();
    }
    const ds: MultimodalDataset = {
      name: 'r',
      n,
      modalities: [{ name: 'x', kind: 'table', shape: [3], data, columns: ['copy', 'line', 'noise'] }],
      task: { kind: 'regression', target: 'price' },
      labels: y,
    };
    expect(labelLeaks(ds).map((l) => [l.column, l.kind])).toEqual([
      ['copy', 'equals'],
      ['line', 'predicts'],
    ]);
  });
});
