/**
 * "A student in the browser": a static page that loads a saved cmkd student with TF.js
 * (`tf.loadLayersModel('model.json')`) and classifies what the visitor draws, uploads or
 * pastes, applying the standardiser stored in the model's metadata. Written into a folder:
 *
 *   index.html                 the page (inline CSS and script, settings and samples as JSON)
 *   model.json, weights.bin    the student (copied from modelDir)
 *   tf.min.js                  TensorFlow.js's browser bundle (Apache-2.0), local: no CDN
 *   THIRD_PARTY_NOTICES.txt    its licence notice
 *
 * Browsers refuse to fetch files from a page opened from disk (file://), so the page also carries
 * the model itself (topology and base64 weights, up to EMBED_MAX_BYTES of weights) and works
 * opened straight from the run folder; a larger model is fetched from model.json, which needs
 * `cmkd serve <run-dir>`, and the page says so when opened from a file.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { MODEL_FILE, readModelArtifacts, WEIGHTS_FILE, type SavedModelMeta } from '../models/index.js';
import { check, CmkdError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { VERSION } from '../version.js';
import { escapeHtml, htmlHead } from './html.js';
import { STUDENT_SCRIPT } from './student-script.js';

export const STUDENT_DIR = 'student';
export const TFJS_BUNDLE = 'tf.min.js';
export const NOTICES_FILE = 'THIRD_PARTY_NOTICES.txt';
/** Weights up to this size are embedded in index.html (base64, a third larger), so the page opens from disk. */
export const EMBED_MAX_BYTES = 16 * 1024 * 1024;

/** The model inside the page: what tf.io.fromMemory needs, the weights as base64. */
export interface EmbeddedModel {
  modelTopology: unknown;
  weightSpecs: unknown[];
  weights: string;
}

/** A test sample to embed: raw (unstandardised) modality values, sample-major like the dataset. */
export interface StudentSample {
  x: ArrayLike<number>;
  /** Class index (shown by name) or any label text. */
  label?: number | string | null;
}

export interface StudentPageOptions {
  /** Folder of the saved student (model.json + weights.bin, from saveModel). */
  modelDir: string;
  /** A few test samples for "try a test sample" and window.cmkdPredict(i). */
  samples?: StudentSample[];
  title?: string;
  /** One paragraph under the title (e.g. what was distilled from which teacher). */
  description?: string;
  /** Feature names of a table modality, shown as a hint above the input. */
  columns?: string[];
  /**
   * Image modalities: the raw values that black and white pixels stand for (drawings and
   * uploads are mapped into this range). Default: min and max of the samples, else [0, 1].
   */
  valueRange?: [number, number];
}

export interface StudentPage {
  dir: string;
  /** Absolute path of index.html. */
  index: string;
  files: string[];
  meta: SavedModelMeta;
}

/** Path of TF.js's browser bundle in node_modules. */
export function tfjsBundlePath(): string {
  const require = createRequire(import.meta.url);
  try {
    return require.resolve('@tensorflow/tfjs/dist/tf.min.js');
  } catch {
    throw new CmkdError(
      "cannot find @tensorflow/tfjs/dist/tf.min.js in node_modules; reinstall cmkd's dependencies (npm install)",
      'not-found',
    );
  }
}

/** JSON safe inside a <script> element (no '</script>' or '<!--' can appear). */
function scriptJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

function defaultRange(samples: StudentSample[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of samples) {
    for (let i = 0; i < s.x.length; i++) {
      if (s.x[i] < lo) lo = s.x[i];
      if (s.x[i] > hi) hi = s.x[i];
    }
  }
  if (!(hi > lo)) return [0, 1];
  // Pixel data usually spans [0, 1] or [0, 255]: snap to those when the samples fit inside.
  if (lo >= 0 && hi <= 1) return [0, 1];
  if (lo >= 0 && hi <= 255 && hi > 16) return [0, 255];
  return [lo, hi];
}

