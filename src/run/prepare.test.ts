import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDataset, type MultimodalDataset } from '../data/index.js';
import { initEngine } from '../engine/index.js';
import { BUDGET_PRESETS } from './budget.js';
import { prepareRun } from './prepare.js';
import { FUSION } from './run-options.js';

let ds: MultimodalDataset;
let root: string;
beforeAll(async () => {
  await initEngine();
  ds = await loadDataset('digits?n=300&modalities=profiles,blocks,fourier&cache=false');
  root = await mkdtemp(path.join(tmpdir(), 'cmkd-prepare-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

const base = { student: 'profiles', teachers: ['blocks', 'fourier'], budget: 'quick' as const };

describe('the run’s architecture (--model and the widths)', () => {
  it('reaches every model of the run and its stage fingerprint; without it the budget is the preset’s, byte for byte', async () => {
    const plain = await prepareRun({ ...base, dataset: ds, outDir: path.join(root, 'plain') });
    const settings = JSON.parse(await readFile(path.join(root, 'plain', 'settings.json'), 'utf8'));
    expect(JSON.stringify(settings.budget)).toBe(JSON.stringify(BUDGET_PRESETS.quick));
    expect(plain.workspace.cells.model('profiles', 'student')).toEqual({ kind: 'mlp', architecture: { hidden: [64, 64] } });

    const wide = await prepareRun({
      ...base,
      dataset: ds,
      outDir: path.join(root, 'wide'),
      model: 'mlp',
      architecture: { hidden: [8], dropout: 0.3 },
    });
    // The student, each teacher and the fusion teacher (the distilled students take the student's).
    for (const m of ['profiles', 'blocks', 'fourier', FUSION])
      for (const role of ['student', 'teacher'] as const)
        expect(wide.workspace.cells.model(m, role)).toEqual({ kind: 'mlp', architecture: { hidden: [8], dropout: 0.3 } });
    expect(wide.store.fingerprint).not.toBe(plain.store.fingerprint);
    expect(wide.settings.budget).toMatchObject({ model: 'mlp', table: { hidden: [8], dropout: 0.3 } });

    // Another width alone is another fingerprint too; the same options, the same one.
    const narrow = await prepareRun({ ...base, dataset: ds, outDir: path.join(root, 'narrow'), architecture: { hidden: [4] } });
    expect(narrow.store.fingerprint).not.toBe(plain.store.fingerprint);
    expect(narrow.store.fingerprint).not.toBe(wide.store.fingerprint);
    const again = await prepareRun({ ...base, dataset: ds, outDir: path.join(root, 'again') });
    expect(again.store.fingerprint).toBe(plain.store.fingerprint);
  });

  it('refuses a convolutional model on a table modality at once, naming it', async () => {
    await expect(prepareRun({ ...base, dataset: ds, outDir: path.join(root, 'cnn'), model: 'cnn' })).rejects.toThrow(
      /^--model cnn: reads images, and modality 'profiles' of this run is a table; use --model mlp, or leave it out of --teachers$/,
    );
  });

  it('takes a linear model on table modalities: every model cell of the run is linear', async () => {
    const lin = await prepareRun({ ...base, dataset: ds, outDir: path.join(root, 'linear'), model: 'linear' });
    expect(lin.settings.budget).toMatchObject({ model: 'linear' });
    expect(lin.workspace.cells.model('blocks', 'teacher')).toMatchObject({ kind: 'linear' });
  });
});

describe('sequential splits on small data (k-fold)', () => {
  it('test every fold at the first look', async () => {
    const small = await loadDataset('digits?n=120&modalities=profiles,blocks&cache=false');
    const o = { student: 'profiles', teachers: ['blocks'], dataset: small };
    const quick = await prepareRun({ ...o, outDir: path.join(root, 'k1') });
    expect(quick.scheme).toBe('kfold');
    expect(quick.looks).toEqual([5, 8]);
    // The first look's test rows are every row, once.
    const tested = quick.workspace.splits.slice(0, quick.looks[0]).flatMap((s) => [...s.test]);
    expect(tested.sort((a, b) => a - b)).toEqual(Array.from({ length: small.n }, (_, i) => i));
    expect((await prepareRun({ ...o, budget: 'standard', outDir: path.join(root, 'k2') })).looks).toEqual([5, 8, 12]);
    expect((await prepareRun({ ...o, maxRepeats: 12, outDir: path.join(root, 'k3') })).looks).toEqual([5, 8, 12]);
    // A cap below the folds, or a fixed count, is the user's.
    expect((await prepareRun({ ...o, maxRepeats: 4, outDir: path.join(root, 'k4') })).looks).toEqual([3, 4]);
    expect((await prepareRun({ ...o, repeats: 3, outDir: path.join(root, 'k5') })).looks).toEqual([3]);
    // Random splits keep the budget's looks.
    expect((await prepareRun({ ...base, dataset: ds, outDir: path.join(root, 'k6') })).looks).toEqual([3, 5, 8]);
  });
});

describe('row warnings on a subsample', () => {
  it('say that their counts are the subsample’s', async () => {
    const small = await prepareRun({ ...base, dataset: ds, samples: 120, outDir: path.join(root, 'small') });
    const rowWarnings = small.warnings.filter((x) => /rows/.test(x) && !/^Modality/.test(x));
    expect(rowWarnings.length).toBeGreaterThan(0);
    for (const w of rowWarnings)
      expect(w).toMatch(/\(Counted in the 120-row stratified subsample of the 300 rows loaded: --samples or the budget's row cap\.\)$/);
    const whole = await prepareRun({ ...base, dataset: ds, outDir: path.join(root, 'whole') });
    for (const w of whole.warnings) expect(w).not.toMatch(/subsample/);
  });
});

describe('resuming a run folder split another way', () => {
  it('refuses in one line naming --splits, before settings.json is overwritten; with --splits it resumes', async () => {
    const outDir = path.join(root, 'random');
    await prepareRun({ ...base, dataset: ds, outDir, splits: 'random' });
    const file = path.join(outDir, 'settings.json');
    const before = await readFile(file, 'utf8');
    await expect(prepareRun({ ...base, dataset: ds, outDir, resume: true })).rejects.toThrow(
      `--resume: ${file} records a run split by random and this one would split by kfold; add --splits random to resume it, or use a new --out folder`,
    );
    expect(await readFile(file, 'utf8')).toBe(before);
    const again = await prepareRun({ ...base, dataset: ds, outDir, resume: true, splits: 'random' });
    expect(again.scheme).toBe('random');
    // Any other setting the models depend on is named too, and settings.json is left as it was.
    const now = await readFile(file, 'utf8');
    await expect(prepareRun({ ...base, dataset: ds, outDir, resume: true, splits: 'random', maxSteps: 100 })).rejects.toThrow(
      `--resume: ${file} records a run with other settings (budget.maxSteps (264 → 100); budget.minSteps (132 → 50); schedule.epochs (38 → 14); schedule.minEpochs (19 → 8); …); resume it with the options it was run with, or use a new --out folder`,
    );
    expect(await readFile(file, 'utf8')).toBe(now);
    // Settings the models do not depend on (the cap on the splits) resume.
    await prepareRun({ ...base, dataset: ds, outDir, resume: true, splits: 'random', maxRepeats: 12 });
  });
});

describe('resuming a small table run made with the MLP', () => {
  it('names the flag that resumes it: the run now fits logistic regression there', async () => {
    const small = await loadDataset('digits?n=120&modalities=profiles,blocks&cache=false');
    const o = { student: 'profiles', teachers: ['blocks'], budget: 'quick' as const, dataset: small, outDir: path.join(root, 'fit') };
    const mlp = await prepareRun({ ...o, model: 'mlp' });
    expect(mlp.budget.fit).toBeUndefined();
    await expect(prepareRun({ ...o, resume: true })).rejects.toThrow(
      `--resume: ${path.join(o.outDir, 'settings.json')} records a run whose table models were the budget's mlp, and this one would fit logistic regression (fewer than 300 rows of tables); add --model mlp to resume it, or use a new --out folder`,
    );
    expect((await prepareRun({ ...o, model: 'mlp', resume: true })).budget.fit).toBeUndefined();
  });
});
