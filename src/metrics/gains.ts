/**
 * Decided answers about paired gains. A distilled student's gain on split r = 1..R is
 * g_r = s·(m_r − m_r^noKD) (s = +1 when higher is better), paired with the no-KD student on the
 * same split. This module turns the per-split gains into
 *   - an interval valid for overlapping splits (Nadeau & Bengio 2003),
 *   - that stays valid when the run looks at the gains after a few splits and adds splits only
 *     for what is still open (repeated confidence intervals on alpha-spending boundaries at
 *     planned looks; Jennison & Turnbull 1989),
 *   - one of four outcomes ('clear gain', 'clear loss', 'no practical effect', 'undecided'),
 *   - the candidates that still need splits, and
 *   - the deploy decision with its family-wise error controlled (Holm 1979 on group-sequential
 *     boundaries; Maurer & Bretz 2013).
 * Pure functions on JSON-friendly inputs; docs/decisions.md explains the choices and their simulation.
 */
import { check } from '../util/errors.js';
import { estimateParts } from '../util/format.js';
import { normalCdf, studentQuantile } from './distributions.js';
import { meanSd } from './stats.js';
import { SPENDING_NAMES, spendingBoundaries, type SpendingName } from './spending.js';

/**
 * What the interval of a gain says; for a candidate the sequential plan closed while its gain was
 * still undecided (nextSplits: too small to deploy, or below a cleared candidate), that it stopped.
 */
export type GainOutcome =
  'clear gain' | 'clear loss' | 'no practical effect' | 'undecided' | 'undecided at the cap' | 'stopped: cannot be deployed';

/** How the gains were obtained and what may be decided from them: fixed before the first split. */
export interface GainDesign {
  /** 'random': repeated random train/test splits (their test rows overlap); 'kfold': repeated k-fold. */
  scheme: 'random' | 'kfold';
  /** Training rows per split. */
  nTrain: number;
  /** Test rows per split. */
  nTest: number;
  /** With 'kfold': the folds k (test parts are disjoint over the first k splits). */
  folds?: number;
  /** Planned split counts at which the gains are looked at, increasing, each ≥ 2; the last is the cap. */
  looks: readonly number[];
  /** Practical margin δ > 0 in the gain's units: |gain| < δ does not matter (see practicalMargin). */
  delta: number;
  /** Error of the two-sided interval of each gain, α/2 per side (default 0.05); the deploy claim has family-wise error α/2. */
  alpha?: number;
  /** Alpha-spending function of the looks (default DEFAULT_SPENDING). */
  spending?: SpendingName;
}

/** Planned looks: the quick budget's 3 splits first, then about 1.6× more splits per look, capped at 12. */
export const DEFAULT_LOOKS: readonly number[] = [3, 5, 8, 12];
/**
 * O'Brien–Fleming-type spending: in the simulation of docs/decisions.md it decides more gains than
 * Pocock-type spending (which spends early and so needs a wider interval at the cap) for about
 * the same splits, and deploys a truly better student more often at the same family-wise error.
 */
export const DEFAULT_SPENDING: SpendingName = 'obrien-fleming';
export const DEFAULT_ALPHA = 0.05;

/** One gain's decision: its interval at the latest planned look its splits reached, and what it says. */
export interface GainDecision {
  /** Mean gain over the first `splits` splits. */
  mean: number;
  /** Sample sd of those gains (NaN below 2). */
  sd: number;
  /** Splits the decision rests on: the largest planned look reached (0 before the first look: all splits, no interval). */
  splits: number;
  /** 1-based index of that look in `looks` (0 before the first). */
  look: number;
  /** Intersection of the repeated confidence intervals of the looks so far (level 1 − α over all looks); null before the first look. */
  ci: [number, number] | null;
  outcome: GainOutcome;
}

