/**
 * The CCH verdict's track record on the evaluation pairs of `cmkd experiment verdicts`, as the
 * experiment measured it (verdicts-track-record.json, written by the experiment and committed;
 * a test recomputes its table from its rows), and the report table that shows it beside every
 * run's teachers table.
 */
import { table, type Cell, type TableBlock } from './document.js';
import record from './verdicts-track-record.json' with { type: 'json' };

/** A point value with its percentile interval over the cluster bootstrap (null: not defined, e.g. no ranked student). */
export interface Interval {
  value: number | null;
  lo: number | null;
  hi: number | null;
}

export interface BootstrapOptions {
  draws: number;
  seed: number;
  level?: number;
}

/** One rule's scores on a set of pairs (the CCH verdict or a comparator). */
export interface RuleRecord {
  rule: string;
  balancedAccuracy: Interval;
  recallGain: number | null;
  recallLoss: number | null;
  coverage: number | null;
  /** Of the rule's decided answers on clear effects, the share with the measured gain's sign (its precision; null when it decided none). */
  rightWhenDecided?: Interval;
  /** The criterion's balanced accuracy minus this rule's, on the same draws (null for the criterion itself). */
  criterionLead: Interval | null;
  /** Median within-student Spearman(score, gain) and top-1 hit rate; null for rules that do not rank. */
  spearman: Interval | null;
  topOne: Interval | null;
}

export interface CalibrationRecord {
  pairs: number;
  sources: number;
  clearGains: number;
  clearLosses: number;
  /** Students with ≥ 3 teachers (the ranking scores' units). */
  rankedStudents: number;
  bootstrap: BootstrapOptions;
  rules: RuleRecord[];
  /** Balanced accuracy ≥ 0.85 and the criterion's lead over every comparator above 0 (its interval). */
  meetsTarget: boolean;
}

/** The committed file: the default chosen on development, its record on evaluation, and the evaluation rows it was computed from. */
export interface TrackRecordFile {
  experiment: 'verdicts';
  /** How the pairs were made (budget, repeats, sources), in words. */
  settings: string;
  representation: string;
  estimator: string;
  halves: { development: string[]; evaluation: string[] };
  evaluation: CalibrationRecord;
  rows: Record<string, unknown>[];
}

export const VERDICTS_TRACK_RECORD = record as unknown as TrackRecordFile;

/**
 * The track record in words for an analysis on `representation`, where it applies: the sign and
 * ranking sentences, and the combination it was measured for when the analysis uses another
 * representation (null: the same). Null for regression (it was measured on classification) or
 * without a record.
 */
export function trackRecordWords(
  task: 'classification' | 'regression',
  representation: string,
  t: TrackRecordFile = VERDICTS_TRACK_RECORD,
): { text: string; measuredFor: string | null } | null {
  if (task !== 'classification' || !t.evaluation.rules.length) return null;
  return {
    text: `${signSentence(t.evaluation)} ${rankingSentence(t.evaluation)}`,
    measuredFor: representation === t.representation ? null : `${t.representation} × ${t.estimator}`,
  };
}

const est = (x: Interval | null): Cell =>
  x && x.value !== null ? { value: x.value, ci: x.lo !== null && x.hi !== null ? [x.lo, x.hi] : null } : null;

