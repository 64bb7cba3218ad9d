/** The verdicts experiment's table and summary for people (the CLI report and summary.md share them). */
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
  'meets target',
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
    s.meetsTarget ? 'yes' : 'no',
  ]);
}

/** One sentence on the target: which combination wins, or plainly that none reaches it. */
export function targetSentence(r: Pick<VerdictsResult, 'winner' | 'table'>, target: { agreement: number; decided: number }): string {
  const goal = `≥ ${pct(target.agreement)} agreement on decided pairs with a clear gain while deciding ≥ ${pct(target.decided)} of the pairs`;
  if (r.winner) {
    const w = r.winner;
    return (
      `Target (${goal}) met by ${r.table.filter((s) => s.meetsTarget).length} of ${r.table.length} combinations; ` +
      `the best, ${w.representation} × ${method(w)} (${pct(w.agreement)} agreement, ${pct(w.decidedShare)} decided), is the candidate default.`
    );
  }
  return `No combination reaches the target (${goal}).`;
}

export function verdictsSummary(r: VerdictsResult, target: { agreement: number; decided: number }): string {
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
      `budget ${b.name} with ${b.repeats} repeats (${b.epochs} epochs, ${b.maxRows === null ? 'all rows' : `at most ${b.maxRows} rows`}, ${b.bootstrap} resamples for the margin interval), seed ${o.seed}.`,
    '',
    '## Pairs',
    '',
    `- digits views in both directions (${o.views.join(', ')}; ${o.n} digits): ${pairsOf((v) => v === 'digits-views')} pairs`,
    `- degraded pixels teachers (blur σ: ${o.blur.length ? `${o.blur.join(', ')} px` : 'none'}; input noise sd: ${o.noise.join(', ') || 'none'}) → ${o.degradedStudents.join(', ') || 'no student'}: ${pairsOf((v) => v === 'digits-degraded')} pairs`,
    `- synthetic Gaussian settings of cch-gaussian (${o.gaussianSettings} setting(s), ${o.gaussianN} rows, p = ${o.gaussianP}, y in terciles), both directions: ${pairsOf((v) => v.startsWith('gaussian:'))} pairs`,
    `- variants: ${variants.join(', ')}`,
    '',
    '## Definitions',
    '',
    "A pair's verdict is *decided* when its margin interval excludes 0 (helps above, hurts below); its KD gain (headline metric, paired with the no-KD student per repeat) is *clear* when its t-interval over repeats excludes 0. " +
      "*Agreement* is the share of decided pairs with a clear gain whose verdict has the gain's sign. Undecided, decided without a clear effect, and decided and clear partition the pairs (as in a run's agreement line). Spearman is over all pairs (margin vs mean gain).",
    '',
    '## Table',
    '',
    md(VERDICTS_HEADER),
    md(VERDICTS_HEADER.map(() => '---')),
    ...verdictsTableRows(r.table).map(md),
    '',
    targetSentence(r, target),
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
