import { describe, expect, it } from 'vitest';
import { STUDENT_SAMPLES, buildRunReport, runNotes, shownTeachers, studentSampleRows } from './report.js';
import type { Effect, MethodRow, ModelRecord, RunResult } from './types.js';
import type { Budget, TrainingSchedule } from './budget.js';
import type { DatasetSummary, LabelLeak } from '../data/index.js';
import { VERDICTS_TRACK_RECORD, type ReportDocumentInput } from '../report/index.js';

describe("the student page's sample inputs", () => {
  it('cover every class of a class-sorted file, one class after another', () => {
    // 10 classes of 20 rows each, sorted by class; the test rows in file order.
    const labels = Int32Array.from({ length: 200 }, (_, i) => Math.floor(i / 20));
    const test = Int32Array.from({ length: 40 }, (_, i) => i * 5);
    const rows = studentSampleRows(test, labels, 10);
    expect(rows).toHaveLength(STUDENT_SAMPLES);
    expect(new Set(rows.map((r) => labels[r])).size).toBe(10);
    expect(rows.slice(0, 10).map((r) => labels[r])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const r of rows) expect(Array.from(test)).toContain(r);
  });

  it('take one row per class when there are more classes than samples, and skip classes without test rows', () => {
    const labels = Int32Array.from({ length: 60 }, (_, i) => i % 15);
    const rows = studentSampleRows(
      Int32Array.from({ length: 30 }, (_, i) => i),
      labels,
      15,
    );
    expect(new Set(rows.map((r) => labels[r])).size).toBe(15);
    expect(studentSampleRows([0, 1, 2], Int32Array.from([0, 0, 0]), 3)).toEqual([0, 1, 2]);
    expect(studentSampleRows([4, 5], Float32Array.from([0, 0, 0, 0, 1.5, 2.5]), null)).toEqual([4, 5]);
  });
});

/**
 * A run's result with the fields its report reads: student 's', teachers 'a' (ranked first by CCH),
 * 'b' and 'c'; plain KD from every teacher and DKD from the family's teachers; 2 splits.
 * `effects` sets each teacher's plain-KD effect; `deployed` the deployed row (null: the student alone).
 */
