import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_CSV_COLUMNS, checkCsvHeaderSize, parseCsv, selectColumns, splitColumns } from './csv.js';
import { describeDataset, encodeNpy, loadDataset, loadModalities } from './index.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function makeDir(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmkd-csv-'));
  roots.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const names = (header: string[], selectors: string[], exclude: number[] = []) => {
  const t = parseCsv(header.join(',') + '\n' + header.map(() => '0').join(',') + '\n', 't.csv');
  return selectColumns(t, selectors, 'test', exclude).map((j) => t.header[j]);
};

const FIXTURES = join(import.meta.dirname, 'fixtures');

describe('CSV header', () => {
  it("pandas' to_csv index (an unnamed first column of row numbers) is read as the row ids, with a note, not refused", async () => {
    const file = join(FIXTURES, 'pandas-index.csv');
    const ds = await loadDataset(file, { modalities: { a: 'f*', b: '!label,!f*' }, label: 'label' });
    expect(ds.modalities.map((m) => m.columns)).toEqual([['f1', 'f2'], ['g']]);
    expect(ds.n).toBe(6);
    expect(ds.warnings).toEqual([
      `${file}: column 1 has no name and holds the row numbers 0..5, as pandas' to_csv writes its index; it is read as the row ids, not as a feature`,
    ]);
    const t = parseCsv(',x\nr1,1\nr2,2\n', 'i.csv');
    expect([t.header, t.ids, t.rows]).toEqual([['x'], ['r1', 'r2'], [['1'], ['2']]]);
    expect(t.warnings[0]).toContain('holds distinct values');
    // Not an index: repeated or missing ids, or an empty name elsewhere, are still refused.
    expect(() => parseCsv(',x\n1,1\n1,2\n', 'r.csv')).toThrow('column 1 of the header is empty');
    expect(() => parseCsv(',x\n,1\n2,2\n', 'm.csv')).toThrow('column 1 of the header is empty');
    expect(() => parseCsv('x,\n1,1\n2,2\n', 'e.csv')).toThrow('column 2 of the header is empty');
  });

  it('repeated names are renamed like pandas (x, x.1, x.2), skipping names the header has, with one warning per name', () => {
    const t = parseCsv('x,y,x,x.1,x,y\n1,2,3,4,5,6\n', 'a.csv');
    expect(t.header).toEqual(['x', 'y', 'x.2', 'x.1', 'x.3', 'y.1']);
    expect(t.warnings).toEqual([
      "a.csv line 1: column name 'x' appears 3 times (columns 1, 3, 5); column 1 keeps it, the others are renamed 'x.2' (column 3), 'x.3' (column 5)",
      "a.csv line 1: column name 'y' appears 2 times (columns 2, 6); column 2 keeps it, the others are renamed 'y.1' (column 6)",
    ]);
    expect(parseCsv('a,b\n1,2\n', 'b.csv').warnings).toEqual([]);
  });

  it('header: false reads every line as data and names the columns 1, 2, … by position', () => {
    const t = parseCsv('0.5,1,a\n2,3,b\n', 'h.csv', { header: false });
    expect(t.header).toEqual(['1', '2', '3']);
    expect(t.rows).toEqual([
      ['0.5', '1', 'a'],
      ['2', '3', 'b'],
    ]);
    expect(t.lines).toEqual([1, 2]);
    expect(() => parseCsv('1,2\n3\n', 'h.csv', { header: false })).toThrow(
      'h.csv row 2 (line 2): ragged row with 1 cells; the first row has 2 columns',
    );
  });
});

