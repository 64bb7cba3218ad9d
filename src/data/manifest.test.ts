import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CmkdError } from '../util/errors.js';
import { encodeNpy, loadDataset } from './index.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function makeDir(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmkd-manifest-'));
  roots.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const x = encodeNpy([6, 2], [0.1, 0.9, 0.4, 0.2, 0.3, 0.3, 0.8, 0.5, 0.6, 0.1, 0.2, 0.7]);
const modalities = [
  { name: 'a', file: 'x.npy' },
  { name: 'b', file: 'x.npy' },
];

async function failure(p: Promise<unknown>): Promise<string> {
  const e = await p.catch((err: unknown) => err);
  expect(e).toBeInstanceOf(CmkdError);
  return (e as Error).message;
}

describe('manifest by any .json path', () => {
  it('a manifest named other than cmkd.json loads by its path, files relative to its folder', async () => {
    const dir = makeDir({
      'x.npy': x,
      'y.csv': 'y\ncat\ndog\ncat\ndog\ncat\ndog\n',
      'extra.json': JSON.stringify({ modalities, labels: 'y.csv', task: { kind: 'classification' } }),
    });
    const ds = await loadDataset(join(dir, 'extra.json'));
    expect([ds.n, ds.task]).toEqual([6, { kind: 'classification', classes: ['cat', 'dog'] }]);
    // A .json that is not a manifest says which fields it lacks; a missing one says not found.
    writeFileSync(join(dir, 'other.json'), '[1, 2]');
    expect(await failure(loadDataset(join(dir, 'other.json')))).toMatch(/other\.json: /);
    expect(await failure(loadDataset(join(dir, 'nope.json')))).toMatch(/not found/);
  });
});

describe('labels of a dataset folder from --label-file', () => {
  it('a folder whose manifest has no labels takes them from the file, relative to the working directory, with --label naming its column', async () => {
    const dir = makeDir({ 'x.npy': x, 'cmkd.json': JSON.stringify({ modalities, task: { kind: 'classification' } }) });
    const labels = makeDir({ 'l.csv': 'id,y\n1,no\n2,ok\n3,no\n4,ok\n5,no\n6,ok\n', 'l.npy': encodeNpy([6], [1, 0, 1, 0, 1, 0], 'i4') });
    const ds = await loadDataset(dir, { labelFile: relative(process.cwd(), join(labels, 'l.csv')), label: 'y' });
    expect(ds.task).toEqual({ kind: 'classification', classes: ['no', 'ok'] });
    expect(Array.from(ds.labels)).toEqual([0, 1, 0, 1, 0, 1]);
    expect(ds.warnings).toBeUndefined();
    const npy = await loadDataset(join(dir, 'cmkd.json'), { labelFile: join(labels, 'l.npy') });
    expect(Array.from(npy.labels)).toEqual([1, 0, 1, 0, 1, 0]);
    // Without labels in either place: the field is named, with the flag that supplies it.
    expect(await failure(loadDataset(dir))).toMatch(/cmkd\.json: labels: required field is missing/);
    expect(await failure(loadDataset(dir, { label: 'y' }))).toMatch(/--label without --label-file/);
    expect(await failure(loadDataset(dir, { labelFile: join(labels, 'none.csv') }))).toMatch(/--label-file .*none\.csv: file not found/);
  });

  it("--label-file replaces the manifest's labels, with a warning saying so", async () => {
    const dir = makeDir({
      'x.npy': x,
      'y.csv': 'y\ncat\ndog\ncat\ndog\ncat\ndog\n',
      'cmkd.json': JSON.stringify({ modalities, labels: 'y.csv', task: { kind: 'classification' } }),
    });
    const labels = makeDir({ 'z.json': JSON.stringify(['u', 'v', 'v', 'u', 'u', 'v']) });
    const ds = await loadDataset(dir, { labelFile: join(labels, 'z.json') });
    expect(ds.task).toEqual({ kind: 'classification', classes: ['u', 'v'] });
    expect(ds.warnings).toEqual([
      `--label-file ${join(labels, 'z.json')}: its labels replace those ${join(dir, 'cmkd.json')} names ("y.csv")`,
    ]);
  });
});

describe('the sample-id column', () => {
  const tables = {
    'a.csv': 'id,a1,a2\ns1,0.1,0.9\ns2,0.4,0.2\ns3,0.3,0.3\ns4,0.8,0.5\n',
    'b.csv': 'id,b1\ns1,1\ns2,2\ns3,3\ns4,4\n',
    'y.csv': 'id,y\ns1,cat\ns2,dog\ns3,cat\ns4,dog\n',
  };
  it('is no feature of any table it is in (default and glob selections), and names the rows', async () => {
    for (const labels of [
      { file: 'y.csv', column: 'y', id: 'id' },
      { file: 'y.csv', column: 'y' },
    ]) {
      const dir = makeDir({
        ...tables,
        'cmkd.json': JSON.stringify({
          modalities: [
            { name: 'a', file: 'a.csv' },
            { name: 'b', file: 'b.csv', columns: '*' },
          ],
          labels,
          task: { kind: 'classification' },
        }),
      });
      const ds = await loadDataset(dir);
      expect(ds.modalities.map((m) => [m.name, m.shape])).toEqual([
        ['a', [2]],
        ['b', [1]],
      ]);
      expect(Array.from(ds.modalities[1].data)).toEqual([1, 2, 3, 4]);
      expect(ds.ids).toEqual(['s1', 's2', 's3', 's4']);
    }
  });
});
