/**
 * Seeded synthetic per-split gains with known true effects, and the simulations that check the
 * decisions of gains.ts against them; shared by gains.test.ts and scripts/gains-simulation.mjs
 * (which prints the tables of docs/decisions.md). Also the alternatives the simulation compares
 * with: today's plain t-interval at a fixed R, and an anytime-valid confidence sequence.
 */
import { makeRng, type Rng } from '../util/rng.js';
import { check } from '../util/errors.js';
import { studentQuantile } from './distributions.js';
import { decideGain, nextSplits, type GainCandidate, type GainDesign, type GainOutcome } from './gains.js';
import { meanSd } from './stats.js';

/**
 * How per-split gains arise. 'correlated': g_r = μ + u + e_r with u ~ N(0, ρτ²) shared by all
 * splits of a dataset and e_r ~ N(0, (1 − ρ)τ²) per split — the equicorrelated model behind the
 * Nadeau–Bengio correction, ρ = r/(1 + r) for r = n_test/n_train. 'pool': a finite pool of rows
 * drawn once per dataset from a population whose per-row paired gain d ∈ {−1, 0, +1} has mean μ
 * (P(±1) = q ± μ/2); each split tests on a random `testFraction` of the pool (test rows shared
 * between splits) and adds training noise N(0, noise²).
 */
export type GainModel =
  | { kind: 'correlated'; rho: number; tau: number }
  | {
      kind: 'pool';
      rows: number;
      testFraction: number;
      disagree: number;
      noise: number;
      /** k-fold within one round: the pool is dealt into `folds` disjoint test parts, split r tests part r (testFraction unused). */
      folds?: number;
    };

/** A generator of one dataset's successive split gains for true effect mu. */
export function gainStream(model: GainModel, mu: number, rng: Rng): () => number {
  if (model.kind === 'correlated') {
    const u = rng.normal() * Math.sqrt(model.rho) * model.tau;
    const se = Math.sqrt(1 - model.rho) * model.tau;
    return () => mu + u + se * rng.normal();
  }
  const { rows, testFraction, disagree: q, noise } = model;
  let plus = 0;
  let minus = 0;
  for (let i = 0; i < rows; i++) {
    const x = rng.next();
    if (x < q + mu / 2) plus++;
    else if (x < 2 * q) minus++;
  }
  if (model.folds !== undefined) {
    // The pool's rows in a random order (+1s, −1s, then 0s shuffled), dealt into equal folds; split r tests fold r.
    const values = new Int8Array(rows);
    values.fill(1, 0, plus);
    values.fill(-1, plus, plus + minus);
    for (let i = rows - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const t = values[i];
      values[i] = values[j];
      values[j] = t;
    }
    const size = Math.floor(rows / model.folds);
    let fold = 0;
    return () => {
      check(fold < model.folds!, `a ${model.folds}-fold pool has no split ${fold + 1}`);
      let s = 0;
      for (let i = fold * size; i < (fold + 1) * size; i++) s += values[i];
      fold++;
      return s / size + noise * rng.normal();
    };
  }
  const nTest = Math.round(rows * testFraction);
  return () => {
    // The split's test rows: nTest drawn without replacement from the pool's +1, −1 and 0 rows.
    let p = plus;
    let m = minus;
    let s = 0;
    for (let left = rows; left > rows - nTest; left--) {
      const x = rng.int(left);
      if (x < p) {
        p--;
        s++;
      } else if (x < p + m) {
        m--;
        s--;
      }
    }
    return s / nTest + noise * rng.normal();
  };
}

/** How one simulated gain was decided: the outcome reached and the splits it took. */
export interface Trial {
  outcome: GainOutcome;
  splits: number;
}

/** A way to decide one gain from a stream of split gains. */
export type Decider = (next: () => number) => Trial;

/** The sequential design of gains.ts: look at the planned looks, stop at the first decision or the cap. */
export function sequentialDecider(d: GainDesign): Decider {
  return (next) => {
    const gains: number[] = [];
    for (const R of d.looks) {
      while (gains.length < R) gains.push(next());
      const dec = decideGain(gains, d);
      if (dec.outcome !== 'undecided') return { outcome: dec.outcome, splits: R };
    }
    return { outcome: 'undecided at the cap', splits: gains.length };
  };
}

/**
 * A run to the cap of `d` that the user then extends: a gain still undecided at the cap gets splits up
 * to `cap` and is decided again with the looks re-planned to d's looks then `cap`, as a resumed run
 * with a raised --max-repeats decides it (the looks chosen after looking, which the boundaries do not plan for).
 */
