import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../engine/index.js';
import { fusionReport } from './index.js';
import { concatRepresentations, meanArrays } from '../cch-digits/common.js';
import { EARLY_FUSION, LATE_FUSION, fusionWorkspace, planFusion, resolveFusionOptions, runFusion } from './run.js';

beforeAll(async () => {
  await initEngine();
});

describe('fusion helpers', () => {
  it('meanArrays averages element-wise; concatRepresentations joins rows', () => {
    expect(Array.from(meanArrays([Float32Array.from([1, 2]), Float32Array.from([3, 6])]))).toEqual([2, 4]);
    expect(() => meanArrays([Float32Array.from([1]), Float32Array.from([1, 2])])).toThrow(/differ/);
    const r = concatRepresentations([
      { data: Float32Array.from([1, 2]), n: 2, d: 1 },
      { data: Float32Array.from([3, 4, 5, 6]), n: 2, d: 2 },
    ]);
    expect(r.d).toBe(3);
    expect(Array.from(r.data)).toEqual([1, 3, 4, 2, 5, 6]);
  });

  it('is a plan of cells: student, a teacher per view and early fusion, the margins, a KD student per teacher (late fusion too)', () => {
    const o = resolveFusionOptions({ outDir: 'x', seeds: 1, modalities: ['pixels', 'blocks'], student: 'profiles' });
    const plan = planFusion(o);
    expect(plan.map((c) => `${c.kind} ${c.id}`)).toEqual([
      'train seed0-student',
      'train seed0-teacher-pixels',
      'train seed0-teacher-blocks',
      'train seed0-teacher-early-fusion',
      'margin seed0-margin',
      'kd seed0-kd-pixels',
      'kd seed0-kd-blocks',
      'kd seed0-kd-early-fusion',
      'kd seed0-kd-late-fusion',
    ]);
    // The late-fusion student depends on the single-view teachers it averages.
    expect(plan.at(-1)?.dependsOn).toEqual(['seed0-student', 'seed0-teacher-pixels', 'seed0-teacher-blocks', 'seed0-margin']);
  });

  it("trains a CNN on an image view and an MLP on the others (early fusion too): the workspace's architecture per view", async () => {
    const { outDir: _outDir, ...o } = resolveFusionOptions({
      outDir: 'x',
      n: 300,
      seeds: 1,
      modalities: ['pixels', 'blocks'],
      student: 'profiles',
    });
    const w = await fusionWorkspace(o, {});
    expect(w.model('pixels').architecture).toEqual({ channels: o.channels, hidden: o.cnnHidden });
    expect(w.model('profiles').architecture).toEqual({ hidden: o.mlpHidden });
    expect(w.model(EARLY_FUSION).architecture).toEqual({ hidden: o.mlpHidden });
  });

  it('rejects bad options with the option named', () => {
    expect(() => resolveFusionOptions({ outDir: 'x', modalities: ['pixels'] })).toThrow(/at least two views/);
    expect(() => resolveFusionOptions({ outDir: 'x', student: 'audio' })).toThrow(/'audio' is not a digits view/);
  });
});

describe('fusion run', () => {
  it('a tiny run on table views writes results, summary and figures; fusion uses every view', async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-fusion-'));
    const r = await runFusion({
      outDir,
      n: 300,
      seeds: 1,
      modalities: ['blocks', 'fourier'],
      student: 'profiles',
      epochs: 4,
      batchSize: 16,
      estimators: ['ksg'],
      mlpHidden: [16],
    });
    expect(r.rows.map((x) => x.teacher)).toEqual(['blocks', 'fourier', EARLY_FUSION, LATE_FUSION]);
    for (const x of r.rows) expect(x.kdGain).toBeCloseTo(x.kdAcc - x.studentAcc, 12);
    expect(r.comparison.directFusion).toBe(r.rows[2].teacherAcc);
    const csv = await readFile(path.join(outDir, 'results.csv'), 'utf8');
    expect(csv.trim().split('\n')).toHaveLength(5);
    for (const f of ['summary.csv', 'results.json', 'accuracy.png', 'gain-vs-margin.png', 'gain-vs-margin.svg']) {
      expect((await stat(path.join(outDir, f))).size).toBeGreaterThan(0);
    }
    expect(fusionReport(r).some((b) => 'table' in b && b.table.rows.some((row) => String(row[0]).startsWith('direct fusion')))).toBe(true);
  });
});
