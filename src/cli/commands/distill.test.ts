import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { distillTestDataset } from '../../train/testdata.js';
import { runCli as run } from '../../../test/cli.js';
import { sweepSummaryAgainstTable } from '../../run/testing.js';

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));
afterEach(() => vi.restoreAllMocks());

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmkd-cli-distill-'));
  roots.push(dir);
  return dir;
}

/** distillTestDataset(120) as a dataset directory (cmkd.json + CSVs). */
function datasetDir(): string {
  const dir = tempDir();
  const ds = distillTestDataset(120);
  for (const m of ds.modalities) {
    const d = m.shape[0];
    const lines = [Array.from({ length: d }, (_, j) => `${m.name}${j}`).join(',')];
    for (let i = 0; i < ds.n; i++) lines.push(Array.from(m.data.subarray(i * d, (i + 1) * d)).join(','));
    writeFileSync(join(dir, `${m.name}.csv`), lines.join('\n') + '\n');
  }
  const classes = ds.task.kind === 'classification' ? ds.task.classes : [];
  writeFileSync(join(dir, 'labels.csv'), ['y', ...Array.from(ds.labels, (c) => classes[c])].join('\n') + '\n');
  const manifest = {
    name: 'paired',
    modalities: ds.modalities.map((m) => ({ name: m.name, kind: 'table', file: `${m.name}.csv` })),
    labels: { file: 'labels.csv', column: 'y' },
    task: { kind: 'classification', classes },
  };
  writeFileSync(join(dir, 'cmkd.json'), JSON.stringify(manifest));
  return dir;
}

const small = ['--epochs', '2', '--lr', '0.01', '--batch-size', '16', '--hidden', '8', '--quiet'];