export function extendedDecider(d: GainDesign, cap: number): Decider {
  const first = sequentialDecider(d);
  const raised: GainDesign = { ...d, looks: [...d.looks, cap] };
  return (next) => {
    const gains: number[] = [];
    const t = first(() => {
      const g = next();
      gains.push(g);
      return g;
    });
    if (t.outcome !== 'undecided at the cap') return t;
    while (gains.length < cap) gains.push(next());
    return { outcome: decideGain(gains, raised).outcome, splits: cap };
  };
}

/** A t-interval at a fixed R with variance factor f(R)·s² (1/R: today's plain interval; 1/R + r: Nadeau–Bengio). */
export function fixedDecider(R: number, factor: number, delta: number, alpha = 0.05): Decider {
  const q = studentQuantile(1 - alpha / 2, R - 1);
  return (next) => {
    const g = Array.from({ length: R }, next);
    const s = meanSd(g);
    const h = q * Math.sqrt(factor) * s.sd;
    return { outcome: classify(s.mean - h, s.mean + h, delta, 'undecided at the cap'), splits: R };
  };
}

function classify(lo: number, hi: number, delta: number, none: GainOutcome): GainOutcome {
  return lo > 0 ? 'clear gain' : hi < 0 ? 'clear loss' : lo > -delta && hi < delta ? 'no practical effect' : none;
}

// Lai (1976) scale-invariant mixture (δ = μ/σ ~ N(0, 1/c), right-Haar prior on σ): M_n(μ) = √(c/(n+c))·(Σy²/(Σy² − (Σy)²/(n+c)))^{n/2},
// y = x − μ; Ville: {μ : M_n(μ) < 1/α} for all n at once ⇔ n(x̄−μ)² < (K−1)(n−1)s²/(1 − Kc/(n+c)), K = (√((n+c)/c)/α)^{2/n}
export function confidenceSequenceHalfWidth(n: number, s: number, c: number, alpha: number): number {
  if (n < 2) return Infinity;
  const K = (Math.sqrt((n + c) / c) / alpha) ** (2 / n);
  const den = 1 - (K * c) / (n + c);
  if (den <= 0) return Infinity;
  return Math.sqrt(((K - 1) * (n - 1) * s * s) / den / n);
}

/**
 * The confidence sequence as a decider, looking after every split from `first` to `cap`; for
 * overlapping splits the sample variance is inflated by R·(1/R + r) so that s²/R becomes the
 * Nadeau–Bengio variance (r = 0: none). The running intersection of its intervals.
 */
export function confidenceSequenceDecider(o: { first: number; cap: number; r: number; c: number; delta: number; alpha?: number }): Decider {
  const alpha = o.alpha ?? 0.05;
  return (next) => {
    const g: number[] = [];
    let lo = -Infinity;
    let hi = Infinity;
    while (g.length < o.cap) {
      g.push(next());
      if (g.length < o.first) continue;
      const s = meanSd(g);
      const h = confidenceSequenceHalfWidth(g.length, s.sd * Math.sqrt(1 + g.length * o.r), o.c, alpha);
      lo = Math.max(lo, s.mean - h);
      hi = Math.min(hi, s.mean + h);
      const out = classify(lo, hi, o.delta, 'undecided');
      if (out !== 'undecided') return { outcome: out, splits: g.length };
    }
    return { outcome: 'undecided at the cap', splits: g.length };
  };
}

/** Per-claim summary over simulated datasets with true effect mu. */
export interface ClaimSummary {
  mu: number;
  /** Share of datasets with a wrong claim: a gain when μ ≤ 0, a loss when μ ≥ 0, no practical effect when |μ| ≥ δ. */
  error: number;
  /** The same per claim: the share of datasets claiming each outcome when it is wrong (0 where it cannot be). */
  wrong: { gain: number; loss: number; none: number };
  /** Share decided (any of the three outcomes). */
  decided: number;
  /** Share with the right sign claimed ('clear gain' for μ > 0, 'clear loss' for μ < 0). */
  power: number;
  meanSplits: number;
}

export function isWrong(outcome: Trial['outcome'], mu: number, delta: number): boolean {
  return (
    (outcome === 'clear gain' && mu <= 0) ||
    (outcome === 'clear loss' && mu >= 0) ||
    (outcome === 'no practical effect' && Math.abs(mu) >= delta)
  );
}

/** Decide `reps` simulated gains with true effect mu (seeded), and summarise the claims. */
export function simulateClaims(decide: Decider, model: GainModel, mu: number, delta: number, reps: number, seed: number): ClaimSummary {
  const rng = makeRng(seed);
  let wrong = 0;
  const by = { gain: 0, loss: 0, none: 0 };
  let decided = 0;
  let power = 0;
  let splits = 0;
  for (let i = 0; i < reps; i++) {
    const t = decide(gainStream(model, mu, rng));
    if (isWrong(t.outcome, mu, delta)) {
      wrong++;
      by[t.outcome === 'clear gain' ? 'gain' : t.outcome === 'clear loss' ? 'loss' : 'none']++;
    }
    if (t.outcome === 'clear gain' || t.outcome === 'clear loss' || t.outcome === 'no practical effect') decided++;
    if ((t.outcome === 'clear gain' && mu > 0) || (t.outcome === 'clear loss' && mu < 0)) power++;
    splits += t.splits;
  }
  const wrongBy = { gain: by.gain / reps, loss: by.loss / reps, none: by.none / reps };
  return { mu, error: wrong / reps, wrong: wrongBy, decided: decided / reps, power: power / reps, meanSplits: splits / reps };
}