function checkDesign(d: GainDesign): { alpha: number; spending: SpendingName; cap: number } {
  check(d.scheme === 'random' || d.scheme === 'kfold', `split scheme must be 'random' or 'kfold'; got '${d.scheme}'`, 'invalid-option');
  check(Number.isFinite(d.nTrain) && d.nTrain > 0, `nTrain must be a positive number of rows; got ${d.nTrain}`, 'invalid-option');
  check(Number.isFinite(d.nTest) && d.nTest > 0, `nTest must be a positive number of rows; got ${d.nTest}`, 'invalid-option');
  if (d.scheme === 'kfold')
    check(Number.isInteger(d.folds) && d.folds! >= 2, `a 'kfold' design needs folds, an integer ≥ 2; got ${d.folds}`, 'invalid-option');
  check(d.looks.length > 0, 'looks must list at least one planned split count', 'invalid-option');
  d.looks.forEach((R, k) =>
    check(
      Number.isInteger(R) && R >= 2 && (k === 0 || R > d.looks[k - 1]),
      `looks must be increasing integers ≥ 2 (a t-interval needs 2 splits); got ${d.looks.join(', ')}`,
      'invalid-option',
    ),
  );
  check(Number.isFinite(d.delta) && d.delta > 0, `the practical margin delta must be a positive number; got ${d.delta}`, 'invalid-option');
  const alpha = d.alpha ?? DEFAULT_ALPHA;
  check(alpha > 0 && alpha < 1, `alpha must be in (0, 1); got ${alpha}`, 'invalid-option');
  const spending = d.spending ?? DEFAULT_SPENDING;
  check(SPENDING_NAMES.includes(spending), `spending must be one of ${SPENDING_NAMES.join(', ')}; got '${spending}'`, 'invalid-option');
  return { alpha, spending, cap: d.looks[d.looks.length - 1] };
}

/** Whether the splits' test rows overlap: random splits always; repeated k-fold once the cap passes one round of k. */
export function overlapping(d: GainDesign): boolean {
  return d.scheme === 'random' || d.looks[d.looks.length - 1] > d.folds!;
}

// Nadeau & Bengio (2003), corrected resampled t: Var(ḡ_R) ≈ (1/R + n_test/n_train)·s²; disjoint test parts (one round of k-fold): (1/R)·s²
export function varianceFactor(R: number, d: GainDesign): number {
  return 1 / R + (overlapping(d) ? d.nTest / d.nTrain : 0);
}

const criticalCache = new Map<string, number[]>();

// Repeated confidence interval (Jennison & Turnbull 1989) at look k: ḡ_k ± c_k·√(f(R_k))·s_k, f = varianceFactor; c_k = the
// t_{R_k−1} quantile at the one-sided nominal level 1 − Φ(b_k) of the level-`level` spending boundary b_k, information t_k = f(cap)/f(R_k)
export function criticalValues(d: GainDesign, level: number): number[] {
  const { spending, cap } = checkDesign(d);
  const key = `${spending}|${level}|${d.looks.join(',')}|${varianceFactor(cap, d)}|${d.scheme}|${d.nTest / d.nTrain}`;
  const hit = criticalCache.get(key);
  if (hit) return hit;
  const fractions = d.looks.map((R) => varianceFactor(cap, d) / varianceFactor(R, d));
  fractions[fractions.length - 1] = 1;
  const b = spendingBoundaries(fractions, level, spending);
  const out = b.map((z, k) => studentQuantile(normalCdf(z), d.looks[k] - 1));
  criticalCache.set(key, out);
  return out;
}

function checkGains(gains: readonly number[], what: string): void {
  for (let i = 0; i < gains.length; i++)
    check(Number.isFinite(gains[i]), `${what}: the gain of split ${i + 1} is ${gains[i]}; every split's gain must be a finite number`);
}

/** Mean and standard error of the first R gains under design d. */
function lookStats(gains: readonly number[], R: number, d: GainDesign): { mean: number; sd: number; se: number } {
  const s = meanSd(gains.slice(0, R));
  return { mean: s.mean, sd: s.sd, se: Math.sqrt(varianceFactor(R, d)) * s.sd };
}

/** The planned looks the gains have reached (their split counts). */
function reached(gains: readonly number[], d: GainDesign): number[] {
  return d.looks.filter((R) => R <= gains.length);
}

/** Largest lower bound over the looks reached, at one-sided level `level`: > 0 means the gain is above 0 at that level. */
function bestLowerBound(gains: readonly number[], d: GainDesign, level: number): number {
  const c = criticalValues(d, level);
  let best = -Infinity;
  reached(gains, d).forEach((R, k) => {
    const { mean, se } = lookStats(gains, R, d);
    best = Math.max(best, mean - c[k] * se);
  });
  return best;
}

