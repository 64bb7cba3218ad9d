/**
 * The CCH analysis over repeats. Each repeat r has its own split and its own trained teacher and
 * student, so its margin m_r varies with the data and with training; each m_r also carries the
 * MI estimator's standard error se_r (paired resampling, resample.ts). The combined estimate is
 * the mean over repeats, and its interval counts both sources:
 *
 *   SE² = s²/R + mean_r(se_r²)/R,  s² the between-repeat variance of m_r,
 *
 * with a Student t quantile at the Welch–Satterthwaite degrees of freedom of that sum (R − 1
 * for the between-repeat part, the estimator's own for the other). s² alone would contain the
 * estimator noise only if the repeats' estimation rows were independent; repeated splits of one
 * dataset overlap, so the estimator part is added explicitly — conservative by at most a factor
 * √2 on SE when training variance is nil. With one repeat the interval is the estimator's alone
 * (training variance is not included; the result says so in `settings.interval`).
 */
import { studentQuantile } from '../mi/index.js';
import { CmkdError, check } from '../util/errors.js';
import { rankByValue, verdictOf } from './cch.js';
import type { CchResult, Estimate, MfhView, TeacherScore } from './types.js';

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

// m̄ ± t_ν·√(s²/R + mean(se_r²)/R), ν = (a + b)² / (a²/(R−1) + b²/ν_b) (Welch–Satterthwaite)
export function combineEstimates(es: readonly Estimate[], level: number, nonNegative = false): Estimate {
  const finite = es.filter((e) => Number.isFinite(e.value));
  if (finite.length === 0) return { value: Number.NaN, ci: null };
  if (finite.length === 1) return finite[0];
  const R = finite.length;
  const values = finite.map((e) => e.value);
  const value = mean(values);
  const a = values.reduce((s, x) => s + (x - value) ** 2, 0) / (R - 1) / R;
  const withSe = finite.filter((e) => e.se !== undefined && Number.isFinite(e.se));
  const b = withSe.length === R ? mean(withSe.map((e) => e.se! ** 2)) / R : 0;
  // The estimator part's df: a normal interval (no df) counts as infinite; reruns pool R·(runs − 1).
  const dfB = withSe.every((e) => e.df === undefined) ? Infinity : withSe.reduce((s, e) => s + (e.df ?? Infinity), 0);
  const se = Math.sqrt(a + b);
  const df = a + b === 0 ? Infinity : (a + b) ** 2 / (a ** 2 / (R - 1) + (Number.isFinite(dfB) ? b ** 2 / dfB : 0));
  const half = studentQuantile(0.5 + level / 2, Math.min(df, 1e6)) * se;
  let ci: [number, number] = [value - half, value + half];
  if (nonNegative) ci = [Math.max(0, ci[0]), Math.max(0, ci[1])];
  return { value, ci: Number.isFinite(half) ? ci : null, se, df };
}

/** One CCH result from the per-repeat results of the same student, teachers, representation and estimator. */
export function combineRepeats(results: readonly CchResult[]): CchResult {
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
  const mi = (es: Estimate[]) => combineEstimates(es, level, true);
  const miStudentLabel = mi(results.map((r) => r.miStudentLabel));
  const scores: TeacherScore[] = names.map((name) => {
    const per = results.map((r) => teacherOf(r, name));
    const margin = combineEstimates(
      per.map((t) => t.margin),
      level,
    );
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
        shared: combineEstimates(pick('shared'), level),
        sharedFraction: combineEstimates(pick('sharedFraction'), level),
        redundancyBound: mi(pick('redundancyBound')),
      };
    }
    return score;
  });
  const ranks = rankByValue(scores.map((s) => s.margin.value));
  scores.forEach((s, i) => (s.rank = ranks[i]));
  scores.sort((x, y) => x.rank - y.rank);
  return {
    ...first,
    miStudentLabel,
    teachers: scores,
    ranking: scores.map((s) => s.teacher),
    repeats: results.length,
    settings: {
      ...first.settings,
      interval: `${results.length} repeats (own split and models each) × estimator resampling: SE² = s²/R + mean(se²)/R, t at Welch–Satterthwaite df`,
    },
  };
}
