/**
 * A baseline beside the run's models: the nearest-centroid rule (src/models/nearest-centroid.ts) on
 * each table modality of the student and the teachers, standardised and fitted on each split's
 * training rows and scored on its test rows, over the splits the run's own model of that modality
 * was tested on. A model well below it is under-trained; it is not a deployable student.
 */
import { featureSize, gatherRows, getModality, numClasses, type MultimodalDataset, type Split } from '../data/index.js';
import { applyStandardizer, fitStandardizer } from '../data/standardize.js';
import { f1Weighted } from '../metrics/index.js';
import { fitNearestCentroid, predictNearestCentroid } from '../models/index.js';
import { summariseValues } from './summarise.js';
import type { BaselineRow, ModelRecord } from './types.js';

export const NEAREST_CENTROID: BaselineRow['baseline'] = 'nearest centroid';

/** The headline metric of a classification run, which the baseline reports. */
const METRIC = 'f1Weighted';

/** Test weighted F1 of the nearest centroid fitted on `split`'s training rows of modality `name`. */
function centroidScore(ds: MultimodalDataset, name: string, split: Split): number {
  const m = applyStandardizer(getModality(ds, name), fitStandardizer(getModality(ds, name), split.train));
  const d = featureSize(m);
  const yOf = (rows: Int32Array) => Int32Array.from(rows, (r) => ds.labels[r]);
  const k = numClasses(ds);
  const fit = fitNearestCentroid(gatherRows(m.data, d, split.train), d, yOf(split.train), k);
  return f1Weighted(yOf(split.test), predictNearestCentroid(fit, gatherRows(m.data, d, split.test)), k);
}

/** The baseline rows of a classification run (none for regression): the student's modality, then each teacher's, tables only. */
export function centroidBaselines(ds: MultimodalDataset, splits: readonly Split[], records: readonly ModelRecord[]): BaselineRow[] {
  if (ds.task.kind !== 'classification') return [];
  const own = records.filter((r) => r.role === 'student' || r.role === 'teacher');
  const rows: BaselineRow[] = [];
  for (const role of ['student', 'teacher'] as const)
    for (const modality of [...new Set(own.filter((r) => r.role === role).map((r) => r.modality))]) {
      if (getModality(ds, modality).kind !== 'table') continue;
      const mine = own.filter((r) => r.role === role && r.modality === modality).sort((a, b) => a.repeat - b.repeat);
      rows.push({
        baseline: NEAREST_CENTROID,
        role,
        modality,
        metric: METRIC,
        test: summariseValues(mine.map((r) => centroidScore(ds, modality, splits[r.repeat]))),
        model: summariseValues(mine.map((r) => r.test[METRIC])),
      });
    }
  return rows;
}
