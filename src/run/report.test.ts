import { describe, expect, it } from 'vitest';
import { STUDENT_SAMPLES, studentSampleRows } from './report.js';

describe("the student page's sample inputs", () => {
  it('cover every class of a class-sorted file, one class after another', () => {
    // 10 classes of 20 rows each, sorted by class; the test rows in file order.
    const labels = Int32Array.from({ length: 200 }, (_, i) => Math.floor(i / 20));
    const test = Int32Array.from({ length: 40 }, (_, i) => i * 5);
    const rows = studentSampleRows(test, labels, 10);
    expect(rows).toHaveLength(STUDENT_SAMPLES);
    expect(new Set(rows.map((r) => labels[r])).size).toBe(10);
    expect(rows.slice(0, 10).map((r) => labels[r])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const r of rows) expect(Array.from(test)).toContain(r);
  });

  it('take one row per class when there are more classes than samples, and skip classes without test rows', () => {
    const labels = Int32Array.from({ length: 60 }, (_, i) => i % 15);
    const rows = studentSampleRows(
      Int32Array.from({ length: 30 }, (_, i) => i),
      labels,
      15,
    );
    expect(new Set(rows.map((r) => labels[r])).size).toBe(15);
    expect(studentSampleRows([0, 1, 2], Int32Array.from([0, 0, 0]), 3)).toEqual([0, 1, 2]);
    expect(studentSampleRows([4, 5], Float32Array.from([0, 0, 0, 0, 1.5, 2.5]), null)).toEqual([4, 5]);
  });
});
