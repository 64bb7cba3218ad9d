import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli as run } from '../../../test/cli.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function makeDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmkd-cli-csv-'));
  roots.push(dir);
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return dir;
}

const rows = Array.from({ length: 12 }, (_, i) => `${i},${(i * 7) % 11},${i % 5},${i % 2 ? 'b' : 'a'}`);

describe('CSV files from the wild, through the CLI', () => {
  it('a repeated header name: loads renamed, one warning on stderr, and in --json warnings; none once a flag names the new name', async () => {
    // 60 rows: above the sizes `data validate` warns that cmkd run would refuse, so stderr holds only the rename.
    const sixty = Array.from({ length: 60 }, (_, i) => `${i},${(i * 7) % 11},${i % 5},${i % 2 ? 'b' : 'a'}`);
    const dir = makeDir({ 'd.csv': ['f,f,g,y', ...sixty].join('\n') + '\n' });
    const csv = join(dir, 'd.csv');
    const args = ['data', 'validate', csv, '--csv-modality', 'a=f', '--csv-modality', 'b=g', '--label', 'y'];
    const warning = `${csv} line 1: column name 'f' appears 2 times (columns 1, 2); column 1 keeps it, the others are renamed 'f.1' (column 2)`;
    const r = await run(...args);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`cmkd: warning: ${warning}\n`);
    const j = await run(...args, '--json');
    expect(j.stderr).toBe('');
    expect(JSON.parse(j.stdout).warnings).toEqual([warning]);
    const mi = await run('mi', csv, '--csv-modality', 'a=f', '--csv-modality', 'b=g', '--x', 'a', '--y', 'b', '--json');
    expect(mi.code).toBe(0);
    expect(mi.stderr).toBe(`cmkd: warning: ${warning}\n`);
    // The user names 'f.1': they know it; not said again on this or any later command.
    const named = await run('data', 'validate', csv, '--csv-modality', 'a=f', '--csv-modality', 'b=f.1,g', '--label', 'y');
    expect(named.code).toBe(0);
    expect(named.stderr).toBe('');
  });

  it('cmkd cch keeps the rename warning with its results (notes), and says it once on stderr', async () => {
    const many = Array.from({ length: 60 }, (_, i) => `${i % 7},${(i * 3) % 5},${i % 4},${i % 2 ? 'b' : 'a'}`);
    const dir = makeDir({ 'd.csv': ['f,f,g,y', ...many].join('\n') + '\n' });
    const csv = join(dir, 'd.csv');
    const warning = `${csv} line 1: column name 'f' appears 2 times (columns 1, 2); column 1 keeps it, the others are renamed 'f.1' (column 2)`;
    const argv = ['cch', csv, '--csv-modality', 'a=f', '--csv-modality', 'b=g', '--label', 'y', '--student', 'a'];
    const opts = ['--repeats', '1', '--max-steps', '1', '--bootstrap', '0', '--quiet'];
    const r = await run(...argv, ...opts, '--out', join(dir, 'c1'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.includes("column name 'f' appears"))).toEqual([`cmkd: warning: ${warning}`]);
    const j = await run(...argv, ...opts, '--json', '--out', join(dir, 'c2'));
    expect(j.code).toBe(0);
    expect(JSON.parse(j.stdout).notes).toContain(warning);
  });

  it('--no-header: columns named by position; globs on them', async () => {
    const dir = makeDir({ 'd.csv': rows.join('\n') + '\n' });
    const r = await run(
      'data',
      'validate',
      join(dir, 'd.csv'),
      '--no-header',
      '--csv-modality',
      'a=[1-2]',
      '--csv-modality',
      'b=3',
      '--label',
      '4',
      '--json',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      n: 12,
      modalities: [
        { name: 'a', shape: [2] },
        { name: 'b', shape: [1] },
      ],
    });
    // It applies to a CSV --label-file too: 12 labels, no header line.
    writeFileSync(join(dir, 'y.csv'), rows.map((r) => r.split(',')[3]).join('\n') + '\n');
    const lf = await run(
      'data',
      'validate',
      join(dir, 'd.csv'),
      '--no-header',
      '--csv-modality',
      'a=!4',
      '--label-file',
      join(dir, 'y.csv'),
      '--json',
    );
    expect(lf.code).toBe(0);
    expect(JSON.parse(lf.stdout)).toMatchObject({ n: 12, modalities: [{ name: 'a', shape: [3] }], task: { classes: ['a', 'b'] } });
    // Without it, the first row is the header, and '[1-2]' matches no column.
    const headed = await run('data', 'validate', join(dir, 'd.csv'), '--csv-modality', 'a=[1-2]', '--label', '4');
    expect(headed.code).toBe(2);
    expect(headed.stderr).toMatch(/pattern '\[1-2\]' matches no column/);
  });

  it('--label-file: labels from a separate file; naming its column with --label', async () => {
    const dir = makeDir({
      'x.csv': ['c1,c2,c3', ...rows.map((r) => r.split(',').slice(0, 3).join(','))].join('\n') + '\n',
      'y.csv': ['y', ...rows.map((r) => r.split(',')[3])].join('\n') + '\n',
      'ids.csv': ['id,y', ...rows.map((r, i) => `${i},${r.split(',')[3]}`)].join('\n') + '\n',
    });
    const base = ['data', 'validate', join(dir, 'x.csv'), '--csv-modality', 'a=c1,c2', '--csv-modality', 'b=c3'];
    const r = await run(...base, '--label-file', join(dir, 'y.csv'), '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ n: 12, task: { kind: 'classification', classes: ['a', 'b'] } });
    // A brace glob's comma is not a list separator.
    const braces = await run(
      'data',
      'validate',
      join(dir, 'x.csv'),
      '--csv-modality',
      'a={c1,c2}',
      '--csv-modality',
      'b=c3',
      '--label-file',
      join(dir, 'y.csv'),
      '--json',
    );
    expect(JSON.parse(braces.stdout)).toMatchObject({
      modalities: [
        { name: 'a', shape: [2] },
        { name: 'b', shape: [1] },
      ],
    });
    const named = await run(...base, '--label-file', join(dir, 'ids.csv'), '--label', 'y', '--json');
    expect(named.code).toBe(0);
    const unnamed = await run(...base, '--label-file', join(dir, 'ids.csv'));
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toBe(
      `cmkd: error: --label-file: ${join(dir, 'ids.csv')} has 2 columns; name the label column with --label <column>\n`,
    );
    // A folder takes --label-file too (for its manifest); this one has none, which is the fault named.
    const onDir = await run('data', 'validate', dir, '--label-file', join(dir, 'y.csv'));
    expect(onDir.code).toBe(2);
    expect(onDir.stderr).toMatch(/no cmkd\.json manifest in/);
    const noHeader = await run('data', 'validate', dir, '--no-header');
    expect(noHeader.code).toBe(2);
    expect(noHeader.stderr).toMatch(/apply to a single .csv dataset/);
  });
});
