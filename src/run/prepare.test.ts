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
});
