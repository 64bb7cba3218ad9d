/**
 * End to end: a small `cmkd run` writes report.html and the student page; Chromium renders
 * the report's charts and verdict, and the page's prediction for a test sample matches the
 * saved best student evaluated in Node (as `cmkd evaluate` does: saved standardiser, then predict).
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyStandardizer, getModality, loadDataset, planSplits } from '../../src/data/index.js';
import { initEngine, tf } from '../../src/engine/index.js';
import { loadModel } from '../../src/models/index.js';
import { BUDGET_PRESETS, runMainJob, type RunResult } from '../../src/run/index.js';
import { studentSampleRows } from '../../src/run/report.js';
import { serveStatic, type StaticServer } from '../../src/serve/server.js';
import { predictOutputs } from '../../src/train/index.js';
import { checkReportInBrowser, HAS_CHROMIUM, launchChromium, NO_CHROMIUM_REASON, waitForStudent, watchedPage } from './browser.js';

if (!HAS_CHROMIUM) process.stderr.write(`${NO_CHROMIUM_REASON}\n`);

describe.skipIf(!HAS_CHROMIUM)(HAS_CHROMIUM ? 'cmkd run report and student in Chromium' : NO_CHROMIUM_REASON, () => {
  let browser: Browser;
  let outDir: string;
  let result: RunResult;

  beforeAll(async () => {
    await initEngine();
    outDir = await mkdtemp(path.join(tmpdir(), 'cmkd-run-browser-'));
    const ds = await loadDataset('digits?n=300&modalities=profiles,blocks&cache=false');
    const budget = {
      ...BUDGET_PRESETS.quick,
      maxRows: null,
      repeats: 2,
      epochs: 2,
      bootstrap: 4,
      table: { hidden: [16] },
      methods: ['kd', 'feature'],
    };
    result = await runMainJob({ dataset: ds, student: 'profiles', budget, outDir });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('report.html renders every chart with data marks and states the verdict', async () => {
    const seen = await checkReportInBrowser(path.join(outDir, result.report), {
      browser,
      minFigures: 5,
      screenshot: process.env.CMKD_UPDATE_SCREENSHOT ? path.resolve('docs/report-screenshot.png') : undefined,
    });
    // The headline is the deploy decision; the paragraph under it starts with the summary.
    expect(seen.verdicts.join('\n')).toContain(result.best.beatsStudent ? `Deploy ${result.best.label}` : 'Deploy the student alone');
    expect(seen.verdicts.join('\n')).toContain(result.verdict.slice(0, 40));
    expect(seen.figures.map((f) => f.id)).toEqual(
      expect.arrayContaining(['figure-teacher-ranking', 'figure-cch-scatter', 'figure-methods']),
    );
    // Bold: exactly the gains whose interval is above 0 (teachers table and methods table).
    const clear = [...result.outcomes, ...result.table].filter((x) => x.effect === 'clear gain').length;
    expect(seen.bestCells).toBe(clear);
  });

  it("the student page's probabilities for a test sample match the saved best student in Node", async () => {
    let server: StaticServer | null = null;
    try {
      server = await serveStatic(outDir, { port: 0 });
      const { page, errors, externalRequests } = await watchedPage(browser, [server.url]);
      await page.goto(`${server.url}student/`);
      await waitForStudent(page);
      const browserProbs = (await page.evaluate('window.cmkdPredict(0)')) as number[];
      // Node: the page's sample 0 (split 1's first test row of class 0), through the saved model and its standardiser.
      const ds = await loadDataset('digits?n=300&modalities=profiles,blocks&cache=false');
      const { model, meta } = await loadModel(path.join(outDir, 'best-student'));
      const split = planSplits(ds, 2, 0).splits[0];
      const m = getModality(ds, 'profiles');
      const d = m.shape[0];
      const row = studentSampleRows(split.test, ds.labels, 10)[0];
      const saved = meta.standardizer!;
      const standardizer = { modality: 'profiles', per: saved.per, mean: Float32Array.from(saved.mean), std: Float32Array.from(saved.std) };
      const x = applyStandardizer({ ...m, data: m.data.slice(row * d, (row + 1) * d) }, standardizer).data;
      const { logits } = await predictOutputs(model, x, 1);
      model.dispose();
      const nodeProbs = tf.tidy(() => Array.from(tf.softmax(tf.tensor1d(logits)).dataSync()));
      expect(browserProbs).toHaveLength(10);
      browserProbs.forEach((p, k) => expect(Math.abs(p - nodeProbs[k])).toBeLessThan(1e-4));
      expect(errors).toEqual([]);
      expect(externalRequests).toEqual([]);
      await page.close();
    } finally {
      await server?.close();
    }
  });
});
