/** Test fixtures of the run layer. */
import { BUDGET_PRESETS, type Budget } from './budget.js';
import type { RunOptions, RunResult } from './job.js';
import { gainUnits } from './decide.js';
import { estimateParts } from '../util/format.js';

/** A budget that trains in seconds: 2 splits (fixed, or the one look of --repeats auto) of 2 epochs, a 16-unit MLP, 4 resamples; `methods` as given. */
export function tinyBudget(methods: string[]): Budget {
  return {
    ...BUDGET_PRESETS.quick,
    maxRows: null,
    repeats: 2,
    looks: [2],
    epochs: 2,
    patience: 2,
    bootstrap: 4,
    table: { hidden: [16] },
    methods,
  };
}

/** The executor tests' run: three digit views, a tiny budget, two methods; forked workers load the spec again. */
export const EXECUTOR_RUN: Omit<RunOptions, 'outDir'> = {
  dataset: 'digits?n=300&modalities=profiles,blocks,fourier&cache=false',
  student: 'profiles',
  teachers: ['blocks', 'fourier'],
  budget: tinyBudget(['kd', 'dkd+ls']),
};

/** What must not depend on the executor: tables, verdicts, the chosen student, the records (wall time aside). */
export function runTables(r: RunResult) {
  return {
    table: r.table,
    outcomes: r.outcomes,
    cch: r.cch,
    best: r.best,
    records: r.records.map(({ seconds: _s, ...rec }) => rec),
  };
}

/**
 * Reads a run's summary against its tables and returns what disagrees (empty: none). Every teacher
 * the summary names under an outcome has that outcome in the teachers table, with the interval the
 * table shows; every teacher of the table is named under its outcome; the deploy sentence names the
 * deployed row, which has a clear gain; a student-alone decision beside a clear gain says why.
 */
export function summaryAgainstTables(r: Pick<RunResult, 'verdict' | 'outcomes' | 'table' | 'best' | 'decision' | 'headline'>): string[] {
  const wrong: string[] = [];
  const { scale, unit } = gainUnits(r.headline.metric);
  const measured = /Measured (?:plain KD|FeatKD\(out\)) \(paired [^)]*\): (.*?); decided and clear:/.exec(r.verdict);
  if (!measured) return [`no 'Measured <per-teacher method>' sentence in: ${r.verdict}`];
  const named = new Map<string, string>();
  for (const clause of measured[1].split(/; (?=clear gain|clear loss|no practical effect|undecided)/)) {
    const outcome = ['clear gain', 'clear loss', 'no practical effect', 'undecided at the cap', 'undecided'].find((o) =>
      clause.startsWith(o),
    )!;
    for (const [, t] of clause.matchAll(/'([^']+)'/g)) named.set(t, outcome);
    for (const o of r.outcomes.filter((x) => x.effect === outcome && (outcome === 'clear gain' || outcome === 'clear loss'))) {
      const [value, interval] = estimateParts(scale * o.gain.mean, o.gainCi && [scale * o.gainCi[0], scale * o.gainCi[1]], {
        signed: true,
      });
      if (!clause.includes(`'${o.teacher}' ${value}${unit}${interval}`))
        wrong.push(`${o.teacher}: the summary does not show ${value}${unit}${interval}`);
    }
  }
  for (const o of r.outcomes)
    if ((o.effect ?? 'undecided') !== named.get(o.teacher))
      wrong.push(`${o.teacher}: table says ${o.effect}, summary says ${named.get(o.teacher)}`);
  const deployed = r.table.find((row) => row.label === r.best.label)!;
  if (r.decision.chosen !== null) {
    if (r.decision.chosen !== r.best.label) wrong.push(`decision ${r.decision.chosen} but deployed ${r.best.label}`);
    if (deployed.effect !== 'clear gain') wrong.push(`deployed ${deployed.label} has ${deployed.effect}, not a clear gain`);
    if (!r.verdict.includes(`Deploy ${r.best.label}:`)) wrong.push(`the summary does not deploy ${r.best.label}`);
  } else {
    if (deployed.role !== 'student') wrong.push(`no student chosen but ${deployed.label} deployed`);
    if (!r.verdict.includes('Deploy the student alone')) wrong.push('the summary does not deploy the student alone');
    const clear = r.table.filter((row) => row.effect === 'clear gain');
    if (clear.length && !/clear on its own but not after the correction/.test(r.verdict))
      wrong.push('a clear gain is not deployed and the summary does not say why');
  }
  return wrong;
}
