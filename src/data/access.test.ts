import { describe, expect, it } from 'vitest';
import { concatModalities, type Modality } from './index.js';

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