describe('column selection', () => {
  const header = ['id', 'f_1', 'f_2', 'f_3', 'f_4', 'f_5', 'f_6', 'age', 'bp_sys', 'bp_dia', 'a/b', '.hidden', 'x*'];

  it('keeps what worked before: exact names, comma-listed names in the order given, and * globs in header order', () => {
    expect(names(header, ['age', 'id'])).toEqual(['age', 'id']);
    expect(names(header, ['bp_*'])).toEqual(['bp_sys', 'bp_dia']);
    expect(names(header, ['f_*', 'age'])).toEqual(['f_1', 'f_2', 'f_3', 'f_4', 'f_5', 'f_6', 'age']);
    // Column names are flat: '*' matches '/' and a leading '.', as the hand-written matcher did.
    expect(names(header, ['a*'])).toEqual(['age', 'a/b']);
    expect(names(header, ['.h*'])).toEqual(['.hidden']);
    expect(names(header, ['*idden'])).toEqual(['.hidden']);
    // A column whose name looks like a glob is selected by its exact name.
    expect(names(header, ['x*'])).toEqual(['x*']);
  });

  it('takes the full glob syntax: classes, braces, ranges, ?', () => {
    expect(names(header, ['f_[2-5]'])).toEqual(['f_2', 'f_3', 'f_4', 'f_5']);
    expect(names(header, ['{age,bp}*'])).toEqual(['age', 'bp_sys', 'bp_dia']);
    expect(names(header, ['f_{1..3}'])).toEqual(['f_1', 'f_2', 'f_3']);
    expect(names(header, ['bp_??a'])).toEqual(['bp_dia']);
  });

  it("'!' removes matches from what is selected so far, or, first, from every column but the excluded", () => {
    expect(names(header, ['f_*', '!f_[3-4]'])).toEqual(['f_1', 'f_2', 'f_5', 'f_6']);
    expect(names(header, ['f_*', '!f_6'])).toEqual(['f_1', 'f_2', 'f_3', 'f_4', 'f_5']);
    expect(names(header.slice(0, 5), ['!f_*'])).toEqual(['id']);
    expect(names(header.slice(0, 5), ['!f_[2-4]'], [0])).toEqual(['f_1']);
  });

  it("a comma list keeps the commas of a glob's braces and brackets", () => {
    expect(splitColumns('a, b,{age,bp}*,f_[1,2],c{1..3}, ')).toEqual(['a', 'b', '{age,bp}*', 'f_[1,2]', 'c{1..3}']);
    expect(names(header, splitColumns('id,{age,bp}*'))).toEqual(['id', 'age', 'bp_sys', 'bp_dia']);
  });

  it('a glob that matches nothing, or an invalid one, names the pattern and file', () => {
    expect(() => names(header, ['z_[1-3]'])).toThrow("test: pattern 'z_[1-3]' matches no column of t.csv");
    expect(() => names(header, ['f_[1-'])).toThrow("test: t.csv has no column 'f_[1-'; its columns are: id, f_1, f_2");
    expect(() => names(header, ['f_*', '!f_*'])).toThrow("test: the columns 'f_*,!f_*' leave no column of t.csv");
    expect(() => names(header, ['f_*', 'f_2'])).toThrow("test: column 'f_2' is selected twice");
  });
});

const rows = ['1,0,0.5,a', '2,1,0.25,b', '3,0,0.75,a', '4,1,0.5,b'];

