/**
 * Saving and loading models in the standard TF.js Layers format (model.json + weights.bin),
 * on disk, without tfjs-node. A saved directory loads in a browser with
 * `tf.loadLayersModel('<url>/model.json')`; `model.predict(x)` returns [logits, embedding].
 *
 * cmkd's own metadata (spec, modality, standardiser, classes, task, version) lives under
 * `userDefinedMetadata.cmkd` in model.json.
 *
 * Atomicity: both files are written in full to temporary siblings first, then renamed into
 * place, weights before model.json, so neither file is ever seen half-written. model.json
 * records the SHA-256 of weights.bin, so a crash between the two renames (new weights, old
 * model.json) is detected on load instead of yielding a silently wrong model.
 */
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tf } from '../engine/index.js';
import type { Task } from '../data/types.js';
import { CmkdError, writeError } from '../util/errors.js';
import { VERSION } from '../version.js';
import { META_KEY, OUTPUT_NAMES } from './build.js';
import { validateSpec, type ModelSpec } from './spec.js';

export const MODEL_FILE = 'model.json';
export const WEIGHTS_FILE = 'weights.bin';

/** Input standardisation the model expects: x' = (x − mean) / std per feature (tables) or per channel (images). */
export interface StandardizerMeta {
  per: 'feature' | 'channel';
  mean: ArrayLike<number>;
  std: ArrayLike<number>;
}

/** What the caller adds to a saved model's metadata. */
export interface ModelMeta {
  /** Name of the modality the model reads. */
  modality?: string;
  task?: Task;
  standardizer?: StandardizerMeta;
  /** Free-form JSON: training settings, metrics summary, provenance. */
  extra?: Record<string, unknown>;
}

/** The metadata stored in (and read back from) a saved model. */
export interface SavedModelMeta {
  spec: ModelSpec;
  /** Output order of model.predict: ['logits', 'embedding']. */
  outputs: string[];
  cmkdVersion: string;
  modality?: string;
  task?: Task;
  /** Class names in logit order (classification), for a browser that has only model.json. */
  classes?: string[];
  standardizer?: { per: 'feature' | 'channel'; mean: number[]; std: number[] };
  extra?: Record<string, unknown>;
  /** SHA-256 (hex) of weights.bin. */
  weightsSha256: string;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The cmkd metadata of an in-memory model, merged with `meta`. */
function metaFor(model: tf.LayersModel, meta: ModelMeta): Omit<SavedModelMeta, 'weightsSha256'> {
  const own = (model.getUserDefinedMetadata() as Record<string, { spec?: unknown }> | undefined)?.[META_KEY];
  if (!own?.spec) {
    throw new CmkdError(`model '${model.name}' was not built by cmkd (no '${META_KEY}.spec' in its metadata)`, 'invalid-input');
  }
  const spec = validateSpec(own.spec, `model '${model.name}' metadata`);
  const out: Omit<SavedModelMeta, 'weightsSha256'> = { spec, outputs: [...OUTPUT_NAMES], cmkdVersion: VERSION };
  if (meta.modality !== undefined) out.modality = meta.modality;
  if (meta.task) {
    out.task = meta.task;
    if (meta.task.kind === 'classification') out.classes = [...meta.task.classes];
  }
  if (meta.standardizer) {
    const s = meta.standardizer;
    out.standardizer = { per: s.per, mean: Array.from(s.mean), std: Array.from(s.std) };
  }
  if (meta.extra) out.extra = meta.extra;
  return out;
}

async function writeTemp(file: string, data: string | Uint8Array): Promise<string> {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  try {
    await writeFile(tmp, data);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw writeError(err, file);
  }
  return tmp;
}

/**
 * Save `model` to `dir` as model.json + weights.bin (TF.js Layers format) with cmkd metadata.
 * Returns the metadata written.
 */
export async function saveModel(dir: string, model: tf.LayersModel, meta: ModelMeta = {}): Promise<SavedModelMeta> {
  const base = metaFor(model, meta);
  let written: SavedModelMeta | null = null;
  // A full disk or a denied write is one line naming the file (writeError), also from tf's own calls.
  const saving = model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts.weightData ?? new ArrayBuffer(0)));
      const full: SavedModelMeta = { ...base, weightsSha256: sha256(weights) };
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as object,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        userDefinedMetadata: { ...((artifacts.userDefinedMetadata as object | undefined) ?? {}), [META_KEY]: full },
      };
      await mkdir(dir, { recursive: true });
      const weightsPath = path.join(dir, WEIGHTS_FILE);
      const modelPath = path.join(dir, MODEL_FILE);
      const tmpWeights = await writeTemp(weightsPath, weights);
      let tmpModel: string | null = null;
      try {
        tmpModel = await writeTemp(modelPath, JSON.stringify(modelJson));
        await rename(tmpWeights, weightsPath);
        await rename(tmpModel, modelPath);
      } catch (err) {
        await rm(tmpWeights, { force: true });
        if (tmpModel) await rm(tmpModel, { force: true });
        throw err;
      }
      written = full;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    }),
  );
  await saving.catch((err: unknown) => {
    throw writeError(err, dir);
  });
  return written as unknown as SavedModelMeta;
}