/** A deployment run over m candidates, simulated. */
export interface DeploySummary {
  /** Share of runs deploying a distilled student whose true gain is ≤ 0 (the family-wise error of the deploy claim). */
  error: number;
  /** Share of runs deploying a distilled student with a true gain > 0. */
  power: number;
  /** Share deploying the candidate with the largest true gain (when it is > 0). */
  best: number;
  /** Mean splits the run reached (the no-KD student is trained on each). */
  meanSplits: number;
  /** Mean distilled students trained per run (candidate × split). */
  meanTrainings: number;
}

/**
 * Correlated-normal scores per model and split — model j (0: the no-KD student) scores
 * μ_j + u_j + e_jr, u_j ~ N(0, ρτ²/2) once per dataset, e_jr ~ N(0, (1 − ρ)τ²/2) — so each gain
 * g_ir = score_i − score_0 has sd τ, correlation ρ between splits and 1/2 between candidates.
 * `run` drives the splits: it gets every split's gains on demand and returns the chosen index or null.
 */
export function simulateDeploy(
  mus: readonly number[],
  o: { rho: number; tau: number; reps: number; seed: number },
  run: (gainsOf: (split: number) => number[], m: number) => { chosen: number | null; splits: number; trainings: number },
): DeploySummary {
  const rng = makeRng(o.seed);
  const m = mus.length;
  const top = Math.max(...mus);
  let wrong = 0;
  let right = 0;
  let best = 0;
  let splits = 0;
  let trainings = 0;
  const shared = Math.sqrt(o.rho / 2) * o.tau;
  const own = Math.sqrt((1 - o.rho) / 2) * o.tau;
  for (let rep = 0; rep < o.reps; rep++) {
    const u = Array.from({ length: m + 1 }, () => shared * rng.normal());
    const cache: number[][] = [];
    const gainsOf = (r: number) => {
      while (cache.length <= r) {
        const base = u[0] + own * rng.normal();
        cache.push(mus.map((mu, i) => mu + u[i + 1] + own * rng.normal() - base));
      }
      return cache[r];
    };
    const res = run(gainsOf, m);
    if (res.chosen !== null) {
      if (mus[res.chosen] <= 0) wrong++;
      else right++;
      if (mus[res.chosen] === top && top > 0) best++;
    }
    splits += res.splits;
    trainings += res.trainings;
  }
  const n = o.reps;
  return { error: wrong / n, power: right / n, best: best / n, meanSplits: splits / n, meanTrainings: trainings / n };
}

/** The run loop of the sequential design: start every candidate at the first look, then add splits for the open ones (nextSplits). */
export function sequentialRun(d: GainDesign, decide: (c: GainCandidate[]) => string | null) {
  return (gainsOf: (split: number) => number[], m: number) => {
    const gains: number[][] = Array.from({ length: m }, () => []);
    const extend = (i: number, R: number) => {
      while (gains[i].length < R) gains[i].push(gainsOf(gains[i].length)[i]);
    };
    for (let i = 0; i < m; i++) extend(i, d.looks[0]);
    const cands = () => gains.map((g, i) => ({ id: String(i), gains: g }));
    for (;;) {
      const next = nextSplits(cands(), d);
      if (next.splits === null) break;
      for (const id of next.open) extend(Number(id), next.splits);
    }
    const chosen = decide(cands());
    return {
      chosen: chosen === null ? null : Number(chosen),
      splits: Math.max(...gains.map((g) => g.length)),
      trainings: gains.reduce((t, g) => t + g.length, 0),
    };
  };
}

/** Today's rule: plain t-interval over a fixed R, every gain on its own; deploy the largest mean among the clear gains. */
export function todaysRun(R: number, alpha = 0.05) {
  const q = studentQuantile(1 - alpha / 2, R - 1);
  return (gainsOf: (split: number) => number[], m: number) => {
    const per = Array.from({ length: m }, (_, i) => meanSd(Array.from({ length: R }, (_, r) => gainsOf(r)[i])));
    let chosen: number | null = null;
    per.forEach((s, i) => {
      if (s.mean - (q * s.sd) / Math.sqrt(R) > 0 && (chosen === null || s.mean > per[chosen].mean)) chosen = i;
    });
    return { chosen, splits: R, trainings: R * m };
  };
}