/** The track record as a report table: criterion and comparators, sign (balanced accuracy) and ranking (Spearman, top-1). */
export function trackRecordTable(t: TrackRecordFile = VERDICTS_TRACK_RECORD): TableBlock {
  const e = t.evaluation;
  const level = Math.round(100 * (e.bootstrap.level ?? 0.95));
  return table({
    id: 'verdict-track-record',
    caption:
      `How far to trust the verdict: on the ${e.pairs} evaluation pairs of \`cmkd experiment verdicts\` (${e.sources} sources held out from choosing the default ${t.representation} × ${t.estimator}; ${e.clearGains} clear KD gains, ${e.clearLosses} clear losses; ${t.settings}), ` +
      `the verdict against simple rules. Sign: balanced accuracy over clear effects (undecided = wrong) with its ${level}% cluster-bootstrap interval by source, the share of clear effects a rule decides (coverage), and how often its decided answers have the measured gain's sign; ranking, over ${e.rankedStudents} students with ≥ 3 teachers: median Spearman(score, gain) and the share whose top-scoring teacher gave the best gain.`,
    header: ['rule', 'balanced accuracy', 'coverage', 'right when decided', 'verdict − rule', 'Spearman (ranking)', 'top-1'],
    rows: e.rules.map((r) => [
      r.rule,
      est(r.balancedAccuracy),
      r.coverage,
      est(r.rightWhenDecided ?? null),
      est(r.criterionLead),
      est(r.spearman),
      est(r.topOne),
    ]),
    formats: { coverage: { percent: true, digits: 0 }, 'verdict − rule': { signed: true } },
  });
}

const signed = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(2)}`);
const two = (x: number | null | undefined) => (x === null || x === undefined ? 'n/a' : x.toFixed(2));

/** Whether the margin ranks a student's teachers better than the teachers' own test scores, in words (plainly when it does not). */
export function rankingSentence(e: CalibrationRecord): string {
  const cch = e.rules[0];
  const acc = e.rules.find((x) => x.rule.startsWith("teacher's test score"));
  if (!cch || !acc || cch.spearman?.value == null) return 'Ranking: no student with ≥ 3 teachers on evaluation pairs.';
  const better = cch.spearman.value > (acc.spearman?.hi ?? Infinity) && (cch.topOne?.value ?? 0) > (acc.topOne?.hi ?? Infinity);
  const numbers = `median Spearman ${signed(cch.spearman.value)} against ${signed(acc.spearman?.value)}; top-1 ${two(cch.topOne?.value)} against ${two(acc.topOne?.value)}`;
  return better
    ? `Ranking: the margin ranks teachers better than their own test scores (${numbers}).`
    : `Ranking: the margin ranks teachers no better than their own test scores (${numbers}).`;
}

/** The sign's result in one line: the verdict's balanced accuracy against the best comparator's, and whether it leads every comparator. */
export function signSentence(e: CalibrationRecord): string {
  const [cch, ...others] = e.rules;
  if (!cch) return 'Sign: not measured.';
  if (e.clearGains === 0 || e.clearLosses === 0) {
    const which = e.clearGains === 0 ? 'gain' : 'loss';
    return (
      `Sign: no balanced accuracy, since the evaluation pairs hold no clear KD ${which} (${e.clearGains} clear gains, ${e.clearLosses} clear losses); ` +
      `the verdict's recall is ${two(e.clearGains ? cch.recallGain : cch.recallLoss)} on the clear ${e.clearGains ? 'gains' : 'losses'}, which "always ${e.clearGains ? 'helps' : 'hurts'}" matches.`
    );
  }
  const best = others.reduce((a, b) => ((b.balancedAccuracy.value ?? -1) > (a.balancedAccuracy.value ?? -1) ? b : a));
  const leads = others.every((x) => (x.criterionLead?.lo ?? -Infinity) > 0);
  const ba = (x: Interval) => `${two(x.value)} [${two(x.lo)}, ${two(x.hi)}]`;
  const right = cch.rightWhenDecided;
  return (
    `Sign: balanced accuracy ${ba(cch.balancedAccuracy)} against ${ba(best.balancedAccuracy)} for the best comparator (${best.rule}); ` +
    (leads
      ? 'the verdict leads every comparator beyond the interval of its lead.'
      : 'the verdict does not lead every comparator beyond the interval of its lead.') +
    (right && right.value !== null && cch.coverage !== null
      ? ` A decided verdict ("helps" or "hurts") had the measured gain's sign on a share ${ba(right)} of the clear effects it decided; it decided ${Math.round(100 * cch.coverage)}% of them, and "uncertain" says nothing either way.`
      : '')
  );
}
