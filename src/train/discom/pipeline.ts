/**
 * DisCoM-KD on a cmkd dataset, for `cmkd distill --method discom --modalities a,b` and the
 * sweep: the split's rows of each modality, standardised on the training rows exactly as
 * `cmkd train` does (prepareModality), then one saved student per modality that
 * `cmkd evaluate` loads like any other model.
 */
import path from 'node:path';
import type { MultimodalDataset, Split } from '../../data/types.js';
import { saveModel, type ModelMeta, type SavedModelMeta } from '../../models/index.js';
import { modelMetaFor, prepareModality, type PreparedModality } from '../pipeline.js';
import { discom } from '../../kd/discom/index.js';
import { CmkdError, check } from '../../util/errors.js';
import { trainDiscom, type DiscomModalityInput, type DiscomOptions, type DiscomResult } from './train.js';

export interface DiscomDatasetOptions extends Omit<DiscomOptions, 'modalities' | 'trainLabels' | 'valLabels' | 'numClasses'> {
  /** Names of the (two or more) modalities to distill between. */
  modalities: string[];
  split: Split;
  /** Encoder architecture per modality name (default: CNN for images, MLP for tables). */
  backbones?: Record<string, DiscomModalityInput['backbone']>;
}

export interface DiscomDatasetResult extends DiscomResult {
  /** Per modality: the standardised split rows the students were trained and selected on. */
  prepared: Record<string, PreparedModality>;
  /** Per modality: the metadata to save the student with (standardiser, task, split seed, settings). */
  meta: Record<string, ModelMeta>;
}

/** Train DisCoM-KD on the modalities `o.modalities` of `ds`, with the rows of `o.split`. */
export async function discomOnDataset(ds: MultimodalDataset, o: DiscomDatasetOptions): Promise<DiscomDatasetResult> {
  if (ds.task.kind !== 'classification') {
    throw new CmkdError(`discom needs a classification task; dataset '${ds.name}' is ${ds.task.kind}`, 'unsupported');
  }
  check(o.modalities.length >= 2, `discom needs two or more modalities (--modalities a,b), got ${o.modalities.length}`, 'invalid-option');
  check(
    new Set(o.modalities).size === o.modalities.length,
    `discom: --modalities lists a modality twice: ${o.modalities.join(',')}`,
    'invalid-option',
  );
  for (const name of Object.keys(o.backbones ?? {})) {
    check(
      o.modalities.includes(name),
      `discom: a backbone is given for '${name}', which is not among the modalities ${o.modalities.join(', ')}`,
      'invalid-option',
    );
  }
  const prepared = o.modalities.map((name) => prepareModality(ds, name, o.split));
  check(prepared[0].train.n > 0, `split has no training rows for dataset '${ds.name}'`, 'invalid-input');
  const { modalities: _m, split: _s, backbones, ...rest } = o;
  const result = await trainDiscom({
    ...rest,
    modalities: prepared.map((p) => ({
      name: p.modality.name,
      kind: p.modality.kind,
      shape: p.inputShape,
      train: p.train.x,
      val: p.val.n > 0 ? p.val.x : undefined,
      backbone: backbones?.[p.modality.name],
    })),
    trainLabels: prepared[0].train.y as Int32Array,
    valLabels: prepared[0].val.n > 0 ? (prepared[0].val.y as Int32Array) : undefined,
    numClasses: ds.task.classes.length,
  });
  const meta = Object.fromEntries(
    prepared.map((p) => [
      p.modality.name,
      modelMetaFor(ds, p, {
        splitSeed: o.split.seed,
        method: discom.name,
        partners: o.modalities.filter((n) => n !== p.modality.name),
        bestEpoch: result.best[p.modality.name].epoch,
        settings: result.settings,
      }),
    ]),
  );
  return { ...result, prepared: Object.fromEntries(prepared.map((p) => [p.modality.name, p])), meta };
}

/** Save every student of `result` to `${dir}/${modality}` (TF.js format, via saveModel). */
export async function saveDiscomStudents(
  dir: string,
  result: Pick<DiscomDatasetResult, 'branches' | 'meta'>,
): Promise<Record<string, SavedModelMeta>> {
  const out: Record<string, SavedModelMeta> = {};
  for (const [name, model] of Object.entries(result.branches)) {
    out[name] = await saveModel(path.join(dir, name), model, result.meta[name] ?? { modality: name });
  }
  return out;
}
