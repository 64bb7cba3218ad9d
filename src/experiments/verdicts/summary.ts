/** The verdicts experiment's table and summary for people (the CLI report and summary.md share them). */
import { rankingSentence, type CalibrationRecord, type Interval } from '../../report/track-record.js';

export { rankingSentence };
import { CALIBRATION_RULES, CALIBRATION_TARGET, signScore, type DevelopmentScore } from './calibration.js';
import { replicateOfVariant } from './pairs.js';
import type { VerdictsResult, VerdictsScore } from './types.js';

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : 'n/a');
const num = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

export const VERDICTS_HEADER = [
  'representation',
  'estimator',
  'decided',
  'clear gain/loss',
  'agreement (decided & clear)',
  'undecided',
  'decided, no clear effect',
  'Spearman(margin, gain)',
];

/** What estimated the terms: predicted classes take the plug-in estimate whatever the estimator. */
const method = (s: Pick<VerdictsScore, 'representation' | 'estimator'>) => (s.representation === 'predicted' ? 'plug-in' : s.estimator);

export function verdictsTableRows(table: readonly VerdictsScore[]): string[][] {
  return table.map((s) => [
    s.representation,
    method(s),
    `${pct(s.decidedShare)} (${s.decided}/${s.pairs})`,
    `${pct(s.clearShare)} (${s.clear}/${s.pairs})`,
    `${pct(s.agreement)} (${s.agreed}/${s.checkable})`,
    String(s.undecided),
    String(s.noClearEffect),
    num(s.spearman),
  ]);
}

