/**
 * A small paired dataset for the distill and sweep tests: 'strong' (6 columns, the class
 * shifts one column by 2.5, offset 5 so standardisation matters) and 'weak' (4 columns, the
 * class shifts a column by 0.8), three classes, seeded.
 */
import type { MultimodalDataset } from '../data/types.js';
import { makeRng } from '../util/rng.js';

export function distillTestDataset(n: number, seed = 3): MultimodalDataset {
  const rng = makeRng(seed);
  const labels = new Int32Array(n);
  const strong = new Float32Array(n * 6);
  const weak = new Float32Array(n * 4);
  for (let i = 0; i < n; i++) {
    const y = i % 3;
    labels[i] = y;
    for (let j = 0; j < 6; j++) strong[i * 6 + j] = 5 + (j === y ? 2.5 : 0) + rng.normal();
    for (let j = 0; j < 4; j++) weak[i * 4 + j] = (j === y ? 0.8 : 0) + rng.normal();
  }
  return {
    name: 'paired',
    n,
    modalities: [
      { name: 'strong', kind: 'table', shape: [6], data: strong },
      { name: 'weak', kind: 'table', shape: [4], data: weak },
    ],
    task: { kind: 'classification', classes: ['a', 'b', 'c'] },
    labels,
  };
}
