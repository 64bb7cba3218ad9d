import { describe, expect, it } from 'vitest';
import { CmkdError } from '../util/errors.js';
import {
  spearman,
  accuracy,
  aucBinary,
  aucOvr,
  classificationReport,
  confusionMatrix,
  f1Macro,
  f1Weighted,
  formatMeanSd,
  logLoss,
  mae,
  meanSd,
  mse,
  perClassScores,
  r2,
  regressionReport,
} from './index.js';

// sklearn f1_score docs example: per-class F1 [0.8, 0, 0], macro = weighted = 0.2667.
const yTrueDoc = Int32Array.from([0, 1, 2, 0, 1, 2]);
const yPredDoc = Int32Array.from([0, 2, 1, 0, 0, 1]);

describe('classification metrics', () => {
  it('matches the sklearn f1_score docs example', () => {
    expect(accuracy(yTrueDoc, yPredDoc)).toBeCloseTo(2 / 6, 12);
    expect(perClassScores(yTrueDoc, yPredDoc).map((s) => s.f1)).toEqual([0.8, 0, 0].map((v) => expect.closeTo(v, 12)));
    expect(f1Macro(yTrueDoc, yPredDoc)).toBeCloseTo(0.8 / 3, 12); // 0.2667
    expect(f1Weighted(yTrueDoc, yPredDoc)).toBeCloseTo((2 * 0.8) / 6, 12); // 0.2667
  });

  it('lays out the confusion matrix as rows = true, columns = predicted', () => {
    expect(confusionMatrix(yTrueDoc, yPredDoc)).toEqual([
      [2, 0, 0],
      [1, 0, 1],
      [0, 2, 0],
    ]);
    expect(confusionMatrix([0, 1], [1, 1], 3)).toEqual([
      [0, 1, 0],
      [0, 1, 0],
      [0, 0, 0],
    ]);
  });

  it('scores a class never predicted as F1 = 0 (zero_division = 0) and averages over present classes', () => {
    // class 0: F1 1; class 1: p = 1/3, r = 1, F1 = 0.5; class 2 never predicted: F1 0.
    const yTrue = [0, 1, 2, 2];
    const yPred = [0, 1, 1, 1];
    const s = perClassScores(yTrue, yPred, 3);
    expect(s[2]).toEqual({ precision: 0, recall: 0, f1: 0, support: 2, predicted: 0 });
    expect(s[1].f1).toBeCloseTo(0.5, 12);
    expect(f1Macro(yTrue, yPred, 3)).toBeCloseTo(1.5 / 3, 12);
    expect(f1Weighted(yTrue, yPred, 3)).toBeCloseTo((1 + 0.5 + 0) / 4, 12);
    // A fourth class absent from both y_true and y_pred does not enter the macro average.
    expect(f1Macro(yTrue, yPred, 4)).toBeCloseTo(1.5 / 3, 12);
  });

  it('rejects empty input, length mismatch and labels outside the classes', () => {
    expect(() => accuracy([], [])).toThrow(CmkdError);
    expect(() => f1Macro([], [])).toThrow(/empty/);
    expect(() => accuracy([0, 1], [0])).toThrow(/2 values but y_pred has 1/);
    expect(() => confusionMatrix([0, 3], [0, 1], 3)).toThrow(/y_true\[1\] = 3/);
    expect(() => confusionMatrix([0, 1.5], [0, 1])).toThrow(CmkdError);
  });
});

