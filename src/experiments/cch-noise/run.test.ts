import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../engine/index.js';
import { cchNoiseReport } from './index.js';
import { logitScale } from '../cch-digits/common.js';
import { planCchNoise, resolveCchNoiseOptions, runCchNoise, summariseCchNoise } from './run.js';
import type { CchNoiseRow } from './types.js';

beforeAll(async () => {
  await initEngine();
});

const row = (seed: number, noise: number, kdGain: number, margin: number): CchNoiseRow => ({
  seed,
  noise,
  noiseSd: noise,
  teacherAcc: 0.9,
  noisyTeacherAcc: 0.9,
  studentAcc: 0.5,
  kdAcc: 0.5 + kdGain,
  kdGain,
  margins: { ksg: { miTeacherStudent: 1 + margin, miStudentLabel: 1, margin } },
});

describe('cch-noise helpers', () => {
  it('logit scale: rms of row-centred logits (a per-row shift does not change it)', () => {
    // Rows (1, 3) and (10, 14): centred (−1, 1) and (−2, 2) → rms √((1+1+4+4)/4) = √2.5.
    expect(logitScale(Float32Array.from([1, 3, 10, 14]), 2)).toBeCloseTo(Math.sqrt(2.5), 6);
    expect(logitScale(Float32Array.from([101, 103, 0, 4]), 2)).toBeCloseTo(Math.sqrt(2.5), 6);
  });

  it('summary: levels sorted by ε, crossings of the mean gain and mean margin interpolated', () => {
    const rows = [
      row(0, 2, -0.1, -0.2),
      row(1, 2, -0.1, -0.2),
      row(0, 0, 0.1, 0.2),
      row(1, 0, 0.1, 0.4),
      row(0, 1, 0.02, -0.1),
      row(1, 1, 0.0, -0.1),
    ];
    const { levels, crossings } = summariseCchNoise(rows, ['ksg']);
    expect(levels.map((l) => l.noise)).toEqual([0, 1, 2]);
    expect(levels[0].marginMean.ksg).toBeCloseTo(0.3);
    expect(levels[1].kdGainMean).toBeCloseTo(0.01);
    // Gain 0.01 at ε=1 → −0.1 at ε=2 crosses at 1 + 0.01/0.11; margin 0.3 → −0.1 crosses at 0.75.
    expect(crossings.gain).toHaveLength(1);
    expect(crossings.gain[0]).toBeCloseTo(1 + 0.01 / 0.11);
    expect(crossings.margin.ksg?.[0]).toBeCloseTo(0.75);
    expect(crossings.gainNegativeFrom).toBe(2);
    expect(crossings.marginNegativeFrom.ksg).toBe(1);
  });

  it('is a plan of cells: per seed the student and the teacher, then per ε the noisy margin and the KD student', () => {
    const plan = planCchNoise(resolveCchNoiseOptions({ outDir: 'x', seeds: 2, noise: [1, 0] }));
    expect(plan.map((c) => c.id).slice(0, 6)).toEqual([
      'seed0-student',
      'seed0-teacher',
      'seed0-margin-noise0',
      'seed0-kd-noise0',
      'seed0-margin-noise1',
      'seed0-kd-noise1',
    ]);
    expect(plan).toHaveLength(2 * (2 + 2 * 2));
    // Noise is drawn from its own seeds, distinct on the training rows (KD) and the test rows (margin).
    const kd = plan[3].inputs as { teacher: { noiseSeeds: { train: number; test: number } } };
    expect(kd.teacher.noiseSeeds).toEqual({ train: 7919, test: 7920 });
  });

  it('rejects bad options with the option named', () => {
    expect(() => resolveCchNoiseOptions({ outDir: 'x', noise: [-1] })).toThrow(/--noise/);
    expect(() => resolveCchNoiseOptions({ outDir: 'x', teacher: 'textured' })).toThrow(/both 'textured'/);
    expect(() => resolveCchNoiseOptions({ outDir: 'x', student: 'audio' })).toThrow(/--student must be a digits view/);
  });
});

describe('cch-noise run', () => {
  it('a tiny run writes results, summary and the figure; noise lowers the noisy teacher accuracy', async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-cch-noise-'));
    // Table views keep this fast: teacher on blocks, student on profiles (MLPs).
    const r = await runCchNoise({
      outDir,
      n: 300,
      seeds: 1,
      noise: [0, 50],
      teacher: 'blocks',
      student: 'profiles',
      epochs: 5,
      batchSize: 16,
      estimators: ['ksg'],
      hidden: [16],
    });
    expect(r.rows).toHaveLength(2);
    const [clean, noisy] = r.rows;
    expect(clean.noisyTeacherAcc).toBe(clean.teacherAcc);
    expect(noisy.noiseSd).toBeGreaterThan(0);
    // At ε = 50 the noisy logits are close to random: far below the clean teacher.
    expect(noisy.noisyTeacherAcc).toBeLessThan(clean.teacherAcc - 0.2);
    expect(noisy.margins.ksg?.miTeacherStudent).toBeLessThan(clean.margins.ksg?.miTeacherStudent ?? 0);
    const csv = await readFile(path.join(outDir, 'results.csv'), 'utf8');
    expect(csv.trim().split('\n')).toHaveLength(3);
    for (const f of ['summary.csv', 'results.json', 'gain-and-margin-vs-noise.png', 'gain-and-margin-vs-noise.svg']) {
      expect((await stat(path.join(outDir, f))).size).toBeGreaterThan(0);
    }
    const text = cchNoiseReport(r)
      .map((b) => ('text' in b ? b.text : ''))
      .join('\n');
    expect(text).toMatch(/KD gain changes sign at/);
  });
});
