/**
 * The CLI tests' toy data: one CSV of 60 rows whose columns a and b are read as modalities p and
 * q (each carrying some of the label) with label y (classes x and z), and the argument lists of
 * `cmkd run` and `cmkd train` on it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Writes the toy CSV as `dir`/`name` and returns its path. */
export function writeToyCsv(dir: string, name = 'toy.csv'): string {
  const rows = Array.from(
    { length: 60 },
    (_, i) => `${(i % 2) + ((i * 7) % 11) / 11},${((i * 3) % 5) / 5 + (i % 2) / 2},${i % 2 ? 'x' : 'z'}`,
  );
  const file = join(dir, name);
  writeFileSync(file, ['a,b,y', ...rows].join('\n') + '\n');
  return file;
}

/** The single-CSV flags of the toy data: p = a, q = b, label y. */
export const TOY_FLAGS = ['--csv-modality', 'p=a', '--csv-modality', 'q=b', '--label', 'y'];

/** `cmkd run` on the toy CSV into `out`: student p, teacher q, plain KD, 2 splits of 1 epoch, quiet, small data allowed, on `workers` processes; then `more`. */
export function toyRun(csv: string, out: string, more: string[] = [], workers = 1): string[] {
  return [
    ...['run', csv, ...TOY_FLAGS, '--student', 'p', '--methods', 'kd', '--repeats', '2', '--epochs', '1'],
    ...['--out', out, '--quiet', '--workers', String(workers), '--allow-small', ...more],
  ];
}

/** `cmkd train` of modality p on the toy CSV into `out` for `epochs` epochs (no early stopping, batch 4, a 4-unit MLP), quiet; then `more`. */
export function toyTrain(csv: string, out: string, epochs: number, ...more: string[]): string[] {
  return [
    ...['train', csv, ...TOY_FLAGS, '--modality', 'p', '--out', out, '--epochs', String(epochs)],
    ...['--patience', '0', '--batch-size', '4', '--hidden', '4', '--quiet', ...more],
  ];
}
