import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../engine/index.js';
import { cchDigitsExperiment, cchDigitsReport, parseEstimatorList } from './index.js';
import { planCchDigits, resolveCchDigitsOptions, runCchDigits, summariseCchDigits } from './run.js';
import type { CchDigitsRow } from './types.js';

beforeAll(async () => {
  await initEngine();
});

const row = (seed: number, sigma: number, temperature: number, kdGain: number, margin: number): CchDigitsRow => ({
  seed,
  sigma,
  temperature,
  lambda: 0.5,
  teacherAcc: 0.9,
  studentAcc: 0.5,
  kdAcc: 0.5 + kdGain,
  kdGain,
  margins: { ksg: { miTeacherStudent: 1 + margin, miStudentLabel: 1, margin } },
});

describe('cch-digits summary', () => {
  it('averages the gain over (T, λ) within a seed, then mean ± sd over seeds; counts sign agreement', () => {
    const rows = [
      row(0, 0, 1, 0.02, 0.3),
      row(0, 0, 4, 0.04, 0.3),
      row(1, 0, 1, 0.04, 0.1),
      row(1, 0, 4, 0.06, 0.1),
      row(0, 6, 1, -0.1, -0.2),
      row(0, 6, 4, 0.1, -0.2),
      row(1, 6, 1, -0.3, -0.4),
      row(1, 6, 4, -0.1, -0.4),
    ];
    const { cells, bySigma, agreement } = summariseCchDigits(rows, ['ksg']);
    expect(cells).toHaveLength(4);
    const sharp = bySigma.find((s) => s.sigma === 0);
    const blurred = bySigma.find((s) => s.sigma === 6);
    // Seed means: σ=0 → 0.03, 0.05; σ=6 → 0, −0.2.
    expect(sharp?.kdGainMean).toBeCloseTo(0.04);
    expect(sharp?.kdGainSd).toBeCloseTo(Math.sqrt(2 * 0.01 ** 2));
    expect(blurred?.kdGainMean).toBeCloseTo(-0.1);
    expect(blurred?.marginMean.ksg).toBeCloseTo(-0.3);
    // Cells: σ=6,T=4 has gain mean 0 (skipped), σ=6,T=1 gain −0.2 with margin −0.3: all counted cells agree.
    expect(blurred?.kdGainMin).toBeCloseTo(-0.2);
    expect(blurred?.kdGainMax).toBeCloseTo(0);
    expect(agreement[0].cellSignAgreement).toBe(1);
    expect(agreement[0].sigmaSignAgreement).toBe(1);
  });

  it('rejects bad options with the option named', () => {
    expect(() => resolveCchDigitsOptions({ outDir: 'x', lambdas: [1.5] })).toThrow(/--lambdas/);
    expect(() => resolveCchDigitsOptions({ outDir: 'x', sigmas: [1, 1] })).toThrow(/twice/);
    expect(() => parseEstimatorList('--estimators')('ksg,mine')).toThrow(/ksg, latent, gaussian/);
    expect(resolveCchDigitsOptions({ outDir: 'x', sigmas: [4, 0] }).sigmas).toEqual([0, 4]);
  });
});

describe('cch-digits run', () => {
  it('a tiny run writes results, summaries and figures, and the report', async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-cch-digits-'));
    const events: string[] = [];
    const r = await runCchDigits(
      {
        outDir,
        n: 200,
        seeds: 1,
        sigmas: [0, 6],
        temperatures: [4],
        lambdas: [0.5],
        epochs: 1,
        estimators: ['ksg'],
        channels: [4],
        hidden: [8],
      },
      { onProgress: (e) => events.push(e.task) },
    );
    expect(r.rows).toHaveLength(2);
    for (const x of r.rows) {
      expect(x.kdGain).toBeCloseTo(x.kdAcc - x.studentAcc, 12);
      const m = x.margins.ksg;
      expect(m?.margin).toBeCloseTo((m?.miTeacherStudent ?? 0) - (m?.miStudentLabel ?? 0), 12);
    }
    expect(events).toContain('cch-digits');
    const csv = await readFile(path.join(outDir, 'results.csv'), 'utf8');
    expect(csv.trim().split('\n')).toHaveLength(3);
    expect(csv.split('\n')[0]).toContain('margin_ksg');
    for (const f of ['summary.csv', 'summary-by-sigma.csv', 'results.json', 'gain-vs-margin.png', 'gain-vs-margin.svg', 'sweep.png']) {
      expect((await stat(path.join(outDir, f))).size).toBeGreaterThan(0);
    }
    const report = cchDigitsReport(r);
    expect(report.some((b) => 'table' in b && b.table.rows.length === 2)).toBe(true);
  });

  it('is a plan of cells: per seed the student, then per σ the teacher, its margin and a KD student per (T, λ)', async () => {
    const o = resolveCchDigitsOptions({ outDir: 'x', seeds: 2, sigmas: [0, 6], temperatures: [1, 4], lambdas: [0.5] });
    const plan = planCchDigits(o, ['pixels_blur0', 'pixels_blur6']);
    expect(plan.map((c) => c.kind).slice(0, 5)).toEqual(['train', 'train', 'margin', 'kd', 'kd']);
    expect(plan).toHaveLength(2 * (1 + 2 * (2 + 2)));
    const kd = plan.find((c) => c.id === 'seed1-kd-sigma6-T4-lambda0.5');
    expect(kd?.dependsOn).toEqual(['seed1-student', 'seed1-teacher-sigma6', 'seed1-margin-sigma6']);
  });

  it('a resumed run reads its finished cells back and gives the same rows', async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-cch-digits-'));
    const o = {
      outDir,
      n: 200,
      seeds: 1,
      sigmas: [0],
      temperatures: [4],
      lambdas: [0.5],
      epochs: 1,
      estimators: ['ksg' as const],
      channels: [4],
      hidden: [8],
    };
    const first = await runCchDigits(o);
    const stored = path.join(outDir, 'stages', 'seed0-teacher-sigma0.json');
    const before = (await stat(stored)).mtimeMs;
    const again = await runCchDigits(o, { resume: true });
    expect(again.rows).toEqual(first.rows);
    expect((await stat(stored)).mtimeMs).toBe(before);
  });

  it('an aborted run stops before training', async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-cch-digits-'));
    const controller = new AbortController();
    controller.abort();
    await expect(cchDigitsExperiment.run({ outDir, quick: true }, { signal: controller.signal })).rejects.toThrow(/interrupted/);
  });
});
