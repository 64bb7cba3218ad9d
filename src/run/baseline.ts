/**
 * Baselines beside the run's models, fitted on each split's training rows of each table modality
 * of the student and the teachers (standardised on those rows) and scored on its test rows, over
 * the splits the run's own model of that modality was tested on. Classification: the nearest-centroid
 * rule (src/models/nearest-centroid.ts), in weighted F1. Regression: least squares
 * (src/models/least-squares.ts), in MSE, with the training rows' mean target beside it (a model
 * above that MSE has learnt nothing from the features). A model well below its baseline is
 * under-trained; a baseline is not a deployable student.
 */
import { featureSize, gatherRows, getModality, numClasses, testLabelsOf, type MultimodalDataset, type Split } from '../data/index.js';
import { applyStandardizer, fitStandardizer } from '../data/standardize.js';
import { f1Weighted, mse } from '../metrics/index.js';
import { fitLeastSquares, fitNearestCentroid, predictLeastSquares, predictNearestCentroid } from '../models/index.js';
import { summariseValues } from './summarise.js';
import type { BaselineRow, ModelRecord } from './types.js';

export const NEAREST_CENTROID: BaselineRow['baseline'] = 'nearest centroid';
export const LEAST_SQUARES: BaselineRow['baseline'] = 'least squares';

/** The baseline's test score on `split`, fitted on its training rows of modality `name` (standardised on them). */
export function baselineScore(ds: MultimodalDataset, name: string, split: Split): number {
  const m = applyStandardizer(getModality(ds, name), fitStandardizer(getModality(ds, name), split.train));
  const d = featureSize(m);
  const train = gatherRows(m.data, d, split.train);
  const test = gatherRows(m.data, d, split.test);
  if (ds.task.kind === 'regression') {
    const yOf = (rows: Int32Array, y = ds.labels) => Float64Array.from(rows, (r) => y[r]);
    return mse(yOf(split.test, testLabelsOf(ds)), predictLeastSquares(fitLeastSquares(train, d, yOf(split.train)), test));
  }
  const yOf = (rows: Int32Array, y = ds.labels) => Int32Array.from(rows, (r) => y[r]);
  const k = numClasses(ds);
  return f1Weighted(yOf(split.test, testLabelsOf(ds)), predictNearestCentroid(fitNearestCentroid(train, d, yOf(split.train), k), test), k);
}

/** ȳ_train on every test row of `split`: its test MSE. */
function trainingMeanScore(ds: MultimodalDataset, split: Split): number {
  let mean = 0;
  for (const r of split.train) mean += ds.labels[r] / split.train.length;
  const y = testLabelsOf(ds);
  return mse(
    Float64Array.from(split.test, (r) => y[r]),
    Float64Array.from(split.test, () => mean),
  );
}

/** The baseline rows of a run: the student's modality, then each teacher's, tables only. */
export function runBaselines(ds: MultimodalDataset, splits: readonly Split[], records: readonly ModelRecord[]): BaselineRow[] {
  const regression = ds.task.kind === 'regression';
  const metric = regression ? 'mse' : 'f1Weighted';
  const own = records.filter((r) => r.role === 'student' || r.role === 'teacher');
  const rows: BaselineRow[] = [];
  for (const role of ['student', 'teacher'] as const)
    for (const modality of [...new Set(own.filter((r) => r.role === role).map((r) => r.modality))]) {
      if (getModality(ds, modality).kind !== 'table') continue;
      const mine = own.filter((r) => r.role === role && r.modality === modality).sort((a, b) => a.repeat - b.repeat);
      rows.push({
        baseline: regression ? LEAST_SQUARES : NEAREST_CENTROID,
        role,
        modality,
        metric,
        test: summariseValues(mine.map((r) => baselineScore(ds, modality, splits[r.repeat]))),
        model: summariseValues(mine.map((r) => r.test[metric])),
        ...(regression ? { trainingMean: summariseValues(mine.map((r) => trainingMeanScore(ds, splits[r.repeat]))) } : {}),
      });
    }
  return rows;
}
