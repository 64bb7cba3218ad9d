/** Test fixtures: one split's CCH result with given margins, each with estimator standard error `se`. */
import type { CchResult, Estimate } from '../types.js';

export function cchResultOf(margins: Record<string, number>, se: number): CchResult {
  const e = (value: number): Estimate => ({ value, ci: [value - 1.96 * se, value + 1.96 * se], se });
  const teachers = Object.entries(margins).map(([teacher, m], i) => ({
    teacher,
    miTeacherStudent: e(1 + m),
    miStudentLabel: e(1),
    margin: e(m),
    verdict: 'uncertain' as const,
    rank: i + 1,
  }));
  return {
    student: 's',
    miStudentLabel: e(1),
    teachers,
    ranking: teachers.map((t) => t.teacher),
    estimator: 'ksg',
    units: 'nats',
    n: 100,
    interval: 'half-split',
    resamples: 10,
    ciLevel: 0.95,
    representations: [],
    settings: {},
  };
}