describe('AUC', () => {
  it('matches the sklearn roc_auc_score docs example', () => {
    expect(aucBinary([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toEqual({ value: 0.75, defined: true });
  });

  it('counts tied scores one half (Mann–Whitney)', () => {
    // pairs (neg, pos): (0.1,0.5) 1, (0.1,0.9) 1, (0.5,0.5) ½, (0.5,0.9) 1 → 3.5 / 4
    expect(aucBinary([0, 0, 1, 1], [0.1, 0.5, 0.5, 0.9]).value).toBeCloseTo(0.875, 12);
    expect(aucBinary([1, 0, 1, 0], [2, 2, 2, 2]).value).toBe(0.5);
    expect(aucBinary([1, 1, 0, 0], [0, 0, 1, 1]).value).toBe(0);
  });

  it('is undefined (NaN, defined = false) when y_true holds one class', () => {
    const r = aucBinary([1, 1, 1], [0.2, 0.5, 0.9]);
    expect(r.defined).toBe(false);
    expect(r.value).toBeNaN();
    expect(r.reason).toMatch(/only positives/);
    expect(() => aucBinary([], [])).toThrow(CmkdError);
    expect(() => aucBinary([0, 2], [0.1, 0.2])).toThrow(/0 \(negative\) or 1/);
    expect(() => aucBinary([0, 1], [0.1, NaN])).toThrow(/scores\[1\]/);
  });

  it('averages one-vs-rest AUCs over classes (hand-computed)', () => {
    const yTrue = [0, 1, 2, 2];
    const probs = [0.6, 0.3, 0.1, 0.2, 0.5, 0.3, 0.1, 0.6, 0.3, 0.3, 0.2, 0.5];
    // class 0: 1; class 1: 0.5 beats 0.3 and 0.2, loses to 0.6 → 2/3; class 2: (1 + ½ + 1 + 1) / 4 = 0.875
    const r = aucOvr(yTrue, probs, 3);
    expect(r.perClass).toEqual([1, expect.closeTo(2 / 3, 12), 0.875]);
    expect(r.value).toBeCloseTo((1 + 2 / 3 + 0.875) / 3, 12);
    expect(r.classesUsed).toBe(3);
    // Class 2 has no positives here: averaged over the two defined classes.
    const partial = aucOvr([0, 1, 1, 0], probs, 3);
    expect(partial.classesUsed).toBe(2);
    expect(partial.perClass[2]).toBeNaN();
    const none = aucOvr([1, 1], [0.5, 0.5, 0.4, 0.6], 2);
    expect(none.defined).toBe(false);
    expect(none.value).toBeNaN();
  });
});

describe('reports', () => {
  it('computes every classification metric from probabilities', () => {
    const probs = Float32Array.from([0.6, 0.3, 0.1, 0.2, 0.5, 0.3, 0.1, 0.6, 0.3, 0.3, 0.2, 0.5]);
    const rep = classificationReport(Int32Array.from([0, 1, 2, 2]), probs, ['a', 'b', 'c']);
    expect(rep.accuracy).toBe(0.75); // argmax = [0, 1, 1, 2]
    expect(rep.confusion).toEqual([
      [1, 0, 0],
      [0, 1, 0],
      [0, 1, 1],
    ]);
    // F1: a 1, b (p ½, r 1) 2/3, c (p 1, r ½) 2/3
    expect(rep.f1Macro).toBeCloseTo((1 + 2 / 3 + 2 / 3) / 3, 6);
    expect(rep.f1Weighted).toBeCloseTo((1 + 2 / 3 + (2 * 2) / 3) / 4, 6);
    expect(rep.auc.value).toBeCloseTo((1 + 2 / 3 + 0.875) / 3, 6);
    expect(rep.logLoss).toBeCloseTo(-(Math.log(0.6) + Math.log(0.5) + Math.log(0.3) + Math.log(0.5)) / 4, 6);
    expect(rep.perClass.map((r) => r.class)).toEqual(['a', 'b', 'c']);
    expect(rep.perClass[1].auc).toBeCloseTo(2 / 3, 6);
  });

  it('uses the class-1 score for binary AUC and accepts class indices instead of probabilities', () => {
    const yTrue = [0, 0, 1, 1];
    const p1 = [0.1, 0.4, 0.35, 0.8];
    const probs = p1.flatMap((p) => [1 - p, p]);
    const rep = classificationReport(yTrue, probs, ['neg', 'pos']);
    expect(rep.auc.value).toBeCloseTo(0.75, 12);
    expect(rep.accuracy).toBe(0.75); // argmax = [0, 0, 0, 1] vs [0, 0, 1, 1]
    const fromPred = classificationReport(yTrue, [0, 0, 0, 1], ['neg', 'pos']);
    expect(fromPred.accuracy).toBe(0.75);
    expect(fromPred.auc.defined).toBe(false);
    expect(fromPred.logLoss).toBeNaN();
    expect(() => classificationReport(yTrue, [0, 1, 0], ['neg', 'pos'])).toThrow(/expected 4 class indices or 4×2 = 8/);
    expect(() => classificationReport([], [], ['neg', 'pos'])).toThrow(CmkdError);
    expect(() => classificationReport(yTrue, [0, 0, 0, 1], ['only'])).toThrow(/at least 2 classes/);
  });

  it('has no log loss for rows that are not distributions', () => {
    expect(logLoss([0], [0.5, 0.2], 2)).toBeNaN();
    expect(logLoss([0], [1, 0], 2)).toBe(0);
    expect(logLoss([1], [1, 0], 2)).toBeCloseTo(-Math.log(1e-15), 9);
  });

  it('computes regression metrics (sklearn docs example)', () => {
    const yTrue = [3, -0.5, 2, 7];
    const yPred = [2.5, 0.0, 2, 8];
    expect(mse(yTrue, yPred)).toBe(0.375);
    expect(mae(yTrue, yPred)).toBe(0.5);
    expect(r2(yTrue, yPred)).toBeCloseTo(1 - 1.5 / 29.1875, 12); // 0.9486
    expect(regressionReport(yTrue, yPred)).toEqual({
      kind: 'regression',
      n: 4,
      mse: 0.375,
      rmse: Math.sqrt(0.375),
      mae: 0.5,
      r2: expect.closeTo(0.948608137, 8),
    });
    expect(r2([2, 2], [2, 2])).toBe(1);
    expect(r2([2, 2], [1, 2])).toBe(0);
    expect(() => mse([], [])).toThrow(CmkdError);
    expect(() => mae([1, 2], [1, NaN])).toThrow(/y_pred\[1\]/);
  });
});

describe('mean ± sd', () => {
  it('uses the sample sd (n − 1)', () => {
    const s = meanSd([1, 2, 3, 4]);
    expect(s.mean).toBe(2.5);
    expect(s.sd).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(s.n).toBe(4);
    expect(formatMeanSd(s)).toBe('2.50 ± 1.29');
    expect(formatMeanSd(s, { digits: 2, showN: true })).toBe('2.5 ± 1.3 (n=4)');
    expect(formatMeanSd({ mean: 0.959, sd: 4.42e-5, n: 3 })).toBe('0.959 ± 0.000');
  });

  it('has no sd for one value, propagates NaN, and rejects no values', () => {
    const one = meanSd(Float64Array.of(0.9123));
    expect(one.sd).toBeNaN();
    expect(formatMeanSd(one)).toBe('0.912');
    expect(meanSd([1, NaN]).mean).toBeNaN();
    expect(formatMeanSd(meanSd([NaN]))).toBe('n/a');
    expect(() => meanSd([])).toThrow(CmkdError);
  });
});

describe('spearman', () => {
  it('rank correlation: perfect, reversed and tied ranks', () => {
    expect(spearman([1, 2, 3], [10, 20, 30])).toBeCloseTo(1);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1);
    expect(spearman([1, 1, 2], [5, 5, 9])).toBeCloseTo(1);
  });
  it('is NaN for a constant input', () => {
    expect(spearman([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
});