describe('cmkd distill', () => {
  const data = datasetDir();

  it('distils, saves a student that cmkd evaluate scores identically, and reuses a saved teacher', async () => {
    const out = join(tempDir(), 'kd');
    const r = await run(
      'distill',
      data,
      '--teacher',
      'strong',
      '--student-modality',
      'weak',
      '--method',
      'kd',
      '--lskd',
      '--temperature',
      '3',
      '--out',
      out,
      ...small,
      '--json',
    );
    expect(r.stderr).toBe('');
    const printed = JSON.parse(r.stdout);
    expect(printed).toMatchObject({
      label: 'KD+LS',
      settings: { temperature: 3, lskd: true },
      split: { seed: 0, train: 84, val: 12, test: 24 },
    });
    expect(existsSync(join(out, 'teacher', 'model.json'))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).student.test).toEqual(printed.student.test);
    const e = await run('evaluate', out, data, '--json');
    expect(e.code).toBe(0);
    expect(JSON.parse(e.stdout).summary).toEqual(printed.student.test.summary);

    // The teacher trained above, given as a directory: its split seed (0) and standardiser are reused.
    const out2 = join(tempDir(), 'dkd');
    const r2 = await run(
      'distill',
      data,
      '--teacher',
      join(out, 'teacher'),
      '--student-modality',
      'weak',
      '--method',
      'dkd',
      '--beta',
      '4',
      '--out',
      out2,
      ...small,
      '--json',
    );
    const p2 = JSON.parse(r2.stdout);
    expect(p2.teacher).toMatchObject({ modality: 'strong', source: join(out, 'teacher') });
    expect(p2.teacher.test.summary).toEqual(printed.teacher.test.summary);
    expect(existsSync(join(out2, 'teacher'))).toBe(false);
    const bad = await run(
      'distill',
      data,
      '--teacher',
      join(out, 'teacher'),
      '--student-modality',
      'weak',
      '--method',
      'kd',
      '--split-seed',
      '3',
      '--out',
      join(tempDir(), 'dkd-seed3'),
      ...small,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/trained on the split with seed 0, but this run uses split seed 3/);
  });

  it('runs discom with --modalities, one saved student per modality', async () => {
    const out = join(tempDir(), 'discom');
    const r = await run('distill', data, '--method', 'discom', '--modalities', 'weak,strong', '--out', out, ...small);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^distilled DisCoM-KD between weak, strong/);
    const e = await run('evaluate', join(out, 'weak'), data, '--json');
    const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(JSON.parse(e.stdout).summary).toEqual(metrics.students.weak.test.summary);
  });

  // A method's own flag reaches its settings: MLKD on the weak view only; FeatKD's output mode, the CCH objective.
  const methodFlags: [string, string[], object][] = [
    ['mlkd', ['--weak-view-only'], { label: 'MLKD(weak)', settings: { strongView: false } }],
    ['feature', ['--feature-mode', 'output'], { label: 'FeatKD(out)', settings: { mode: 'output' } }],
  ];
  for (const [method, flags, expected] of methodFlags)
    it(`distils ${method} with ${flags.join(' ')}`, async () => {
      const out = join(tempDir(), method);
      const r = await run(
        'distill',
        data,
        '--teacher',
        'strong',
        '--student',
        'weak',
        '--method',
        method,
        ...flags,
        '--out',
        out,
        '--json',
        ...small,
      );
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject(expected);
    });

  it('reports bad input on one line', async () => {
    const out = join(tempDir(), 'x');
    const cases: [string[], RegExp][] = [
      [
        ['--teacher', 'strong', '--student-modality', 'weak', '--method', 'fitnet'],
        /unknown distillation method 'fitnet'; expected one of: kd, dkd, ctkd, mlkd, feature, discom/,
      ],
      [
        ['--teacher', 'audio', '--student-modality', 'weak', '--method', 'kd'],
        /--teacher 'audio' is neither a saved model directory .* nor a modality of dataset 'paired' \(it has: strong, weak\)/,
      ],
      [
        ['--teacher', 'strong', '--student-modality', 'weak', '--method', 'mlkd', '--alpha', '0.3'],
        /--alpha does not apply to --method mlkd; it takes --temperature, --lambda/,
      ],
      [['--method', 'discom', '--modalities', 'weak'], /two or more modalities/],
      [['--student-modality', 'weak', '--method', 'kd'], /--method kd needs --teacher/],
      [
        ['--teacher', 'strong', '--student', 'weak', '--method', 'kd', '--weak-view-only'],
        /--weak-view-only applies to --method mlkd, not kd/,
      ],
      [
        ['--teacher', 'strong', '--student', 'weak', '--method', 'kd', '--feature-mode', 'output'],
        /--feature-mode applies to --method feature, not kd/,
      ],
      [
        ['--teacher', 'strong', '--student', 'weak', '--method', 'feature', '--feature-mode', 'logits'],
        /--feature-mode.*'logits'.*output, embedding/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = await run('distill', data, ...args, '--out', out, ...small);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});

describe('cmkd sweep', () => {
  const data = datasetDir();

  it('prints the table with the best student marked and resumes without retraining', async () => {
    const out = join(tempDir(), 'sweep');
    const args = [
      'sweep',
      data,
      '--student-modality',
      'weak',
      '--teacher-modality',
      'strong',
      '--methods',
      'kd,feature',
      '--repeats',
      '2',
      '--out',
      out,
      ...small,
    ];
    const r = await run(...args);
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[1]).toMatch(/^row\s+f1Weighted\s+accuracy\s+f1Macro\s+auc\s+Δ f1Weighted\s+paired gain, 95% CI\s+outcome\s+n$/);
    expect(lines.slice(3, 7).map((l) => l.split(/\s{2,}/)[0])).toEqual([
      'TEACHER (strong)',
      'STUDENT (weak, no KD)',
      'KDv2',
      'FeatKD(emb)',
    ]);
    expect(lines.slice(4, 7).join('\n')).toMatch(/\d ± \d\.\d{3} \*/);
    expect(lines[3]).not.toMatch(/\*/);
    const again = await run(...args, '--resume', '--json');
    const json = JSON.parse(again.stdout);
    expect(json).toMatchObject({ trained: 0, reused: 8, repeats: 2 });
    expect(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')).table).toEqual(json.table);
    const bad = await run(
      'sweep',
      data,
      '--student-modality',
      'weak',
      '--teacher-modality',
      'strong',
      '--methods',
      'kd,fitnet',
      '--out',
      join(tempDir(), 'y'),
    );
    expect(bad.stderr).toMatch(/unknown sweep method 'fitnet'/);
  });

  it('prints a summary that agrees with its table and decision, and says whether more splits could decide', async () => {
    const out = join(tempDir(), 'sweep-summary');
    // A cap of 2 splits and a tiny δ: the gains stay undecided at the cap, so the next step is said.
    const args = ['sweep', data, '--student', 'weak', '--teacher', 'strong', '--methods', 'kd,feature', '--max-repeats', '2'];
    const r = await run(...args, '--delta', '0.0001', '--out', out, ...small);
    expect(r.code, r.stderr).toBe(0);
    const saved = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(saved.decision.next).not.toBeNull();
    expect(sweepSummaryAgainstTable(r.stdout, saved)).toEqual([]);
    // The checks can fail: a row's outcome, the deploy sentence and the next step, each doctored.
    const row = saved.table.rows.find((x: { role: string }) => x.role === 'method');
    const doctored = [
      r.stdout
        .split('\n')
        .map((l) => (l.startsWith(row.label) ? l.replace(row.effect, 'clear loss') : l))
        .join('\n'),
      r.stdout.replace(saved.decision.sentence, 'Deploy KDv2: it is the best.'),
      r.stdout.replace(/could be decided with|more splits are unlikely to decide them/, 'might be decided'),
    ];
    for (const summary of doctored) expect(sweepSummaryAgainstTable(summary, saved)).not.toEqual([]);
  });

  it('spells the roles --student and --teacher (the old --student-modality/--teacher-modality still work, hidden)', async () => {
    const args = (out: string, ...roles: string[]) => [
      'sweep',
      data,
      ...roles,
      '--methods',
      'kd',
      '--repeats',
      '1',
      '--out',
      out,
      ...small,
    ];
    const a = await run(...args(join(tempDir(), 'new'), '--student', 'weak', '--teacher', 'strong'), '--json');
    const b = await run(...args(join(tempDir(), 'old'), '--student-modality', 'weak', '--teacher-modality', 'strong'), '--json');
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout).table).toEqual(JSON.parse(b.stdout).table);
    const missing = await run(...args(join(tempDir(), 'none'), '--teacher', 'strong'));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('cmkd: error: cmkd sweep needs --student <modality>\n');
  });
});
