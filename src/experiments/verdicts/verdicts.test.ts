import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  VERDICTS_DEFAULTS,
  VERDICTS_QUICK,
  gaussianDataset,
  pairCount,
  parseGrid,
  planVerdicts,
  resolveVerdictsOptions,
  runVerdicts,
  scoreVerdicts,
  winnerOf,
  verdictsExperiment,
  type VerdictsPairRow,
} from './index.js';
import { gaussianSettings } from './pairs.js';

/** A pair row with a margin interval [lo, hi] and a gain interval [glo, ghi]. */
function row(teacher: string, lo: number, hi: number, glo: number, ghi: number, estimator: 'ksg' | 'gaussian' = 'ksg'): VerdictsPairRow {
  const margin = (lo + hi) / 2;
  const gainMean = (glo + ghi) / 2;
  return {
    variant: 'v',
    student: 's',
    teacher,
    representation: 'embedding',
    estimator,
    margin,
    marginLo: lo,
    marginHi: hi,
    verdict: lo > 0 ? 'helps' : hi < 0 ? 'hurts' : 'uncertain',
    gainMean,
    gainSd: 0.01,
    gainLo: glo,
    gainHi: ghi,
    effect: glo > 0 ? 'clear gain' : ghi < 0 ? 'clear loss' : 'undecided at the cap',
    repeats: 3,
  };
}

describe('verdicts experiment', () => {
  it('scores decided share, agreement on decided & clear pairs and Spearman by hand', () => {
    const rows = [
      row('a', 0.1, 0.3, 0.01, 0.03), // helps, clear gain: agrees
      row('b', -0.4, -0.2, -0.05, -0.01), // hurts, clear loss: agrees
      row('c', 0.2, 0.4, -0.06, -0.02), // helps, clear loss: disagrees
      row('d', 0.05, 0.15, -0.01, 0.02), // helps, no clear effect
      row('e', -0.1, 0.1, 0.02, 0.04), // undecided, clear gain
      row('f', Number.NaN, Number.NaN, 0.0, 0.01), // no margin interval: undecided
    ];
    const [s] = scoreVerdicts(rows);
    expect(s).toMatchObject({
      representation: 'embedding',
      estimator: 'ksg',
      pairs: 6,
      decided: 4,
      clear: 4,
      agreed: 2,
      checkable: 3,
      undecided: 2,
      noClearEffect: 1,
      meetsTarget: false,
    });
    expect(s.decidedShare).toBeCloseTo(4 / 6, 12);
    expect(s.clearShare).toBeCloseTo(4 / 6, 12);
    expect(s.agreement).toBeCloseTo(2 / 3, 12);
    // Pairs a–e (f has no margin): margins 0.2, −0.3, 0.3, 0.1, 0 rank 4, 1, 5, 3, 2; gains 0.02, −0.03, −0.04, 0.005, 0.03
    // rank 4, 2, 1, 3, 5; ρ = 1 − 6·Σd²/(n(n²−1)) = 1 − 6·(0 + 1 + 16 + 0 + 9)/120 = −0.3.
    expect(s.spearman).toBeCloseTo(-0.3, 12);
  });

  it('groups by combination and names a winner only when the target is met', () => {
    const good = [
      row('a', 0.1, 0.3, 0.01, 0.03, 'gaussian'),
      row('b', -0.3, -0.1, -0.03, -0.01, 'gaussian'),
      row('c', -1, 1, 0, 1, 'gaussian'),
    ];
    const bad = [row('a', 0.1, 0.3, -0.03, -0.01), row('b', -1, 1, -0.03, -0.01), row('c', -1, 1, 0, 1)];
    const table = scoreVerdicts([...bad, ...good]);
    expect(table.map((s) => s.estimator)).toEqual(['ksg', 'gaussian']);
    expect(table[0]).toMatchObject({ agreed: 0, checkable: 1, decided: 1, meetsTarget: false });
    expect(table[1]).toMatchObject({ agreed: 2, checkable: 2, decided: 2, agreement: 1, meetsTarget: true });
    expect(winnerOf(table)?.estimator).toBe('gaussian');
    expect(winnerOf([table[0]])).toBeNull();
  });

  it('plans ≥ 30 pairs by default from digits views both ways, degraded teachers and Gaussian settings; a few with --quick', () => {
    const runs = planVerdicts(VERDICTS_DEFAULTS);
    expect(pairCount(runs)).toBeGreaterThanOrEqual(30);
    const variants = new Set(runs.map((r) => r.variant.split(':')[0]));
    expect([...variants]).toEqual(['digits-views', 'digits-degraded', 'gaussian']);
    expect(runs.find((r) => r.student === 'textured' && r.variant === 'digits-views')?.teachers).toContain('pixels');
    expect(runs.find((r) => r.student === 'pixels')?.teachers).toContain('textured');
    expect(runs.filter((r) => r.variant === 'digits-degraded').flatMap((r) => r.teachers)).toContain('pixels_blur2');
    expect(new Set(runs.map((r) => r.dir)).size).toBe(runs.length);
    expect(resolveVerdictsOptions({ outDir: 'x' }).budget).toMatchObject({ name: 'quick', repeats: 3 });
    const quick = planVerdicts({ ...VERDICTS_DEFAULTS, ...VERDICTS_QUICK });
    expect(pairCount(quick)).toBe(4);
    expect(() => parseGrid('latent:ksg')).toThrow(/latent/);
    expect(parseGrid('output:ksg,latent:latent')).toEqual([
      { representation: 'output', estimator: 'ksg' },
      { representation: 'latent', estimator: 'latent' },
    ]);
  });

  it("names each option by commander's camelCase of its flag, so the CLI hands it over", () => {
    for (const o of verdictsExperiment.options) {
      const flag = /^--([a-z-]+)/.exec(o.flags)![1];
      expect(o.key).toBe(flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()));
    }
  });

  it('builds a Gaussian dataset with tercile classes, deterministically', () => {
    const [setting] = gaussianSettings(1);
    const a = gaussianDataset(setting, 300, 4, 0);
    const b = gaussianDataset(setting, 300, 4, 0);
    expect(a.modalities.map((m) => m.name)).toEqual(['x1', 'x2']);
    expect(a.labels).toEqual(b.labels);
    const counts = [0, 1, 2].map((c) => a.labels.filter((y) => y === c).length);
    for (const c of counts) expect(c).toBeGreaterThan(60);
  });

  it('runs tiny Gaussian pairs end to end; the second combination reuses every trained model', async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-verdicts-'));
    const r = await runVerdicts({ ...VERDICTS_QUICK, views: [], gaussianN: 200, outDir });
    expect(r.pairs).toBe(2);
    expect(r.rows).toHaveLength(2 * 2);
    expect(r.table).toHaveLength(2);
    for (const row of r.rows) expect(row.repeats).toBe(3);
    expect(r.calls.filter((_, i) => i % 2 === 1).every((c) => c.reusedAllModels)).toBe(true);
    const table = await readFile(path.join(outDir, 'table.csv'), 'utf8');
    expect(table.split('\n')[0]).toMatch(/^representation,estimator,pairs,decided,decidedShare/);
    const pairs = await readFile(path.join(outDir, 'pairs.csv'), 'utf8');
    expect(pairs.trim().split('\n')).toHaveLength(1 + 4);
    expect(await readFile(path.join(outDir, 'summary.md'), 'utf8')).toMatch(/# CCH verdict calibration/);
  }, 120_000);
});
