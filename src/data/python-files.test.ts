/** Files as NumPy and h5py write them (bytes committed in ./fixtures, written by fixtures/make_fixtures.py). */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CmkdError } from '../util/errors.js';
import { encodeNpy, loadDataset, parseNpy } from './index.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** A dataset folder with the fixtures `copy` and the files `files`. */
function folder(copy: string[], files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmkd-py-'));
  roots.push(dir);
  for (const f of copy) copyFileSync(join(FIXTURES, f), join(dir, f));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const x = encodeNpy([6, 2], [0.1, 0.9, 0.4, 0.2, 0.3, 0.3, 0.8, 0.5, 0.6, 0.1, 0.2, 0.7]);
const manifest = (labels: string) =>
  JSON.stringify({
    modalities: [
      { name: 'a', file: 'x.npy' },
      { name: 'b', file: 'x.npy' },
    ],
    labels,
    task: { kind: 'classification' },
  });

describe('.npy string labels', () => {
  it.each(['labels-U.npy', 'labels-U-big.npy', 'labels-S.npy'])('%s (NumPy class names) loads as class names', async (file) => {
    const a = parseNpy(readFileSync(join(FIXTURES, file)), file);
    expect(a).toEqual({ dtype: file === 'labels-S.npy' ? 'S' : 'U', shape: [6], text: ['ok', 'no', 'ok', 'no', 'ok', 'no'] });
    const ds = await loadDataset(folder([file], { 'x.npy': x, 'cmkd.json': manifest(file) }));
    expect(ds.task).toEqual({ kind: 'classification', classes: ['no', 'ok'] });
    expect(Array.from(ds.labels)).toEqual([1, 0, 1, 0, 1, 0]);
  });

  it('a string array as a modality is refused in one line', async () => {
    const dir = folder(['labels-U.npy'], {
      'y.npy': encodeNpy([6], [0, 1, 0, 1, 0, 1], 'i4'),
      'cmkd.json': JSON.stringify({
        modalities: [{ name: 'a', file: 'labels-U.npy' }],
        labels: 'y.npy',
        task: { kind: 'classification' },
      }),
    });
    const err = await loadDataset(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CmkdError);
    expect((err as Error).message).toMatch(/modality 'a'\): .*labels-U\.npy holds strings; a modality needs numbers/);
  });
});

describe('HDF5 compression (h5py)', () => {
  const h5manifest = (file: string) =>
    JSON.stringify({
      modalities: [
        { name: 'a', file, key: 'x' },
        { name: 'b', file, key: 'x' },
      ],
      labels: { file, key: 'y' },
      task: { kind: 'classification' },
    });

  it.each(['gzip.h5', 'gzip-shuffle.h5'])("%s (h5py compression='gzip') loads", async (file) => {
    const ds = await loadDataset(folder([file], { 'cmkd.json': h5manifest(file) }));
    expect(ds.n).toBe(600);
    expect(ds.modalities[0].shape).toEqual([4]);
    // x = (arange(2400).reshape(600, 4) // 40) / 4: row 599 holds 2396..2399 // 40 = 59, / 4.
    expect(Array.from(ds.modalities[0].data.subarray(0, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(ds.modalities[0].data.subarray(4 * 599))).toEqual([14.75, 14.75, 14.75, 14.75]);
    expect(Array.from(ds.labels.subarray(0, 4))).toEqual([0, 1, 0, 1]);
  });

  it("LZF (h5py compression='lzf') is refused in one line naming the filter and how to re-save", async () => {
    const dir = folder(['lzf.h5'], { 'cmkd.json': h5manifest('lzf.h5') });
    const err = await loadDataset(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CmkdError);
    const msg = (err as Error).message;
    expect(msg).toBe(
      `${join(dir, 'lzf.h5')} 'x' is compressed with LZF (h5py compression='lzf'), a filter plugin cmkd's HDF5 reader does not have; re-save it with gzip (h5py: create_dataset(..., compression='gzip'), shuffle=True may be added) or without compression`,
    );
    expect(msg).not.toMatch(/__w|corrupt|truncated/);
  });
});
