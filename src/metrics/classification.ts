/**
 * Classification metrics on typed arrays. Conventions follow scikit-learn so numbers can be
 * compared with published results.
 *
 * Edge-case policy:
 * - Empty input, mismatched lengths, labels outside [0, C), non-integer labels, or non-finite
 *   scores/probabilities → CmkdError (never a silent NaN from bad input).
 * - A class with no predicted samples has precision 0; a class with no true samples has
 *   recall 0; F1 is 0 when precision + recall = 0 (sklearn's zero_division=0).
 * - Macro averages run over the classes present in y_true or y_pred (sklearn's default label
 *   set); weighted averages weight by true support, so classes absent from y_true add nothing.
 * - AUC is undefined when y_true holds a single class (no positive–negative pair to rank):
 *   the result is { value: NaN, defined: false, reason }. One-vs-rest macro AUC averages the
 *   classes whose AUC is defined and reports how many were used; NaN/undefined if none.
 * - Ties in scores count one half, i.e. AUC is the Mann–Whitney U statistic / (n₊·n₋).
 */
import { CmkdError, check } from '../util/errors.js';

export type Labels = ArrayLike<number>;

function checkNonEmpty(what: string, n: number): void {
  if (n === 0) throw new CmkdError(`${what}: empty input (no samples)`);
}

function checkSameLength(what: string, a: ArrayLike<number>, b: ArrayLike<number>, names = ['y_true', 'y_pred']): void {
  check(a.length === b.length, `${what}: ${names[0]} has ${a.length} values but ${names[1]} has ${b.length}`);
}

/** Checks that every label is an integer in [0, numClasses); with numClasses omitted, any integer ≥ 0. */
export function checkLabels(what: string, name: string, y: Labels, numClasses?: number): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!Number.isInteger(v) || v < 0 || (numClasses !== undefined && v >= numClasses)) {
      throw new CmkdError(
        `${what}: ${name}[${i}] = ${v} is not a class index` + (numClasses !== undefined ? ` in [0, ${numClasses})` : ' (integer ≥ 0)'),
      );
    }
  }
}

function inferClasses(...ys: Labels[]): number {
  let max = -1;
  for (const y of ys) for (let i = 0; i < y.length; i++) if (y[i] > max) max = y[i];
  return max + 1;
}

/** Fraction of samples with y_pred = y_true. */
export function accuracy(yTrue: Labels, yPred: Labels): number {
  checkNonEmpty('accuracy', yTrue.length);
  checkSameLength('accuracy', yTrue, yPred);
  let correct = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) correct++;
  return correct / yTrue.length;
}

/** C×C counts, rows = true class, columns = predicted class (sklearn's layout). */
export function confusionMatrix(yTrue: Labels, yPred: Labels, numClasses?: number): number[][] {
  checkNonEmpty('confusion matrix', yTrue.length);
  checkSameLength('confusion matrix', yTrue, yPred);
  const C = numClasses ?? inferClasses(yTrue, yPred);
  checkLabels('confusion matrix', 'y_true', yTrue, C);
  checkLabels('confusion matrix', 'y_pred', yPred, C);
  const m = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]][yPred[i]]++;
  return m;
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Number of true samples of the class. */
  support: number;
  /** Number of samples predicted as the class. */
  predicted: number;
}

/** Per-class precision, recall, F1 and support (zero_division = 0). */
export function perClassScores(yTrue: Labels, yPred: Labels, numClasses?: number): ClassScores[] {
  const cm = confusionMatrix(yTrue, yPred, numClasses);
  return cm.map((row, c) => {
    const tp = row[c];
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = cm.reduce((a, r) => a + r[c], 0);
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support, predicted };
  });
}

/** Unweighted mean of per-class F1 over the classes present in y_true or y_pred. */
export function f1Macro(yTrue: Labels, yPred: Labels, numClasses?: number): number {
  return macroOf(perClassScores(yTrue, yPred, numClasses));
}

/** Support-weighted mean of per-class F1. */
export function f1Weighted(yTrue: Labels, yPred: Labels, numClasses?: number): number {
  return weightedOf(perClassScores(yTrue, yPred, numClasses));
}

