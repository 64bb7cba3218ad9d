import { describe, expect, it } from 'vitest';
import { combineRepeats } from '../criteria/index.js';
import { cchResultOf } from '../criteria/testing/results.js';
import { methodIdLabel } from '../kd/index.js';
import { deployment, methodTable, outcomesOf, type Assembly } from './assemble.js';
import { gainDesign, pairedGains } from './decide.js';
import { summaryAgainstTables, tinyBudget } from './testing.js';
import type { ModelRecord, RunResult } from './types.js';
import { agreementOf, plainVerdict } from './verdict.js';

/** The test-set F1 of one model per split, as the run's records. */
const records = (role: ModelRecord['role'], f1: number[], teacher?: string): ModelRecord[] =>
  f1.map((v, repeat) => ({
    role,
    modality: 'x',
    repeat,
    ...(teacher ? { method: methodIdLabel('kd'), methodId: 'kd', teacher } : {}),
    test: { f1Weighted: v },
    val: { f1Weighted: v },
    history: [],
    bestEpoch: 1,
    modelDir: '',
    seconds: 1,
  }));

describe('a distilled student the sequential splits stopped early', () => {
  // Looks at 3 and 5 splits; 3 done. Plain KD from 'a' gains 10 points, clearly; from 'b' about 0 ± 1 point, an
  // interval too wide to decide alone but whose upper end is below a's lower end: 'b' cannot be the one deployed.
  const student = records('student', [0.8, 0.7, 0.75]);
  const kd = { a: records('distilled', [0.9, 0.802, 0.851], 'a'), b: records('distilled', [0.81, 0.69, 0.75], 'b') };
  const design = gainDesign({
    scheme: 'random',
    folds: 0,
    nTrain: 700,
    nTest: 200,
    looks: [3, 5],
    metric: 'f1Weighted',
    baselineMean: 0.75,
  });
  const a: Assembly = {
    records: [...student, ...kd.a, ...kd.b],
    candidates: ['a', 'b'].map((teacher) => ({ teacher, methodId: 'kd', splits: 3, closed: true })),
    gainsOf: (teacher) => pairedGains(kd[teacher as 'a' | 'b'], student, 'f1Weighted', true),
    design,
    headline: { metric: 'f1Weighted', higherIsBetter: true },
    metrics: ['f1Weighted'],
    perTeacher: 'kd',
    task: 'classification',
  };
  const cch = combineRepeats([0.3, 0.31, 0.29].map((m) => cchResultOf({ a: m, b: m / 3 }, 0.01)));

  it("is labelled 'stopped: cannot be deployed' in the methods table, the teachers table and the summary", () => {
    const table = methodTable(a);
    const outcomes = outcomesOf(a, cch);
    const { best, decision } = deployment(a, table, { looks: [3, 5], budget: tinyBudget(['kd']), familyFrom: ['a', 'b'] });
    const b = table.find((row) => row.teacher === 'b')!;
    expect(b.effect).toBe('stopped: cannot be deployed');
    expect(b.gainCi![0]).toBeLessThan(-design.delta);
    expect(b.gainCi![1]).toBeLessThan(table.find((row) => row.teacher === 'a')!.gainCi![0]);
    expect(outcomes.find((o) => o.teacher === 'b')!.effect).toBe('stopped: cannot be deployed');
    expect(outcomes.find((o) => o.teacher === 'a')!.effect).toBe('clear gain');
    // Not undecided: no next step is offered for it.
    expect(decision).toMatchObject({ chosen: `${methodIdLabel('kd')} ← a`, undecided: 0, next: null });
    const r = {
      student: 'x',
      dataset: { summary: { task: { kind: 'classification' } } },
      headline: a.headline,
      cch,
      outcomes,
      agreement: agreementOf(outcomes),
      table,
      decision,
      best,
    } as unknown as RunResult;
    r.verdict = plainVerdict(r);
    expect(r.verdict).toContain(
      "stopped: cannot be deployed (splits stopped early: the upper end of its interval is below the practical margin or below the lower end of a gain above 0 after the correction) from 'b'",
    );
    expect(summaryAgainstTables(r)).toEqual([]);
  });
});