const n2 = (x: number | null) => (x === null ? 'n/a' : x.toFixed(2));
const signed = (x: number | null) => (x === null ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(2)}`);
const interval = (x: Interval | null, f = n2) => (x === null || x.value === null ? '–' : `${f(x.value)} [${f(x.lo)}, ${f(x.hi)}]`);

export const DEVELOPMENT_HEADER = ['representation', 'estimator', 'pairs', 'balanced accuracy', 'coverage', 'Spearman (median)', 'top-1'];

export function developmentRows(scores: readonly DevelopmentScore[]): string[][] {
  return scores.map((s) => [
    s.representation,
    method(s),
    String(s.pairs),
    n2(s.balancedAccuracy),
    s.coverage === null ? 'n/a' : pct(s.coverage),
    n2(s.spearman),
    s.topOne === null ? 'n/a' : pct(s.topOne),
  ]);
}

export const EVALUATION_HEADER = [
  'rule',
  'balanced accuracy',
  'recall gains / losses',
  'coverage',
  'right when decided',
  'verdict − rule',
  'Spearman (median)',
  'top-1',
];

export function evaluationRows(e: CalibrationRecord): string[][] {
  return e.rules.map((r) => [
    r.rule,
    interval(r.balancedAccuracy),
    `${n2(r.recallGain)} / ${n2(r.recallLoss)}`,
    r.coverage === null ? 'n/a' : pct(r.coverage),
    interval(r.rightWhenDecided ?? null),
    interval(r.criterionLead, signed),
    interval(r.spearman, signed),
    interval(r.topOne),
  ]);
}

/** The choice on development, and plainly whether the evaluation meets the target. */
export function targetSentence(r: Pick<VerdictsResult, 'choice' | 'evaluation'>): string {
  if (!r.choice || !r.evaluation)
    return 'No combination could be scored on development pairs with clear gains and clear losses: no choice, no evaluation.';
  const e = r.evaluation;
  const c = e.rules[0];
  const beaten = e.rules.slice(1).filter((x) => (x.criterionLead?.lo ?? -Infinity) > 0).length;
  return (
    `Chosen on development: ${r.choice.representation} × ${method(r.choice)} (balanced accuracy ${n2(r.choice.balancedAccuracy)}). ` +
    `On evaluation (${e.sources} sources, ${e.clearGains} clear gains, ${e.clearLosses} clear losses) its balanced accuracy is ${interval(c.balancedAccuracy)}; ` +
    `it leads ${beaten} of ${e.rules.length - 1} comparators by more than the interval of the lead. ` +
    `Target (≥ ${CALIBRATION_TARGET.balancedAccuracy} and above every comparator): ${e.meetsTarget ? 'met' : 'not met'}.`
  );
}

/** With replicates: the verdict's and the teacher-score rule's balanced accuracy on each draw of the evaluation sources alone (point values). */
export function perDrawSentence(r: Pick<VerdictsResult, 'rows' | 'choice' | 'options'>): string | null {
  if (!r.choice || !r.options.replicates.length) return null;
  const c = r.choice;
  const rows = r.rows.filter((x) => x.half === 'evaluation' && x.representation === c.representation && x.estimator === c.estimator);
  const verdict = CALIBRATION_RULES[0];
  const teacher = CALIBRATION_RULES.find((x) => x.name.startsWith("teacher's test score"))!;
  const draws = [0, ...r.options.replicates.map((_, i) => i + 1)].map((k) => {
    const rs = rows.filter((x) => replicateOfVariant(x.source).replicate === k);
    const v = signScore(rs, verdict.sign);
    return `${k === 0 ? 'first draw' : `replicate ${k}`} ${num(v.balancedAccuracy)} / ${num(signScore(rs, teacher.sign).balancedAccuracy)} (${v.clearGains} clear gains, ${v.clearLosses} clear losses)`;
  });
  return `Per draw of the evaluation sources, the verdict's balanced accuracy against the teacher-score rule's (point values): ${draws.join('; ')}.`;
}

export function verdictsSummary(r: VerdictsResult): string {
  const o = r.options;
  const b = o.budget;
  const variants = [...new Set(r.runs.map((x) => x.variant))];
  const pairsOf = (pred: (v: string) => boolean) => r.runs.filter((x) => pred(x.variant)).reduce((t, x) => t + x.teachers.length, 0);
  const later = r.calls.filter((c, i) => i % o.combos.length !== 0);
  const md = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    '# CCH verdict calibration (cmkd experiment verdicts)',
    '',
    `${r.pairs} teacher → student pairs in ${r.runs.length} runs of \`cmkd run\` (plain KD from every teacher, no fusion teacher), ` +
      `budget ${b.name} with ${b.repeats} repeats (${b.epochs !== null ? `${b.epochs} epochs` : `at most ${b.maxSteps} steps`}, ${b.maxRows === null ? 'all rows' : `at most ${b.maxRows} rows`}, ${b.bootstrap} resamples for the margin interval), seed ${o.seed}.`,
    '',
    '## Pairs',
    '',
    `- textured (MNIST-M-like) CNN students of every view (n: ${o.imageRows.join(', ') || 'none'}): ${pairsOf((v) => v.startsWith('digits-textured:'))} pairs`,
    `- digits views in both directions (${o.views.join(', ')}; ${o.n} digits): ${pairsOf((v) => v === 'digits-views')} pairs`,
    `- degraded pixels teachers (blur σ: ${o.blur.length ? `${o.blur.join(', ')} px` : 'none'}; input noise sd: ${o.noise.join(', ') || 'none'}) → ${o.degradedStudents.join(', ') || 'no student'}: ${pairsOf((v) => v === 'digits-degraded')} pairs`,
    `- synthetic Gaussian settings of cch-gaussian (${o.gaussianSettings} setting(s), ${o.gaussianN} rows, p = ${o.gaussianP}, y in terciles), both directions: ${pairsOf((v) => v.startsWith('gaussian:'))} pairs`,
    `- digits with a share η of the labels flipped (η: ${o.labelNoise.join(', ') || 'none'}): ${pairsOf((v) => v.startsWith('digits-noisy-labels:'))} pairs`,
    `- few digits (n: ${o.fewRows.join(', ') || 'none'}): ${pairsOf((v) => v.startsWith('digits-few:'))} pairs`,
    `- weak table students, noise ${o.weakNoise.join(', ') || 'none'} × each column's sd, next to clean teachers: ${pairsOf((v) => v.startsWith('digits-weak:'))} pairs`,
    `- weak pixels students, noise sd ${o.weakPixels.join(', ') || 'none'}, next to every clean view: ${pairsOf((v) => v.startsWith('digits-weak-pixels:'))} pairs`,
    `- variants: ${variants.join(', ')}`,
    '',
    '## Halves (fixed by the plan before any scoring)',
    '',
    `- development (${r.halves.development.length} sources): ${r.halves.development.join(', ')}`,
    `- evaluation (${r.halves.evaluation.length} sources): ${r.halves.evaluation.join(', ')}`,
    '',
    '## Definitions',
    '',
    "A pair's verdict is *decided* when its margin interval excludes 0 (helps above, hurts below); its KD gain (headline metric, paired with the no-KD student per split) is a *clear gain* or *clear loss* when its 95% interval (src/metrics/gains.ts: the plain factor on disjoint k-fold test parts, Nadeau–Bengio corrected where splits overlap) excludes 0. " +
      "*Balanced accuracy* is the mean of the recall on clear gains ('helps') and on clear losses ('hurts'), an undecided verdict counted as wrong; *coverage* the share of clear effects decided. " +
      'Ranking, per student with ≥ 3 teachers: Spearman(score, mean gain), median over students, and top-1, the share of students whose top-scoring teacher gave the best gain. ' +
      `Intervals: ${Math.round(100 * (r.evaluation?.bootstrap.level ?? 0.95))}% percentile cluster bootstrap by source (${r.evaluation?.bootstrap.draws ?? 2000} draws); *verdict − rule* is the verdict's lead on the same draws.`,
    '',
    '## Development: choosing the representation × estimator',
    '',
    md(DEVELOPMENT_HEADER),
    md(DEVELOPMENT_HEADER.map(() => '---')),
    ...developmentRows(r.development).map(md),
    '',
    md(VERDICTS_HEADER),
    md(VERDICTS_HEADER.map(() => '---')),
    ...verdictsTableRows(r.table).map(md),
    '',
    '## Evaluation: the chosen verdict against simple rules',
    '',
    ...(r.evaluation
      ? [
          md(EVALUATION_HEADER),
          md(EVALUATION_HEADER.map(() => '---')),
          ...evaluationRows(r.evaluation).map(md),
          '',
          rankingSentence(r.evaluation),
          '',
        ]
      : []),
    targetSentence(r),
    ...(r.evaluationByVariant
      ? [
          '',
          `The same evaluation, the bootstrap drawing the ${new Set(r.halves.evaluation.map((s) => replicateOfVariant(s).base)).size} variants (a source with its replicates, which share its settings) instead of the ${r.evaluationByVariant.sources} sources:`,
          '',
          md(EVALUATION_HEADER),
          md(EVALUATION_HEADER.map(() => '---')),
          ...evaluationRows(r.evaluationByVariant).map(md),
          '',
          perDrawSentence(r) ?? '',
        ]
      : []),
    '',
    '## How the gains ended',
    '',
    `At ${o.repeats} fixed splits, each pair once: ${Object.entries(r.gainOutcomes)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')} (of ${r.pairs}).`,
    '',
    '## Reuse of trained models',
    '',
    later.length
      ? `${later.filter((c) => c.reusedAllModels).length} of ${later.length} calls after a run's first read every trained model back ` +
        `(mean ${(later.reduce((t, c) => t + c.seconds, 0) / later.length).toFixed(1)} s per call, against ` +
        `${(r.calls.filter((_, i) => i % o.combos.length === 0).reduce((t, c) => t + c.seconds, 0) / r.runs.length).toFixed(1)} s for a run's first call); see calls.csv.`
      : 'One combination only: nothing to reuse.',
    '',
    `Wall time ${r.wallSeconds.toFixed(0)} s. Files: ${r.files.map((f) => f.split(/[\\/]/).pop()).join(', ')}; each run's own folder is under runs/.`,
    '',
  ].join('\n');
}