const CSS = `
* { box-sizing: border-box; }
body { margin: 0; color: #1f2937; background: #f9fafb; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Helvetica, Arial, sans-serif; }
main { max-width: 58rem; margin: 0 auto; padding: 1.6rem 1rem 3rem; }
h1 { font-size: 1.6rem; margin: 0 0 .3rem; }
.sub { color: #6b7280; margin: 0 0 1.2rem; }
.panels { display: flex; flex-wrap: wrap; gap: 1.2rem; }
.panel { background: #fff; border: 1px solid #e5e7eb; border-radius: 10px; padding: 1rem 1.1rem; flex: 1 1 22rem; min-width: 0; }
.panel h2 { font-size: 1.05rem; margin: 0 0 .7rem; }
canvas#draw { width: 100%; max-width: 280px; aspect-ratio: 1; display: block; border-radius: 6px; touch-action: none; cursor: crosshair; background: #000; }
.input-row { display: flex; gap: 1rem; align-items: flex-start; flex-wrap: wrap; }
.preview-box { font-size: .8rem; color: #6b7280; }
canvas#preview { width: 84px; height: 84px; image-rendering: pixelated; border: 1px solid #e5e7eb; display: block; margin-top: .2rem; }
.controls { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: .8rem 0 .2rem; font-size: .92rem; }
button, .file { font: inherit; font-size: .92rem; padding: .35rem .8rem; border-radius: 6px; border: 1px solid #d1d5db; background: #fff; cursor: pointer; }
button.primary { background: #2563eb; color: #fff; border-color: #2563eb; }
button:disabled { opacity: .5; cursor: default; }
.file input { display: none; }
label.check { display: inline-flex; gap: .3rem; align-items: center; }
textarea#row { width: 100%; min-height: 6rem; font: .9rem/1.4 ui-monospace, Menlo, "DejaVu Sans Mono", monospace; padding: .5rem; border: 1px solid #d1d5db; border-radius: 6px; }
.hint { font-size: .82rem; color: #6b7280; word-break: break-word; }
.status { min-height: 1.4em; font-size: .9rem; color: #6b7280; margin: .4rem 0; }
.status.error { color: #b91c1c; }
.top { display: flex; justify-content: space-between; align-items: baseline; gap: .6rem; margin-bottom: .6rem; }
/* A long class name wraps inside the card (anywhere: also a name without spaces); the bars' names end in an ellipsis, in full on hover. */
.top .label { font-size: 2rem; font-weight: 700; min-width: 0; overflow-wrap: anywhere; }
.top .pct { color: #6b7280; flex: none; }
.bar { display: grid; grid-template-columns: minmax(2.5rem, fit-content(45%)) minmax(0, 1fr) 3.6rem; gap: .5rem; align-items: center; font-size: .9rem; margin: .18rem 0; }
.bar .name { min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.bar .track { background: #eef2f7; border-radius: 4px; height: .9rem; overflow: hidden; }
.bar .fill { display: block; height: 100%; background: #93c5fd; }
.bar.best .fill { background: #2563eb; }
.bar.best .name { font-weight: 700; }
.bar .val { text-align: right; font-variant-numeric: tabular-nums; color: #4b5563; }
.regression { font-size: 1.6rem; font-weight: 700; }
#truth { margin-top: .6rem; font-size: .92rem; color: #059669; overflow-wrap: anywhere; }
footer { margin-top: 2rem; font-size: .82rem; color: #6b7280; }
`;

function imageInput(samples: number): string {
  return `<div class="input-row">
<canvas id="draw" width="280" height="280" aria-label="drawing area"></canvas>
<div class="preview-box">what the model sees<canvas id="preview" width="84" height="84"></canvas></div>
</div>
<div class="controls">
<button id="clear" type="button">Clear</button>
<label class="file">Upload an image<input id="upload" type="file" accept="image/*"></label>
${samples ? '<button id="sample" type="button" class="primary" disabled>Try a test sample</button>' : ''}
</div>
<div class="controls">
<label class="check"><input id="center" type="checkbox" checked> centre and scale my drawing</label>
<label class="check"><input id="invert" type="checkbox"> invert (dark ink on light paper)</label>
</div>
<p class="hint">Draw with the mouse or a finger; the prediction updates as you draw.</p>`;
}

function tableInput(size: number, columns: string[] | undefined, samples: number): string {
  const names = columns && columns.length === size ? columns : null;
  return `<p class="hint">Paste one row of ${size} feature values (commas, spaces or tabs between them)${names ? `, in this order: ${escapeHtml(names.join(', '))}` : ''}.</p>
<textarea id="row" spellcheck="false" aria-label="feature values"></textarea>
<div class="controls">
<button id="classify" type="button" class="primary">Classify</button>
${samples ? '<button id="sample" type="button" disabled>Try a test sample</button>' : ''}
</div>`;
}

