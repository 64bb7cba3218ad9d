import { describe, expect, it } from 'vitest';
import { concatModalities, getModality, hasModality, type Modality, type MultimodalDataset } from './index.js';

describe('concatModalities', () => {
  it('concatModalities joins rows side by side, images flattened', () => {
    const a: Modality = { name: 'a', kind: 'table', shape: [2], data: Float32Array.from([1, 2, 3, 4]) };
    const b: Modality = { name: 'b', kind: 'image', shape: [1, 1, 3], data: Float32Array.from([5, 6, 7, 8, 9, 10]) };
    const f = concatModalities('ab', [a, b]);
    expect(f.shape).toEqual([5]);
    expect(f.kind).toBe('table');
    expect(Array.from(f.data)).toEqual([1, 2, 5, 6, 7, 3, 4, 8, 9, 10]);
    const short: Modality = { name: 'c', kind: 'table', shape: [1], data: Float32Array.from([1]) };
    expect(() => concatModalities('x', [a, short])).toThrow(/'c' has 1 rows, 'a' has 2/);
  });
});

describe('getModality with a fused name', () => {
  const a: Modality = { name: 'a', kind: 'table', shape: [1], data: Float32Array.from([1, 2]) };
  const b: Modality = { name: 'b', kind: 'table', shape: [2], data: Float32Array.from([3, 4, 5, 6]) };
  const ds: MultimodalDataset = {
    name: 'toy',
    n: 2,
    modalities: [a, b],
    labels: Int32Array.from([0, 1]),
    task: { kind: 'classification', classes: ['x', 'y'] },
  };

  it("'a+b' is the concatenation, built once per dataset", () => {
    const f = getModality(ds, 'a+b');
    expect(f.name).toBe('a+b');
    expect(Array.from(f.data)).toEqual([1, 3, 4, 2, 5, 6]);
    expect(getModality(ds, 'a+b')).toBe(f);
    expect(Array.from(getModality(ds, 'b+a').data)).toEqual([3, 4, 1, 5, 6, 2]);
    expect(hasModality(ds, 'a+b')).toBe(true);
    expect(hasModality(ds, 'a')).toBe(true);
  });

  it('an unknown part is an error naming the modalities the dataset has', () => {
    expect(hasModality(ds, 'a+c')).toBe(false);
    expect(() => getModality(ds, 'a+c')).toThrow("dataset 'toy' has no modality 'a+c'; it has: a, b ('+' fuses modalities; not one: c)");
  });
});
