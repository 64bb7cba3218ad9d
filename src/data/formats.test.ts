import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import h5wasm from 'h5wasm/node';
import { parquetWriteBuffer } from 'hyparquet-writer';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CmkdError } from '../util/errors.js';
import { encodeNpy, getModality, loadDataset, parseNpy, type NpyArray } from './index.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
beforeAll(async () => {
  await h5wasm.ready;
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmkd-formats-'));
  roots.push(dir);
  return dir;
}

function write(dir: string, files: Record<string, string | Uint8Array | object>): void {
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), content instanceof Uint8Array || typeof content === 'string' ? content : JSON.stringify(content));
  }
}

async function loadError(spec: string): Promise<string> {
  try {
    await loadDataset(spec);
  } catch (e) {
    expect(e).toBeInstanceOf(CmkdError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error(`expected ${spec} to fail`);
}

/** A w×h image whose pixel (y, x, c) is base + 10·y + 3·x + c, as PNG (lossless) or JPEG. */
function image(w: number, h: number, channels: 1 | 3, base: number, as: 'png' | 'jpeg' = 'png'): Promise<Buffer> {
  const raw = Buffer.alloc(w * h * channels);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) for (let c = 0; c < channels; c++) raw[(y * w + x) * channels + c] = base + 10 * y + 3 * x + c;
  const img = sharp(raw, { raw: { width: w, height: h, channels } }).toColourspace(channels === 1 ? 'b-w' : 'srgb');
  return as === 'png' ? img.png().toBuffer() : img.jpeg({ quality: 95 }).toBuffer();
}

const N = 6;
const LABELS = 'y\ncat\ndog\ncat\ndog\ncat\ndog\n';
const tabCsv = 'a,b\n' + Array.from({ length: N }, (_, i) => `${i},${2 * i}`).join('\n') + '\n';

describe('image folders', () => {
  /** Samples s1, s2, …, s6 (natural order puts s10 after s9; here we check s2 < s10 with 'sX' stems). */
  const stems = ['s1', 's2', 's3', 's4', 's5', 's10'];

  async function imageDataset(opts: { channels?: 1 | 3; manifest?: object; labels?: string } = {}): Promise<string> {
    const dir = tempDir();
    const files: Record<string, string | Uint8Array | object> = { 'tab.csv': tabCsv, 'labels.csv': opts.labels ?? LABELS };
    for (const [i, s] of stems.entries()) files[`pics/${s}.png`] = await image(3, 2, opts.channels ?? 1, 10 * i);
    files['cmkd.json'] = opts.manifest ?? {
      modalities: [
        { name: 'tab', file: 'tab.csv' },
        { name: 'pics', file: 'pics' },
      ],
      labels: { file: 'labels.csv', column: 'y' },
      task: { kind: 'classification' },
    };
    write(dir, files);
    return dir;
  }

  it('decodes one grayscale PNG per sample into [H, W, 1], samples in natural stem order', async () => {
    const ds = await loadDataset(await imageDataset());
    const m = getModality(ds, 'pics');
    expect(m.kind).toBe('image');
    expect(m.shape).toEqual([2, 3, 1]);
    expect(ds.n).toBe(N);
    // Sample 5 is s10 (base 50): pixel (y=1, x=2) = 50 + 10 + 6.
    expect(m.data[5 * 6 + 1 * 3 + 2]).toBe(66);
    expect(Array.from(m.data.subarray(0, 6))).toEqual([0, 3, 6, 10, 13, 16]);
  });

  it('RGB images give [H, W, 3] channels-last; kind "table" flattens; scale applies', async () => {
    const dir = await imageDataset({
      channels: 3,
      manifest: {
        modalities: [
          { name: 'tab', file: 'tab.csv' },
          { name: 'pics', file: 'pics', scale: 0.5 },
          { name: 'flat', kind: 'table', file: 'pics' },
          { name: 'gray', file: 'pics', channels: 1 },
        ],
        labels: 'labels.csv',
        task: { kind: 'classification' },
      },
    });
    const ds = await loadDataset(dir);
    const m = getModality(ds, 'pics');
    expect(m.shape).toEqual([2, 3, 3]);
    expect(Array.from(m.data.subarray(0, 6))).toEqual([0, 0.5, 1, 1.5, 2, 2.5]);
    const flat = getModality(ds, 'flat');
    expect(flat.shape).toEqual([18]);
    expect(flat.data[17]).toBe(10 + 6 + 2);
    // The same folder read with other options is decoded again, not taken from the first read.
    expect(getModality(ds, 'gray').shape).toEqual([2, 3, 1]);
  });

  it('"channels" and "resize" convert every image; a JPEG decodes too', async () => {
    const dir = await imageDataset({
      channels: 3,
      manifest: {
        modalities: [
          { name: 'tab', file: 'tab.csv' },
          { name: 'pics', file: 'pics', channels: 1, resize: [4, 6] },
        ],
        labels: 'labels.csv',
        task: { kind: 'classification' },
      },
    });
    write(dir, { 'pics/s3.png': await image(5, 5, 3, 0, 'jpeg') });
    rmSync(join(dir, 'pics/s3.png'));
    write(dir, { 'pics/s3.jpg': await image(5, 5, 3, 0, 'jpeg') });
    const m = getModality(await loadDataset(dir), 'pics');
    expect(m.shape).toEqual([4, 6, 1]);
    expect(m.data.length).toBe(N * 24);
  });

  it("the label file's id column matches images by stem, in the label file's order", async () => {
    const dir = await imageDataset({
      labels: 'file,y\ns10,cat\ns1,dog\ns2,cat\ns3,dog\ns4,cat\ns5,dog\n',
      manifest: {
        modalities: [{ name: 'pics', file: 'pics' }],
        labels: { file: 'labels.csv', column: 'y', id: 'file' },
        task: { kind: 'classification' },
      },
    });
    const ds = await loadDataset(dir);
    const m = getModality(ds, 'pics');
    expect(m.data[0]).toBe(50); // sample 0 is s10
    expect(m.data[6]).toBe(0); // sample 1 is s1
  });

  it('bad folders: a missing sample, a size that differs, a corrupt file, a stray file — one line each', async () => {
    let dir = await imageDataset({
      labels: 'file,y\ns1,cat\ns2,dog\ns3,cat\ns4,dog\ns5,cat\nq7,dog\n',
      manifest: {
        modalities: [{ name: 'pics', file: 'pics' }],
        labels: { file: 'labels.csv', column: 'y', id: 'file' },
        task: { kind: 'classification' },
      },
    });
    expect(await loadError(dir)).toMatch(
      /modality 'pics'\): .*pics has no image 'q7\.png' or 'q7\.jpg' for .*labels\.csv row 6 \(line 7\), column 'file'/,
    );

    dir = await imageDataset();
    write(dir, { 'pics/s4.png': await image(4, 2, 1, 0) });
    expect(await loadError(dir)).toMatch(
      /pics\/s4\.png: image is 4×2 \(W×H\) but .*pics\/s1\.png is 3×2; every image .* or set "resize": \[H, W\]/,
    );

    dir = await imageDataset();
    const png = readFileSync(join(dir, 'pics/s2.png'));
    write(dir, { 'pics/s2.png': png.subarray(0, 40) });
    expect(await loadError(dir)).toMatch(/pics\/s2\.png: cannot (read|decode) the image/);

    dir = await imageDataset();
    write(dir, { 'pics/notes.txt': 'hello' });
    expect(await loadError(dir)).toMatch(/pics\/notes\.txt is not a PNG or JPEG file/);

    dir = await imageDataset({
      manifest: {
        modalities: [
          { name: 'pics', file: 'pics' },
          { name: 'more', file: 'more' },
        ],
        labels: 'labels.csv',
        task: { kind: 'classification' },
      },
    });
    for (const s of ['s1', 's2', 's3', 's4', 's5', 's11']) write(dir, { [`more/${s}.png`]: await image(3, 2, 1, 0) });
    expect(await loadError(dir)).toMatch(
      /image folders differ: .*more \(modality 'more'\) has no image 's10', which .*pics \(modality 'pics'\) has/,
    );

    dir = await imageDataset();
    rmSync(join(dir, 'pics/s5.png'));
    expect(await loadError(dir)).toMatch(/row counts differ: .* 6 samples but modality 'pics' \(.*pics\) has 5/);
  });
});

