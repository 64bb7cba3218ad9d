/**
 * The run's words: how the decided CCH verdicts compare with the clear measured gains, and the
 * paragraph a person reads. Every "helps", "agrees" or "deploy" rests on an interval.
 */
import type { CchResult } from '../criteria/index.js';
import { methodIdLabel, PLAIN_KD, teacherMethodId } from '../kd/index.js';
import type { MeanSd } from '../metrics/index.js';
import { metricLabel } from '../report/index.js';
import { estimateParts, formatMeanSd, formatNumber } from '../util/format.js';
import { gainUnits, type GainSummary } from './decide.js';
import type { Decision, RunResult, TeacherOutcome } from './types.js';

/**
 * The method the run distilled from every teacher, in the run's words: 'plain KD', or the registry
 * label of the task's per-teacher method ('FeatKD(out)' for regression, src/kd/registry.ts teacherMethodId).
 */
export function perTeacherWords(r: Pick<RunResult, 'dataset'>): string {
  const task = r.dataset.summary.task.kind;
  const id = teacherMethodId(task);
  return id === PLAIN_KD ? 'plain KD' : methodIdLabel(id, task);
}

/**
 * Each scored teacher's verdict beside the measured effect of the per-teacher method (plain KD) from it. "agrees" is
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

/** "decided and clear: a of b agree; c undecided; d without a clear gain or loss". */
export function agreementLine(a: RunResult['agreement']): string {
  return `decided and clear: ${a.agree} of ${a.decidedAndClear} agree; ${a.undecided} undecided; ${a.noClearEffect} without a clear gain or loss`;
}

/** One paragraph for people: what the criterion says, what KD measurably did, what to deploy. */
export function plainVerdict(r: RunResult): string {
  const h = r.headline.metric;
  const m = metricLabel(h);
  // F1 gains in percentage points (× 100), as in the deploy sentence; every number in the report's one format (src/util/format.ts).
  const { scale, unit } = gainUnits(h);
  const withCi = (g: MeanSd, ci: [number, number] | null | undefined) => {
    const [value, interval] = estimateParts(scale * g.mean, ci ? [scale * ci[0], scale * ci[1]] : null, { signed: true });
    return `${value}${unit}${interval}`;
  };
  const names = (xs: TeacherOutcome[]) => xs.map((x) => `'${x.teacher}'`).join(', ');
  const student = r.table.find((row) => row.role === 'student')!;
  const helps = r.outcomes.filter((x) => x.verdict === 'helps');
  const hurts = r.outcomes.filter((x) => x.verdict === 'hurts');
  const undecided = r.outcomes.length - helps.length - hurts.length;
  const criterion = [
    helps.length ? `KD helps from ${names(helps)}` : '',
    hurts.length ? `hurts from ${names(hurts)}` : '',
    undecided ? `${undecided} of ${r.outcomes.length} teachers undecided (interval contains 0)` : '',
  ].filter(Boolean);
  const withEffect = (effect: string, words: string, cis: boolean) => {
    const xs = r.outcomes.filter((x) => (x.effect ?? 'undecided') === effect);
    if (!xs.length) return '';
    return cis ? `${words} from ${xs.map((x) => `'${x.teacher}' ${withCi(x.gain, x.gainCi)}`).join(', ')}` : `${words} from ${names(xs)}`;
  };
  const measured = [
    withEffect('clear gain', 'clear gain', true),
    withEffect('clear loss', 'clear loss', true),
    withEffect('no practical effect', `no practical effect (within ±${formatNumber(scale * r.decision.delta)}${unit})`, false),
    withEffect('undecided', 'undecided', false),
    withEffect('undecided at the cap', `undecided at the cap of ${r.decision.looks[r.decision.looks.length - 1]} splits`, false),
    withEffect('stopped: cannot be deployed', STOPPED_WORDS, false),
  ].filter(Boolean);
  const sequential = r.decision.looks.length > 1;
  const intervals = sequential
    ? `95% intervals over up to ${r.decision.splitsUsed} splits, valid for the splits' overlap and for adding splits after looking`
    : `95% intervals over ${r.decision.splitsUsed} splits, valid for the splits' overlap`;
  const next = r.decision.next;
  return [
    `Deploying on '${r.student}' alone, the student without KD reaches ${m} ${formatMeanSd(student.test[h].mean, student.test[h].sd)} (test, ${student.test[h].n} splits).`,
    `The CCH criterion (${
      (r.cch.repeats ?? 1) > 1
        ? `margin over ${r.cch.repeats} repeats, ${Math.round(100 * r.cch.ciLevel)}% intervals with training variance`
        : `one repeat: ${Math.round(100 * r.cch.ciLevel)}% intervals of the estimator only, training variance not included`
    }) predicts: ${criterion.join('; ')}.`,
    `Measured ${perTeacherWords(r)} (paired ${m} gain, ${intervals}): ${measured.join('; ')}; ${agreementLine(r.agreement)}.`,
    `${r.decision.sentence} Saved in best-student/.`,
    ...(next ? [nextStepSentence(r, scale, unit)] : []),
  ].join(' ');
}

/** Why a student the sequential splits stopped early cannot be deployed (src/metrics/gains.ts nextSplits), in the summary's words. */
export const STOPPED_WORDS =
  'stopped: cannot be deployed (splits stopped early: the upper end of its interval is below the practical margin or below the lower end of a gain above 0 after the correction)';

/** What more splits would do for the gains undecided at the cap, from their present spread between splits. */
export function nextStepSentence(r: { decision: Decision }, scale = 1, unit = ''): string {
  const next = r.decision.next!;
  const n = r.decision.undecided;
  const hw = (x: number) => `±${formatNumber(scale * x)}${unit}`;
  const cap = r.decision.looks[r.decision.looks.length - 1];
  const subject = `${n} distilled student${n === 1 ? ' is' : 's are'} undecided at the cap of ${cap} split${cap === 1 ? '' : 's'}`;
  const widths = Number.isNaN(next.halfWidth.now)
    ? 'one split gives no interval yet'
    : `the widest interval, ${hw(next.halfWidth.now)} now, would be about ${hw(next.halfWidth.next)} at ${next.maxRepeats} splits if the gains vary between splits as they do now`;
  return next.decidable > 0
    ? `${subject}: ${next.decidable} of them could be decided with --max-repeats ${next.maxRepeats} --resume (about ${next.models} more models; ${widths}).`
    : `${subject}, and more splits are unlikely to decide them: ${widths}, still wider than their gains are far from 0 or from ±${formatNumber(scale * r.decision.delta)}${unit}. The spread comes from training and from each split's test rows${next.overlapping ? '; overlapping splits cannot shrink it below a floor (docs/decisions.md)' : ''}.`;
}