function outcomeOf(ci: [number, number], delta: number, atCap: boolean): GainOutcome {
  if (ci[0] > 0) return 'clear gain';
  if (ci[1] < 0) return 'clear loss';
  if (ci[0] > -delta && ci[1] < delta) return 'no practical effect';
  return atCap ? 'undecided at the cap' : 'undecided';
}

/**
 * The decision on one gain from its per-split gains (split order as run). The interval is the
 * intersection of the repeated confidence intervals of every planned look reached, each at
 * one-sided level α/2 per side: all of them cover the true gain at once with probability ≥ 1 − α,
 * whatever rule chose when to stop adding splits, so an outcome once reached stays. Splits past
 * the latest look reached wait for the next look.
 */
export function decideGain(gains: readonly number[], d: GainDesign): GainDecision {
  const { alpha, cap } = checkDesign(d);
  checkGains(gains, 'decideGain');
  const looks = reached(gains, d);
  if (looks.length === 0) {
    const s = gains.length ? meanSd(gains) : { mean: NaN, sd: NaN };
    return { mean: s.mean, sd: s.sd, splits: 0, look: 0, ci: null, outcome: 'undecided' };
  }
  const c = criticalValues(d, alpha / 2);
  let lo = -Infinity;
  let hi = Infinity;
  let last = { mean: NaN, sd: NaN, se: NaN };
  looks.forEach((R, k) => {
    last = lookStats(gains, R, d);
    lo = Math.max(lo, last.mean - c[k] * last.se);
    hi = Math.min(hi, last.mean + c[k] * last.se);
  });
  const k = looks.length - 1;
  // Disjoint intervals (possible only when some look missed the true gain): the latest look's interval alone.
  const ci: [number, number] = lo <= hi ? [lo, hi] : [last.mean - c[k] * last.se, last.mean + c[k] * last.se];
  return { mean: last.mean, sd: last.sd, splits: looks[k], look: k + 1, ci, outcome: outcomeOf(ci, d.delta, looks[k] >= cap) };
}

/** A candidate for deployment: a distilled student (teacher × method) and its per-split gains over the no-KD student. */
export interface GainCandidate {
  id: string;
  gains: readonly number[];
}

/** A candidate's decision, and whether its gain is above 0 after Holm's correction over all candidates. */
export interface CandidateDecision extends GainDecision {
  id: string;
  /** Gain above 0 after the family-wise correction (Holm step-down, one-sided, family-wise error α/2). */
  cleared: boolean;
}

function checkCandidates(candidates: readonly GainCandidate[]): void {
  const ids = new Set<string>();
  for (const c of candidates) {
    check(!ids.has(c.id), `candidate '${c.id}' is listed twice; each distilled student once`);
    ids.add(c.id);
  }
}

// Holm (1979) step-down on H_i: gain_i ≤ 0, tested on group-sequential boundaries at the local level a = (α/2)/|J| (Maurer & Bretz 2013):
// reject every H_i in J with max_k [ḡ_ik − c_k(a)·se_ik] > 0, remove them from J, repeat until none is rejected
function holmCleared(candidates: readonly GainCandidate[], decisions: readonly GainDecision[], d: GainDesign, alpha: number): boolean[] {
  const cleared = candidates.map(() => false);
  for (;;) {
    const open = candidates.map((_, i) => i).filter((i) => !cleared[i]);
    if (open.length === 0) break;
    const level = alpha / 2 / open.length;
    // A candidate must also be a clear gain on its own, so the decision never contradicts its interval.
    const newly = open.filter((i) => decisions[i].outcome === 'clear gain' && bestLowerBound(candidates[i].gains, d, level) > 0);
    if (newly.length === 0) break;
    for (const i of newly) cleared[i] = true;
  }
  return cleared;
}