describe('Parquet', () => {
  function parquet(columns: { name: string; data: unknown[]; type?: string }[]): Uint8Array {
    return new Uint8Array(parquetWriteBuffer({ columnData: columns as Parameters<typeof parquetWriteBuffer>[0]['columnData'] }));
  }
  const table = () =>
    parquet([
      { name: 'id', data: ['a', 'b', 'c', 'd', 'e', 'f'], type: 'STRING' },
      { name: 'f_0', data: [0, 1, 2, 3, 4, 5], type: 'DOUBLE' },
      { name: 'f_1', data: [0.5, 1.5, null, 3.5, 4.5, 5.5], type: 'DOUBLE' },
      { name: 'g', data: [10, 11, 12, 13, 14, 15], type: 'INT32' },
      { name: 'y', data: ['cat', 'dog', 'cat', 'dog', 'cat', 'dog'], type: 'STRING' },
    ]);
  function dataset(manifest: object, files: Record<string, string | Uint8Array> = {}): string {
    const dir = tempDir();
    write(dir, { 't.parquet': table(), ...files, 'cmkd.json': manifest });
    return dir;
  }
  const manifest = (modalities: object[], labels: object | string = { file: 't.parquet', column: 'y' }) => ({
    modalities,
    labels,
    task: { kind: 'classification' },
  });

  it('selects columns by name and glob like CSV; labels from a column of the same file; null is missing', async () => {
    const dir = dataset(
      manifest([
        { name: 'f', file: 't.parquet', columns: 'f_*' },
        { name: 'g', file: 't.parquet', columns: ['g'] },
      ]),
    );
    const ds = await loadDataset(dir, { validate: false });
    const f = getModality(ds, 'f');
    expect(f.columns).toEqual(['f_0', 'f_1']);
    expect(Array.from(f.data.subarray(0, 4))).toEqual([0, 0.5, 1, 1.5]);
    expect(Number.isNaN(f.data[5])).toBe(true);
    expect(Array.from(getModality(ds, 'g').data)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(ds.task).toEqual({ kind: 'classification', classes: ['cat', 'dog'] });
    expect(Array.from(ds.labels)).toEqual([0, 1, 0, 1, 0, 1]);
    expect(await loadError(dir)).toMatch(/modality 'f' \(.*t\.parquet\) sample 2, column 'f_1': value is NaN/);
  });

  it('without "columns" every column but the label and id columns is a feature', async () => {
    const dir = dataset(manifest([{ name: 'all', file: 't.parquet' }], { file: 't.parquet', column: 'y', id: 'id' }));
    write(dir, {
      't.parquet': parquet([
        { name: 'id', data: ['a', 'b', 'c', 'd', 'e', 'f'], type: 'STRING' },
        { name: 'f_0', data: [0, 1, 2, 3, 4, 5], type: 'DOUBLE' },
        { name: 'y', data: [0, 1, 0, 1, 0, 1], type: 'INT32' },
      ]),
    });
    const ds = await loadDataset(dir);
    expect(getModality(ds, 'all').columns).toEqual(['f_0']);
  });

  it('a column of equal-length lists (an embedding per row, as pandas writes it) is one feature per entry', async () => {
    const emb = Array.from({ length: N }, (_, i) => [i, -i, i / 2]);
    const dir = dataset(manifest([{ name: 'emb', file: 't.parquet', columns: 'emb' }]));
    write(dir, {
      't.parquet': parquet([
        { name: 'emb', data: emb },
        { name: 'y', data: ['cat', 'dog', 'cat', 'dog', 'cat', 'dog'], type: 'STRING' },
      ]),
    });
    const m = getModality(await loadDataset(dir), 'emb');
    expect(m.shape).toEqual([3]);
    expect(m.columns).toEqual(['emb[0]', 'emb[1]', 'emb[2]']);
    expect(Array.from(m.data.subarray(9, 12))).toEqual([3, -3, 1.5]);
    write(dir, {
      't.parquet': parquet([
        { name: 'emb', data: [...emb.slice(0, 4), [1, 2], emb[5]] },
        { name: 'y', data: ['cat', 'dog', 'cat', 'dog', 'cat', 'dog'], type: 'STRING' },
      ]),
    });
    expect(await loadError(dir)).toMatch(
      /t\.parquet sample 4, column 'emb': a list of 2 where sample 0 has a list of 3; a list column needs one length/,
    );
  });

  it('gzip- and brotli-compressed files load (Spark, pandas, polars write compressed pages)', async () => {
    for (const [codec, compress] of [
      ['GZIP', (b: Uint8Array) => new Uint8Array(gzipSync(b))],
      ['BROTLI', (b: Uint8Array) => new Uint8Array(brotliCompressSync(b))],
    ] as const) {
      const columnData = [
        { name: 'f_0', data: [0, 1, 2, 3, 4, 5], type: 'DOUBLE' },
        { name: 'y', data: ['cat', 'dog', 'cat', 'dog', 'cat', 'dog'], type: 'STRING' },
      ];
      const bytes = parquetWriteBuffer({ columnData, codec, compressors: { [codec]: compress } } as Parameters<
        typeof parquetWriteBuffer
      >[0]);
      const dir = dataset(manifest([{ name: 'f', file: 't.parquet', columns: 'f_0' }]), { 't.parquet': new Uint8Array(bytes) });
      const ds = await loadDataset(dir);
      expect(Array.from(getModality(ds, 'f').data), codec).toEqual([0, 1, 2, 3, 4, 5]);
    }
  });

  it('bad files: truncated, not Parquet, a text feature column, a missing column, too few rows — one line each', async () => {
    const good = table();
    let dir = dataset(manifest([{ name: 'f', file: 't.parquet', columns: 'f_*' }]), { 't.parquet': good.subarray(0, good.length - 20) });
    expect(await loadError(dir)).toMatch(/t\.parquet: not a valid Parquet file \(/);
    dir = dataset(manifest([{ name: 'f', file: 't.parquet', columns: 'f_*' }]), { 't.parquet': 'a,b\n1,2\n' });
    expect(await loadError(dir)).toMatch(/t\.parquet: not a valid Parquet file/);
    const mid = Uint8Array.from(good);
    mid.fill(0xff, 4, good.length - 200);
    dir = dataset(manifest([{ name: 'f', file: 't.parquet', columns: 'f_*' }]), { 't.parquet': mid });
    expect(await loadError(dir)).toMatch(/t\.parquet: (not a valid Parquet file|cannot read the Parquet data)/);
    dir = dataset(manifest([{ name: 'f', file: 't.parquet', columns: ['f_0', 'id'] }]));
    expect(await loadError(dir)).toMatch(
      /t\.parquet sample 0, column 'id': text 'a' is not a number; feature columns must hold numbers or lists of numbers/,
    );
    dir = dataset(manifest([{ name: 'f', file: 't.parquet', columns: ['f_9'] }]));
    expect(await loadError(dir)).toMatch(/modality 'f'\): .*t\.parquet has no column 'f_9'; its columns are: id, f_0, f_1, g, y/);
    dir = dataset(manifest([{ name: 'f', file: 't.parquet', columns: 'f_0' }], 'y.csv'), { 'y.csv': 'y\n0\n1\n0\n1\n' });
    expect(await loadError(dir)).toMatch(
      /row counts differ: modality 'f' \(.*t\.parquet\) has 6 samples but the labels \(.*y\.csv\) have 4/,
    );
  });
});

describe('HDF5', () => {
  function h5(path: string, build: (f: InstanceType<typeof h5wasm.File>) => void): void {
    const f = new h5wasm.File(path, 'w');
    build(f);
    f.close();
  }
  function dataset(manifest: object, build?: (f: InstanceType<typeof h5wasm.File>) => void): string {
    const dir = tempDir();
    h5(
      join(dir, 'd.h5'),
      build ??
        ((f) => {
          f.create_group('views');
          f.create_dataset({ name: 'views/x', data: Float32Array.from({ length: N * 4 }, (_, i) => i / 2), shape: [N, 4] });
          f.create_dataset({ name: 'views/img', data: Uint8Array.from({ length: N * 4 }, (_, i) => i), shape: [N, 2, 2] });
          f.create_dataset({ name: 'y', data: Int32Array.from([0, 1, 0, 1, 2, 2]) });
          f.create_dataset({ name: 'names', data: ['a', 'b', 'a', 'b', 'a', 'b'] });
          f.create_dataset({ name: 'wide', data: new Int32Array(N * 2), shape: [N, 2] });
        }),
    );
    write(dir, { 'cmkd.json': manifest });
    return dir;
  }
  const manifest = (modalities: object[], labels: object = { file: 'd.h5', key: '/y' }) => ({
    modalities,
    labels,
    task: { kind: 'classification' },
  });

  it('reads a table and an image dataset by key, and numeric or text labels', async () => {
    const dir = dataset(
      manifest([
        { name: 'x', file: 'd.h5', key: '/views/x' },
        { name: 'img', kind: 'image', file: 'd.h5', key: 'views/img' },
      ]),
    );
    const ds = await loadDataset(dir);
    expect(getModality(ds, 'x').shape).toEqual([4]);
    expect(getModality(ds, 'x').data[5]).toBe(2.5);
    expect(getModality(ds, 'x').source).toMatch(/d\.h5:\/views\/x$/);
    expect(getModality(ds, 'img').shape).toEqual([2, 2, 1]);
    expect(getModality(ds, 'img').data[23]).toBe(23);
    expect(ds.task).toEqual({ kind: 'classification', classes: ['0', '1', '2'] });
    const named = await loadDataset(dataset(manifest([{ name: 'x', file: 'd.h5', key: '/views/x' }], { file: 'd.h5', key: 'names' })));
    expect(named.task).toEqual({ kind: 'classification', classes: ['a', 'b'] });
  });

  it('bad files: not HDF5, truncated, a missing key, labels of the wrong shape, no key — one line each', async () => {
    const ok = manifest([{ name: 'x', file: 'd.h5', key: '/views/x' }]);
    let dir = dataset(ok);
    write(dir, { 'd.h5': 'this is not an HDF5 file at all' });
    expect(await loadError(dir)).toMatch(/d\.h5: not a readable HDF5 file \(file signature not found\)/);

    dir = dataset(ok);
    const bytes = readFileSync(join(dir, 'd.h5'));
    write(dir, { 'd.h5': bytes.subarray(0, Math.floor(bytes.length / 2)) });
    expect(await loadError(dir)).toMatch(/d\.h5: (not a readable HDF5 file \(truncated file|cannot read)/);

    dir = dataset(manifest([{ name: 'x', file: 'd.h5', key: '/views/z' }]));
    expect(await loadError(dir)).toMatch(
      /modality 'x'\): .*d\.h5 has no dataset '\/views\/z'; its datasets are: \/names, \/views\/img, \/views\/x, \/wide, \/y/,
    );

    dir = dataset(manifest([{ name: 'x', file: 'd.h5', key: '/views' }]));
    expect(await loadError(dir)).toMatch(/'\/views' in .*d\.h5 is a group, not a dataset; its datasets are: \/names/);

    dir = dataset(manifest([{ name: 'x', file: 'd.h5', key: '/views/x' }], { file: 'd.h5', key: '/wide' }));
    expect(await loadError(dir)).toMatch(/d\.h5:\/wide: labels must have shape \[N\] or \[N, 1\]; got \[6, 2\]/);

    dir = dataset(manifest([{ name: 'x', file: 'd.h5' }]));
    expect(await loadError(dir)).toMatch(/modality 'x'\): .*d\.h5 is an HDF5 file; name the dataset to read with "key"/);

    dir = dataset(manifest([{ name: 'x', file: 'd.h5', key: '/views/x' }]), (f) => {
      f.create_group('views');
      f.create_dataset({ name: 'views/x', data: new Float32Array(5 * 4), shape: [5, 4] });
      f.create_dataset({ name: 'y', data: Int32Array.from([0, 1, 0, 1, 0, 1]) });
    });
    expect(await loadError(dir)).toMatch(
      /row counts differ: modality 'x' \(.*d\.h5:\/views\/x\) has 5 samples but the labels \(.*d\.h5:\/y\) have 6/,
    );
  });
});

