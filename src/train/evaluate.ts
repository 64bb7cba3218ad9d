/** Scoring a trained model on labelled rows with the metrics module's reports. */
import { tf } from '../engine/index.js';
import type { Task } from '../data/types.js';
import { classificationReport, regressionReport, type ClassificationReport, type RegressionReport } from '../metrics/index.js';
import type { ModelTask } from '../models/index.js';
import { check } from '../util/errors.js';
import { predictOutputs } from './predict.js';

export interface Evaluation {
  task: ModelTask;
  n: number;
  /** Headline numbers: accuracy, f1Weighted, f1Macro, auc (classification); mse, rmse, mae, r2 (regression). NaN when undefined. */
  summary: Record<string, number>;
  /** The metrics module's full report (per-class scores, confusion matrix, …). */
  report: ClassificationReport | RegressionReport;
}

/** Softmax of n × C logits, row by row. */
export function softmaxRows(logits: Float32Array, classes: number): Float32Array {
  return tf.tidy(() => tf.softmax(tf.tensor2d(logits, [logits.length / classes, classes])).dataSync() as Float32Array);
}

/**
 * Metrics of `model` on rows `x` (flat, sample-major, already standardised like the training
 * data) with labels `y`. With a full Task the report names the classes.
 */
export async function evaluateModel(
  model: tf.LayersModel,
  x: Float32Array,
  y: Int32Array | Float32Array,
  task: ModelTask | Task,
  batchSize = 256,
): Promise<Evaluation> {
  const kind: ModelTask = typeof task === 'string' ? task : task.kind;
  const n = y.length;
  check(n > 0, 'evaluation: no rows to evaluate');
  const { logits, logitsSize } = await predictOutputs(model, x, n, batchSize);
  if (kind === 'regression') {
    const report = regressionReport(y, logits);
    return { task: kind, n, summary: { mse: report.mse, rmse: report.rmse, mae: report.mae, r2: report.r2 }, report };
  }
  const classes =
    typeof task !== 'string' && task.kind === 'classification' ? task.classes : Array.from({ length: logitsSize }, (_, c) => String(c));
  check(
    classes.length === logitsSize,
    () => `evaluation: the model has ${logitsSize} outputs but the task names ${classes.length} classes (${classes.join(', ')})`,
    'invalid-input',
  );
  const report = classificationReport(y, softmaxRows(logits, logitsSize), classes);
  return {
    task: kind,
    n,
    summary: { accuracy: report.accuracy, f1Weighted: report.f1Weighted, f1Macro: report.f1Macro, auc: report.auc.value },
    report,
  };
}
