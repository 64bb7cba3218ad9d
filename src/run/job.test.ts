import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type MultimodalDataset } from '../data/index.js';
import { initEngine, tf } from '../engine/index.js';
import { loadModel } from '../models/index.js';
import { BUDGET_PRESETS, runMainJob, type Budget, type RunResult } from './index.js';

const tiny: Budget = {
  ...BUDGET_PRESETS.quick,
  maxRows: null,
  repeats: 2,
  epochs: 2,
  patience: 2,
  bootstrap: 4,
  table: { hidden: [16] },
  methods: ['kd', 'dkd+ls', 'feature'],
};

let ds: MultimodalDataset;
beforeAll(async () => {
  await initEngine();
  ds = await loadDataset('digits?n=300&modalities=profiles,blocks,fourier&cache=false');
});

const tables = (r: RunResult) => JSON.stringify({ table: r.table, outcomes: r.outcomes, cch: r.cch, best: r.best });

describe('cmkd run (main job)', () => {
  it('trains, ranks teachers, distills, and writes results and the best student', async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-run-'));
    const before = tf.memory().numTensors;
    const r = await runMainJob({ dataset: ds, student: 'profiles', budget: tiny, outDir });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.teachers).toEqual(['blocks', 'fourier', 'fusion']);
    expect(r.cch.ranking).toHaveLength(3);
    // TEACHER ×3, STUDENT, KD from each teacher, and the two other methods from the recommended one.
    expect(r.table.filter((row) => row.role === 'teacher')).toHaveLength(3);
    expect(r.table.filter((row) => row.role === 'distilled')).toHaveLength(3 + 2);
    for (const row of r.table) expect(row.test.f1Weighted.n).toBe(2);
    expect(r.outcomes.map((o) => o.teacher).sort()).toEqual(['blocks', 'fourier', 'fusion']);
    expect(r.verdict).toMatch(/Deploy/);
    const { model, meta } = await loadModel(path.join(outDir, 'best-student'));
    expect(meta.modality).toBe('profiles');
    expect((meta.extra as { modelCard: { label: string } }).modelCard.label).toBe(r.best.label);
    model.dispose();
    const csv = await readFile(path.join(outDir, 'methods.csv'), 'utf8');
    expect(csv.split('\n')[0]).toMatch(/^label,role,modality,teacher,test_accuracy_mean/);
    await stat(path.join(outDir, 'best-student', 'MODEL_CARD.md'));
  });

  it('an interrupted run resumed gives the same final tables as an uninterrupted one', async () => {
    const budget = { ...tiny, methods: ['kd'] };
    const whole = await runMainJob({
      dataset: ds,
      student: 'profiles',
      teachers: ['blocks'],
      budget,
      outDir: await mkdtemp(path.join(tmpdir(), 'cmkd-run-a-')),
    });
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-run-b-'));
    const controller = new AbortController();
    let finished = 0;
    await expect(
      runMainJob({
        dataset: ds,
        student: 'profiles',
        teachers: ['blocks'],
        budget,
        outDir,
        signal: controller.signal,
        onProgress: (ev) => {
          if (ev.task === 'cmkd run' && ev.done > finished) {
            finished = ev.done;
            if (finished === 3) controller.abort();
          }
        },
      }),
    ).rejects.toThrow(/interrupted/);
    const resumed = await runMainJob({ dataset: ds, student: 'profiles', teachers: ['blocks'], budget, outDir, resume: true });
    expect(resumed.reusedStages.length).toBeGreaterThanOrEqual(3);
    expect(tables(resumed)).toBe(tables(whole));
  });

  it('resumed with another estimator, reuses every model and recomputes only the analysis', async () => {
    const budget = { ...tiny, methods: ['kd'] };
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-run-est-'));
    const base = { dataset: ds, student: 'profiles', teachers: ['blocks'], fusion: false, budget, outDir };
    const ksg = await runMainJob({ ...base, estimator: 'ksg' });
    expect(ksg.reusedStages).toEqual([]);
    const gaussian = await runMainJob({ ...base, estimator: 'gaussian', resume: true });
    // 2 repeats × (student, teacher, KD) are read back; only the Gaussian analysis is new.
    expect([...gaussian.reusedStages].sort()).toEqual(
      ['r0-student', 'r0-teacher-blocks', 'r0-kd-from-blocks', 'r1-student', 'r1-teacher-blocks', 'r1-kd-from-blocks'].sort(),
    );
    expect(gaussian.cch.estimator).toBe('gaussian');
    expect(gaussian.table).toEqual(ksg.table);
    // Both analyses stay in the folder: the KSG one is read back, not recomputed.
    const again = await runMainJob({ ...base, estimator: 'ksg', resume: true });
    expect(again.reusedStages).toContain('cch-ksg');
    expect(again.outcomes).toEqual(ksg.outcomes);
  });

  it('rejects a teacher equal to the student and unknown methods, naming them', async () => {
    const outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-run-c-'));
    await expect(runMainJob({ dataset: ds, student: 'profiles', teachers: ['profiles'], budget: tiny, outDir })).rejects.toThrow(
      /student modality 'profiles'/,
    );
    await expect(runMainJob({ dataset: ds, student: 'profiles', methods: ['kdd'], budget: tiny, outDir })).rejects.toThrow(
      /unknown method 'kdd'.*kd, kd\+ls/,
    );
    await expect(runMainJob({ dataset: ds, student: 'audio', budget: tiny, outDir })).rejects.toThrow(/no modality 'audio'/);
  });
});