describe('fields of one format on another', () => {
  it('"key", "resize", "channels" and "columns" name the format they apply to', async () => {
    const cases: [object, RegExp][] = [
      [{ key: '/x' }, /"key" names a dataset inside an HDF5 file, but .*tab\.csv is a CSV file/],
      [{ resize: [2, 2] }, /"resize" applies to a folder of images, but .*tab\.csv is a CSV file/],
      [{ channels: 3 }, /"channels" applies to a folder of images, but .*tab\.csv is a CSV file/],
      [{ channels: 2 }, /modalities\[0\]\.channels: expected one of 1\|3|modalities\[0\]\.channels/],
    ];
    for (const [extra, re] of cases) {
      const dir = tempDir();
      write(dir, {
        'tab.csv': tabCsv,
        'labels.csv': LABELS,
        'cmkd.json': { modalities: [{ name: 'tab', file: 'tab.csv', ...extra }], labels: 'labels.csv', task: { kind: 'classification' } },
      });
      expect(await loadError(dir)).toMatch(re);
    }
    const dir = tempDir();
    write(dir, {
      'e.npy': encodeNpy([N, 2], new Array(N * 2).fill(1)),
      'labels.csv': LABELS,
      'cmkd.json': { modalities: [{ name: 'e', file: 'e.npy', columns: 'a' }], labels: 'labels.csv', task: { kind: 'classification' } },
    });
    expect(await loadError(dir)).toMatch(/"columns" selects CSV or Parquet columns, but .*e\.npy is a \.npy file/);
  });
});