/** Read model.json and weights.bin of a saved cmkd model, checking they belong together. */
export async function readModelArtifacts(dir: string): Promise<{ artifacts: tf.io.ModelArtifacts; meta: SavedModelMeta }> {
  const modelPath = path.join(dir, MODEL_FILE);
  if (!existsSync(dir)) throw new CmkdError(`model directory not found: ${dir}`, 'not-found');
  if (!statSync(dir).isDirectory())
    throw new CmkdError(`${dir} is a file; expected a model directory holding ${MODEL_FILE}`, 'invalid-input');
  if (!existsSync(modelPath)) throw new CmkdError(`no ${MODEL_FILE} in ${dir}; is it a saved model directory?`, 'not-found');
  let modelJson: tf.io.ModelJSON;
  try {
    modelJson = JSON.parse(await readFile(modelPath, 'utf8')) as tf.io.ModelJSON;
  } catch (err) {
    throw new CmkdError(`${modelPath} is not valid JSON: ${(err as Error).message}`, 'invalid-input');
  }
  if (!modelJson || typeof modelJson !== 'object' || !modelJson.modelTopology || !Array.isArray(modelJson.weightsManifest)) {
    throw new CmkdError(`${modelPath} is not a TF.js Layers model (needs 'modelTopology' and 'weightsManifest')`, 'invalid-input');
  }
  const meta = (modelJson.userDefinedMetadata as Record<string, unknown> | undefined)?.[META_KEY] as SavedModelMeta | undefined;
  if (!meta)
    throw new CmkdError(`${modelPath} has no cmkd metadata ('userDefinedMetadata.${META_KEY}'); it was not saved by cmkd`, 'invalid-input');
  meta.spec = validateSpec(meta.spec, `${modelPath} userDefinedMetadata.${META_KEY}.spec`);
  const specs = tf.io.getWeightSpecs(modelJson.weightsManifest);
  const files = modelJson.weightsManifest.flatMap((g) => g.paths);
  const chunks: Uint8Array[] = [];
  for (const f of files) {
    const p = path.join(dir, f);
    if (!existsSync(p)) throw new CmkdError(`${modelPath} refers to weights file '${f}', which is missing from ${dir}`, 'not-found');
    chunks.push(new Uint8Array(await readFile(p)));
  }
  const total = chunks.reduce((a, c) => a + c.byteLength, 0);
  const weights = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    weights.set(c, off);
    off += c.byteLength;
  }
  if (meta.weightsSha256 && sha256(weights) !== meta.weightsSha256) {
    throw new CmkdError(
      `${path.join(dir, WEIGHTS_FILE)} does not match ${modelPath} (checksum differs; an interrupted save or a file copied from another model)`,
      'invalid-input',
    );
  }
  const expectedBytes = specs.reduce(
    (a, s) => a + s.shape.reduce((x, y) => x * y, 1) * (s.dtype === 'int32' || s.dtype === 'float32' ? 4 : 1),
    0,
  );
  if (expectedBytes !== total) {
    throw new CmkdError(`${dir}: weights hold ${total} bytes but ${MODEL_FILE} describes ${expectedBytes}`, 'invalid-input');
  }
  const artifacts = tf.io.getModelArtifactsForJSONSync(modelJson, specs, weights.buffer as ArrayBuffer);
  return { artifacts, meta };
}

/** Load a model saved by saveModel, with its cmkd metadata. */
export async function loadModel(dir: string): Promise<{ model: tf.LayersModel; meta: SavedModelMeta }> {
  const { artifacts, meta } = await readModelArtifacts(dir);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (err) {
    throw new CmkdError(`cannot rebuild the model in ${dir}: ${(err as Error).message}`, 'invalid-input');
  }
  return { model, meta };
}
