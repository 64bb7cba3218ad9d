/**
 * The run's words: how the decided CCH verdicts compare with the clear measured gains, and the
 * paragraph a person reads. Every "helps", "agrees" or "deploy" rests on an interval.
 */
import type { CchResult } from '../criteria/index.js';
import type { MeanSd } from '../metrics/index.js';
import { metricLabel } from '../report/index.js';
import { estimateParts, formatMeanSd } from '../util/format.js';
import type { GainSummary } from './summarise.js';
import type { RunResult, TeacherOutcome } from './types.js';

/**
 * Each scored teacher's verdict beside the measured effect of plain KD from it. "agrees" is
 * given only where both are decided: the margin's interval excludes 0 and so does the gain's.
 */
export function teacherOutcomes(cch: CchResult, gainOf: (teacher: string) => GainSummary): TeacherOutcome[] {
  return cch.teachers.map((s) => {
    const { gain, gainCi, effect } = gainOf(s.teacher);
    const decidedAndClear = s.verdict !== 'uncertain' && (effect === 'clear gain' || effect === 'clear loss');
    return {
      teacher: s.teacher,
      margin: s.margin.value,
      marginCi: s.margin.ci,
      verdict: s.verdict,
      rank: s.rank,
      gain,
      gainCi,
      effect,
      agrees: decidedAndClear ? (s.verdict === 'helps') === (effect === 'clear gain') : null,
    };
  });
}

/** How the decided verdicts compare with the clear gains: b = decided and clear, a of them agreeing, c undecided, d decided without a clear effect. */
export function agreementOf(outcomes: readonly TeacherOutcome[]): RunResult['agreement'] {
  const decided = outcomes.filter((x) => x.verdict !== 'uncertain');
  const clear = decided.filter((x) => x.agrees !== null);
  return {
    agree: clear.filter((x) => x.agrees).length,
    decidedAndClear: clear.length,
    undecided: outcomes.length - decided.length,
    noClearEffect: decided.length - clear.length,
  };
}

/** "decided and clear: a of b agree; c undecided; d no clear effect". */
export function agreementLine(a: RunResult['agreement']): string {
  return `decided and clear: ${a.agree} of ${a.decidedAndClear} agree; ${a.undecided} undecided; ${a.noClearEffect} no clear effect`;
}

/** One paragraph for people: what the criterion says, what KD measurably did, what to deploy. */
export function plainVerdict(r: RunResult): string {
  const h = r.headline.metric;
  const m = metricLabel(h);
  // F1 gains in percentage points (× 100); every number in the report's one format (src/util/format.ts).
  const scale = h === 'f1Weighted' ? 100 : 1;
  const unit = h === 'f1Weighted' ? ' pts' : '';
  const withCi = (g: MeanSd, ci: [number, number] | null | undefined) => {
    const [value, interval] = estimateParts(scale * g.mean, ci ? [scale * ci[0], scale * ci[1]] : null, { signed: true });
    return `${value}${unit}${interval}`;
  };
  const names = (xs: TeacherOutcome[]) => xs.map((x) => `'${x.teacher}'`).join(', ');
  const student = r.table.find((row) => row.role === 'student')!;
  const R = r.budget.repeats;
  const helps = r.outcomes.filter((x) => x.verdict === 'helps');
  const hurts = r.outcomes.filter((x) => x.verdict === 'hurts');
  const undecided = r.outcomes.length - helps.length - hurts.length;
  const gains = r.outcomes.filter((x) => x.effect === 'clear gain');
  const losses = r.outcomes.filter((x) => x.effect === 'clear loss');
  const criterion = [
    helps.length ? `KD helps from ${names(helps)}` : '',
    hurts.length ? `hurts from ${names(hurts)}` : '',
    undecided ? `${undecided} of ${r.outcomes.length} teachers undecided (interval contains 0)` : '',
  ].filter(Boolean);
  const measured = [
    gains.length ? `clear gain from ${gains.map((x) => `'${x.teacher}' ${withCi(x.gain, x.gainCi)}`).join(', ')}` : '',
    losses.length ? `clear loss from ${losses.map((x) => `'${x.teacher}' ${withCi(x.gain, x.gainCi)}`).join(', ')}` : '',
    gains.length + losses.length < r.outcomes.length
      ? `no clear effect from ${r.outcomes.length - gains.length - losses.length} teachers`
      : '',
  ].filter(Boolean);
  const bestRow = r.table.find((row) => row.label === r.best.label)!;
  return [
    `Deploying on '${r.student}' alone, the student without KD reaches ${m} ${formatMeanSd(student.test[h].mean, student.test[h].sd)} (test, ${R} repeats).`,
    `The CCH criterion (${
      (r.cch.repeats ?? 1) > 1
        ? `margin over ${r.cch.repeats} repeats, ${Math.round(100 * r.cch.ciLevel)}% intervals with training variance`
        : `one repeat: ${Math.round(100 * r.cch.ciLevel)}% intervals of the estimator only, training variance not included`
    }) predicts: ${criterion.join('; ')}.`,
    `Measured plain KD (paired ${m} gain, 95% interval over ${R} repeats): ${measured.join('; ')}; ${agreementLine(r.agreement)}.`,
    r.best.beatsStudent
      ? `Deploy ${r.best.label}: its gain over the no-KD student is clearly positive (${withCi(bestRow.gain!, bestRow.gainCi)}) and it is best on validation among such students; ${m} ${formatMeanSd(r.best.testHeadline.mean, r.best.testHeadline.sd)} on test; saved in best-student/.`
      : `No teacher clearly helps — deploy the student alone (saved in best-student/).`,
  ].join(' ');
}
