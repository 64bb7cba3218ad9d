/**
 * The CCH analysis over repeats. Each repeat r has its own split and its own trained teacher and
 * student, so its margin m_r varies with the data and with training; each m_r also carries the
 * MI estimator's standard error se_r (paired resampling, resample.ts). The combined estimate is
 * the mean over repeats m̄; its interval counts both sources, allowing for repeats whose
 * held-out rows overlap. A random-effects model of one repeat's estimate:
 *
 *   m_r = μ + t_r + e_r,  Var t_r = σ²_t (training, independent across repeats),
 *   Var e_r = σ²_e (estimator), Corr(e_r, e_r') = ρ (the share of held-out rows two repeats have in common).
 *
 * Then Var m̄ = σ²_t/R + σ²_e·(1 + (R − 1)ρ)/R and E s² = σ²_t + (1 − ρ)·σ²_e for the
 * between-repeat variance s², so
 *
 *   Var m̄ = E[s²]/R + ρ·σ²_e,   estimated by SE² = s²/R + ρ·mean_r(se_r²),
 *
 * with a Student t quantile at the Welch–Satterthwaite degrees of freedom of that sum (R − 1 for
 * the between-repeat part, the estimator's own for the other). Disjoint held-out rows (ρ = 0)
 * leave s²/R: s² already holds all the estimator noise. Identical rows (ρ = 1) add all of it.
 * Repeated random 70/10/20 splits share ρ ≈ 0.3 (the held-out fraction); k-fold shares less.
 * ρ is measured from the splits (heldOutOverlap); when unknown it is taken as 1 (conservative).
 * The earlier form s²/R + mean(se²)/R is the case ρ = 1/R: conservative for k-fold,
 * anti-conservative for R > 3 random splits (docs/methods.md, "Intervals over repeats").
 *
 * A repeat without a finite se (resampling off, or failed) is not given se = 0: σ²_e is taken
 * from the repeats that have one, and the estimate says so (`note`); with none, the interval
 * leaves out ρ·σ²_e and says that. Non-finite values are dropped, and `repeats` counts the ones
 * used; one finite repeat gives that repeat's own interval (training variance not included).
 */
import { studentQuantile } from '../mi/index.js';
import { CmkdError, check } from '../util/errors.js';
import { rankByValue, verdictOf } from './cch.js';
import type { CchResult, Estimate, MfhView, TeacherScore } from './types.js';

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

// ρ = mean over pairs r < r′ of |H_r ∩ H_r′| / √(|H_r|·|H_r′|)   (H_r: repeat r's held-out rows)
export function heldOutOverlap(sets: readonly ArrayLike<number>[]): number {
  check(sets.length >= 2, 'heldOutOverlap: needs two or more sets of rows');
  const asSets = sets.map((rows) => new Set(Array.from(rows)));
  let total = 0;
  let pairs = 0;
  for (let a = 0; a < asSets.length; a++)
    for (let b = a + 1; b < asSets.length; b++) {
      const [small, large] = asSets[a].size <= asSets[b].size ? [asSets[a], asSets[b]] : [asSets[b], asSets[a]];
      let shared = 0;
      for (const row of small) if (large.has(row)) shared++;
      const size = Math.sqrt(asSets[a].size * asSets[b].size);
      total += size > 0 ? shared / size : 0;
      pairs++;
    }
  return total / pairs;
}

export interface CombineOptions {
  /** ρ, the held-out rows' overlap between repeats (heldOutOverlap); default 1, the conservative bound. */
  overlap?: number;
  /** Clip the interval at 0 (MI terms). */
  nonNegative?: boolean;
}