describe('single CSV from the wild', () => {
  it('a repeated header name loads, renamed, with the warning on the dataset until the load names the new name', async () => {
    const dir = makeDir({ 'd.csv': ['f,f,g,y', ...rows].join('\n') + '\n' });
    const ds = await loadDataset(join(dir, 'd.csv'), { modalities: { a: 'f', b: 'f.*,g' }, label: 'y' });
    expect(ds.modalities.map((m) => m.columns)).toEqual([['f'], ['f.1', 'g']]);
    expect(ds.warnings).toEqual([
      `${join(dir, 'd.csv')} line 1: column name 'f' appears 2 times (columns 1, 2); column 1 keeps it, the others are renamed 'f.1' (column 2)`,
    ]);
    const t = await loadModalities(join(dir, 'd.csv'), { modalities: { a: 'f', b: 'g' } });
    expect(t.warnings).toHaveLength(1);
    // Named exactly (a selection, its exclusion, the label): the user knows the name; said once, not on every command.
    const named = await loadDataset(join(dir, 'd.csv'), { modalities: { a: 'f', b: 'f.1,g' }, label: 'y' });
    expect(named.modalities.map((m) => m.columns)).toEqual([['f'], ['f.1', 'g']]);
    expect(named.warnings).toBeUndefined();
    expect((await loadDataset(join(dir, 'd.csv'), { modalities: { a: 'g', b: '!f.1,!g' }, label: 'y' })).warnings).toBeUndefined();
    expect((await loadDataset(join(dir, 'd.csv'), { modalities: { a: 'f', b: 'g' }, label: 'f.1' })).warnings).toBeUndefined();
    const clean = makeDir({ 'd.csv': ['f,e,g,y', ...rows].join('\n') + '\n' });
    expect((await loadDataset(join(clean, 'd.csv'), { modalities: { a: 'f', b: 'g' }, label: 'y' })).warnings).toBeUndefined();
  });

  it('header: false: columns by position, the label by its number', async () => {
    const dir = makeDir({ 'd.csv': rows.join('\n') + '\n' });
    const ds = await loadDataset(join(dir, 'd.csv'), { header: false, modalities: { a: '1,2', b: '3' }, label: '4' });
    expect(ds.n).toBe(4);
    expect(Array.from(ds.modalities[0].data)).toEqual([1, 0, 2, 1, 3, 0, 4, 1]);
    expect(ds.task).toEqual({ kind: 'classification', classes: ['a', 'b'] });
    // A leading negation leaves out the label column.
    const neg = await loadDataset(join(dir, 'd.csv'), { header: false, modalities: { a: '!3' }, label: '4' });
    expect(neg.modalities[0].columns).toEqual(['1', '2']);
  });

  it('labelFile: labels from a separate file, row by row, as a manifest reads them', async () => {
    const dir = makeDir({
      'x.csv': ['p,q,r', '1,0,5', '2,1,6', '3,0,7', '4,1,8'].join('\n') + '\n',
      'y.csv': 'diagnosis\nsick\nwell\nsick\nwell\n',
      'y2.csv': 'id,diagnosis\n1,sick\n2,well\n3,well\n4,well\n',
      'y.npy': encodeNpy([4], [0, 1, 1, 0]),
      'short.csv': 'y\na\nb\n',
    });
    const file = join(dir, 'x.csv');
    const one = await loadDataset(file, { modalities: { a: 'p,q', b: 'r' }, labelFile: join(dir, 'y.csv') });
    expect(Array.from(one.labels)).toEqual([0, 1, 0, 1]);
    expect(one.task).toEqual({ kind: 'classification', classes: ['sick', 'well'] });
    const named = await loadDataset(file, { modalities: { a: 'p,q', b: 'r' }, labelFile: join(dir, 'y2.csv'), label: 'diagnosis' });
    expect(Array.from(named.labels)).toEqual([0, 1, 1, 1]);
    const npy = await loadDataset(file, { modalities: { a: 'p', b: 'q,r' }, labelFile: join(dir, 'y.npy') });
    expect(Array.from(npy.labels)).toEqual([0, 1, 1, 0]);
    // Every column of the CSV may then be a feature; a leading negation starts from all of them.
    const all = await loadDataset(file, { modalities: { a: '!r', b: 'r' }, labelFile: join(dir, 'y.csv') });
    expect(all.modalities[0].columns).toEqual(['p', 'q']);
    await expect(loadDataset(file, { modalities: { a: 'p' }, labelFile: join(dir, 'y2.csv') })).rejects.toThrow(
      /has 2 columns; name the label column/,
    );
    await expect(loadDataset(file, { modalities: { a: 'p' }, labelFile: join(dir, 'short.csv') })).rejects.toThrow(
      /row counts differ: .* has 4 samples but the labels \(.*short.csv\) have 2/,
    );
    await expect(loadDataset(file, { modalities: { a: 'p' }, labelFile: join(dir, 'nope.csv') })).rejects.toThrow(
      `--label-file ${join(dir, 'nope.csv')}: file not found`,
    );
    await expect(loadDataset(file, { modalities: { a: 'p' }, labelFile: join(dir, 'y.npy'), label: 'y' })).rejects.toThrow(
      /--label 'y' names a column of a CSV label file, but --label-file .*y.npy is not a .csv/,
    );
  });

  it('column options on a manifest folder are refused, --no-header and --label without --label-file included', async () => {
    const dir = makeDir({});
    await expect(loadDataset(dir, { label: 'y' })).rejects.toThrow(
      /column options \(--csv-modality, --no-header, --label without --label-file\) apply to a single .csv/,
    );
    await expect(loadDataset(dir, { header: false })).rejects.toThrow(/apply to a single .csv dataset/);
  });
});

