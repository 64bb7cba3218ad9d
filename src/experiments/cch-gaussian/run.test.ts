import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../engine/index.js';
import { latentFactorModel } from './model.js';
import { agreementTable, planCchGaussian, resolveCchOptions, runCchGaussian } from './run.js';
import type { CchGaussianResult } from './types.js';
import { CCH_FAMILIES, sweepSettings } from './settings.js';
import { populationQuantities } from './theory.js';

let dir: string;
beforeAll(async () => {
  await initEngine();
  dir = await mkdtemp(path.join(tmpdir(), 'cch-run-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const tiny = { n: 300, p: 5, settings: 3, seeds: 2, lambdas: [0.3, 1], nTest: 300, miSamples: 200, adamSteps: 150, learningRate: 0.05 };

describe('options and sweep', () => {
  it('fills defaults, applies --quick, and rejects bad options by name', () => {
    expect(resolveCchOptions()).toMatchObject({ n: 10000, p: 100, lambdas: [0.2, 0.3, 0.5, 0.7, 0.8], seeds: 5 });
    expect(resolveCchOptions({ quick: true, seeds: 3 })).toMatchObject({ n: 2000, p: 20, seeds: 3 });
    expect(() => resolveCchOptions({ n: 50, p: 49 })).toThrow(/--n must exceed --p \+ 1 \(--n 50, --p 49\)/);
    expect(() => resolveCchOptions({ lambdas: [0.2, -1] })).toThrow(/every --lambdas weight must be a positive number, got -1/);
    expect(() => resolveCchOptions({ miSamples: 20000 })).toThrow(/--mi-samples \(20000\) cannot exceed --n-test/);
    expect(() => resolveCchOptions({ seeds: 1.5 })).toThrow(/--seeds must be an integer/);
  });

  it('spreads K settings over the families, and every family crosses the CCH boundary in its sweep', () => {
    const s = sweepSettings(12);
    expect(s).toHaveLength(12);
    for (const f of CCH_FAMILIES) {
      const margins = s.filter((x) => x.family === f.name).map((x) => populationQuantities(latentFactorModel(x.structure, 10)).miMargin);
      expect(margins).toHaveLength(4);
      expect(Math.min(...margins)).toBeLessThan(0);
      expect(Math.max(...margins)).toBeGreaterThan(0);
    }
    expect(sweepSettings(4).map((x) => x.family)).toEqual(['label-noise', 'label-noise', 'student-specific', 'teacher-clarity']);
    expect(() => sweepSettings(0)).toThrow(/--settings must be a positive integer/);
  });
});

describe('runCchGaussian', () => {
  let result: CchGaussianResult;
  const events: string[] = [];

  it('runs a tiny sweep, writes the results table and figures, and states the agreement per λ', async () => {
    const out = path.join(dir, 'full');
    result = await runCchGaussian({ ...tiny, outDir: out }, { onProgress: (e) => events.push(`${e.done}/${e.total}`) });
    expect(result.complete).toBe(true);
    expect(result.rows).toHaveLength(3 * 2 * 2);
    expect(result.mi).toHaveLength(3 * 2);
    expect(result.agreement.map((a) => a.lambda)).toEqual([0.3, 1]);
    for (const a of result.agreement) {
      expect(a.settings).toBe(3);
      expect(a.agreeCch * 3).toBeCloseTo(Math.round(a.agreeCch * 3), 10);
    }
    expect(events.at(-1)).toBe('6/6');
    // Adam reaches the closed form closely enough for the sign comparisons.
    expect(result.adamCheck.maxAbsRiskGap).toBeLessThan(1e-3);
    for (const r of result.rows) expect(Math.abs(r.deltaMseAdam - r.deltaMseClosedForm)).toBeLessThan(1e-3);
    const csv = await readFile(path.join(out, 'results.csv'), 'utf8');
    expect(csv.split('\n')[0]).toContain('deltaMseAdam');
    expect(csv.trim().split('\n')).toHaveLength(1 + 12);
    const json = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8'));
    expect(json.complete).toBe(true);
    for (const name of ['delta-mse-vs-margin', 'risk-curves', 'mi-estimates']) {
      expect(result.files).toContain(path.join(out, `${name}.svg`));
      expect(await readFile(path.join(out, `${name}.svg`), 'utf8')).toContain('<svg');
    }
  });

  it('agreement counts follow the signs in the summary', () => {
    const recomputed = agreementTable(result.options, result.summary, result.rows);
    expect(recomputed).toEqual(result.agreement);
    const s = result.summary.filter((x) => x.lambda === 1);
    expect(result.agreement[1].agreeCch).toBeCloseTo(s.filter((x) => x.miMargin > 0 === x.meanDeltaMseAdam < 0).length / s.length, 12);
  });

  it('keeps the finished settings when interrupted', async () => {
    const out = path.join(dir, 'interrupted');
    const ac = new AbortController();
    await expect(
      runCchGaussian({ ...tiny, seeds: 1, outDir: out }, { signal: ac.signal, onProgress: (e) => e.done === 1 && ac.abort() }),
    ).rejects.toThrow(/interrupted/);
    const json = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8'));
    expect(json.complete).toBe(false);
    expect(json.settingsDone).toBe(1);
    expect(json.rows).toHaveLength(2);
  });

  it('resumes an interrupted run from its finished cells (one per setting and seed)', async () => {
    const out = path.join(dir, 'interrupted');
    const settings = sweepSettings(3);
    expect(planCchGaussian(settings, 2).map((c) => c.id)).toEqual(settings.flatMap((s) => [`${s.id}-seed0`, `${s.id}-seed1`]));
    const finished = path.join(out, 'stages', `${settings[0].id}-seed0.json`.replace(/[^A-Za-z0-9_.-]+/g, '_'));
    const before = (await stat(finished)).mtimeMs;
    const first = JSON.parse(await readFile(path.join(out, 'results.json'), 'utf8'));
    const resumed = await runCchGaussian({ ...tiny, seeds: 1, outDir: out }, { resume: true });
    expect(resumed.complete).toBe(true);
    expect(resumed.rows).toHaveLength(3 * 2);
    expect(JSON.parse(JSON.stringify(resumed.rows.slice(0, 2)))).toEqual(first.rows);
    expect((await stat(finished)).mtimeMs).toBe(before);
  });
});
