/**
 * One modality of a dataset, ready to train on: the split's rows gathered once, standardised
 * with statistics of the training rows only, plus the spec and metadata a saved model needs.
 * `trainOnModality` is what `cmkd train` runs; distillation reuses `prepareModality` so that
 * teacher and student see the same rows.
 */
import { featureSize, getModality, numClasses, testLabelsOf } from '../data/access.js';
import { applyStandardizer, fitStandardizer, type Standardizer } from '../data/standardize.js';
import type { Modality, MultimodalDataset, Split } from '../data/types.js';
import type { tf } from '../engine/index.js';
import { gatherRows } from '../data/access.js';
import { buildModel, makeSpec, type ModelKind, type ModelMeta, type ModelSpec, type SpecOverrides } from '../models/index.js';
import { check } from '../util/errors.js';
import { trainModel, type TrainData, type TrainOptions, type TrainResult } from './trainer.js';

export interface PreparedModality {
  modality: Modality;
  standardizer: Standardizer;
  inputShape: number[];
  train: TrainData;
  val: TrainData;
  test: TrainData;
}

function rowsOf(m: Modality, labels: Int32Array | Float32Array, idx: Int32Array, d: number): TrainData {
  const y = labels instanceof Int32Array ? new Int32Array(idx.length) : new Float32Array(idx.length);
  for (let i = 0; i < idx.length; i++) y[i] = labels[idx[i]];
  return { x: gatherRows(m.data, d, idx), y, n: idx.length };
}

/**
 * Gather the split's rows of `modality` and standardise them with the training rows' statistics
 * (or with `given`, e.g. the standardiser saved with a loaded teacher).
 */
export function prepareModality(ds: MultimodalDataset, modality: string, split: Split, given?: Standardizer): PreparedModality {
  const raw = getModality(ds, modality);
  const standardizer = given ?? fitStandardizer(raw, split.train);
  const m = applyStandardizer(raw, standardizer);
  const d = featureSize(m);
  return {
    modality: raw,
    standardizer,
    inputShape: [...m.shape],
    train: rowsOf(m, ds.labels, split.train, d),
    val: rowsOf(m, ds.labels, split.val, d),
    test: rowsOf(m, testLabelsOf(ds), split.test, d),
  };
}

/** The default architecture for a modality: a CNN for images, an MLP for tables. */
export function defaultModelKind(m: Pick<Modality, 'kind'>): ModelKind {
  return m.kind === 'image' ? 'cnn' : 'mlp';
}

/**
 * The spec of a model reading `m` to predict the dataset's task; for regression trained on
 * `trainRows`, with their target's mean and sd, so that the network learns the standardised target
 * (an MLP's output bias starts at 0, and Adam moves it by about the learning rate a step: a target
 * of mean 10 took more steps than a budget has; ModelSpec.target).
 */
export function specFor(
  ds: MultimodalDataset,
  m: Modality,
  kind: ModelKind = defaultModelKind(m),
  overrides: SpecOverrides = {},
  trainRows?: ArrayLike<number>,
): ModelSpec {
  const target = ds.task.kind === 'regression' && trainRows ? targetScale(ds, trainRows) : undefined;
  return makeSpec(kind, m.shape, numClasses(ds), ds.task.kind, overrides, target);
}

/** The regression target's mean and sd over the training rows (a constant target: sd 1), as fitStandardizer fits a column. */
export function targetScale(ds: MultimodalDataset, trainRows: ArrayLike<number>): { mean: number; std: number } {
  const column: Modality = { name: 'target', kind: 'table', shape: [1], data: Float32Array.from(ds.labels) };
  const s = fitStandardizer(column, trainRows);
  return { mean: s.mean[0], std: s.std[0] };
}

/** Metadata of a model trained on `prepared` (stored in model.json). */
export function modelMetaFor(ds: MultimodalDataset, prepared: PreparedModality, extra?: Record<string, unknown>): ModelMeta {
  const s = prepared.standardizer;
  return {
    modality: prepared.modality.name,
    task: ds.task,
    standardizer: { per: s.per, mean: s.mean, std: s.std },
    extra: { dataset: ds.name, datasetRows: ds.n, ...extra },
  };
}

export interface ModalityTrainOptions extends Omit<TrainOptions, 'model' | 'train' | 'val' | 'task' | 'checkpointMeta'> {
  modality: string;
  split: Split;
  /** Architecture family (default: CNN for images, MLP for tables) and its width/depth. */
  kind?: ModelKind;
  architecture?: SpecOverrides;
  /** Seed of the initial weights (default: the training seed). */
  initSeed?: number;
}

export interface ModalityTrainResult {
  model: tf.LayersModel;
  spec: ModelSpec;
  prepared: PreparedModality;
  meta: ModelMeta;
  result: TrainResult;
}

/** Build and train a model on one modality of `ds` with the split's train rows (validation: its val rows). */
export async function trainOnModality(ds: MultimodalDataset, o: ModalityTrainOptions): Promise<ModalityTrainResult> {
  const prepared = prepareModality(ds, o.modality, o.split);
  check(prepared.train.n > 0, `split has no training rows for dataset '${ds.name}'`, 'invalid-input');
  const spec = specFor(ds, prepared.modality, o.kind, o.architecture, o.split.train);
  const model = buildModel(spec, o.initSeed ?? o.seed ?? 0);
  const meta = modelMetaFor(ds, prepared, { splitSeed: o.split.seed });
  try {
    const { modality: _m, split: _s, kind: _k, architecture: _a, initSeed: _i, ...rest } = o;
    const result = await trainModel({
      ...rest,
      model,
      train: prepared.train,
      val: prepared.val,
      task: ds.task.kind,
      checkpointMeta: meta,
      label: o.label ?? `train ${o.modality}`,
    });
    return { model, spec, prepared, meta, result };
  } catch (err) {
    model.dispose();
    throw err;
  }
}