function runResult(o: {
  familyFrom: string[];
  effects: Record<string, Effect>;
  deployed: string | null;
  notes?: string[];
  loading?: string[];
  leaks?: LabelLeak[];
}): RunResult {
  const teachers = ['a', 'b', 'c'];
  const ms = (mean: number) => ({ mean, sd: 0.02, n: 2 });
  const history = [
    { epoch: 1, trainLoss: 1.2, valLoss: 1.1, valMetric: 0.5 },
    { epoch: 2, trainLoss: 1.0, valLoss: 1.0, valMetric: 0.6 },
  ];
  const confusion = [
    [3, 1],
    [1, 3],
  ];
  const rec = (role: ModelRecord['role'], modality: string, dir: string, extra: Partial<ModelRecord> = {}): ModelRecord => ({
    role,
    modality,
    repeat: 0,
    test: { f1Weighted: 0.6 },
    val: { f1Weighted: 0.6 },
    history,
    confusion,
    modelDir: dir,
    seconds: 1,
    bestEpoch: 2,
    ...extra,
  });
  const distilled = [...teachers.map((t) => ({ method: 'KD', teacher: t })), ...o.familyFrom.map((t) => ({ method: 'DKD', teacher: t }))];
  const dirOf = (d: { method: string; teacher: string }) => `models/r0/${d.method}-${d.teacher}`;
  const records = [
    rec('student', 's', 'models/r0/student'),
    ...teachers.map((t) => rec('teacher', t, `models/r0/teacher-${t}`)),
    ...distilled.map((d) =>
      rec('distilled', 's', dirOf(d), {
        method: d.method,
        teacher: d.teacher,
        notes: d.method === 'DKD' ? ['warm-up is 20 epochs (reference) and this run has 2'] : undefined,
      }),
    ),
  ];
  const row = (label: string, role: ModelRecord['role'], modality: string, extra: Partial<MethodRow> = {}): MethodRow => ({
    label,
    role,
    modality,
    test: { f1Weighted: ms(0.6) },
    val: { f1Weighted: ms(0.6) },
    ...extra,
  });
  const table = [
    row('STUDENT (s, no KD)', 'student', 's'),
    ...teachers.map((t) => row(`TEACHER (${t})`, 'teacher', t)),
    ...distilled.map((d) =>
      row(`${d.method} ← ${d.teacher}`, 'distilled', 's', {
        teacher: d.teacher,
        gain: ms(0.01),
        gainCi: [-0.1, 0.12],
        effect: d.method === 'KD' ? o.effects[d.teacher] : 'undecided',
      }),
    ),
  ];
  const best = o.deployed ?? 'STUDENT (s, no KD)';
  const d = o.deployed ? distilled.find((x) => `${x.method} ← ${x.teacher}` === o.deployed)! : null;
  const estimate = (value: number) => ({ value, ci: [value - 0.1, value + 0.1] as [number, number] });
  const loading = o.loading ?? [];
  return {
    version: '0.0.0',
    dataset: {
      name: 'fixture',
      n: 100,
      summary: {
        task: { kind: 'classification', classes: ['x', 'y'] },
        leaks: o.leaks ?? [],
        warnings: loading,
      } as unknown as DatasetSummary,
      subsampledFrom: null,
    },
    student: 's',
    teachers,
    budget: { name: 'quick' } as Budget,
    schedule: { epochs: 2 } as TrainingSchedule,
    splits: 'random',
    folds: 10,
    methods: ['kd', 'dkd'],
    headline: { metric: 'f1Weighted', higherIsBetter: true },
    analysis: { representation: 'predicted' } as RunResult['analysis'],
    cch: {
      student: 's',
      miStudentLabel: estimate(0.3),
      teachers: teachers.map((t) => ({ teacher: t, miTeacherStudent: estimate(0.2) })),
      ranking: teachers,
      estimator: 'plugin',
      units: 'nats',
      n: 40,
      interval: 'half-split',
      resamples: 4,
      ciLevel: 0.95,
      representations: [],
      settings: {},
      repeats: 2,
    } as unknown as RunResult['cch'],
    recommended: 'a',
    records,
    decision: {
      rule: 'the rule',
      sentence: 'The sentence.',
      chosen: o.deployed,
      familywiseError: 0.025,
      looks: [2],
      delta: 0.01,
      splitsUsed: 2,
      familyFrom: o.familyFrom,
      undecided: 0,
      next: null,
    },
    table,
    outcomes: teachers.map((t, i) => ({
      teacher: t,
      margin: 0.1,
      marginCi: [-0.1, 0.3],
      verdict: 'uncertain',
      rank: i + 1,
      gain: ms(0.01),
      gainCi: [-0.1, 0.12],
      effect: o.effects[t],
      agrees: null,
    })),
    agreement: { agree: 0, decidedAndClear: 0, undecided: 3, noClearEffect: 0 },
    best: {
      label: best,
      modelDir: 'best-student',
      sourceDir: d ? dirOf(d) : 'models/r0/student',
      valHeadline: ms(0.6),
      testHeadline: ms(0.6),
      beatsStudent: d !== null,
    },
    report: 'report.html',
    verdict: 'The verdict.',
    warnings: [],
    notes: o.notes ?? [
      ...loading,
      ...distilled
        .filter((x) => x.method === 'DKD')
        .map(() => 'DKD: warm-up is 20 epochs (reference) and this run has 2')
        .slice(0, 1),
    ],
    reusedStages: [],
    seconds: 1,
  };
}

