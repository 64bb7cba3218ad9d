import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine, tf } from '../../engine/index.js';
import { kdLoss } from '../../kd/index.js';
import { makeRng } from '../../util/rng.js';
import { drawHyperplane, generateMfh, mfhRatios } from './data.js';
import { planMfhSynthetic, runMfhSynthetic } from './run.js';
import { logitGradient, trainLinear, linearLogits } from './train.js';

beforeAll(async () => {
  await initEngine();
});

describe('mfh-synthetic data', () => {
  const a = drawHyperplane(makeRng(1));

  it('gamma mode: teacher and student share exactly `vary` decisive columns', () => {
    for (const vary of [0, 4, 10]) {
      const s = generateMfh({ mode: 'gamma', vary }, a, 50, makeRng(2));
      expect([s.d1, s.d2]).toEqual([25, 50]);
      // Student decisive latents are columns 0..9; the teacher copies latents 10−vary … 19−vary in place.
      let shared = 0;
      for (let j = 0; j < 10; j++) if (s.x1[j] === s.x2[j] && s.x1[s.d1 + j] === s.x2[s.d2 + j]) shared++;
      expect(shared).toBe(vary);
    }
  });

  it('labels are the side of the hyperplane of the decisive latents (balanced-ish)', () => {
    const s = generateMfh({ mode: 'alpha', vary: 40 }, a, 2000, makeRng(3));
    // α = 40: the teacher sees all 50 latents, so its inputs determine y exactly.
    for (let i = 0; i < 20; i++) {
      let dot = 0;
      for (let j = 0; j < 50; j++) dot += s.x1[i * 50 + j] * a[j];
      expect(s.y[i]).toBe(dot > 0 ? 1 : 0);
    }
    const ones = s.y.reduce((t, v) => t + v, 0);
    expect(ones / 2000).toBeGreaterThan(0.3);
    expect(ones / 2000).toBeLessThan(0.7);
  });

  it('the student modality and labels are the same for every setting of a mode at one seed', () => {
    for (const mode of ['alpha', 'gamma'] as const) {
      const varies = mode === 'alpha' ? [0, 10, 20, 30, 40] : [0, 3, 7, 10];
      const samples = varies.map((vary) => generateMfh({ mode, vary }, a, 300, makeRng(4)));
      for (const s of samples.slice(1)) {
        expect(s.x2).toEqual(samples[0].x2);
        expect(s.y).toEqual(samples[0].y);
        expect(s.x1).not.toEqual(samples[0].x1);
      }
    }
  });

  it('ratios follow the paper: γ = shared/(20 − shared), α = extra/(extra + 10)', () => {
    expect(mfhRatios({ mode: 'gamma', vary: 10 }).gamma).toBe(1);
    expect(mfhRatios({ mode: 'gamma', vary: 4 }).gamma).toBeCloseTo(0.25);
    expect(mfhRatios({ mode: 'alpha', vary: 30 }).alpha).toBeCloseTo(0.75);
    expect(() => generateMfh({ mode: 'gamma', vary: 11 }, a, 5, makeRng(1))).toThrow(/0…10 shared/);
  });
});

describe('mfh-synthetic training', () => {
  it('the closed-form logit gradient equals the gradient of kdLoss(task 1, KD 1/2, T 1)', () => {
    const rng = makeRng(5);
    const n = 6;
    const s = Float64Array.from({ length: 2 * n }, () => 3 * rng.normal());
    const t = Float64Array.from({ length: 2 * n }, () => 3 * rng.normal());
    const y = Int32Array.from({ length: n }, (_, i) => i % 2);
    const ours = logitGradient(s, y, t, 0.5);
    const theirs = tf.tidy(() => {
      const tT = tf.tensor2d(Float32Array.from(t), [n, 2]);
      const yT = tf.tensor1d(y, 'int32');
      const g = tf.grad((x: tf.Tensor) => kdLoss(x as tf.Tensor2D, tT, yT, { temperature: 1, taskWeight: 1, kdWeight: 0.5 }));
      return g(tf.tensor2d(Float32Array.from(s), [n, 2])).dataSync();
    });
    for (let i = 0; i < ours.length; i++) expect(ours[i]).toBeCloseTo(theirs[i], 5);
  });

  it('full-batch SGD fits a separable problem and is deterministic per seed', () => {
    const a = drawHyperplane(makeRng(1));
    const s = generateMfh({ mode: 'alpha', vary: 40 }, a, 200, makeRng(4));
    const m1 = trainLinear(s.x1, s.d1, s.y, { epochs: 300, learningRate: 0.1, seed: 7 });
    const m2 = trainLinear(s.x1, s.d1, s.y, { epochs: 300, learningRate: 0.1, seed: 7 });
    expect(Array.from(m1.w)).toEqual(Array.from(m2.w));
    const logits = linearLogits(m1, s.x1, s.n);
    let correct = 0;
    for (let i = 0; i < s.n; i++) if ((logits[2 * i + 1] > logits[2 * i] ? 1 : 0) === s.y[i]) correct++;
    expect(correct / s.n).toBeGreaterThan(0.9);
  });
});

describe('mfh-synthetic run', () => {
  it('writes results, summary and figures; KD gain is larger with full overlap than with none', async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-mfh-'));
    const r = await runMfhSynthetic({ outDir, seeds: 2, epochs: 300, gammaSweep: [0, 10], alphaSweep: [0] });
    expect(r.rows).toHaveLength(6);
    const [none, full] = r.summary.filter((s) => s.mode === 'gamma');
    expect(full.kdGainMean).toBeGreaterThan(none.kdGainMean);
    expect(full.cchMarginMean).toBeGreaterThan(none.cchMarginMean);
    const csv = await readFile(path.join(outDir, 'results.csv'), 'utf8');
    expect(csv.trim().split('\n')).toHaveLength(7);
    expect(r.files.some((f) => f.endsWith('accuracy.png'))).toBe(true);
  });

  it('is a plan of cells: teacher, student, KD student and margin per (setting, seed); a resumed run reads them back', async () => {
    const plan = planMfhSynthetic({ seeds: 2, gammaSweep: [0, 10], alphaSweep: [0] });
    expect(plan).toHaveLength(3 * 2 * 4);
    expect(plan.slice(0, 4).map((c) => [c.id, c.kind, c.dependsOn])).toEqual([
      ['gamma0-seed0-teacher', 'teacher', []],
      ['gamma0-seed0-student', 'student', []],
      ['gamma0-seed0-kd', 'kd', ['gamma0-seed0-teacher']],
      ['gamma0-seed0-margin', 'margin', ['gamma0-seed0-teacher', 'gamma0-seed0-student']],
    ]);
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-mfh-'));
    const o = { outDir, seeds: 1, epochs: 50, gammaSweep: [10], alphaSweep: [0] };
    const first = await runMfhSynthetic(o);
    const stored = path.join(outDir, 'stages', 'gamma10-seed0-kd.json');
    const before = (await stat(stored)).mtimeMs;
    const again = await runMfhSynthetic(o, { resume: true });
    expect(again.rows).toEqual(first.rows);
    expect((await stat(stored)).mtimeMs).toBe(before);
    await expect(runMfhSynthetic({ ...o, epochs: 60 }, { resume: true })).rejects.toThrow(/different settings/);
  });
});
