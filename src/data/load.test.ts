import { mkdtempSync, rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { CmkdError } from '../util/errors.js';
import {
  datasetWarnings,
  describeDataset,
  encodeIdxUbyte,
  encodeNpy,
  loadCsvDataset,
  loadDataset,
  loadModalities,
  parseIdx,
  parseNpy,
  type NpyArray,
  validateDataset,
  type MultimodalDataset,
} from './index.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

type Files = Record<string, string | Uint8Array | object>;

/** A temp directory holding `files` (objects are written as JSON). */
function makeDir(files: Files): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmkd-data-'));
  roots.push(dir);
  for (const [name, content] of Object.entries(files)) {
    writeFileSync(join(dir, name), content instanceof Uint8Array || typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

const N = 6;
const imgValues = Array.from({ length: N * 4 }, (_, i) => i);

/** A valid 6-sample, 2-class dataset: a 2-column CSV table, a 2×2×1 .npy image, CSV labels. */
function toyFiles(): Files & { 'cmkd.json': Record<string, unknown> } {
  return {
    'cmkd.json': {
      name: 'toy',
      modalities: [
        { name: 'tab', kind: 'table', file: 'tab.csv' },
        { name: 'img', kind: 'image', shape: [2, 2, 1], file: 'img.npy' },
      ],
      labels: { file: 'labels.csv', column: 'y' },
      task: { kind: 'classification', classes: ['cat', 'dog'] },
    },
    'tab.csv': 'a,b\n1,2\n3,4\n5,6\n7,8\n9,10\n11,12\n',
    'img.npy': encodeNpy([N, 2, 2, 1], imgValues),
    'labels.csv': 'y\ncat\ndog\ncat\ndog\ncat\ndog\n',
  };
}

/** The toy dataset with `edit` applied to its files. */
function broken(edit: (f: ReturnType<typeof toyFiles>) => void): string {
  const f = toyFiles();
  edit(f);
  return makeDir(f);
}

async function loadError(spec: string, opts = {}): Promise<CmkdError> {
  try {
    await loadDataset(spec, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(CmkdError);
    expect((e as Error).message).not.toContain('\n');
    return e as CmkdError;
  }
  throw new Error(`expected ${spec} to fail`);
}

describe('file formats', () => {
  it('npy round-trips every supported dtype, shape and value', () => {
    for (const dtype of ['f4', 'f8', 'i1', 'i2', 'i4', 'i8', 'u1', 'u2'] as const) {
      const a = parseNpy(encodeNpy([2, 3], [0, 1, 2, 3, 4, 120], dtype), 'x.npy') as NpyArray;
      expect(a.dtype).toBe(dtype);
      expect(a.shape).toEqual([2, 3]);
      expect(Array.from(a.values)).toEqual([0, 1, 2, 3, 4, 120]);
    }
    expect(parseNpy(encodeNpy([3], [1.5, -2, 3]), 'x.npy').shape).toEqual([3]);
  });

  it('npy rejects bad magic, big-endian and truncated data by name', () => {
    expect(() => parseNpy(new TextEncoder().encode('hello world, not npy'), 'bad.npy')).toThrow(
      /bad\.npy: not a valid \.npy file: missing/,
    );
    const good = encodeNpy([2, 2], [1, 2, 3, 4]);
    const text = new TextDecoder('latin1').decode(good);
    const fortran = Uint8Array.from(text.replace("'fortran_order': False", "'fortran_order': True "), (c) => c.charCodeAt(0));
    // Fortran order stores the first axis fastest: bytes 1,2,3,4 are a[0,0], a[1,0], a[0,1], a[1,1].
    expect(Array.from((parseNpy(fortran, 'f.npy') as NpyArray).values)).toEqual([1, 3, 2, 4]);
    const big = Uint8Array.from(text.replace("'<f4'", "'>f4'"), (c) => c.charCodeAt(0));
    expect(() => parseNpy(big, 'b.npy')).toThrow(/b\.npy: big-endian dtype '>f4'/);
    expect(() => parseNpy(good.subarray(0, good.length - 4), 't.npy')).toThrow(/t\.npy: .*needs 16 data bytes but the file holds 12/);
    expect(() => parseNpy(new Uint8Array(0), 'e.npy')).toThrow(/e\.npy is empty/);
  });

  it('IDX (plain and gzipped) reads MNIST-style images and labels', () => {
    const bytes = encodeIdxUbyte([2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
    for (const b of [bytes, new Uint8Array(gzipSync(bytes))]) {
      const a = parseIdx(b, 'x-idx3-ubyte');
      expect(a.shape).toEqual([2, 2, 3]);
      expect(Array.from(a.values)).toEqual([0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
    }
    expect(() => parseIdx(Uint8Array.of(0, 0, 0x42, 1, 0, 0, 0, 1, 7), 'q-ubyte')).toThrow(
      /q-ubyte: not a valid IDX file: unknown data type code 0x42/,
    );
  });
});

describe('loading', () => {
  it('loads a manifest directory with CSV table, .npy image and CSV labels', async () => {
    const ds = await loadDataset(makeDir(toyFiles()));
    expect(ds.name).toBe('toy');
    expect(ds.n).toBe(N);
    expect(ds.modalities.map((m) => [m.name, m.kind, m.shape])).toEqual([
      ['tab', 'table', [2]],
      ['img', 'image', [2, 2, 1]],
    ]);
    expect(ds.modalities[0].columns).toEqual(['a', 'b']);
    expect(Array.from(ds.modalities[0].data.subarray(0, 4))).toEqual([1, 2, 3, 4]);
    expect(Array.from(ds.modalities[1].data)).toEqual(imgValues);
    expect(ds.task).toEqual({ kind: 'classification', classes: ['cat', 'dog'] });
    expect(Array.from(ds.labels)).toEqual([0, 1, 0, 1, 0, 1]);
  });

  it('loads JSON rows, JSON {shape, data}, IDX images with scale, and .npy / IDX / JSON labels', async () => {
    const labels = [2, 0, 1, 2, 0, 1];
    const dir = makeDir({
      'cmkd.json': {
        modalities: [
          { name: 'rows', file: 'rows.json' },
          { name: 'nested', kind: 'image', file: 'nested.json' },
          { name: 'mnist', kind: 'image', file: 'train-images-idx3-ubyte.gz', scale: 1 / 255 },
        ],
        labels: 'labels.npy',
        task: { kind: 'classification' },
      },
      'rows.json': JSON.stringify(Array.from({ length: N }, (_, i) => [i, -i, null])),
      'nested.json': JSON.stringify({ shape: [N, 1, 2, 1], data: Array.from({ length: N }, (_, i) => [[[i], [i + 0.5]]]) }),
      'train-images-idx3-ubyte.gz': gzipSync(
        encodeIdxUbyte(
          [N, 2, 2],
          Array.from({ length: N * 4 }, (_, i) => (i * 10) % 256),
        ),
      ),
      'labels.npy': encodeNpy([N], labels, 'i8'),
    });
    const ds = await loadDataset(dir, { validate: false });
    expect(ds.name).toMatch(/^cmkd-data-/); // directory name when the manifest has none
    expect(ds.modalities.map((m) => m.shape)).toEqual([[3], [1, 2, 1], [2, 2, 1]]);
    expect(Number.isNaN(ds.modalities[0].data[2])).toBe(true); // null = missing, reported by validation
    expect(ds.modalities[1].data[3]).toBe(1.5);
    expect(ds.modalities[2].data[1]).toBeCloseTo(10 / 255, 6);
    expect(ds.task).toEqual({ kind: 'classification', classes: ['0', '1', '2'] });
    expect(Array.from(ds.labels)).toEqual(labels);
    expect(() => validateDataset(ds)).toThrow(/modality 'rows' \(.*rows\.json\) sample 0, feature 2: value is NaN/);
  });

  it('loads IDX labels and JSON regression targets', async () => {
    const dir = makeDir({
      'cmkd.json': {
        modalities: [{ name: 'img', kind: 'image', file: 'imgs.idx' }],
        labels: 'labels-idx1-ubyte',
        task: { kind: 'classification', classes: ['zero', 'one', 'two'] },
      },
      'imgs.idx': encodeIdxUbyte([3, 2, 2], new Array(12).fill(7)),
      'labels-idx1-ubyte': encodeIdxUbyte([3], [2, 1, 0]),
    });
    const ds = await loadDataset(dir);
    expect(Array.from(ds.labels)).toEqual([2, 1, 0]);
    expect(ds.task).toEqual({ kind: 'classification', classes: ['zero', 'one', 'two'] });

    const reg = makeDir({
      'cmkd.json': { modalities: [{ name: 'x', file: 'x.csv' }], labels: 'y.json', task: { kind: 'regression', target: 'price' } },
      'x.csv': 'u\n1\n2\n3\n',
      'y.json': '[0.5, 1.5, 2.5]',
    });
    const r = await loadDataset(reg);
    expect(r.task).toEqual({ kind: 'regression', target: 'price' });
    expect(r.labels).toBeInstanceOf(Float32Array);
    expect(Array.from(r.labels)).toEqual([0.5, 1.5, 2.5]);
  });

  it('a CSV holding features and labels: the label column is left out of the default modality', async () => {
    const dir = makeDir({
      'cmkd.json': {
        modalities: [
          { name: 'all', file: 'd.csv' },
          { name: 'other', file: 'e.csv', columns: 'p*' },
        ],
        labels: { file: 'd.csv', column: 'y' },
        task: { kind: 'classification' },
      },
      'd.csv': 'p1,q,y,p2\n1,2,b,3\n4,5,a,6\n',
      // Another file's columns of the same names are other columns.
      'e.csv': 'p1,y,p2\n1,2,3\n4,5,6\n',
    });
    const ds = await loadDataset(dir);
    expect(ds.modalities[0].columns).toEqual(['p1', 'q', 'p2']);
    expect(ds.modalities[1].columns).toEqual(['p1', 'p2']);
    expect(Array.from(ds.modalities[1].data)).toEqual([1, 3, 4, 6]);
    expect(ds.task).toEqual({ kind: 'classification', classes: ['a', 'b'] });
    expect(Array.from(ds.labels)).toEqual([1, 0]);
  });

  it('single CSV: modalities by column list and glob, image shape, label column', async () => {
    const dir = makeDir({ 'd.csv': 'id,c1,c2,img_0,img_1,img_2,img_3,y\n0,1,2,10,11,12,13,1\n1,3,4,20,21,22,23,0\n2,5,6,30,31,32,33,1\n' });
    const file = join(dir, 'd.csv');
    const ds = await loadDataset(file, {
      modalities: { a: ['c1', 'c2'], b: { columns: 'img_*', shape: [2, 2, 1] } },
      label: 'y',
    });
    expect(ds.name).toBe('d');
    expect(ds.modalities.map((m) => [m.name, m.kind, m.shape])).toEqual([
      ['a', 'table', [2]],
      ['b', 'image', [2, 2, 1]],
    ]);
    expect(Array.from(ds.modalities[1].data.subarray(4, 8))).toEqual([20, 21, 22, 23]);
    expect(ds.task).toEqual({ kind: 'classification', classes: ['0', '1'] });
    expect(Array.from(ds.labels)).toEqual([1, 0, 1]);
    const reg = loadCsvDataset({ file, modalities: { a: 'c1,c2' }, label: 'y', task: 'regression' });
    expect(reg.task).toEqual({ kind: 'regression', target: 'y' });
  });

  it('single CSV without a label column: loadModalities gives the modalities alone; loadDataset still asks for --label', async () => {
    const dir = makeDir({ 'd.csv': 'c1,c2,c3,y\n1,2,3,a\n4,5,6,b\n7,8,9,a\n' });
    const file = join(dir, 'd.csv');
    const t = await loadModalities(file, { modalities: { a: 'c1,c2', b: 'c3' } });
    expect(t).not.toHaveProperty('labels');
    expect(t.name).toBe('d');
    expect(t.n).toBe(3);
    expect(t.modalities.map((m) => [m.name, Array.from(m.data)])).toEqual([
      ['a', [1, 2, 4, 5, 7, 8]],
      ['b', [3, 6, 9]],
    ]);
    // With a label it is loadDataset; so it is for every dataset that is not a single CSV.
    expect(await loadModalities(file, { modalities: { a: 'c1,c2' }, label: 'y' })).toHaveProperty('labels');
    expect(await loadModalities(makeDir(toyFiles()))).toHaveProperty('labels');
    await expect(loadDataset(file, { modalities: { a: 'c1,c2' } })).rejects.toThrow(/--label y/);
    await expect(loadModalities(file, { modalities: { a: 'c1,c2' }, task: 'regression' })).rejects.toThrow(
      /--task and --classes describe the label column; name it with --label <column>/,
    );
    const nan = join(makeDir({ 'n.csv': 'c1,c2\n1,2\n,4\n' }), 'n.csv');
    await expect(loadModalities(nan, { modalities: { a: 'c1,c2' } })).rejects.toThrow(/row 2, column 'c1': value is NaN/);
  });

  it('describeDataset summarises ranges, missing values and class balance', async () => {
    const ds = await loadDataset(makeDir(toyFiles()));
    ds.modalities[0].data[1] = NaN;
    const s = describeDataset(ds);
    expect(s.modalities[0]).toMatchObject({ name: 'tab', kind: 'table', shape: [2], features: 2, min: 1, max: 12, missing: 1 });
    expect(s.modalities[0].mean).toBeCloseTo((78 - 2) / 11, 10);
    expect(s.modalities[1]).toMatchObject({ min: 0, max: 23, mean: 11.5, missing: 0 });
    expect(s.classBalance).toEqual([
      { class: 'cat', count: 3, fraction: 0.5 },
      { class: 'dog', count: 3, fraction: 0.5 },
    ]);
  });
});

describe('broken datasets: the message names the fault', () => {
  const cases: [string, (f: ReturnType<typeof toyFiles>) => void, RegExp][] = [
    [
      'mismatched pair counts',
      (f) => (f['labels.csv'] = 'y\ncat\ndog\ncat\ndog\ncat\n'),
      /row counts differ: modality 'tab' \(.*tab\.csv\) has 6 samples but the labels \(.*labels\.csv\) have 5/,
    ],
    [
      'mismatched modality counts',
      (f) => (f['img.npy'] = encodeNpy([5, 2, 2, 1], imgValues.slice(0, 20))),
      /row counts differ: .*tab\.csv\) has 6 samples but modality 'img' \(.*img\.npy\) has 5/,
    ],
    [
      'NaN cell',
      (f) => (f['tab.csv'] = 'a,b\n1,2\n3,4\n5,NaN\n7,8\n9,10\n11,12\n'),
      /modality 'tab' \(.*tab\.csv\) row 3, column 'b': value is NaN/,
    ],
    [
      'empty cell',
      (f) => (f['tab.csv'] = 'a,b\n1,2\n3,4\n5,6\n,8\n9,10\n11,12\n'),
      /tab\.csv\) row 4, column 'a': value is NaN \(an empty, NA or NaN cell\)/,
    ],
    [
      'Inf in an image',
      (f) =>
        (f['img.npy'] = encodeNpy(
          [N, 2, 2, 1],
          imgValues.map((v) => (v === 9 ? Infinity : v)),
        )),
      /modality 'img' \(.*img\.npy\) sample 2, value 1 \(y=0, x=1, c=0\): value is Infinity/,
    ],
    [
      'missing label',
      (f) => (f['labels.csv'] = 'y\ncat\ndog\ncat\n""\ncat\ndog\n'),
      /labels\.csv row 4 \(line 5\), column 'y': missing label/,
    ],
    [
      'unknown label',
      (f) => (f['labels.csv'] = 'y\ncat\nbird\ncat\ndog\ncat\ndog\n'),
      /labels\.csv row 2 \(line 3\), column 'y': label 'bird' is not one of the declared classes \(cat, dog\)/,
    ],
    [
      'ragged row',
      (f) => (f['tab.csv'] = 'a,b\n1,2\n3\n5,6\n7,8\n9,10\n11,12\n'),
      /tab\.csv row 2 \(line 3\): ragged row with 1 cells; the header has 2 columns/,
    ],
    [
      'wrong image size',
      (f) =>
        (f['cmkd.json'].modalities = [
          { name: 'tab', file: 'tab.csv' },
          { name: 'img', kind: 'image', shape: [3, 2, 1], file: 'img.npy' },
        ]),
      /cmkd\.json: modalities\[1\] \(modality 'img'\): wrong image size: .*img\.npy has 4 values per sample but shape \[3, 2, 1\] needs H·W·C = 6/,
    ],
    [
      'channels-first image',
      (f) => {
        f['img.npy'] = encodeNpy([N, 1, 2, 2], imgValues);
        f['cmkd.json'].modalities = [{ name: 'img', kind: 'image', shape: [2, 2, 1], file: 'img.npy' }];
      },
      /img\.npy stores samples of shape \[1, 2, 2\] but the spec says \[2, 2, 1\]; cmkd expects channels-last/,
    ],
    [
      'duplicate modality names',
      (f) =>
        (f['cmkd.json'].modalities = [
          { name: 'tab', file: 'tab.csv' },
          { name: 'tab', kind: 'image', shape: [2, 2, 1], file: 'img.npy' },
        ]),
      /cmkd\.json: modalities\[1\]\.name: duplicate modality name 'tab' \(also modalities\[0\]\.name\)/,
    ],
    ['empty file', (f) => (f['tab.csv'] = ''), /tab\.csv is empty; expected a header line/],
    ['header-only CSV', (f) => (f['tab.csv'] = 'a,b\n'), /tab\.csv has a header but no data rows/],
    ['missing file', (f) => (f['cmkd.json'].labels = 'nolabels.csv'), /cmkd\.json: labels\.file: file not found: .*nolabels\.csv/],
    [
      'unknown file type',
      (f) => (f['cmkd.json'].modalities = [{ name: 'tab', file: 'tab.xlsx' }]),
      /cmkd\.json: modalities\[0\]\.file 'tab\.xlsx': unknown file type '\.xlsx'; expected .*\.parquet, \.h5\/\.hdf5, .* or a folder of images/,
    ],
    [
      'bad manifest field',
      (f) => (f['cmkd.json'].modalities = [{ name: 'tab', kind: 'picture', file: 'tab.csv' }]),
      /cmkd\.json: modalities\[0\]\.kind: expected one of "table"\|"image" \(got "picture"\)/,
    ],
    [
      'image shape with two entries',
      (f) => (f['cmkd.json'].modalities = [{ name: 'img', kind: 'image', shape: [2, 2], file: 'img.npy' }]),
      /cmkd\.json: modalities\[0\]\.shape: an image shape is \[H, W, C\] \(got \[2,2\]\)/,
    ],
    [
      'misspelt manifest field',
      (f) => {
        f['cmkd.json'].lables = f['cmkd.json'].labels;
        delete f['cmkd.json'].labels;
      },
      /cmkd\.json: labels: required field is missing; \(top level\): unknown field 'lables'/,
    ],
    [
      'non-numeric cell',
      (f) => (f['tab.csv'] = 'a,b\n1,2\n3,4\n5,6\n7,eight\n9,10\n11,12\n'),
      /tab\.csv row 4 \(line 5\), column 'b': 'eight' is not a number/,
    ],
    [
      'unknown task',
      (f) => (f['cmkd.json'].task = { kind: 'clustering' }),
      /cmkd\.json: task\.kind: expected one of 'classification' \| 'regression' \(got "clustering"\)/,
    ],
    [
      'too few declared classes',
      (f) => (f['cmkd.json'].task = { kind: 'classification', classes: ['cat'] }),
      /cmkd\.json: task\.classes: needs at least 2 classes/,
    ],
    [
      'label column not in file',
      (f) => (f['cmkd.json'].labels = { file: 'labels.csv', column: 'label' }),
      /labels\.column: .*labels\.csv has no column 'label'; its columns are: y/,
    ],
    ['invalid manifest JSON', (f) => (f['cmkd.json'] = '{"modalities": [' as never), /cmkd\.json: invalid JSON/],
    [
      'regression target not a number',
      (f) => (f['cmkd.json'].task = { kind: 'regression' }),
      /labels\.csv row 1 \(line 2\), column 'y': regression target 'cat' is not a number/,
    ],
  ];
  for (const [what, edit, expected] of cases) {
    it(what, async () => {
      const err = await loadError(broken(edit));
      expect(err.message).toMatch(expected);
    });
  }

  it('numeric CSV labels with declared class names are class indices', async () => {
    const ds = await loadDataset(broken((f) => (f['labels.csv'] = 'y\n0\n1\n1\n0\n1\n0\n')));
    expect(Array.from(ds.labels)).toEqual([0, 1, 1, 0, 1, 0]);
    const err = await loadError(broken((f) => (f['labels.csv'] = 'y\n0\n1\n2\n0\n1\n0\n')));
    expect(err.message).toMatch(
      /labels\.csv row 3 \(line 4\), column 'y': label '2' is not one of the declared classes \(cat, dog\) nor a class index 0\.\.1/,
    );
  });

  it('a numeric label outside the declared classes names the sample', async () => {
    const err = await loadError(
      broken((f) => {
        f['labels.npy'] = encodeNpy([N], [0, 1, 0, 2, 0, 1], 'i4');
        f['cmkd.json'].labels = 'labels.npy';
      }),
    );
    expect(err.message).toMatch(/labels\.npy sample 3: label 2 is not a class index of the 2 declared classes \(0\.\.1\)/);
  });

  it('single CSV faults name the column', async () => {
    const dir = makeDir({ 'd.csv': 'c1,c2,y\n1,2,a\n3,x,b\n' });
    const file = join(dir, 'd.csv');
    expect((await loadError(file, { modalities: { a: 'c1,c3' }, label: 'y' })).message).toMatch(
      /modality 'a'.*d\.csv has no column 'c3'; its columns are: c1, c2, y/,
    );
    expect((await loadError(file, { modalities: { a: 'c*' }, label: 'y' })).message).toMatch(
      /d\.csv row 2 \(line 3\), column 'c2': 'x' is not a number/,
    );
    expect((await loadError(file, { modalities: { a: 'c1', b: 'c1' }, label: 'y' })).message).toMatch(
      /column 'c1' is claimed by both modality 'a' and modality 'b'/,
    );
    expect((await loadError(file, { modalities: { a: 'c1,y' }, label: 'y' })).message).toMatch(/column 'y' is the label column/);
    expect((await loadError(file, { modalities: { a: 'z*' }, label: 'y' })).message).toMatch(/pattern 'z\*' matches no column of .*d\.csv/);
    expect((await loadError(file, { modalities: { a: 'c1' }, label: 'y', task: { kind: 'ranking' } as never })).message).toMatch(
      /unknown task kind 'ranking'/,
    );
    expect((await loadError(file)).message).toMatch(/a single-CSV dataset needs column options/);
  });

  it('unknown specs and misplaced options', async () => {
    expect((await loadError('/nonexistent/dir')).message).toMatch(/dataset '\/nonexistent\/dir' not found/);
    expect((await loadError(makeDir({ 'x.txt': 'hi' }))).message).toMatch(/no cmkd\.json manifest in/);
    expect((await loadError(makeDir(toyFiles()), { label: 'y' })).message).toMatch(/column options .* apply to a single \.csv dataset/);
  });
});

describe('validateDataset on in-memory datasets', () => {
  const ok = (): MultimodalDataset => ({
    name: 'mem',
    n: 2,
    modalities: [
      { name: 'a', kind: 'table', shape: [2], data: Float32Array.of(1, 2, 3, 4), columns: ['u', 'v'] },
      { name: 'b', kind: 'image', shape: [1, 1, 2], data: Float32Array.of(1, 2, 3, 4) },
    ],
    task: { kind: 'classification', classes: ['x', 'y'] },
    labels: Int32Array.of(0, 1),
  });

  it('accepts a consistent dataset and names each kind of fault', () => {
    expect(validateDataset(ok())).toBeTruthy();
    const faults: [(d: MultimodalDataset) => void, RegExp][] = [
      [(d) => (d.modalities[1].name = 'a'), /dataset 'mem': duplicate modality name 'a'/],
      [(d) => (d.modalities[0].data[3] = NaN), /modality 'a' sample 1, column 'v': value is NaN/],
      [(d) => (d.modalities[1].data[1] = -Infinity), /modality 'b' sample 0, value 1 \(y=0, x=0, c=1\): value is -Infinity/],
      [(d) => (d.labels = Int32Array.of(0)), /row counts differ: 1 labels for n = 2/],
      [(d) => (d.labels = Int32Array.of(0, 2)), /label of sample 1 is 2; expected a class index in 0\.\.1/],
      [(d) => (d.modalities[1].data = Float32Array.of(1, 2)), /row counts differ: modality 'b' has 1 samples but the dataset has n = 2/],
      [(d) => (d.modalities[1].shape = [2, 2]), /modality 'b': an image has shape \[H, W, C\]; got \[2, 2\]/],
      [(d) => (d.task = { kind: 'classification', classes: ['x'] }), /classification needs at least 2 classes; got 1 \(x\)/],
      [(d) => (d.task = { kind: 'clustering' } as never), /unknown task kind 'clustering'/],
    ];
    for (const [edit, re] of faults) {
      const d = ok();
      edit(d);
      expect(() => validateDataset(d)).toThrow(re);
    }
  });
});

describe('datasetWarnings', () => {
  it('flags small and empty classes, a lone modality and constant columns', () => {
    const ds: MultimodalDataset = {
      name: 'w',
      n: 4,
      modalities: [{ name: 'a', kind: 'table', shape: [2], data: Float32Array.of(1, 7, 2, 7, 3, 7, 4, 7) }],
      task: { kind: 'classification', classes: ['x', 'y', 'z'] },
      labels: Int32Array.of(0, 0, 0, 1),
    };
    expect(datasetWarnings(ds)).toEqual([
      "only one modality ('a'); cross-modal distillation needs a teacher and a student modality",
      "class 'y' has 1 sample; the default 70/10/20 split needs at least 3 per class",
      "class 'z' is declared but has no samples",
      "modality 'a' has 1 constant column of 2: '1'",
    ]);
  });

  it('groups more than five empty or small classes into one line each', () => {
    const classes = Array.from({ length: 15 }, (_, k) => `k${k}`);
    // k0 has 3 samples; k1…k7 one each; k8…k14 none.
    const labels = Int32Array.of(0, 0, 0, 1, 2, 3, 4, 5, 6, 7);
    const ds: MultimodalDataset = {
      name: 'w',
      n: labels.length,
      modalities: ['a', 'b'].map((name, j) => ({
        name,
        kind: 'table' as const,
        shape: [1],
        data: Float32Array.from(labels, (_, i) => i * (j + 2)),
      })),
      task: { kind: 'classification', classes },
      labels,
    };
    const classWarnings = datasetWarnings(ds).filter((w) => /class/.test(w) && !/imbalance/.test(w));
    expect(classWarnings).toEqual([
      "7 classes have fewer than 3 samples ('k1' 1 sample, 'k2' 1 sample, 'k3' 1 sample, 'k4' 1 sample, 'k5' 1 sample, …); the default 70/10/20 split needs at least 3 per class",
      "7 classes are declared but have no samples: 'k8', 'k9', 'k10', 'k11', 'k12', …",
    ]);
  });
});

describe('missing files', () => {
  it('a deleted modality file is reported missing, not crashing', async () => {
    const dir = makeDir(toyFiles());
    unlinkSync(join(dir, 'img.npy'));
    const err = await loadError(dir);
    expect(err.message).toMatch(/modalities\[1\]\.file: file not found: .*img\.npy/);
    expect(err.code).toBe('not-found');
  });
});
