/**
 * How a run turns its per-split records into decided answers (src/metrics/gains.ts): the design of
 * its gains (split scheme, rows, planned looks, practical margin), each distilled student's gain
 * with its outcome, which students still need splits, and the one deploy rule:
 *
 *   DEPLOY_RULE — the distilled student with the largest mean gain among those whose gain is above 0
 *   after Holm's correction over every distilled student of the run; otherwise the student alone.
 *
 * The summary, the report, the model card and the docs quote DEPLOY_RULE; the code below applies it.
 */
import {
  DEFAULT_ALPHA,
  criticalValues,
  decideCandidates,
  decideGain,
  meanSd,
  deployDecision,
  nextSplits,
  overlapping,
  practicalMargin,
  varianceFactor,
  type GainCandidate,
  type GainDesign,
  type GainOutcome,
  type GainUnits,
} from '../metrics/index.js';
import type { MeanSd } from '../metrics/index.js';
import type { ScoredRecord } from './summarise.js';
import type { NextStep } from './types.js';
import { foldsOf, KFOLD_BELOW, type SplitScheme } from '../data/index.js';
import { check } from '../util/errors.js';

export const DEPLOY_RULE =
  "the distilled student with the largest mean gain among those whose gain is above 0 after Holm's correction over every distilled student of the run; otherwise the student alone";

/** A gain as the tables show it: mean ± sd over its splits, the interval the outcome rests on, the outcome. */
export interface GainSummary {
  gain: MeanSd;
  gainCi: [number, number] | null;
  effect: GainOutcome | null;
}

/** The run's design of its gains. */
export function gainDesign(o: {
  scheme: 'random' | 'kfold';
  /** With 'kfold': the folds k. */
  folds: number;
  nTrain: number;
  nTest: number;
  looks: readonly number[];
  metric: string;
  baselineMean: number;
  delta?: number;
}): GainDesign {
  return {
    scheme: o.scheme,
    nTrain: o.nTrain,
    nTest: o.nTest,
    folds: o.folds,
    looks: o.looks,
    delta: o.delta ?? practicalMargin(o.metric, o.baselineMean),
    alpha: DEFAULT_ALPHA,
  };
}

// g_r = s·(m_r − m_r^no-KD), s = +1 if higher is better else −1, paired by split r; the splits 0, 1, … both have, in order
export function pairedGains(
  records: readonly ScoredRecord[],
  baseline: readonly ScoredRecord[],
  metric: string,
  higherIsBetter: boolean,
): number[] {
  const sign = higherIsBetter ? 1 : -1;
  const out: number[] = [];
  for (let r = 0; ; r++) {
    const a = records.find((x) => x.repeat === r)?.test[metric];
    const b = baseline.find((x) => x.repeat === r)?.test[metric];
    if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b)) return out;
    out.push(sign * (a - b));
  }
}

/** The metric a run's and a sweep's gains and decisions are in: weighted F1 for classification, MSE for regression. */
export const headlineOf = (task: 'classification' | 'regression') =>
  task === 'classification' ? { metric: 'f1Weighted', higherIsBetter: true } : { metric: 'mse', higherIsBetter: false };

/** How the words show a headline gain: F1 in percentage points, other metrics in their own units. */
export const gainUnits = (metric: string): GainUnits => (metric === 'f1Weighted' ? { scale: 100, unit: ' pts' } : { scale: 1, unit: '' });

/** A single split has no interval: its gain is shown, undecided. */
const singleSplit = (d: GainDesign) => d.looks[d.looks.length - 1] < 2;

/** The gain's summary under the design: its interval at the latest planned look reached, and its outcome. */
export function summariseGain(gains: readonly number[], d: GainDesign): GainSummary {
  if (gains.length === 0) return { gain: { mean: NaN, sd: NaN, n: 0 }, gainCi: null, effect: null };
  if (singleSplit(d)) return { gain: { mean: gains[0], sd: NaN, n: 1 }, gainCi: null, effect: 'undecided at the cap' };
  const g = decideGain(gains, d);
  return { gain: { mean: g.mean, sd: g.sd, n: g.splits }, gainCi: g.ci, effect: g.outcome };
}

/**
 * The candidates' gains as the tables show them (summariseGain), with the outcome of the deploy
 * decision's candidates (decideCandidates): a candidate the sequential plan closed while undecided,
 * its upper end below δ or below a cleared candidate's lower end, 'stopped: cannot be deployed'.
 */
export function candidateSummaries(candidates: readonly GainCandidate[], d: GainDesign): Map<string, GainSummary> {
  const measured = candidates.filter((c) => c.gains.length > 0);
  const decided = singleSplit(d) || measured.length === 0 ? [] : decideCandidates(measured, d);
  return new Map(
    candidates.map((c) => {
      const s = summariseGain(c.gains, d);
      const stopped = decided.find((x) => x.id === c.id)?.outcome === 'stopped: cannot be deployed';
      return [c.id, stopped ? { ...s, effect: 'stopped: cannot be deployed' } : s];
    }),
  );
}