type Block = {
  kind: string;
  id?: string;
  text?: string;
  title?: string;
  items?: string[];
  caption?: string;
  spec?: { data?: { values?: Record<string, unknown>[] } };
};
const blocksOf = (doc: ReportDocumentInput): Block[] => [...(doc.summary ?? []), ...doc.sections.flatMap((s) => s.blocks)] as Block[];
const figureValues = (doc: ReportDocumentInput, id: string, field: string): string[] => {
  const fig = blocksOf(doc).find((b) => b.kind === 'figure' && b.id === id)!;
  return [
    ...new Set(
      JSON.stringify(fig.spec)
        .match(new RegExp(`"${field}":"[^"]*"`, 'g'))!
        .map((m) => JSON.parse(`{${m}}`)[field] as string),
    ),
  ];
};

describe('the run report: curves and methods figure', () => {
  it('show every teacher with a decided plain-KD gain and the deployed student, not only the family teacher', () => {
    const r = runResult({ familyFrom: ['a'], effects: { a: 'undecided', b: 'clear gain', c: 'clear loss' }, deployed: 'KD ← b' });
    expect(shownTeachers(r)).toEqual(['a', 'b', 'c']);
    const doc = buildRunReport(r, '2026-12-07');
    const models = figureValues(doc, 'learning-curves', 'model');
    expect(models).toEqual(
      expect.arrayContaining([
        'student (no KD)',
        'teacher (a)',
        'teacher (b)',
        'teacher (c)',
        'KD ← b (deployed)',
        'KD ← c',
        'KD ← a',
        'DKD ← a',
      ]),
    );
    expect(figureValues(doc, 'methods', 'group').sort()).toEqual(['a', 'b', 'c']);
    expect(figureValues(doc, 'methods', 'method')).toContain('KD (deployed)');
  });

  it('show only the family teacher when no other gain is decided', () => {
    const r = runResult({ familyFrom: ['a'], effects: { a: 'clear gain', b: 'undecided', c: 'no practical effect' }, deployed: null });
    expect(shownTeachers(r)).toEqual(['a']);
    const doc = buildRunReport(r, '2026-12-07');
    expect(figureValues(doc, 'learning-curves', 'model').sort()).toEqual([
      'DKD ← a',
      'KD ← a',
      'student (no KD) (deployed)',
      'teacher (a)',
    ]);
    expect(figureValues(doc, 'methods', 'method').sort()).toEqual(['DKD', 'KD']);
    // The report renders **bold** only: single-asterisk emphasis would show its asterisks literally.
    expect(JSON.stringify(doc)).not.toMatch(/(^|[^*])\*[a-z][^*"]*\*([^*]|$)/);
  });
});

describe('the run report: confusion matrices', () => {
  const confusionFigures = (doc: ReportDocumentInput) => blocksOf(doc).filter((b) => b.kind === 'figure' && b.id!.startsWith('confusion'));

  it('shows the no-KD student once when it is the deployed student', () => {
    const doc = buildRunReport(runResult({ familyFrom: ['a'], effects: {}, deployed: null }), '2026-12-07');
    const figs = confusionFigures(doc);
    expect(figs.map((f) => f.id)).toEqual(['confusion-student']);
    expect(figs[0].caption).toContain('the deployed student');
    expect(blocksOf(doc).some((b) => b.text?.includes('the rows of the confusion matrix above'))).toBe(true);
  });

  it('shows the no-KD and the deployed distilled student side by side', () => {
    const doc = buildRunReport(runResult({ familyFrom: ['a'], effects: { a: 'clear gain' }, deployed: 'DKD ← a' }), '2026-12-07');
    expect(confusionFigures(doc).map((f) => f.id)).toEqual(['confusion-student', 'confusion-best']);
    expect(blocksOf(doc).some((b) => b.text?.includes('the rows of the confusion matrices above'))).toBe(true);
  });
});

describe('the run report: notes by kind', () => {
  const rename = "a.csv line 1: column name '0' appears 2 times (columns 1, 9); column 1 keeps it, the others are renamed '0.1' (column 9)";
  const dkd = 'DKD: warm-up is 20 epochs (reference) and this run has 2';
  const oneProcess = 'ran on one process: 2 workers each load the dataset from its spec, and this dataset was given loaded';

  it('sorts loading, run and schedule notes apart', () => {
    const r = runResult({ familyFrom: ['a'], effects: {}, deployed: null, loading: [rename], notes: [rename, oneProcess, dkd] });
    expect(runNotes(r)).toEqual({ data: [rename], run: [oneProcess], schedules: [dkd] });
  });

  it('names a label leak under the data heading, with the exclusion that fixes it', () => {
    const leak: LabelLeak = { modality: 'b', column: '0.1', kind: 'equals', score: 1 };
    const r = runResult({ familyFrom: ['a'], effects: {}, deployed: null, loading: [rename], leaks: [leak], notes: [rename, dkd] });
    const items = (buildRunReport(r, '2026-12-07').sections.find((s) => s.heading === 'The data')!.blocks as Block[]).flatMap(
      (b) => b.items ?? [],
    );
    expect(items).toHaveLength(2);
    expect(items[1]).toMatch(/^label leak: modality 'b' column '0\.1' equals the label .*"columns": "!0\.1"/);
  });

  it("names the fusion teacher's copy of a leaking column, and says the exclusion removes it there too", () => {
    const leak: LabelLeak = {
      ...{ modality: 'b', column: '0.1', kind: 'equals', score: 1 },
      fused: [{ modality: 'fusion', parts: ['a', 'b'], column: '10' }],
    };
    const r = runResult({ familyFrom: ['a'], effects: {}, deployed: null, leaks: [leak], notes: [] });
    const items = (buildRunReport(r, '2026-12-07').sections.find((s) => s.heading === 'The data')!.blocks as Block[]).flatMap(
      (b) => b.items ?? [],
    );
    expect(items).toEqual([
      `label leak: modality 'b' column '0.1' equals the label (one value per class); a model would learn the label from it, and so would the fusion teacher: 'fusion' ('a' + 'b') has it as its column '10'. Leave it out of the modality: add '!0.1' to its columns ("columns": "!0.1" in cmkd.json, --csv-modality b='!0.1' for a single CSV); that removes it from the fusion teacher too`,
    ]);
  });

  it('lists only schedule notes as schedules, and the data notes under their own heading', () => {
    const r = runResult({ familyFrom: ['a'], effects: {}, deployed: null, loading: [rename], notes: [rename, oneProcess, dkd] });
    const doc = buildRunReport(r, '2026-12-07');
    const texts = blocksOf(doc).flatMap((b) => [b.text ?? '', ...(b.items ?? [])]);
    expect(texts.filter((t) => t.startsWith('Schedules this budget does not finish:'))).toEqual([
      `Schedules this budget does not finish: ${dkd}.`,
    ]);
    expect(texts.filter((t) => t.startsWith('How the run ran:'))).toEqual([`How the run ran: ${oneProcess}.`]);
    const data = doc.sections.find((s) => s.heading === 'The data')!;
    expect((data.blocks as Block[]).flatMap((b) => b.items ?? [])).toEqual([rename]);
    expect(texts.filter((t) => t.includes(rename))).toHaveLength(1);
  });
});

describe('the run report: baselines', () => {
  const ms = (mean: number) => ({ mean, sd: 0.1, n: 2 });
  const tableOf = (r: RunResult) => blocksOf(buildRunReport(r, '2026-12-07')).find((b) => b.kind === 'table' && b.id === 'baselines');

  it('regression: the training mean and least squares beside the model, in the headline metric', () => {
    const base = runResult({ familyFrom: ['a'], effects: {}, deployed: null });
    const r: RunResult = {
      ...base,
      baselines: [
        { baseline: 'least squares', role: 'student', modality: 's', metric: 'mse', test: ms(1.2), model: ms(1.5), trainingMean: ms(4) },
      ],
    };
    const t = tableOf(r)! as Block & { header: string[]; rows: unknown[][] };
    expect(t.header).toEqual([
      'modality',
      'model',
      'training mean (weighted F1)',
      'least squares (weighted F1)',
      'model (weighted F1)',
      'splits',
    ]);
    expect(t.rows).toEqual([['s', 'no-KD student', ms(4), ms(1.2), ms(1.5), 2]]);
    expect(
      blocksOf(buildRunReport(r, '2026-12-07')).some((b) => b.text?.startsWith('Baselines, not deployable students: least squares')),
    ).toBe(true);
  });

  it('classification: nearest centroid beside the model', () => {
    const base = runResult({ familyFrom: ['a'], effects: {}, deployed: null });
    const r: RunResult = {
      ...base,
      baselines: [{ baseline: 'nearest centroid', role: 'teacher', modality: 'a', metric: 'f1Weighted', test: ms(0.7), model: ms(0.6) }],
    };
    const t = tableOf(r)! as Block & { header: string[]; rows: unknown[][] };
    expect(t.header).toEqual(['modality', 'model', 'nearest centroid (weighted F1)', 'model (weighted F1)', 'splits']);
    expect(t.rows).toEqual([['a', 'teacher', ms(0.7), ms(0.6), 2]]);
  });
});

describe('the run report: the verdict track record', () => {
  it("shows the committed track record beside the teachers table, the verdict's row first, numbers as measured", () => {
    const doc = buildRunReport(runResult({ familyFrom: ['a'], effects: {}, deployed: null }), '2026-12-07');
    const blocks = blocksOf(doc);
    const at = (id: string) => blocks.findIndex((b) => b.kind === 'table' && b.id === id);
    expect(at('verdict-track-record')).toBe(at('teachers') + 2);
    const t = blocks[at('verdict-track-record')] as Block & { rows: unknown[][] };
    const e = VERDICTS_TRACK_RECORD.evaluation;
    expect(t.rows.map((r) => r[0])).toEqual(e.rules.map((r) => r.rule));
    // An interval cell where the score is defined, an empty cell where it is not (e.g. no clear gain: no balanced accuracy).
    const cell = (x: { value: number | null; lo: number | null; hi: number | null } | null) =>
      x && x.value !== null ? { value: x.value, ci: [x.lo, x.hi] } : null;
    expect(t.rows.map((r) => [r[1], r[3], r[5]])).toEqual(
      e.rules.map((r) => [cell(r.balancedAccuracy), cell(r.rightWhenDecided ?? null), cell(r.spearman)]),
    );
    expect(t.caption).toContain(`${e.clearGains} clear KD gains, ${e.clearLosses} clear losses`);
    expect(blocks[at('teachers') + 1].text).toMatch(/^Sign: .* Ranking: /);
    // Where the user reads a verdict: how often a decided one was right, and how often it decides.
    const c = e.rules[0];
    expect(blocks[at('teachers') + 1].text).toContain(
      `had the measured gain's sign on a share ${c.rightWhenDecided!.value!.toFixed(2)} [${c.rightWhenDecided!.lo!.toFixed(2)}, ${c.rightWhenDecided!.hi!.toFixed(2)}] of the clear effects it decided; it decided ${Math.round(100 * c.coverage!)}% of them`,
    );
  });
});

describe('the run report: where the methods ran', () => {
  const methodsText = (r: RunResult) =>
    blocksOf(buildRunReport(r, '2026-12-07')).find((b) => b.text?.includes('distills from every teacher'))!.text!;

  it('names the teacher the method family ran from only when the run has methods besides the per-teacher one', () => {
    const r = runResult({ familyFrom: ['a'], effects: {}, deployed: null });
    expect(methodsText(r)).toContain('; the other methods from **a**, the teacher with the largest measured plain-KD gain');
    expect(methodsText({ ...r, methods: ['kd'] })).toMatch(
      /^Plain KD distills from every teacher, in the CCH ranking's order\. Every student/,
    );
  });
});
