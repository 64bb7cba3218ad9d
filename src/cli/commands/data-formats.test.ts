import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { parquetWriteBuffer } from 'hyparquet-writer';
import sharp from 'sharp';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { runCli as run } from '../../../test/cli.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
afterEach(() => vi.restoreAllMocks());

const N = 8;
const classes = Array.from({ length: N }, (_, i) => (i % 2 ? 'dog' : 'cat'));

/** One dataset folder holding every new source: a folder of PNGs, a Parquet table, an HDF5 file. */
async function makeDataset(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cmkd-cli-formats-'));
  roots.push(dir);
  mkdirSync(join(dir, 'pics'));
  for (let i = 0; i < N; i++) {
    const raw = Buffer.from(Array.from({ length: 4 }, (_, k) => 20 * i + k));
    await sharp(raw, { raw: { width: 2, height: 2, channels: 1 } })
      .toColourspace('b-w')
      .png()
      .toFile(join(dir, 'pics', `${i}.png`));
  }
  const columnData = [
    { name: 'a', data: Float64Array.from({ length: N }, (_, i) => i), type: 'DOUBLE' as const },
    { name: 'b', data: Float64Array.from({ length: N }, (_, i) => i * i), type: 'DOUBLE' as const },
    { name: 'y', data: classes, type: 'STRING' as const },
  ];
  writeFileSync(join(dir, 't.parquet'), new Uint8Array(parquetWriteBuffer({ columnData })));
  await h5wasm.ready;
  const f = new h5wasm.File(join(dir, 'd.h5'), 'w');
  f.create_dataset({ name: 'emb', data: Float32Array.from({ length: N * 3 }, (_, k) => k / 10), shape: [N, 3] });
  f.close();
  writeFileSync(
    join(dir, 'cmkd.json'),
    JSON.stringify({
      modalities: [
        { name: 'pics', file: 'pics' },
        { name: 'tab', file: 't.parquet', columns: ['a', 'b'] },
        { name: 'emb', file: 'd.h5', key: '/emb' },
      ],
      labels: { file: 't.parquet', column: 'y' },
      task: { kind: 'classification' },
    }),
  );
  return dir;
}

describe('cmkd data on image folders, Parquet and HDF5', () => {
  it('validate reads all three; a corrupt image exits 2 with one line naming it', async () => {
    const dir = await makeDataset();
    const ok = await run('data', 'validate', dir, '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).modalities).toEqual([
      { name: 'pics', kind: 'image', shape: [2, 2, 1] },
      { name: 'tab', kind: 'table', shape: [2] },
      { name: 'emb', kind: 'table', shape: [3] },
    ]);

    writeFileSync(join(dir, 'pics', '3.png'), 'not a png');
    const bad = await run('data', 'validate', dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^cmkd: error: .*pics\/3\.png: cannot read the image \(.*\); the file may be truncated or corrupt$/m);
  });
});
