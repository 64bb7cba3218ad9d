import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { encodeNpy } from '../../data/index.js';
import { runCli as run } from '../../../test/cli.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
afterEach(() => vi.restoreAllMocks());

function makeDir(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmkd-cli-data-'));
  roots.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const manifest = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    name: 'toy',
    modalities: [
      { name: 'tab', kind: 'table', file: 'tab.csv' },
      { name: 'img', kind: 'image', shape: [2, 2, 1], file: 'img.npy' },
    ],
    labels: { file: 'labels.csv', column: 'y' },
    task: { kind: 'classification', classes: ['cat', 'dog'] },
    ...overrides,
  });

const goodFiles = () => ({
  'cmkd.json': manifest(),
  'tab.csv': 'a,b\n1,2\n3,4\n5,6\n7,8\n',
  'img.npy': encodeNpy(
    [4, 2, 2, 1],
    Array.from({ length: 16 }, (_, i) => i),
  ),
  'labels.csv': 'y\ncat\ndog\ncat\ndog\n',
});

/** Run the CLI in-process; returns the exit code and what it wrote. */

describe('cmkd data validate', () => {
  it('prints ok and exits 0 for a good dataset', async () => {
    const r = await run('data', 'validate', makeDir(goodFiles()));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('ok: toy: 4 samples; modalities tab [table 2], img [image 2×2×1]; classification, 2 classes\n');
    expect(r.stderr).toBe(
      "cmkd: warning: class 'cat' has 2 samples; the default 70/10/20 split needs at least 3 per class\n" +
        "cmkd: warning: class 'dog' has 2 samples; the default 70/10/20 split needs at least 3 per class\n" +
        // What cmkd run would refuse at this size, said before the user runs it.
        "cmkd: warning: dataset 'toy' has 4 rows; cmkd run needs at least 50 for its held-out metrics to mean anything (--allow-small to run anyway)\n" +
        "cmkd: warning: class 'cat' of dataset 'toy' has 2 rows; cmkd run needs at least 5 per class, one per test fold (--allow-small to run anyway)\n",
    );
  });

  const broken: [string, Record<string, string>, RegExp][] = [
    [
      'unknown label',
      { 'labels.csv': 'y\ncat\ndog\nemu\ndog\n' },
      /labels\.csv row 3 \(line 4\), column 'y': label 'emu' is not one of the declared classes/,
    ],
    ['NaN cell', { 'tab.csv': 'a,b\n1,2\n3,4\n5,nan\n7,8\n' }, /modality 'tab' \(.*tab\.csv\) row 3, column 'b': value is NaN/],
    [
      'bad manifest field',
      { 'cmkd.json': manifest({ task: { kind: 'classification', classes: 'cat,dog' } }) },
      /cmkd\.json: task\.classes: expected array, received string/,
    ],
    [
      'a modality name that is a path',
      {
        'cmkd.json': manifest({
          modalities: [
            { name: 't/../../../../tmp/escape', kind: 'table', file: 'tab.csv' },
            { name: 'img', kind: 'image', shape: [2, 2, 1], file: 'img.npy' },
          ],
        }),
      },
      /cmkd\.json: modalities\[0\]\.name: must use letters, digits, '_', '\.' and '-'/,
    ],
    [
      'an ANSI escape in the dataset name',
      { 'cmkd.json': manifest({ name: 'toy\u001b[31mred' }) },
      /cmkd\.json: name: must not contain control characters/,
    ],
    [
      'a modality name with a space',
      {
        'cmkd.json': manifest({
          modalities: [
            { name: 'p q', kind: 'table', file: 'tab.csv' },
            { name: 'img', kind: 'image', shape: [2, 2, 1], file: 'img.npy' },
          ],
        }),
      },
      /modalities\[0\]\.name: must use letters/,
    ],
    ['a NaN label cell', { 'labels.csv': 'y\ncat\nNaN\ncat\ndog\n' }, /labels\.csv row 2 \(line 3\), column 'y': missing label/],
    ['an NA label cell', { 'labels.csv': 'y\ncat\ndog\nNA\ndog\n' }, /row 3 \(line 4\), column 'y': missing label/],
    [
      'every label one class of two declared',
      { 'labels.csv': 'y\ncat\ncat\ncat\ncat\n' },
      /labels\.csv: every label is class 'cat' \(of the 2 declared\); classification needs at least two classes present/,
    ],
    [
      'float labels for a classification task',
      { 'cmkd.json': manifest({ task: { kind: 'classification' } }), 'labels.csv': 'y\n0.5\n1\n0\n1\n' },
      /row 1 \(line 2\), column 'y': class label 0\.5 is not an integer class value/,
    ],
    [
      'mismatched counts',
      { 'labels.csv': 'y\ncat\ndog\n' },
      /row counts differ: .*tab\.csv\) has 4 samples but the labels \(.*labels\.csv\) have 2/,
    ],
  ];
  for (const [what, edit, re] of broken) {
    it(`${what}: exit 2 with one line naming the fault`, async () => {
      const r = await run('data', 'validate', makeDir({ ...goodFiles(), ...edit }));
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.split('\n')).toHaveLength(2); // one line plus the final newline
      expect(r.stderr).toMatch(/^cmkd: error: /);
      expect(r.stderr).toMatch(re);
    });
  }

  it('single CSV through flags, including an image modality', async () => {
    const dir = makeDir({ 'd.csv': 'c1,c2,img_0,img_1,img_2,img_3,y\n1,2,0,1,2,3,a\n3,4,4,5,6,7,b\n5,6,8,9,10,11,a\n' });
    const r = await run(
      'data',
      'validate',
      join(dir, 'd.csv'),
      '--csv-modality',
      'a=c1,c2',
      '--csv-modality',
      'b=img_*',
      '--image',
      'b=2x2x1',
      '--label',
      'y',
      '--json',
    );
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ ok: true, name: 'd', n: 3, task: { kind: 'classification', classes: ['a', 'b'] } });
    expect(out.modalities).toEqual([
      { name: 'a', kind: 'table', shape: [2] },
      { name: 'b', kind: 'image', shape: [2, 2, 1] },
    ]);
    const bad = await run('data', 'validate', join(dir, 'd.csv'), '--csv-modality', 'a=c1,c2', '--label', 'y', '--classes', 'a,c');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/d\.csv row 2 \(line 3\), column 'y': label 'b' is not one of the declared classes \(a, c\)\n$/);
    const flag = await run('data', 'validate', join(dir, 'd.csv'), '--csv-modality', 'a', '--label', 'y');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--csv-modality 'a': expected name=value/);
  });
});