export function macroOf(scores: ClassScores[], key: 'f1' | 'precision' | 'recall' = 'f1'): number {
  const present = scores.filter((s) => s.support > 0 || s.predicted > 0);
  return present.reduce((a, s) => a + s[key], 0) / present.length;
}

export function weightedOf(scores: ClassScores[], key: 'f1' | 'precision' | 'recall' = 'f1'): number {
  const total = scores.reduce((a, s) => a + s.support, 0);
  return scores.reduce((a, s) => a + s[key] * s.support, 0) / total;
}

export interface AucResult {
  /** Area under the ROC curve, NaN when undefined. */
  value: number;
  defined: boolean;
  /** Why the value is undefined. */
  reason?: string;
}

/**
 * Binary ROC AUC of scores for y_true ∈ {0, 1} (1 = positive): the Mann–Whitney statistic
 * AUC = (R₊ − n₊(n₊+1)/2) / (n₊ n₋), with R₊ the sum of mid-ranks of the positives.
 */
export function aucBinary(yTrue: Labels, scores: ArrayLike<number>): AucResult {
  checkNonEmpty('AUC', yTrue.length);
  checkSameLength('AUC', yTrue, scores, ['y_true', 'scores']);
  const n = yTrue.length;
  let nPos = 0;
  for (let i = 0; i < n; i++) {
    const y = yTrue[i];
    if (y !== 0 && y !== 1) throw new CmkdError(`AUC: y_true[${i}] = ${y}; binary AUC expects 0 (negative) or 1 (positive)`);
    if (!Number.isFinite(scores[i])) throw new CmkdError(`AUC: scores[${i}] = ${scores[i]} is not a finite number`);
    nPos += y;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) {
    return { value: NaN, defined: false, reason: `only ${nPos === 0 ? 'negatives' : 'positives'} in y_true; AUC needs both` };
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  for (let lo = 0; lo < n;) {
    let hi = lo;
    while (hi + 1 < n && scores[order[hi + 1]] === scores[order[lo]]) hi++;
    const midRank = (lo + hi) / 2 + 1; // ranks are 1-based; tied scores share their mean rank
    for (let k = lo; k <= hi; k++) if (yTrue[order[k]] === 1) rankSumPos += midRank;
    lo = hi + 1;
  }
  return { value: (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg), defined: true };
}

export interface MulticlassAucResult extends AucResult {
  /** AUC of class c against the rest (NaN where undefined). */
  perClass: number[];
  /** Number of classes averaged (those with both positives and negatives). */
  classesUsed: number;
}

/** One-vs-rest macro ROC AUC from an n×C row-major probability (or score) matrix. */
export function aucOvr(yTrue: Labels, probs: ArrayLike<number>, numClasses: number): MulticlassAucResult {
  checkNonEmpty('AUC', yTrue.length);
  check(Number.isInteger(numClasses) && numClasses >= 2, `AUC: number of classes must be an integer ≥ 2, got ${numClasses}`);
  const n = yTrue.length;
  check(
    probs.length === n * numClasses,
    `AUC: probabilities have ${probs.length} values; expected n × C = ${n} × ${numClasses} = ${n * numClasses}`,
  );
  checkLabels('AUC', 'y_true', yTrue, numClasses);
  const isPos = new Uint8Array(n);
  const col = new Float64Array(n);
  const perClass: number[] = [];
  let sum = 0;
  let used = 0;
  for (let c = 0; c < numClasses; c++) {
    for (let i = 0; i < n; i++) {
      isPos[i] = yTrue[i] === c ? 1 : 0;
      col[i] = probs[i * numClasses + c];
    }
    const r = aucBinary(isPos, col);
    perClass.push(r.value);
    if (r.defined) {
      sum += r.value;
      used++;
    }
  }
  if (used === 0)
    return {
      value: NaN,
      defined: false,
      reason: 'only one class in y_true; AUC needs both positives and negatives',
      perClass,
      classesUsed: 0,
    };
  return { value: sum / used, defined: true, perClass, classesUsed: used };
}

/** Index of the largest value in each row of an n×C matrix (first on ties). */
export function argmaxRows(probs: ArrayLike<number>, numClasses: number): Int32Array {
  const n = probs.length / numClasses;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < numClasses; c++) if (probs[i * numClasses + c] > probs[i * numClasses + best]) best = c;
    out[i] = best;
  }
  return out;
}