describe('cmkd.json paths', () => {
  const manifest = (tabFile: string) =>
    JSON.stringify({
      modalities: [
        { name: 'tab', file: tabFile },
        { name: 'img', kind: 'image', shape: [1, 1, 1], file: 'img.npy' },
      ],
      labels: 'y.csv',
      task: { kind: 'classification' },
    });
  const files = { 'tab.csv': 'a,b\n1,2\n3,4\n5,6\n', 'img.npy': encodeNpy([3, 1, 1, 1], [0, 1, 2]), 'y.csv': 'y\n0\n1\n0\n' };

  it('a relative path is relative to the manifest folder, not the working directory', async () => {
    const dir = makeDir({ ...files, 'cmkd.json': manifest('tab.csv') });
    const ds = await loadDataset(dir);
    expect(describeDataset(ds).modalities.map((m) => m.source)).toEqual([join(dir, 'tab.csv'), join(dir, 'img.npy')]);
    // Named by its manifest file, from another working directory, the same.
    expect((await loadDataset(join(dir, 'cmkd.json'))).modalities[0].source).toBe(join(dir, 'tab.csv'));
  });

  it('an absolute path is read and shown as given (it was shown joined onto the dataset folder)', async () => {
    const outside = makeDir({ 'tab.csv': files['tab.csv'] });
    const dir = makeDir({ ...files, 'cmkd.json': manifest(join(outside, 'tab.csv')) });
    const ds = await loadDataset(dir, { allowOutside: true });
    expect(describeDataset(ds).modalities[0].source).toBe(join(outside, 'tab.csv'));
    // Inside the folder an absolute path needs no --allow-outside.
    const inside = makeDir(files);
    writeFileSync(join(inside, 'cmkd.json'), manifest(join(inside, 'tab.csv')));
    expect((await loadDataset(inside)).modalities[0].source).toBe(join(inside, 'tab.csv'));
  });

  it('views whose class column repeats a feature name: a warning per file until the manifest names the renamed column', async () => {
    // Each view's last column is the class, headed '0' like its first feature (pandas renames it '0.1').
    const view = (shift: number) => '0,1,0\n' + [0, 1, 0, 1].map((y, i) => `${i + shift},${i * 2},${y}`).join('\n') + '\n';
    const views = { 'a.csv': view(0), 'b.csv': view(5) };
    const man = (columns: string | undefined) =>
      JSON.stringify({
        modalities: ['a', 'b'].map((v) => ({ name: v, file: `${v}.csv`, ...(columns ? { columns } : {}) })),
        labels: { file: 'a.csv', column: '0.1' },
        task: { kind: 'classification' },
      });
    const before = makeDir({ ...views, 'cmkd.json': man(undefined) });
    // a.csv: the label names '0.1'; b.csv keeps it as a feature, and is said.
    expect((await loadDataset(before)).warnings).toEqual([
      `${join(before, 'b.csv')} line 1: column name '0' appears 2 times (columns 1, 3); column 1 keeps it, the others are renamed '0.1' (column 3)`,
    ]);
    const after = makeDir({ ...views, 'cmkd.json': man('!0.1') });
    const ds = await loadDataset(after);
    expect(ds.modalities.map((m) => m.columns)).toEqual([
      ['0', '1'],
      ['0', '1'],
    ]);
    expect(ds.warnings).toBeUndefined();
  });

  it('a repeated header name in a manifest CSV loads with a warning', async () => {
    const dir = makeDir({ ...files, 'tab.csv': 'a,a\n1,2\n3,4\n5,6\n', 'cmkd.json': manifest('tab.csv') });
    const ds = await loadDataset(dir);
    expect(ds.modalities[0].columns).toEqual(['a', 'a.1']);
    expect(ds.warnings).toEqual([
      `${join(dir, 'tab.csv')} line 1: column name 'a' appears 2 times (columns 1, 2); column 1 keeps it, the others are renamed 'a.1' (column 2)`,
    ]);
  });
});

describe('checkCsvHeaderSize', () => {
  const header = (n: number) => Array.from({ length: n }, (_, j) => `c${j}`).join(',');
  it('takes a header of exactly the column cap, and counts only the first line', () => {
    expect(() => checkCsvHeaderSize(`${header(MAX_CSV_COLUMNS)}\n${header(MAX_CSV_COLUMNS + 5)}\n`, 't.csv')).not.toThrow();
  });
  it('refuses one column more, naming the file and the cap', () => {
    expect(() => checkCsvHeaderSize(`${header(MAX_CSV_COLUMNS + 1)}\n1\n`, 't.csv')).toThrow(
      't.csv: the header line has more than 1,000,000 columns',
    );
  });
  it('does not count commas inside quotes, and names the first row of a file without header', () => {
    expect(() => checkCsvHeaderSize(`"${','.repeat(MAX_CSV_COLUMNS + 1)}",b\n1,2\n`, 't.csv')).not.toThrow();
    expect(() => checkCsvHeaderSize(`${'1,'.repeat(MAX_CSV_COLUMNS)}1\n`, 't.csv', false)).toThrow('t.csv: the first row has more than');
  });
});