describe('manifest files', () => {
  it('a manifest naming a file outside its folder is refused unless --allow-outside; a BOM is fine', async () => {
    const outside = makeDir({ 'tab.csv': 'a,b\n1,2\n3,4\n5,6\n7,8\n' });
    const files = {
      ...goodFiles(),
      'cmkd.json':
        '\uFEFF' +
        manifest({
          modalities: [
            { name: 'tab', kind: 'table', file: join('..', basename(outside), 'tab.csv') },
            { name: 'img', kind: 'image', shape: [2, 2, 1], file: 'img.npy' },
          ],
        }),
    };
    const dir = makeDir(files);
    const refused = await run('data', 'validate', dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(
      /cmkd\.json: '\.\.\/cmkd-cli-data-\w+\/tab\.csv' is outside the dataset folder .*; move it inside, or pass --allow-outside/,
    );
    const allowed = await run('data', 'validate', dir, '--allow-outside');
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toMatch(/^ok: toy: 4 samples/);
  });
});

describe('label spellings', () => {
  it("'1' and '1.0' are one class; '0x1F' is a class name, not 31", async () => {
    const classesOf = async (labels: string) => {
      const files = { ...goodFiles(), 'cmkd.json': manifest({ task: { kind: 'classification' } }), 'labels.csv': labels };
      const r = await run('data', 'describe', makeDir(files), '--json');
      expect(r.code).toBe(0);
      return JSON.parse(r.stdout).task.classes;
    };
    expect(await classesOf('y\n1\n1.0\n0\n0.0\n')).toEqual(['0', '1']);
    expect(await classesOf('y\n0x1F\n31\n0x1F\n31\n')).toEqual(['0x1F', '31']);
  });
});

describe('cmkd data describe', () => {
  it('--json gives the structured summary; missing values are counted, not fatal', async () => {
    const dir = makeDir({ ...goodFiles(), 'tab.csv': 'a,b\n1,2\n3,\n5,6\n7,8\n' });
    const r = await run('data', 'describe', dir, '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ name: 'toy', n: 4, task: { kind: 'classification', classes: ['cat', 'dog'] } });
    expect(s.modalities[0]).toMatchObject({ name: 'tab', kind: 'table', shape: [2], min: 1, max: 8, missing: 1 });
    expect(s.classBalance).toEqual([
      { class: 'cat', count: 2, fraction: 0.5 },
      { class: 'dog', count: 2, fraction: 0.5 },
    ]);
  });

  it('prints a readable table', async () => {
    const r = await run('data', 'describe', makeDir(goodFiles()));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^toy: 4 samples, 2 modalities, classification, 2 classes\n/);
    expect(r.stdout).toMatch(/\nimg\s+image\s+2×2×1\s+0\s+15\s+7\.50\s/);
    expect(r.stdout).toMatch(/\ncat\s+2\s+0\.500\n/);
  });

  it('prints names from the files with control characters escaped, the table still aligned', async () => {
    const dir = makeDir({
      ...goodFiles(),
      'cmkd.json': manifest({ task: { kind: 'classification' } }),
      'labels.csv': 'y\ncat\u001b[2J\ndog\ncat\u001b[2J\ndog\n',
    });
    const r = await run('data', 'describe', dir);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\u001b');
    const lines = r.stdout.split('\n');
    const start = lines.findIndex((l) => l.startsWith('class'));
    const rows = lines.slice(start, start + 4);
    expect(rows).toEqual([
      'class       count  fraction',
      '----------  -----  --------',
      'cat\\x1b[2J      2     0.500',
      'dog             2     0.500',
    ]);
  });

  it('every dataset-reading command takes the same CSV flags (cmkd run, cmkd mi)', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => `${i},${(i * 7) % 11},${i % 5},${i % 2 ? 'b' : 'a'}`);
    const dir = makeDir({ 'd.csv': ['c1,c2,c3,y', ...rows].join('\n') + '\n' });
    const csv = join(dir, 'd.csv');
    const bare = await run('run', csv, '--student', 'a', '--out', join(dir, 'r'), '--quiet');
    expect(bare.code).toBe(2);
    expect(bare.stderr).toMatch(/needs column options.*--csv-modality a=c1,c2/);
    const flagged = await run(
      'run',
      csv,
      '--csv-modality',
      'a=c1,c2',
      '--csv-modality',
      'b=c3',
      '--label',
      'y',
      '--student',
      'z',
      '--out',
      join(dir, 'r2'),
      '--quiet',
    );
    expect(flagged.code).toBe(2);
    expect(flagged.stderr).toBe("cmkd: error: dataset 'd' has no modality 'z'; it has: a, b\n");
    const mi = await run(
      'mi',
      csv,
      '--csv-modality',
      'a=c1,c2',
      '--csv-modality',
      'b=c3',
      '--label',
      'y',
      '--x',
      'a',
      '--y',
      'b',
      '--json',
    );
    expect(mi.stderr).toBe('');
    expect(mi.code).toBe(0);
    expect(JSON.parse(mi.stdout)).toMatchObject({ x: 'a', y: 'b', n: 40 });
  });
});
