import { readFile } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initEngine } from '../engine/index.js';
import { buildModel, makeSpec, saveModel } from '../models/index.js';
import { CmkdError } from '../util/errors.js';
import { writeStudentPage } from './student.js';

/** The JSON settings block of a written page. */
async function pageConfig(index: string): Promise<Record<string, unknown>> {
  const html = await readFile(index, 'utf8');
  const m = /<script type="application\/json" id="cmkd-config">(.*?)<\/script>/s.exec(html);
  return JSON.parse(m![1]) as Record<string, unknown>;
}

describe('student page (files)', () => {
  let modelDir: string;
  let imageModelDir: string;
  beforeAll(async () => {
    await initEngine();
    const base = await mkdtemp(path.join(tmpdir(), 'cmkd-student-page-'));
    modelDir = path.join(base, 'table-model');
    const task = { kind: 'classification' as const, classes: ['no', 'yes'] };
    await saveModel(modelDir, buildModel(makeSpec('mlp', [3], 2, 'classification', { hidden: [4] }), 1), {
      modality: 'vitals',
      task,
      standardizer: { per: 'feature', mean: [1, 2, 3], std: [0.5, 1, 2] },
    });
    imageModelDir = path.join(base, 'image-model');
    await saveModel(imageModelDir, buildModel(makeSpec('cnn', [4, 4, 1], 2, 'classification', { channels: [2], hidden: [4] }), 1), {
      modality: 'img',
      task,
    });
  });

  it('writes the page, the model files, tf.min.js and its licence notice; embeds settings, standardiser and samples', async () => {
    const dir = path.join(path.dirname(modelDir), 'page');
    const page = await writeStudentPage(dir, {
      modelDir,
      samples: [{ x: [1, 2, 3], label: 1 }, { x: [0, 0, 0] }],
      columns: ['hr', 'bp', 't'],
    });
    expect(page.files.map((f) => path.basename(f)).sort()).toEqual([
      'THIRD_PARTY_NOTICES.txt',
      'index.html',
      'model.json',
      'tf.min.js',
      'weights.bin',
    ]);
    expect(await readFile(path.join(dir, 'model.json'), 'utf8')).toBe(await readFile(path.join(modelDir, 'model.json'), 'utf8'));
    expect((await readFile(path.join(dir, 'tf.min.js'), 'utf8')).slice(0, 200)).toMatch(/Apache License, Version 2\.0/);
    expect(await readFile(path.join(dir, 'THIRD_PARTY_NOTICES.txt'), 'utf8')).toMatch(
      /TensorFlow\.js 4\.22\.0 .*Apache License, Version 2\.0/s,
    );
    const cfg = await pageConfig(page.index);
    expect(cfg).toMatchObject({
      modelUrl: 'model.json',
      inputShape: [3],
      task: 'classification',
      classes: ['no', 'yes'],
      standardizer: { per: 'feature', mean: [1, 2, 3], std: [0.5, 1, 2] },
      samples: [
        { x: [1, 2, 3], label: 1 },
        { x: [0, 0, 0], label: null },
      ],
    });
    const html = await readFile(page.index, 'utf8');
    expect(html).toContain('in this order: hr, bp, t');
    expect(html).not.toMatch(/src="https?:/);
    // A long class name stays in its card (measured in Chromium: test/browser/student.test.ts): the
    // top label wraps anywhere, a bar's name column is capped and its name ends in an ellipsis.
    const rule = (selector: string) => new RegExp(`\\n${selector.replace(/\./g, '\\.')} \\{([^}]*)\\}`).exec(html)?.[1] ?? '';
    expect(rule('.top .label')).toContain('overflow-wrap: anywhere');
    expect(rule('.bar .name')).toMatch(/overflow: hidden;.*text-overflow: ellipsis;.*white-space: nowrap/);
    expect(rule('.bar')).not.toMatch(/minmax\([^)]*max-content\)/);
  });

  it('image pages draw into the value range of the samples ([0, 1] or [0, 255] when they fit)', async () => {
    const dir = path.join(path.dirname(imageModelDir), 'image-page');
    const ramp = (hi: number) => ({ x: Array.from({ length: 16 }, (_, i) => (hi * i) / 15) });
    expect((await pageConfig((await writeStudentPage(dir, { modelDir: imageModelDir, samples: [ramp(1)] })).index)).valueRange).toEqual([
      0, 1,
    ]);
    expect((await pageConfig((await writeStudentPage(dir, { modelDir: imageModelDir, samples: [ramp(255)] })).index)).valueRange).toEqual([
      0, 255,
    ]);
    expect((await pageConfig((await writeStudentPage(dir, { modelDir: imageModelDir, samples: [ramp(1000)] })).index)).valueRange).toEqual([
      0, 1000,
    ]);
    expect((await pageConfig((await writeStudentPage(dir, { modelDir: imageModelDir, valueRange: [-1, 1] })).index)).valueRange).toEqual([
      -1, 1,
    ]);
    expect(await readFile(path.join(dir, 'index.html'), 'utf8')).toContain('id="draw"');
  });

  it('refuses samples of the wrong size or with non-finite values, and a missing model', async () => {
    const dir = path.join(path.dirname(modelDir), 'bad');
    await expect(writeStudentPage(dir, { modelDir, samples: [{ x: [1, 2] }] })).rejects.toThrow(
      /sample 0 has 2 values; the model reads \[3\] = 3/,
    );
    await expect(writeStudentPage(dir, { modelDir, samples: [{ x: [1, NaN, 2] }] })).rejects.toThrow(/sample 0, value 1 is NaN/);
    await expect(writeStudentPage(dir, { modelDir: path.join(dir, 'nope') })).rejects.toBeInstanceOf(CmkdError);
  });
});
