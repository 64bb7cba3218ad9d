import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  const dir = dataset(400);
  const out = () => {
    const o = mkdtempSync(join(tmpdir(), 'cmkd-cli-cch-out-'));
    roots.push(o);
    return o;
  };

  it('prints the ranking as JSON, combined over the repeats, and keeps the models in --out', async () => {
    const o = out();
    const r = await run('cch', dir, '--student', 's', '--no-fusion', '--bootstrap', '3', '--out', o, '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ dataset: 'toy', student: 's', representation: 'predicted', repeats: 3, resamples: 3 });
    expect(res.ranking.sort()).toEqual(['copy', 'far']);
    for (const t of res.teachers) expect(t.marginByRepeat).toHaveLength(3);
    expect(res.models.filter((m: { repeat: number }) => m.repeat === 0).map((m: { modality: string }) => m.modality)).toEqual([
      's',
      'copy',
      'far',
    ]);
    expect(JSON.parse(readFileSync(join(o, 'cch.json'), 'utf8')).teachers).toEqual(res.teachers);
  });

  it('prints a table with intervals, verdicts and the MFH columns', async () => {
    const r = await run(
      'cch',
      dir,
      '--student',
      's',
      '--teachers',
      'far',
      '--representation',
      'output',
      '--bootstrap',
      '3',
      '--out',
      out(),
      '--quiet',
    );
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toContain("CCH teacher ranking for student 's' on toy");
    expect(lines[1]).toContain('output representations');
    const header = lines.find((l) => l.startsWith('rank'))!;
    for (const c of ['teacher', 'I(Ht;Hs)', 'I(Hs;Y)', 'margin', 'verdict', 'I(Ht;Y)', 'shared']) expect(header).toContain(c);
    const row = lines.find((l) => /^1\s+far/.test(l))!;
    expect(row).toMatch(/-?\d\.\d{3} \[-?\d\.\d{3}, -?\d\.\d{3}\]/);
    expect(r.stdout).toContain('ranking: far');
    // How far to trust it: the calibration's track record, with the representation it was measured for.
    const record = lines.find((l) => l.startsWith('track record'))!;
    expect(record).toMatch(
      /^track record \(cmkd experiment verdicts, \d+ held-out pairs\) \(measured for predicted × plug-in; this analysis uses output\): Sign: .* Ranking: /,
    );
  });

  it('on predicted classes, says the terms are plug-in estimates and reuses the models of --out', async () => {
    const o = out();
    const far = (...flags: string[]) => run('cch', dir, '--student', 's', '--teachers', 'far', '--no-fusion', '--out', o, ...flags);
    await far('--representation', 'output', '--bootstrap', '0', '--quiet');
    const r = await far('--representation', 'predicted', '--bootstrap', '3', '--resume', '--json');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({ task: 'classification', representation: 'predicted', settings: { method: 'plug-in (discrete)' } });
    expect(res.reusedStages.filter((s: string) => s.includes('cch'))).toEqual([]);
    expect(res.reusedStages).toHaveLength(6);
  });

  it('fails with one line for an unknown student, the student among the teachers, and mismatched analysis flags', async () => {
    const unknown = await run('cch', dir, '--student', 'audio', '--out', out());
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("dataset 'toy' has no modality 'audio'; it has: s, copy, far");
    const self = await run('cch', dir, '--student', 's', '--teachers', 'copy,s', '--out', out());
    expect(self.code).toBe(2);
    expect(self.stderr).toContain('a teacher must see another modality');
    const bad = await run('cch', dir, '--student', 's', '--estimator', 'knn', '--out', out());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown estimator 'knn'");
    const mixed = await run('cch', dir, '--student', 's', '--representation', 'latent', '--estimator', 'ksg', '--out', out());
    expect(mixed.code).toBe(2);
    expect(mixed.stderr.trim().split('\n')).toHaveLength(1);
    expect(mixed.stderr).toContain('--representation latent learns its codes with the latent estimator');
  });
});
