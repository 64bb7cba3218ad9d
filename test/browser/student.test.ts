/**
 * The student in the browser: a tiny CNN (pixels) and MLP (blocks) saved with src/models,
 * their pages written with writeStudentPage and served on 127.0.0.1; Chromium's class
 * probabilities must match Node's on the same samples.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyStandardizer,
  fitStandardizer,
  getModality,
  loadDataset,
  type Modality,
  type MultimodalDataset,
  type Standardizer,
} from '../../src/data/index.js';
import { initEngine, tf } from '../../src/engine/index.js';
import { buildModel, loadModel, makeSpec, readModelArtifacts, saveModel, type ModelSpec } from '../../src/models/index.js';
import { svgToPng } from '../../src/report/charts.js';
import { studentPageHtml, writeStudentPage } from '../../src/report/student.js';
import { serveStatic, type StaticServer } from '../../src/serve/server.js';
import { predictOutputs } from '../../src/train/index.js';
import { HAS_CHROMIUM, launchChromium, NO_CHROMIUM_REASON, waitForStudent, watchedPage } from './browser.js';

if (!HAS_CHROMIUM) process.stderr.write(`${NO_CHROMIUM_REASON}\n`);

const N_TRAIN = 40;
const SAMPLES = [40, 41, 42, 43];

interface Student {
  name: string;
  modality: Modality;
  standardizer: Standardizer;
  /** Node's class probabilities of each embedded sample. */
  nodeProbs: number[][];
}

/** Build, save and page a seeded student for `modality`; Node predicts the samples from the saved files. */
async function makeStudent(ds: MultimodalDataset, runDir: string, name: string, spec: ModelSpec): Promise<Student> {
  const modality = getModality(ds, name);
  const train = Int32Array.from({ length: N_TRAIN }, (_, i) => i);
  const standardizer = fitStandardizer(modality, train);
  const modelDir = path.join(runDir, 'models', name);
  const model = buildModel(spec, 7);
  await saveModel(modelDir, model, { modality: name, task: ds.task, standardizer });
  model.dispose();
  const d = modality.data.length / ds.n;
  const samples = SAMPLES.map((r) => ({ x: modality.data.subarray(r * d, (r + 1) * d), label: ds.labels[r] }));
  await writeStudentPage(path.join(runDir, name), { modelDir, samples });
  // Node: load what was saved, standardise as training did, predict, softmax.
  const { model: loaded } = await loadModel(modelDir);
  const rows = new Float32Array(SAMPLES.length * d);
  SAMPLES.forEach((r, i) => rows.set(modality.data.subarray(r * d, (r + 1) * d), i * d));
  const standardised = applyStandardizer({ ...modality, data: rows }, standardizer).data;
  const { logits, logitsSize } = await predictOutputs(loaded, standardised, SAMPLES.length);
  loaded.dispose();
  const probs = tf.tidy(() => tf.softmax(tf.tensor2d(logits, [SAMPLES.length, logitsSize])).arraySync() as number[][]);
  return { name, modality, standardizer, nodeProbs: probs };
}