/** Each candidate's decision and whether it is cleared after Holm's correction. */
export function decideCandidates(candidates: readonly GainCandidate[], d: GainDesign): CandidateDecision[] {
  const { alpha } = checkDesign(d);
  checkCandidates(candidates);
  const decisions = candidates.map((c) => {
    checkGains(c.gains, `candidate '${c.id}'`);
    return decideGain(c.gains, d);
  });
  const cleared = holmCleared(candidates, decisions, d, alpha);
  const floor = clearedFloor(decisions.filter((_, i) => cleared[i]));
  return candidates.map((c, i) => {
    const stopped = decisions[i].outcome === 'undecided' && !deployable(decisions[i], floor, d.delta);
    return { id: c.id, ...decisions[i], ...(stopped ? { outcome: 'stopped: cannot be deployed' as const } : {}), cleared: cleared[i] };
  });
}

/** The largest lower end of the cleared candidates' intervals (−∞ without any). */
const clearedFloor = (cleared: readonly GainDecision[]) => Math.max(-Infinity, ...cleared.map((c) => c.ci![0]));

/** Whether a gain could still be the one deployed: no interval yet, or its upper end above the cleared floor and at least δ. */
const deployable = (g: GainDecision, floor: number, delta: number) => g.ci === null || (g.ci[1] > floor && g.ci[1] >= delta);

/** What the run should do next: the candidates that need more splits and the split count to bring them to. */
export interface NextSplits {
  /** Candidates still open: undecided for the deploy decision, below the cap, and still able to be the one deployed. */
  open: string[];
  /** The next planned look: train the open candidates (and the no-KD student) on splits up to this count; null when none is open. */
  splits: number | null;
  /** Candidates closed while undecided below the cap, as unable to be the one deployed (outcome 'stopped: cannot be deployed'). */
  stopped: string[];
}

/**
 * Which candidates still need splits. A candidate is closed when it reached the cap, when its
 * gain is cleared after correction, when it is a clear loss or of no practical effect, when its
 * interval's upper end is below δ (its gain, whatever its sign, is too small to deploy it for), or
 * when that upper end is below the lower end of a cleared candidate's (it cannot be the largest
 * gain). Stopping by this rule keeps every interval and the deploy decision valid (they hold for
 * any stopping rule at the planned looks). The δ rule saves about a sixth of the distilled
 * trainings when no candidate helps, for a point or so of power (docs/decisions.md).
 */
export function nextSplits(candidates: readonly GainCandidate[], d: GainDesign): NextSplits {
  const { cap } = checkDesign(d);
  const decided = decideCandidates(candidates, d);
  const floor = clearedFloor(decided.filter((c) => c.cleared));
  const open = decided.filter(
    (c) =>
      c.splits < cap && !c.cleared && c.outcome !== 'clear loss' && c.outcome !== 'no practical effect' && deployable(c, floor, d.delta),
  );
  const stopped = decided.filter((c) => c.outcome === 'stopped: cannot be deployed').map((c) => c.id);
  if (open.length === 0) return { open: [], splits: null, stopped };
  const behind = Math.min(...open.map((c) => c.splits));
  return { open: open.map((c) => c.id), splits: d.looks.find((R) => R > behind)!, stopped };
}

/** The student to deploy and why. */
export interface DeployDecision {
  /** The distilled student to deploy, or null for the student alone. */
  chosen: string | null;
  /** One sentence: the rule and the reason, with the numbers of `perCandidate`. */
  sentence: string;
  perCandidate: CandidateDecision[];
  /** Family-wise error of the claim 'the deployed student's gain is above 0' (one-sided, α/2). */
  familywiseError: number;
}

const pct = (x: number) => `${+(x * 100).toPrecision(3)}%`;
/** How a sentence shows a gain: × scale, then the unit (F1 in percentage points: scale 100, unit ' pts'). */
export interface GainUnits {
  scale: number;
  unit: string;
}
const gainText = (c: CandidateDecision, u: GainUnits) => {
  const [value, interval] = estimateParts(u.scale * c.mean, c.ci && [u.scale * c.ci[0], u.scale * c.ci[1]], { signed: true });
  return c.ci ? `${value}${u.unit}${interval} over ${c.splits} splits` : `${value}${u.unit} before the first look`;
};

/**
 * The rule: deploy the distilled student with the largest mean gain among those whose gain is
 * above 0 after Holm's correction over all candidates; otherwise the student alone. The claim
 * 'its gain is above 0' then errs with probability ≤ α/2 whatever the true gains (family-wise).
 */
