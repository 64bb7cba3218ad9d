/** Small synthetic DisCoM-KD data for the tests: a table and an image modality that both carry the class. */
import { makeRng } from '../../util/rng.js';

/** Two modalities of different kinds and shapes that both carry the class (plus noise). */
export function synthetic(n: number, seed: number, numClasses = 3) {
  const rng = makeRng(seed);
  const labels = new Int32Array(n);
  const table = new Float32Array(n * 10);
  const image = new Float32Array(n * 6 * 6);
  for (let i = 0; i < n; i++) {
    const y = rng.int(numClasses);
    labels[i] = y;
    for (let j = 0; j < 10; j++) table[i * 10 + j] = (j % numClasses === y ? 2 : 0) + rng.normal();
    // The image lights up a class-specific ring (centre, middle or border: unchanged by the flips
    // and quarter turns of the augmentation).
    for (let r = 0; r < 6; r++) {
      for (let c = 0; c < 6; c++) {
        const ring = Math.min(r, c, 5 - r, 5 - c); // 0 border, 1 middle, 2 centre
        image[i * 36 + r * 6 + c] = (ring === y % 3 ? 2 : 0) + rng.normal();
      }
    }
  }
  return { labels, table, image };
}

export const TABLE = { name: 'tab', kind: 'table' as const, shape: [10], backbone: { kind: 'mlp' as const, hidden: [16] } };
export const IMAGE = {
  name: 'img',
  kind: 'image' as const,
  shape: [6, 6, 1],
  backbone: { kind: 'cnn' as const, channels: [4], hidden: [16] },
};