describe.skipIf(!HAS_CHROMIUM)(HAS_CHROMIUM ? 'student page in Chromium' : NO_CHROMIUM_REASON, () => {
  let browser: Browser;
  let server: StaticServer;
  let runDir: string;
  let pixels: Student;
  let blocks: Student;

  beforeAll(async () => {
    await initEngine();
    const ds = await loadDataset('digits', { digits: { n: 60, modalities: ['pixels', 'blocks'], cache: false, seed: 3 } });
    runDir = await mkdtemp(path.join(tmpdir(), 'cmkd-student-'));
    pixels = await makeStudent(ds, runDir, 'pixels', makeSpec('cnn', [28, 28, 1], 10, 'classification', { channels: [4], hidden: [16] }));
    blocks = await makeStudent(ds, runDir, 'blocks', makeSpec('mlp', [49], 10, 'classification', { hidden: [16] }));
    server = await serveStatic(runDir, { port: 0 });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const which of ['pixels', 'blocks'] as const) {
    it(`${which}: the browser's probabilities match Node's within 1e-4`, async () => {
      const s = which === 'pixels' ? pixels : blocks;
      const { page, errors, externalRequests } = await watchedPage(browser, [server.url]);
      await page.goto(`${server.url}${which}/`);
      await waitForStudent(page);
      for (let i = 0; i < SAMPLES.length; i++) {
        const probs = (await page.evaluate(`window.cmkdPredict(${i})`)) as number[];
        expect(probs).toHaveLength(10);
        probs.forEach((p, k) => expect(Math.abs(p - s.nodeProbs[i][k])).toBeLessThan(1e-4));
      }
      // The probabilities really vary between samples (a constant page could not pass by accident).
      expect(Math.max(...s.nodeProbs[0].map((p, k) => Math.abs(p - s.nodeProbs[1][k])))).toBeGreaterThan(1e-3);
      expect(errors).toEqual([]);
      expect(externalRequests).toEqual([]);
      await page.close();
    });
  }

  it('pixels: "try a test sample" shows bars and the true label; drawing and uploading classify what was drawn or uploaded', async () => {
    const { page, errors } = await watchedPage(browser, [server.url], { width: 1000, height: 800 });
    await page.goto(`${server.url}pixels/`);
    await waitForStudent(page);
    await page.click('#sample');
    await page.waitForSelector('#result .bar');
    expect(await page.locator('#result .bar').count()).toBe(10);
    expect(await page.textContent('#truth')).toMatch(/^true label: \d$/);
    const best = await page.getAttribute('#result .bar.best', 'data-class');
    const top = s0Argmax(pixels.nodeProbs[0]);
    expect(Number(best)).toBe(top);
    // Draw a stroke: the result is recomputed from the canvas (no true label any more).
    const box = (await page.locator('#draw').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * 0.2);
    await page.mouse.down();
    for (let k = 1; k <= 8; k++) await page.mouse.move(box.x + box.width * 0.5, box.y + box.height * (0.2 + 0.075 * k));
    await page.mouse.up();
    await page.waitForFunction("document.getElementById('truth').textContent === ''");
    expect(await page.locator('#result .bar').count()).toBe(10);
    // The preview shows what the model reads: some bright pixels in a dark frame.
    const lit = (await page.evaluate(`(() => {
      const d = document.getElementById('preview').getContext('2d').getImageData(0, 0, 84, 84).data;
      let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] > 128) n++; return n / (84 * 84);
    })()`)) as number;
    expect(lit).toBeGreaterThan(0.01);
    expect(lit).toBeLessThan(0.5);
    if (process.env.CMKD_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.CMKD_SCREENSHOTS, 'student-pixels.png') });
    // Upload a 28×28 PNG of sample 1: the page reads it back to the same pixels, so the same probabilities.
    const png = path.join(runDir, 'sample1.png');
    await writeFile(png, svgToPng(pixelsSvg(pixels.modality.data.subarray(SAMPLES[1] * 784, (SAMPLES[1] + 1) * 784)), 1));
    await page.setInputFiles('#upload', png);
    await page.waitForFunction(
      `(() => { const v = document.querySelector('#result .bar.best .val'); return v && v.textContent === '${pct(Math.max(...pixels.nodeProbs[1]))}'; })()`,
    );
    const shown = (await page.locator('#result .bar .val').allTextContents()).map((t) => parseFloat(t));
    shown.forEach((p, k) => expect(Math.abs(p - 100 * pixels.nodeProbs[1][k])).toBeLessThanOrEqual(0.051));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('blocks: a pasted CSV row is classified like the sample; a bad row is refused with a message', async () => {
    const { page, errors } = await watchedPage(browser, [server.url]);
    await page.goto(`${server.url}blocks/`);
    await waitForStudent(page);
    const d = blocks.modality.shape[0];
    const row = Array.from(blocks.modality.data.subarray(SAMPLES[0] * d, (SAMPLES[0] + 1) * d)).join(',');
    await page.fill('#row', row);
    await page.click('#classify');
    await page.waitForSelector('#result .bar');
    const shown = (await page.locator('#result .bar .val').allTextContents()).map((t) => parseFloat(t));
    shown.forEach((pct, k) => expect(Math.abs(pct - 100 * blocks.nodeProbs[0][k])).toBeLessThanOrEqual(0.051));
    await page.fill('#row', '1, 2, x');
    await page.click('#classify');
    expect(await page.textContent('#status')).toBe(`expected ${d} numbers (one per feature), got 3`);
    if (process.env.CMKD_SCREENSHOTS) await page.screenshot({ path: path.join(process.env.CMKD_SCREENSHOTS, 'student-blocks.png') });
    expect(errors).toEqual([]);
    await page.close();
  });

  it('long class names stay inside their card: the top label wraps, the bars end their names in an ellipsis', async () => {
    // One name of 80 characters without a space, one of many words: neither may widen the card at a phone's width.
    const classes = ['a', 'x'.repeat(80), Array.from({ length: 12 }, (_, i) => `word${i}`).join(' ')];
    const modelDir = path.join(runDir, 'models', 'long-names');
    const model = buildModel(makeSpec('mlp', [3], 3, 'classification', { hidden: [4] }), 1);
    await saveModel(modelDir, model, { modality: 'v', task: { kind: 'classification', classes } });
    model.dispose();
    await writeStudentPage(path.join(runDir, 'long-names'), { modelDir });
    const { page, errors } = await watchedPage(browser, [server.url], { width: 380, height: 800 });
    await page.goto(`${server.url}long-names/`);
    await waitForStudent(page);
    // Each class shown first in turn, so each long name is the big label once.
    for (const row of ['1,2,3', '-3,0,9', '9,-9,0']) {
      await page.fill('#row', row);
      await page.click('#classify');
      await page.waitForSelector('#result .bar');
      const outside = (await page.evaluate(`(() => {
        const out = [];
        for (const panel of document.querySelectorAll('.panel')) {
          const box = panel.getBoundingClientRect();
          if (panel.scrollWidth > panel.clientWidth) out.push('panel scrolls sideways');
          for (const el of panel.querySelectorAll('.top .label, .top .pct, .bar .name, .bar .track, .bar .val')) {
            const r = el.getBoundingClientRect();
            if (r.right > box.right + 0.5 || r.left < box.left - 0.5) out.push(el.className + ' ' + el.textContent.slice(0, 20) + ' outside its card');
          }
        }
        if (document.documentElement.scrollWidth > window.innerWidth) out.push('page scrolls sideways');
        return out;
      })()`)) as string[];
      expect(outside, row).toEqual([]);
    }
    // The full name stays readable on hover.
    expect(await page.locator('#result .bar .name').nth(1).getAttribute('title')).toBe(classes[1]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('opened from disk (file://), the page runs the model stored in it: same probabilities, nothing fetched but its own folder', async () => {
    for (const s of [pixels, blocks]) {
      const dir = pathToFileURL(path.join(runDir, s.name)).href;
      const { page, errors, externalRequests } = await watchedPage(browser, [`${dir}/`]);
      await page.goto(`${dir}/index.html`);
      await waitForStudent(page);
      for (let i = 0; i < SAMPLES.length; i++) {
        const probs = (await page.evaluate(`window.cmkdPredict(${i})`)) as number[];
        probs.forEach((p, k) => expect(Math.abs(p - s.nodeProbs[i][k])).toBeLessThan(1e-4));
      }
      expect(errors).toEqual([]);
      expect(externalRequests).toEqual([]);
      await page.close();
    }
  });

  it('a page without the model stored in it, opened from disk, says to serve it with cmkd serve', async () => {
    const { meta } = await readModelArtifacts(path.join(runDir, 'models', 'blocks'));
    const dir = path.join(runDir, 'not-embedded');
    await mkdir(dir, { recursive: true });
    await copyFile(path.join(runDir, 'blocks', 'tf.min.js'), path.join(dir, 'tf.min.js'));
    await writeFile(path.join(dir, 'index.html'), studentPageHtml(meta, { samples: [] }));
    const { page } = await watchedPage(browser, []);
    await page.goto(pathToFileURL(path.join(dir, 'index.html')).href);
    await expect(waitForStudent(page)).rejects.toThrow(/opened from a file/);
    expect(await page.textContent('#status')).toMatch(/could not load the model: .*cmkd serve <run-dir>/);
    expect(await page.textContent('footer')).toContain('cmkd serve <run-dir>');
    await page.close();
  });

  it('the page folder is self-contained: model, weights, TF.js bundle and its licence notice', () => {
    for (const f of ['index.html', 'model.json', 'weights.bin', 'tf.min.js', 'THIRD_PARTY_NOTICES.txt'])
      expect(existsSync(path.join(runDir, 'pixels', f))).toBe(true);
  });
});

/** A grey image as SVG, one crisp rect per pixel (values in [0, 1]). */
function pixelsSvg(values: ArrayLike<number>): string {
  const rects: string[] = [];
  for (let i = 0; i < 784; i++) {
    const g = Math.round(255 * values[i]);
    rects.push(`<rect x="${i % 28}" y="${Math.floor(i / 28)}" width="1" height="1" fill="rgb(${g},${g},${g})"/>`);
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="28" height="28" shape-rendering="crispEdges">${rects.join('')}</svg>`;
}

const pct = (p: number) => `${(100 * p).toFixed(1)}%`;

function s0Argmax(p: number[]): number {
  return p.reduce((b, v, i) => (v > p[b] ? i : b), 0);
}