export function deployDecision(
  candidates: readonly GainCandidate[],
  d: GainDesign,
  units: GainUnits = { scale: 1, unit: '' },
): DeployDecision {
  const { alpha } = checkDesign(d);
  const per = decideCandidates(candidates, d);
  const m = per.length;
  const fwe = alpha / 2;
  if (m === 0)
    return {
      chosen: null,
      sentence: 'Deploy the student alone: there is no distilled student to compare with it.',
      perCandidate: per,
      familywiseError: fwe,
    };
  const byMean = (a: CandidateDecision, b: CandidateDecision) => (b.mean > a.mean ? b : a);
  const correction =
    m === 1
      ? `(one-sided, error ${pct(fwe)})`
      : `after Holm's correction for the ${m} distilled students (one-sided, family-wise error ${pct(fwe)})`;
  const cleared = per.filter((c) => c.cleared);
  if (cleared.length) {
    const best = cleared.reduce(byMean);
    const which =
      cleared.length === 1
        ? m === 1
          ? ''
          : ', and it is the only one that is'
        : `, and it is the largest of the ${cleared.length} that are`;
    return {
      chosen: best.id,
      sentence: `Deploy ${best.id}: its gain over the no-KD student, ${gainText(best, units)}, is above 0 ${correction}${which}.`,
      perCandidate: per,
      familywiseError: fwe,
    };
  }
  const clearAlone = per.filter((c) => c.outcome === 'clear gain');
  const reason = clearAlone.length
    ? `; the gain of ${clearAlone.reduce(byMean).id}, ${gainText(clearAlone.reduce(byMean), units)}, is clear on its own but not after the correction`
    : m === 1
      ? ` (${gainText(per[0], units)}: ${per[0].outcome})`
      : `; the largest is that of ${per.reduce(byMean).id}, ${gainText(per.reduce(byMean), units)} (${per.reduce(byMean).outcome})`;
  const subject = m === 1 ? `the distilled student's gain (${per[0].id}) is not above 0` : `no distilled student's gain is above 0`;
  return {
    chosen: null,
    sentence: `Deploy the student alone: ${subject} ${correction}${reason}.`,
    perCandidate: per,
    familywiseError: fwe,
  };
}

/** How a metric's practical margin is set: in the metric's own units, or as a fraction of the no-KD student's mean. */
export interface MarginRule {
  kind: 'absolute' | 'relative';
  value: number;
}

/**
 * Default practical margins δ (docs/decisions.md): one point (0.01) for scores in [0, 1]
 * (accuracy, F1, AUC, R²); for errors a fraction of the no-KD student's mean error — 1% for
 * errors in the target's units (RMSE, MAE), 2% for MSE (squared: (1.01)² ≈ 1.02).
 */
export const PRACTICAL_MARGINS: Readonly<Record<string, MarginRule>> = {
  accuracy: { kind: 'absolute', value: 0.01 },
  f1Weighted: { kind: 'absolute', value: 0.01 },
  f1Macro: { kind: 'absolute', value: 0.01 },
  auc: { kind: 'absolute', value: 0.01 },
  r2: { kind: 'absolute', value: 0.01 },
  mse: { kind: 'relative', value: 0.02 },
  rmse: { kind: 'relative', value: 0.01 },
  mae: { kind: 'relative', value: 0.01 },
};

// δ = value (absolute) or value·|mean of the no-KD student's metric| (relative)
export function practicalMargin(metric: string, baselineMean: number, rule: MarginRule | undefined = PRACTICAL_MARGINS[metric]): number {
  check(
    rule !== undefined,
    `no default practical margin for metric '${metric}'; expected one of ${Object.keys(PRACTICAL_MARGINS).join(', ')} or a margin`,
    'invalid-option',
  );
  check(rule.value > 0, `a practical margin must be positive; got ${rule.value} for '${metric}'`, 'invalid-option');
  if (rule.kind === 'absolute') return rule.value;
  check(
    Number.isFinite(baselineMean) && baselineMean !== 0,
    `a relative margin for '${metric}' needs the no-KD student's mean, a nonzero number; got ${baselineMean}`,
  );
  return rule.value * Math.abs(baselineMean);
}