/** The page's HTML for a model with metadata `meta`. */
export function studentPageHtml(
  meta: SavedModelMeta,
  opts: Omit<StudentPageOptions, 'modelDir'> & { samples: StudentSample[]; embedded?: EmbeddedModel | null },
): string {
  const shape = meta.spec.inputShape;
  const size = shape.reduce((a, b) => a * b, 1);
  const isImage = shape.length === 3;
  const task = meta.task?.kind ?? meta.spec.task;
  const classes =
    meta.classes ??
    (meta.task?.kind === 'classification' ? meta.task.classes : Array.from({ length: meta.spec.outputs }, (_, i) => String(i)));
  const config = {
    modelUrl: MODEL_FILE,
    inputShape: shape,
    task,
    classes,
    standardizer: meta.standardizer ?? null,
    valueRange: opts.valueRange ?? defaultRange(opts.samples),
    samples: opts.samples.map((s) => ({ x: Array.from(s.x), label: s.label ?? null })),
    embedded: opts.embedded ?? null,
  };
  const modality = meta.modality ? `'${meta.modality}'` : 'its input';
  const title = opts.title ?? `cmkd student${meta.modality ? ` (${meta.modality})` : ''}`;
  const what = `${{ mlp: 'An MLP', cnn: 'A CNN', resnet: 'A ResNet', linear: 'A linear model' }[meta.spec.kind]} that reads ${modality} (${isImage ? `${shape[0]}×${shape[1]} image, ${shape[2]} channel${shape[2] > 1 ? 's' : ''}` : `${size} features`})${task === 'classification' ? ` and tells ${classes.length} classes apart` : ' and predicts a number'}.`;
  return `${htmlHead(title, CSS)}
<body>
<main>
<h1>${escapeHtml(title)}</h1>
<p class="sub">${escapeHtml(opts.description ?? what)}</p>
<div class="panels">
<section class="panel" aria-label="input">
<h2>Input</h2>
${isImage ? imageInput(opts.samples.length) : tableInput(size, opts.columns, opts.samples.length)}
<div class="hint" id="sample-no"></div>
</section>
<section class="panel" aria-label="prediction">
<h2>${task === 'classification' ? 'Class probabilities' : 'Prediction'}</h2>
<div id="status" class="status">loading…</div>
<div id="result"></div>
<div id="truth"></div>
</section>
</div>
<footer>
<p>${escapeHtml(what)} Everything runs in this browser with TensorFlow.js (backend: <span id="backend">…</span>); nothing you draw or paste leaves the page. Inputs are standardised with the training set's statistics stored in model.json.</p>
<p>${
    opts.embedded
      ? 'The model is stored in this page, so it also works opened straight from the run folder.'
      : `The model is loaded from ${MODEL_FILE}; browsers refuse that to a page opened from a file, so serve the run folder with <code>cmkd serve &lt;run-dir&gt;</code> and open the address it prints.`
  }</p>
<p>Made by cmkd ${escapeHtml(VERSION)}. tf.min.js is TensorFlow.js, © Google LLC, under the Apache License 2.0 (see ${NOTICES_FILE}).</p>
</footer>
</main>
<script type="application/json" id="cmkd-config">${scriptJson(config)}</script>
<script src="${TFJS_BUNDLE}"></script>
<script>${STUDENT_SCRIPT}</script>
</body>
</html>
`;
}

function notices(tfjsVersion: string): string {
  return `This folder holds a copy of TensorFlow.js ${tfjsVersion} (tf.min.js), the browser bundle of the
npm package @tensorflow/tfjs, copyright Google LLC, licensed under the Apache License, Version 2.0:
https://www.apache.org/licenses/LICENSE-2.0 . The licence header is kept at the top of tf.min.js.
The rest of this page was written by cmkd (MIT).
`;
}

/**
 * Write the student page into `pageDir`: index.html, the model files (copied from
 * `opts.modelDir` unless it is pageDir itself), tf.min.js and the licence notice.
 */
export async function writeStudentPage(pageDir: string, opts: StudentPageOptions): Promise<StudentPage> {
  // Also checks that model.json and weights.bin belong together.
  const { meta, artifacts } = await readModelArtifacts(opts.modelDir);
  const shape = meta.spec.inputShape;
  const size = shape.reduce((a, b) => a * b, 1);
  const samples = opts.samples ?? [];
  samples.forEach((s, i) => {
    check(
      s.x.length === size,
      () => `student page: sample ${i} has ${s.x.length} values; the model reads [${shape.join(', ')}] = ${size} per sample`,
    );
    for (let k = 0; k < s.x.length; k++) {
      check(Number.isFinite(s.x[k]), () => `student page: sample ${i}, value ${k} is ${s.x[k]}; expected a finite number`);
    }
  });
  if (opts.valueRange)
    check(
      opts.valueRange[1] > opts.valueRange[0],
      `student page: valueRange [${opts.valueRange.join(', ')}] must be increasing`,
      'invalid-option',
    );
  const files: string[] = [];
  if (path.resolve(opts.modelDir) !== path.resolve(pageDir)) {
    for (const f of [WEIGHTS_FILE, MODEL_FILE]) {
      await writeFileAtomic(path.join(pageDir, f), await readFile(path.join(opts.modelDir, f)));
      files.push(path.join(pageDir, f));
    }
  }
  const bundle = tfjsBundlePath();
  const tfjsVersion = (JSON.parse(await readFile(path.join(path.dirname(bundle), '..', 'package.json'), 'utf8')) as { version: string })
    .version;
  const bundleOut = path.join(pageDir, TFJS_BUNDLE);
  await writeFileAtomic(bundleOut, await readFile(bundle));
  await writeFileAtomic(path.join(pageDir, NOTICES_FILE), notices(tfjsVersion));
  const index = path.join(pageDir, 'index.html');
  const weightData = artifacts.weightData;
  const weightBytes = weightData instanceof ArrayBuffer ? new Uint8Array(weightData) : null;
  const embedded: EmbeddedModel | null =
    weightBytes && weightBytes.byteLength <= EMBED_MAX_BYTES
      ? {
          modelTopology: artifacts.modelTopology,
          weightSpecs: artifacts.weightSpecs ?? [],
          weights: Buffer.from(weightBytes).toString('base64'),
        }
      : null;
  await writeFileAtomic(index, studentPageHtml(meta, { ...opts, samples, embedded }));
  files.push(bundleOut, path.join(pageDir, NOTICES_FILE), index);
  return { dir: path.resolve(pageDir), index: path.resolve(index), files, meta };
}