/** The candidates still open and the split count to bring them to (none with a single split). */
export function openCandidates(candidates: readonly GainCandidate[], d: GainDesign): { open: string[]; splits: number | null } {
  if (singleSplit(d) || candidates.length === 0) return { open: [], splits: null };
  return nextSplits(candidates, d);
}

/** DEPLOY_RULE applied: the chosen candidate's id (null: the student alone) and the sentence that says why. */
export function deployChoice(
  candidates: readonly GainCandidate[],
  d: GainDesign,
  units: GainUnits,
): { chosen: string | null; sentence: string; familywiseError: number } {
  if (singleSplit(d))
    return {
      chosen: null,
      sentence: 'Deploy the student alone: with one split no gain has an interval, so none can be shown above 0.',
      familywiseError: DEFAULT_ALPHA / 2,
    };
  const { chosen, sentence, familywiseError } = deployDecision(candidates, d, units);
  return { chosen, sentence, familywiseError };
}

/** The budget's looks with `--max-repeats`: those below the cap, then the cap (an integer ≥ 2). */
export function sequentialLooks(looks: readonly number[], max?: number): number[] {
  if (max === undefined) return [...looks];
  check(
    Number.isInteger(max) && max >= 2,
    `--max-repeats must be an integer ≥ 2 (a gain's interval needs 2 splits); got ${max}`,
    'invalid-option',
  );
  return [...looks.filter((R) => R < max), max];
}

/**
 * Sequential looks over k-fold splits, when the cap passes k. Small data (`everyFoldFirst`): the first
 * look tests every fold (k splits), the looks below k dropped. Otherwise the looks stay within one
 * round, the cap becoming k: past it the test rows repeat and every look would need the overlap
 * correction. A cap below k (--max-repeats) keeps the looks as they are.
 */
export function foldLooks(looks: readonly number[], k: number, everyFoldFirst: boolean): number[] {
  if (looks[looks.length - 1] < k) return [...looks];
  if (everyFoldFirst) return [k, ...looks.filter((R) => R > k)];
  return [...looks.filter((R) => R < k), k];
}

/**
 * The looks of sequential splits under `scheme` on `n` rows: the budget's (`planned`), fitted to k-fold
 * by foldLooks — small data always; from KFOLD_BELOW rows on unless the cap is the user's (--max-repeats).
 */
export function schemeLooks(planned: readonly number[], scheme: SplitScheme, n: number, userCap: boolean): number[] {
  if (scheme !== 'kfold') return [...planned];
  const small = n < KFOLD_BELOW;
  return small || !userCap ? foldLooks(planned, foldsOf(n), small) : [...planned];
}

// A gain's half-width at a larger cap R′ if its spread between splits stays s: c′·√f(R′)·s, c′ the last critical value of the looks below R′ then R′
export function projectedHalfWidth(gains: readonly number[], d: GainDesign, cap: number): number {
  // A look at one split decides nothing (no interval): not a look of the projected plan.
  const plan: GainDesign = { ...d, looks: [...d.looks.filter((R) => R >= 2 && R < cap), cap] };
  const c = criticalValues(plan, (plan.alpha ?? DEFAULT_ALPHA) / 2);
  return c[c.length - 1] * Math.sqrt(varianceFactor(cap, plan)) * meanSd(gains).sd;
}

/** Whether a larger cap could decide an open gain at its present mean and spread: the projected interval excludes 0 or fits inside ±δ. */
export function couldDecide(gains: readonly number[], d: GainDesign, cap: number): boolean {
  if (gains.length < 2) return true;
  const mean = Math.abs(meanSd(gains).mean);
  const hw = projectedHalfWidth(gains, d, cap);
  return hw < mean || mean + hw < d.delta;
}

/**
 * The next step when the `gains` stay undecided at the cap (the last of `looks`): the next look of
 * the budget's `planned` looks past the cap, else about 1.6× the cap; its cost at `modelsPerSplit`
 * models per added split of `pace` seconds each; how many of the gains it could decide
 * (couldDecide); the widest half-width at the cap and projected at the next cap.
 */
export function nextStep(
  gains: readonly (readonly number[])[],
  d: GainDesign,
  o: { looks: readonly number[]; planned: readonly number[]; modelsPerSplit: number; pace: number },
): NextStep {
  const cap = o.looks[o.looks.length - 1];
  // Within a round of k folds the next cap is the round's end: past it the test rows repeat (the overlap correction).
  const roundEnd = d.scheme === 'kfold' && cap < d.folds! ? d.folds! : undefined;
  const nextCap = roundEnd ?? o.planned.find((x) => x > cap) ?? Math.ceil(cap * 1.6);
  const models = (nextCap - cap) * o.modelsPerSplit;
  // One split has no interval (NaN), nor anything to project one from.
  const widest = (R: number) => (R < 2 ? NaN : Math.max(...gains.map((g) => projectedHalfWidth(g, d, R))));
  return {
    maxRepeats: nextCap,
    models,
    seconds: models * o.pace,
    decidable: gains.filter((g) => couldDecide(g, d, nextCap)).length,
    halfWidth: { now: widest(cap), next: widest(nextCap) },
    overlapping: overlapping({ ...d, looks: [nextCap] }),
  };
}
