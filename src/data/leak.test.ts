import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  concatModalities,
  datasetWarnings,
  describeDataset,
  labelLeaks,
  leakWarning,
  loadDataset,
  type MultimodalDataset,
} from './index.js';

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

describe('label leak into the fusion teacher', () => {
  /** 3 classes, 60 rows; modality 'b' holds a copy of the label as its column 'y'. */
  function threeViews(): MultimodalDataset {
    const n = 60;
    const rand = lcg(5);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const noise = (d: number) => Float32Array.from({ length: n * d }, () => rand());
    const b = noise(3);
    for (let i = 0; i < n; i++) b[i * 3 + 1] = labels[i];
    return {
      name: 'three',
      n,
      modalities: [
        { name: 'a', kind: 'table', shape: [2], data: noise(2), columns: ['a0', 'a1'] },
        { name: 'b', kind: 'table', shape: [3], data: b, columns: ['b0', 'y', 'b2'] },
        { name: 'c', kind: 'table', shape: [2], data: noise(2), columns: ['c0', 'c1'] },
      ],
      task: { kind: 'classification', classes: ['p', 'q', 'r'] },
      labels,
    };
  }

  it("the run's fusion teacher is named with the column it holds, and the exclusion is said to remove it there too", () => {
    const ds = threeViews();
    // As cmkd run builds it: the teachers 'a' and 'b' concatenated (the student is 'c').
    const withFusion: MultimodalDataset = {
      ...ds,
      modalities: [...ds.modalities, concatModalities('fusion', [ds.modalities[0], ds.modalities[1]])],
    };
    const leaks = labelLeaks(withFusion);
    // One leak, in 'b' (not a second one in 'fusion' with advice to exclude a column 'fusion' has no name for).
    expect(leaks).toEqual([
      { modality: 'b', column: 'y', kind: 'equals', score: 1, fused: [{ modality: 'fusion', parts: ['a', 'b'], column: '3' }] },
    ]);
    // Column 3 of the fusion teacher is b's column 1 (after a's 2 columns): the same values.
    const f = withFusion.modalities[3];
    for (let i = 0; i < ds.n; i++) expect(f.data[i * 5 + 3]).toBe(ds.modalities[1].data[i * 3 + 1]);
    expect(leakWarning(leaks[0], ds.task)).toBe(
      `label leak: modality 'b' column 'y' equals the label (one value per class); a model would learn the label from it, and so would the fusion teacher: 'fusion' ('a' + 'b') has it as its column '3'. Leave it out of the modality: add '!y' to its columns ("columns": "!y" in cmkd.json, --csv-modality b='!y' for a single CSV); that removes it from the fusion teacher too`,
    );
    expect(datasetWarnings(withFusion).filter((w) => w.startsWith('label leak'))).toEqual([leakWarning(leaks[0], ds.task)]);
  });

  it('validate and describe (no fusion teacher yet) say that a run of 3 or more modalities would fuse it', () => {
    const ds = threeViews();
    const [leak] = labelLeaks(ds);
    expect(leak.fused).toBeUndefined();
    const warning = describeDataset(ds).warnings.find((w) => w.startsWith('label leak'));
    expect(warning).toBe(
      `label leak: modality 'b' column 'y' equals the label (one value per class); a model would learn the label from it, and so would cmkd run's fusion teacher, which concatenates the teacher modalities, whenever 'b' is one of them. Leave it out of the modality: add '!y' to its columns ("columns": "!y" in cmkd.json, --csv-modality b='!y' for a single CSV); that removes it from the fusion teacher too`,
    );
    // Two modalities: one teacher, no fusion teacher by default, nothing said of it.
    const two: MultimodalDataset = { ...ds, modalities: ds.modalities.slice(0, 2) };
    expect(datasetWarnings(two).find((w) => w.startsWith('label leak'))).not.toMatch(/fusion/);
  });
});