// m̄ ± t_ν·√(s²/R + ρ·mean(se_r²)), ν = (a + b)² / (a²/(R−1) + b²/ν_b) (Welch–Satterthwaite)
export function combineEstimates(es: readonly Estimate[], level: number, options: CombineOptions = {}): Estimate {
  const rho = options.overlap ?? 1;
  check(rho >= 0 && rho <= 1, () => `combineEstimates: overlap ρ must be in [0, 1], got ${rho}`);
  const finite = es.filter((e) => Number.isFinite(e.value));
  if (finite.length === 0) return { value: Number.NaN, ci: null, repeats: 0 };
  const dropped = es.length - finite.length;
  const notes: string[] = [];
  if (dropped > 0) notes.push(`${dropped} of ${es.length} repeats not finite, left out`);
  if (finite.length === 1) {
    const only: Estimate = { ...finite[0], repeats: 1 };
    if (es.length > 1) only.note = [...notes, 'one finite repeat: its own interval, training variance not included'].join('; ');
    return only;
  }
  const R = finite.length;
  const values = finite.map((e) => e.value);
  const value = mean(values);
  const a = values.reduce((s, x) => s + (x - value) ** 2, 0) / (R - 1) / R;
  const withSe = finite.filter((e) => e.se !== undefined && Number.isFinite(e.se));
  // σ²_e from the repeats that have an se (never 0 for the others); without any, ρ·σ²_e is left out and said so.
  const b = withSe.length > 0 ? rho * mean(withSe.map((e) => e.se! ** 2)) : 0;
  if (withSe.length < R && rho > 0)
    notes.push(
      withSe.length === 0
        ? `no repeat has an estimator se: the interval leaves out the shared-rows part ρ·se² (ρ = ${rho.toFixed(2)})`
        : `${R - withSe.length} of ${R} repeats without an estimator se: se² from the other ${withSe.length}`,
    );
  // The estimator part's df: a normal interval (no df) counts as infinite; reruns pool R·(runs − 1).
  const dfB = withSe.every((e) => e.df === undefined) ? Infinity : withSe.reduce((s, e) => s + (e.df ?? Infinity), 0);
  const se = Math.sqrt(a + b);
  const df = a + b === 0 ? Infinity : (a + b) ** 2 / (a ** 2 / (R - 1) + (Number.isFinite(dfB) ? b ** 2 / dfB : 0));
  const half = studentQuantile(0.5 + level / 2, Math.min(df, 1e6)) * se;
  let ci: [number, number] = [value - half, value + half];
  if (options.nonNegative) ci = [Math.max(0, ci[0]), Math.max(0, ci[1])];
  const out: Estimate = { value, ci: Number.isFinite(half) ? ci : null, se, df, repeats: R };
  if (notes.length) out.note = notes.join('; ');
  return out;
}

/** One CCH result from the per-repeat results of the same student, teachers, representation and estimator. */
export function combineRepeats(results: readonly CchResult[], options: Pick<CombineOptions, 'overlap'> = {}): CchResult {
  const rho = options.overlap ?? 1;
  check(results.length > 0, 'no CCH results to combine');
  const first = results[0];
  if (results.length === 1)
    return {
      ...first,
      repeats: 1,
      settings: { ...first.settings, interval: 'estimator resampling only (1 repeat: training variance not included)' },
    };
  const level = first.ciLevel;
  const names = first.teachers.map((t) => t.teacher).sort();
  for (const r of results) {
    const these = r.teachers.map((t) => t.teacher).sort();
    if (r.student !== first.student || these.join('\n') !== names.join('\n'))
      throw new CmkdError('internal: CCH results of different students or teachers cannot be combined');
  }
  const teacherOf = (r: CchResult, name: string) => r.teachers.find((t) => t.teacher === name)!;
  const mi = (es: Estimate[]) => combineEstimates(es, level, { overlap: rho, nonNegative: true });
  const plain = (es: Estimate[]) => combineEstimates(es, level, { overlap: rho });
  const miStudentLabel = mi(results.map((r) => r.miStudentLabel));
  const scores: TeacherScore[] = names.map((name) => {
    const per = results.map((r) => teacherOf(r, name));
    const margin = plain(per.map((t) => t.margin));
    const score: TeacherScore = {
      teacher: name,
      miTeacherStudent: mi(per.map((t) => t.miTeacherStudent)),
      miStudentLabel,
      margin,
      verdict: verdictOf(margin),
      rank: 0,
      marginByRepeat: per.map((t) => t.margin.value),
    };
    if (per.every((t) => t.mfh)) {
      const pick = (k: keyof MfhView) => per.map((t) => t.mfh![k]);
      score.mfh = {
        miTeacherLabel: mi(pick('miTeacherLabel')),
        miJointLabel: mi(pick('miJointLabel')),
        shared: plain(pick('shared')),
        sharedFraction: plain(pick('sharedFraction')),
        redundancyBound: mi(pick('redundancyBound')),
      };
    }
    return score;
  });
  const ranks = rankByValue(scores.map((s) => s.margin.value));
  scores.forEach((s, i) => (s.rank = ranks[i]));
  scores.sort((x, y) => x.rank - y.rank);
  // Margins that used fewer repeats than were run, or lack an se on some, say so beside the interval.
  const flagged = scores.filter((s) => s.margin.note).map((s) => `${s.teacher}: ${s.margin.note}`);
  const settings: CchResult['settings'] = {
    ...first.settings,
    interval: `${results.length} repeats (own split and models each) × estimator resampling: SE² = s²/R + ρ·mean(se²), ρ = ${rho.toFixed(3)} (held-out rows shared between repeats${options.overlap === undefined ? ': unknown, taken as 1' : ''}), t at Welch–Satterthwaite df`,
    heldOutOverlap: rho,
  };
  if (flagged.length) settings.intervalNotes = flagged.join(' | ');
  return {
    ...first,
    miStudentLabel,
    teachers: scores,
    ranking: scores.map((s) => s.teacher),
    repeats: results.length,
    settings,
  };
}
