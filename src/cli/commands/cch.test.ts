import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeRng } from '../../util/rng.js';
import { runCli as run } from '../../../test/cli.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

/** Three table modalities over 2 classes: s (student), copy (noisy copy of s), far (label only). */
function dataset(n: number): string {
  const rng = makeRng(7);
  const dir = mkdtempSync(join(tmpdir(), 'cmkd-cli-cch-'));
  roots.push(dir);
  const s: string[] = [];
  const copy: string[] = [];
  const far: string[] = [];
  const labels: string[] = [];
  for (let i = 0; i < n; i++) {
    const y = i % 2;
    const a = 2 * y + rng.normal();
    const b = rng.normal();
    s.push(`${a},${b}`);
    copy.push(`${a + 0.3 * rng.normal()},${b + 0.3 * rng.normal()}`);
    far.push(`${2 * y + rng.normal()},${rng.normal()}`);
    labels.push(y ? 'pos' : 'neg');
  }
  writeFileSync(join(dir, 's.csv'), 'a,b\n' + s.join('\n') + '\n');
  writeFileSync(join(dir, 'copy.csv'), 'a,b\n' + copy.join('\n') + '\n');
  writeFileSync(join(dir, 'far.csv'), 'a,b\n' + far.join('\n') + '\n');
  writeFileSync(join(dir, 'labels.csv'), 'y\n' + labels.join('\n') + '\n');
  writeFileSync(
    join(dir, 'cmkd.json'),
    JSON.stringify({
      name: 'toy',
      modalities: ['s', 'copy', 'far'].map((name) => ({ name, kind: 'table', file: `${name}.csv` })),
      labels: { file: 'labels.csv', column: 'y' },
      task: { kind: 'classification', classes: ['neg', 'pos'] },
    }),
  );
  return dir;
}

describe('cmkd cch', () => {
  const dir = dataset(1000);

  it('prints the ranking as JSON', async () => {
    const r = await run('cch', dir, '--student', 's', '--representation', 'raw', '--bootstrap', '4', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      dataset: 'toy',
      student: 's',
      representation: 'raw',
      estimator: 'ksg',
      n: 200,
      resamples: 4,
    });
    expect(out.ranking).toEqual(['copy', 'far']);
    expect(out.teachers[0]).toMatchObject({ teacher: 'copy', rank: 1, verdict: 'helps' });
    expect(out.teachers[1]).toMatchObject({ teacher: 'far', rank: 2, verdict: 'hurts' });
    expect(out.teachers[0].margin.ci).toHaveLength(2);
    expect(out.teachers[0].mfh.shared.value).toEqual(expect.any(Number));
  });

  it('prints a table with intervals, verdicts and the MFH columns', async () => {
    const r = await run('cch', dir, '--student', 's', '--teachers', 'far', '--representation', 'raw', '--bootstrap', '3', '--quiet');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toContain("CCH teacher ranking for student 's' on toy");
    const header = lines.find((l) => l.startsWith('rank'))!;
    for (const c of ['teacher', 'I(Ht;Hs)', 'I(Hs;Y)', 'margin', 'verdict', 'I(Ht;Y)', 'shared']) expect(header).toContain(c);
    const row = lines.find((l) => /^1\s+far/.test(l))!;
    expect(row).toMatch(/-?\d\.\d{3} \[-?\d\.\d{3}, -?\d\.\d{3}\]/);
    expect(row).toContain('hurts');
    expect(r.stdout).toContain('ranking: far');
  });

  it('fails with the dataset modalities for an unknown student, and for the student among the teachers', async () => {
    const unknown = await run('cch', dir, '--student', 'audio', '--representation', 'raw');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("dataset 'toy' has no modality 'audio'; it has: s, copy, far");
    const self = await run('cch', dir, '--student', 's', '--teachers', 'copy,s', '--representation', 'raw');
    expect(self.code).toBe(2);
    expect(self.stderr).toContain("the student 's' is also listed as a teacher");
    const bad = await run('cch', dir, '--student', 's', '--estimator', 'knn');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown estimator 'knn'");
  });
});
