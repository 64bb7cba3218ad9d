/** Test fixtures of the run layer. */
import { BUDGET_PRESETS, type Budget } from './budget.js';
import type { RunOptions, RunResult } from './job.js';
import type { SweepTable } from './sweep-table.js';
import type { Decision } from './types.js';
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

/**
 * A sweep's budget that trains in seconds: 2 epochs at rate 0.01 and batch `batchSize`, the
 * trainer's default early stopping (val_loss, patience 10), an 8-unit MLP; `looks` as given.
 */
export function tinySweepBudget(batchSize: number, looks = [2]): Budget {
  const widths = { hidden: [8] };
  return {
    ...tinyBudget([]),
    looks,
    epochs: 2,
    patience: 10,
    monitor: 'val_loss',
    minSteps: 0,
    batchSize,
    lr: 0.01,
    image: widths,
    table: widths,
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
  for (const clause of measured[1].split(/; (?=clear gain|clear loss|no practical effect|undecided|stopped)/)) {
    const outcome = [
      'clear gain',
      'clear loss',
      'no practical effect',
      'undecided at the cap',
      'undecided',
      'stopped: cannot be deployed',
    ].find((o) => clause.startsWith(o))!;
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

/**
 * Reads a sweep's printed summary (`cmkd sweep` without --json) against its table and decision
 * (results.json) and returns what disagrees (empty: none). Every row of the table is printed with
 * its outcome and split count; the deploy sentence is printed, names a deployed row with a clear
 * gain shown as the table has it, or deploys the student alone saying why beside a clear gain;
 * the next step counts the undecided rows, and says whether more splits could decide them.
 */
export function sweepSummaryAgainstTable(summary: string, r: { table: SweepTable; decision: Decision }): string[] {
  const wrong: string[] = [];
  const lines = summary.split('\n');
  const { scale, unit } = gainUnits(r.table.headline);
  for (const row of r.table.rows) {
    const cells = lines.map((l) => l.trim().split(/\s{2,}/)).find((c) => c[0] === row.label);
    if (!cells) {
      wrong.push(`${row.label}: not in the printed table`);
      continue;
    }
    const n = String(row.metrics[r.table.headline].n);
    if (cells[cells.length - 1] !== n) wrong.push(`${row.label}: table says n = ${n}, summary says ${cells[cells.length - 1]}`);
    if (row.effect && cells[cells.length - 2] !== row.effect)
      wrong.push(`${row.label}: table says ${row.effect}, summary says ${cells[cells.length - 2]}`);
  }
  const d = r.decision;
  if (!summary.includes(d.sentence)) wrong.push(`the deploy sentence is not printed: ${d.sentence}`);
  const methods = r.table.rows.filter((row) => row.role === 'method');
  if (d.chosen !== null) {
    const deployed = methods.find((row) => row.label === d.chosen);
    if (deployed?.effect !== 'clear gain') wrong.push(`deployed ${d.chosen} has ${deployed?.effect}, not a clear gain`);
    else {
      const [value, interval] = estimateParts(
        scale * deployed.gain!.mean,
        deployed.gain!.ci && [scale * deployed.gain!.ci[0], scale * deployed.gain!.ci[1]],
        {
          signed: true,
        },
      );
      if (!summary.includes(`Deploy ${d.chosen}: its gain over the no-KD student, ${value}${unit}${interval}`))
        wrong.push(`the summary does not deploy ${d.chosen} with its gain ${value}${unit}${interval}`);
    }
  } else {
    if (!summary.includes('Deploy the student alone')) wrong.push('the summary does not deploy the student alone');
    if (methods.some((row) => row.effect === 'clear gain') && !/clear on its own but not after the correction/.test(summary))
      wrong.push('a clear gain is not deployed and the summary does not say why');
  }
  const undecided = methods.filter((row) => row.effect === 'undecided' || row.effect === 'undecided at the cap').length;
  if (d.undecided !== undecided) wrong.push(`decision counts ${d.undecided} undecided, the table ${undecided}`);
  const atCap = methods.some((row) => row.effect === 'undecided at the cap');
  const said = /(\d+) distilled students? (?:is|are) undecided at the cap of (\d+) splits?/.exec(summary);
  if (atCap !== (d.next !== null)) wrong.push(`rows undecided at the cap: ${atCap}, next step: ${JSON.stringify(d.next)}`);
  if (atCap !== Boolean(said)) wrong.push(`rows undecided at the cap: ${atCap}, but the summary ${said ? 'says so' : 'does not say so'}`);
  if (said && d.next) {
    if (Number(said[1]) !== undecided) wrong.push(`the summary counts ${said[1]} undecided, the table ${undecided}`);
    const could = d.next.decidable > 0;
    if (could !== summary.includes(`could be decided with --max-repeats ${d.next.maxRepeats} --resume`))
      wrong.push(`more splits could decide ${d.next.decidable}, the summary says otherwise`);
    if (!could && !summary.includes('more splits are unlikely to decide them'))
      wrong.push('the summary does not say more splits are unlikely to decide');
  }
  return wrong;
}