describe('embeddings exported as .npy', () => {
  const labels = 'y\n0\n1\n0\n1\n0\n1\n';
  function dataset(npy: Uint8Array): string {
    const dir = tempDir();
    write(dir, {
      'emb.npy': npy,
      'labels.csv': labels,
      'cmkd.json': { modalities: [{ name: 'emb', file: 'emb.npy' }], labels: 'labels.csv', task: { kind: 'classification' } },
    });
    return dir;
  }
  const values = Array.from({ length: N * 3 }, (_, i) => i / 4);

  it('float32, float64 and float16, C or Fortran order, load as a [d] table', async () => {
    for (const dtype of ['f4', 'f8'] as const) {
      const m = getModality(await loadDataset(dataset(encodeNpy([N, 3], values, dtype))), 'emb');
      expect(m.shape).toEqual([3]);
      expect(Array.from(m.data)).toEqual(values);
    }
    // The same matrix written in Fortran order (column-major), as np.asfortranarray(a) saves it.
    const colMajor = Array.from({ length: N * 3 }, (_, k) => values[(k % N) * 3 + Math.floor(k / N)]);
    const text = new TextDecoder('latin1').decode(encodeNpy([N, 3], colMajor, 'f8'));
    const fortran = Uint8Array.from(text.replace("'fortran_order': False", "'fortran_order': True "), (c) => c.charCodeAt(0));
    expect(Array.from(getModality(await loadDataset(dataset(fortran)), 'emb').data)).toEqual(values);
    // float16: 1.0 = 0x3c00, -2 = 0xc000, 0.5 = 0x3800, 65504 = 0x7bff.
    const half = new TextDecoder('latin1').decode(encodeNpy([2, 2], [0x3c00, 0xc000, 0x3800, 0x7bff], 'u2'));
    const f2 = Uint8Array.from(half.replace("'<u2'", "'<f2'"), (c) => c.charCodeAt(0));
    expect(Array.from((parseNpy(f2, 'h.npy') as NpyArray).values)).toEqual([1, -2, 0.5, 65504]);
  });

  it('a 3-D Fortran-order array is reordered to C order', () => {
    const shape = [2, 3, 4];
    const c = Array.from({ length: 24 }, (_, i) => i);
    // Fortran element (i, j, k) sits at i + 2j + 6k.
    const f = new Array<number>(24);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) for (let k = 0; k < 4; k++) f[i + 2 * j + 6 * k] = c[i * 12 + j * 4 + k];
    const text = new TextDecoder('latin1').decode(encodeNpy(shape, f, 'i4'));
    const bytes = Uint8Array.from(text.replace("'fortran_order': False", "'fortran_order': True "), (ch) => ch.charCodeAt(0));
    expect(Array.from((parseNpy(bytes, 'f.npy') as NpyArray).values)).toEqual(c);
  });

  it('an integer or complex embedding: ints load as numbers, complex is refused by name', async () => {
    const m = getModality(await loadDataset(dataset(encodeNpy([N, 3], values.map(Math.round), 'i8'))), 'emb');
    expect(Array.from(m.data)).toEqual(values.map(Math.round));
    const text = new TextDecoder('latin1').decode(encodeNpy([N, 3], values, 'f8'));
    const complex = Uint8Array.from(text.replace("'<f8'", "'<c8'"), (ch) => ch.charCodeAt(0));
    expect(await loadError(dataset(complex))).toMatch(/emb\.npy: unsupported dtype '<c8'; expected float16\/32\/64/);
  });
});
