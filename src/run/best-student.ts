/** The deployed student: best-student/ with its model card, and predictions.csv. */
import path from 'node:path';
import type { MultimodalDataset, Split } from '../data/index.js';
import type { MeanSd } from '../metrics/index.js';
import { loadModel, saveModel } from '../models/index.js';
import { predictOutputs, prepareModality } from '../train/index.js';
import { formatMeanSd, formatNumber } from '../util/format.js';
import { toCsv, writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import { VERSION } from '../version.js';
import { DEPLOY_RULE } from './decide.js';
import { PREDICTIONS_CSV, predictionRecords } from './exports.js';
import type { ModelRecord } from './types.js';

/**
 * predictions.csv: the deployed student (best-student/) on the test rows of the first split — the
 * rows of the report's confusion matrices — with each row's id in the dataset as loaded (`kept`:
 * the subsample's rows in it, when the budget capped the rows).
 */
export async function writePredictions(
  outDir: string,
  ds: MultimodalDataset,
  student: string,
  split: Split,
  kept: Int32Array | null,
): Promise<void> {
  const { model } = await loadModel(path.join(outDir, 'best-student'));
  try {
    // The training rows' standardiser, as the model was trained with (the split fixes it).
    const p = prepareModality(ds, student, split);
    const { logits } = await predictOutputs(model, p.test.x, p.test.n);
    const records = predictionRecords({
      // The file's row names when it has them (subsetRows keeps them with a subsample's rows), else row numbers in the loaded data.
      ids: ds.ids ? Array.from(split.test, (r) => ds.ids![r]) : Array.from(split.test, (r) => (kept ? kept[r] : r)),
      labels: p.test.y,
      outputs: logits,
      classes: ds.task.kind === 'classification' ? ds.task.classes : undefined,
    });
    await writeFileAtomic(path.join(outDir, PREDICTIONS_CSV), toCsv(records));
  } finally {
    model.dispose();
  }
}

/** Copy the chosen student to <outDir>/best-student with a model card. */
export async function exportBestStudent(
  outDir: string,
  rec: ModelRecord,
  card: { dataset: string; student: string; label: string; metrics: Record<string, MeanSd>; budget: string; why: string },
): Promise<void> {
  const { model, meta } = await loadModel(path.join(outDir, rec.modelDir));
  try {
    const dir = path.join(outDir, 'best-student');
    const modelCard = {
      ...card,
      cmkdVersion: VERSION,
      trainedOn: rec.modality,
      repeat: rec.repeat,
      method: rec.method ?? 'no KD',
      teacher: rec.teacher ?? null,
      testMetricsThisModel: rec.test,
    };
    await saveModel(dir, model, {
      modality: meta.modality,
      task: meta.task,
      standardizer: meta.standardizer,
      extra: { ...meta.extra, modelCard },
    });
    await writeJsonAtomic(path.join(dir, 'model-card.json'), modelCard);
    const lines = [
      `# Model card: ${card.label}`,
      '',
      `- Input modality: \`${rec.modality}\` (the student modality); dataset: ${card.dataset}`,
      `- Why this student: ${card.why} (the rule: ${DEPLOY_RULE}.)`,
      `- Training: ${rec.method ?? 'no KD'}${rec.teacher ? ` from the \`${rec.teacher}\` teacher` : ''}, repeat 1 of the run's splits, cmkd ${VERSION}, budget ${card.budget}`,
      `- Test metrics over the run's repeats (mean ± sd): ${Object.entries(card.metrics)
        .map(([k, v]) => `${k} ${formatMeanSd(v.mean, v.sd)}`)
        .join(', ')}`,
      `- This model's own test metrics: ${Object.entries(rec.test)
        .map(([k, v]) => `${k} ${formatNumber(Number(v))}`)
        .join(', ')}`,
      `- Files: model.json + weights.bin (TF.js Layers format; outputs [logits, embedding]); inputs must be standardised with the mean/std stored in model.json's userDefinedMetadata.cmkd.standardizer.`,
      '',
    ];
    await writeFileAtomic(path.join(dir, 'MODEL_CARD.md'), lines.join('\n'));
  } finally {
    model.dispose();
  }
}
