/**
 * All the metrics of a prediction in one object, the shape every later report and table
 * reads. Edge cases follow classification.ts / regression.ts.
 */
import { CmkdError, check } from '../util/errors.js';
import {
  type AucResult,
  accuracy,
  argmaxRows,
  aucBinary,
  aucOvr,
  checkLabels,
  confusionMatrix,
  macroOf,
  perClassScores,
  weightedOf,
} from './classification.js';
import { mae, mse, r2 } from './regression.js';

export interface ClassReportRow {
  class: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
  /** One-vs-rest AUC of the class (NaN when undefined or without probabilities). */
  auc: number;
}

export interface ClassificationReport {
  kind: 'classification';
  n: number;
  classes: string[];
  accuracy: number;
  f1Macro: number;
  f1Weighted: number;
  precisionMacro: number;
  recallMacro: number;
  /** Binary: AUC of the class-1 score; multi-class: one-vs-rest macro. Undefined without probabilities. */
  auc: AucResult & { classesUsed?: number };
  /** Mean negative log-likelihood of the true class (probabilities clipped to [1e-15, 1]); NaN without probabilities or when rows do not sum to 1. */
  logLoss: number;
  perClass: ClassReportRow[];
  /** Rows = true class, columns = predicted class. */
  confusion: number[][];
}

/**
 * Metrics of a classifier from either predicted class indices (length n) or an n×C row-major
 * probability matrix (length n·C, C = classes.length ≥ 2; predictions are its row argmax).
 */
export function classificationReport(yTrue: ArrayLike<number>, probsOrPred: ArrayLike<number>, classes: string[]): ClassificationReport {
  const n = yTrue.length;
  const C = classes.length;
  if (n === 0) throw new CmkdError('classification report: empty input (no samples)');
  check(C >= 2, `classification report: need at least 2 classes, got ${C} (${classes.join(', ')})`);
  checkLabels('classification report', 'y_true', yTrue, C);
  let yPred: ArrayLike<number>;
  let probs: ArrayLike<number> | null = null;
  if (probsOrPred.length === n * C) {
    probs = probsOrPred;
    for (let i = 0; i < probs.length; i++) {
      if (!Number.isFinite(probs[i])) {
        throw new CmkdError(
          `classification report: probability of sample ${Math.floor(i / C)}, class ${i % C} is ${probs[i]}; expected a finite number`,
        );
      }
    }
    yPred = argmaxRows(probs, C);
  } else if (probsOrPred.length === n) {
    yPred = probsOrPred;
    checkLabels('classification report', 'y_pred', yPred, C);
  } else {
    throw new CmkdError(
      `classification report: got ${probsOrPred.length} predictions for ${n} samples; expected ${n} class indices or ${n}×${C} = ${n * C} probabilities`,
    );
  }

  const scores = perClassScores(yTrue, yPred, C);
  let auc: ClassificationReport['auc'] = { value: NaN, defined: false, reason: 'no probabilities given' };
  let perClassAuc = new Array<number>(C).fill(NaN);
  if (probs) {
    const ovr = aucOvr(yTrue, probs, C);
    perClassAuc = ovr.perClass;
    if (C === 2) {
      const positive = Int32Array.from(yTrue, (y) => (y === 1 ? 1 : 0));
      auc = aucBinary(
        positive,
        Float64Array.from({ length: n }, (_, i) => probs[i * 2 + 1]),
      );
    } else {
      auc = { value: ovr.value, defined: ovr.defined, classesUsed: ovr.classesUsed };
      if (ovr.reason) auc.reason = ovr.reason;
    }
  }
  return {
    kind: 'classification',
    n,
    classes: [...classes],
    accuracy: accuracy(yTrue, yPred),
    f1Macro: macroOf(scores, 'f1'),
    f1Weighted: weightedOf(scores, 'f1'),
    precisionMacro: macroOf(scores, 'precision'),
    recallMacro: macroOf(scores, 'recall'),
    auc,
    logLoss: probs ? logLoss(yTrue, probs, C) : NaN,
    perClass: scores.map((s, c) => ({
      class: classes[c],
      precision: s.precision,
      recall: s.recall,
      f1: s.f1,
      support: s.support,
      auc: perClassAuc[c],
    })),
    confusion: confusionMatrix(yTrue, yPred, C),
  };
}

/** Cross-entropy −(1/n) Σ log p(y_i), NaN unless every row is a distribution (sums to 1 ± 1e-3, no negatives). */
export function logLoss(yTrue: ArrayLike<number>, probs: ArrayLike<number>, numClasses: number): number {
  const n = yTrue.length;
  let s = 0;
  for (let i = 0; i < n; i++) {
    let rowSum = 0;
    for (let c = 0; c < numClasses; c++) {
      const p = probs[i * numClasses + c];
      if (p < 0) return NaN;
      rowSum += p;
    }
    if (Math.abs(rowSum - 1) > 1e-3) return NaN;
    s -= Math.log(Math.min(1, Math.max(1e-15, probs[i * numClasses + yTrue[i]])));
  }
  return s / n;
}

export interface RegressionReport {
  kind: 'regression';
  n: number;
  mse: number;
  rmse: number;
  mae: number;
  r2: number;
}

export function regressionReport(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): RegressionReport {
  const m = mse(yTrue, yPred);
  return { kind: 'regression', n: yTrue.length, mse: m, rmse: Math.sqrt(m), mae: mae(yTrue, yPred), r2: r2(yTrue, yPred) };
}
