/**
 * The main job, `cmkd run`: validate the data, train the student alone and a teacher per
 * candidate modality (plus a fusion teacher), predict with the CCH margin which teachers KD
 * will help, distill with the KD family, and compare the prediction with the outcome over
 * repeated splits. Every unit of work is a resumable cell (model-cells.ts); models are saved in
 * the TF.js format under <outDir>/models. The options and what they derive: run-options.ts and
 * prepare.ts; the plans: run-plans.ts; the sequential splits: run-looks.ts; tables and the
 * decision: assemble.ts; the deployed student: best-student.ts.
 */
import path from 'node:path';
import { combineRepeats, heldOutOverlap, type CchResult } from '../criteria/index.js';
import { describeDataset } from '../data/index.js';
import { teacherMethodId } from '../kd/index.js';
import { REPORT_HTML } from '../report/index.js';
import { toCsv, writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import { throwIfAborted, type ProgressFn } from '../util/progress.js';
import { VERSION } from '../version.js';
import { deployment, methodTable, outcomesOf, type Assembly } from './assemble.js';
import { runBaselines } from './baseline.js';
import { exportBestStudent, writePredictions } from './best-student.js';
import { gainDesign, headlineOf, pairedGains } from './decide.js';
import { METHODS_CSV, methodsRecords, TEACHERS_CSV, teachersRecords } from './exports.js';
import { withPool } from './pool.js';
import { fromJson } from './cells.js';
import type { Json } from './plan.js';
import { executePlan, prepareRun, RUN_TASK, type Prepared } from './prepare.js';
import { writeRunReport } from './report.js';
import { distillByLooks } from './run-looks.js';
import { cappedRows, type RunOptions } from './run-options.js';
import { planModels } from './run-plans.js';
import { growingPlan, range } from './sequential.js';
import { summariseValues } from './summarise.js';
import type { ModelRecord, RunResult, TeacherAnalysis } from './types.js';
import { agreementOf, plainVerdict } from './verdict.js';

export { FUSION, analysisSettings, type RunOptions } from './run-options.js';
export { planModels, planDistillation } from './run-plans.js';
export { runWorkspace } from './prepare.js';
export type { ModelRecord, MethodRow, TeacherOutcome, RunResult, TeacherAnalysis, AnalysisSettings } from './types.js';

/** Trains the student alone and a teacher per candidate on every repeat, then the CCH analysis of each repeat, combined. */
async function modelsAndAnalysis(
  p: Prepared,
  o: RunOptions,
  onProgress: ProgressFn | undefined,
): Promise<{ cch: CchResult; records: ModelRecord[] }> {
  const plan = planModels({
    student: o.student,
    teachers: p.teachers,
    splits: Array.from({ length: p.looks[0] }, (_, r) => r),
    analysis: p.analysis,
    fusionOf: p.fusionOf,
  });
  const done = await executePlan(p, o, plan, onProgress);
  const records: ModelRecord[] = [];
  const perRepeat: CchResult[] = [];
  for (const cell of plan) (cell.kind === 'cch' ? perRepeat : records).push(done.get(cell.id) as never);
  return { cch: combinedCch(p, perRepeat), records };
}

/** The CCH analyses of the first repeats combined; ρ of the interval over repeats: the share of held-out rows (val + test, where the CCH is estimated) repeats have in common. */
function combinedCch(p: Prepared, perRepeat: CchResult[]): CchResult {
  const heldOut = p.workspace.splits.slice(0, perRepeat.length).map((s) => [...s.val, ...s.test]);
  return combineRepeats(perRepeat, heldOut.length >= 2 ? { overlap: heldOutOverlap(heldOut) } : {});
}

/**
 * The CCH analysis of `cmkd run` alone (`cmkd cch`): the same models, rows, representation and
 * estimator, so the same numbers for the same data and seed.
 */
export async function analyseTeachers(o: RunOptions): Promise<TeacherAnalysis> {
  const started = Date.now();
  const p = await prepareRun(o);
  const { cch, records } = await modelsAndAnalysis(p, o, o.onProgress);
  const split = p.workspace.splits[0];
  const result: TeacherAnalysis = {
    ...cch,
    dataset: p.ds.name,
    task: p.ds.task.kind,
    representation: p.analysis.representation,
    budget: p.budget.name,
    rows: { train: split.train.length, val: split.val.length, heldOut: split.val.length + split.test.length },
    models: records.map((r) => ({
      role: r.role,
      modality: r.modality,
      repeat: r.repeat,
      epochs: r.history.length,
      val: r.val,
      modelDir: r.modelDir,
    })),
    warnings: p.warnings,
    ...(p.notes.length ? { notes: p.notes } : {}),
    reusedStages: p.store.reused,
    seconds: (Date.now() - started) / 1000,
  };
  await writeJsonAtomic(path.join(o.outDir, 'cch.json'), result);
  return result;
}

export async function runMainJob(o: RunOptions): Promise<RunResult> {
  // One pool of worker processes for the run's two plans (models and analysis, then distillation).
  return withPool(o, (pool) => mainJob({ ...o, pool }));
}

/** The test metrics of the run's tables, in column order. */
const RUN_METRICS = { classification: ['accuracy', 'f1Weighted', 'f1Macro', 'auc'], regression: ['mse', 'rmse', 'mae', 'r2'] };

/** The model records finished so far (read afresh at each call, as the looks add them), and a distilled student's gains paired by split. */
function recordsOf(done: ReadonlyMap<string, Json>, headline: { metric: string; higherIsBetter: boolean }) {
  const records = () => [...done.values()].map((r) => fromJson<ModelRecord>(r)).filter((r) => r.role !== undefined);
  const studentRecs = () => records().filter((r) => r.role === 'student');
  const gainsOf = (teacher: string, methodId: string) =>
    pairedGains(
      records().filter((r) => r.role === 'distilled' && r.teacher === teacher && r.methodId === methodId),
      studentRecs(),
      headline.metric,
      headline.higherIsBetter,
    );
  return { records, studentRecs, gainsOf };
}

async function mainJob(o: RunOptions): Promise<RunResult> {
  const started = Date.now();
  const p = await prepareRun(o);
  const { ds, looks } = p;
  // The method distilled from every teacher, whose gains the verdicts are measured against: plain KD, or FeatKD(out) for regression.
  const perTeacher = teacherMethodId(ds.task.kind);
  const headline = headlineOf(ds.task.kind);
  const metrics = RUN_METRICS[ds.task.kind];
  const splits = p.workspace.splits;
  // Every cell's record, by id, as the looks add them.
  const { done, run } = growingPlan((cells, onProgress) => executePlan(p, o, cells, onProgress), o.onProgress, RUN_TASK);

  // 1–3: the student alone and a teacher per candidate on the first look's splits, then the CCH analysis of each.
  const modelsPlan = planModels({
    student: o.student,
    teachers: p.teachers,
    splits: range(looks[0]),
    analysis: p.analysis,
    fusionOf: p.fusionOf,
  });
  await run(modelsPlan);
  // The same combination as `cmkd cch` (analyseTeachers), so the two give the same numbers.
  const cch = combinedCch(
    p,
    modelsPlan.filter((c) => c.kind === 'cch').map((c) => fromJson<CchResult>(done.get(c.id))),
  );

  // 4: distillation, split by split as the looks go (run-looks.ts).
  const { records, studentRecs, gainsOf } = recordsOf(done, headline);
  const design = () =>
    gainDesign({
      ...{ scheme: p.scheme, folds: p.folds, nTrain: splits[0].train.length, nTest: splits[0].test.length, looks, metric: headline.metric },
      baselineMean: summariseValues(studentRecs().map((r) => r.test[headline.metric])).mean,
      delta: o.delta,
    });
  const byRank = [...cch.ranking, ...p.teachers.filter((t) => !cch.ranking.includes(t))];
  const { candidates, familyFrom } = await distillByLooks({
    student: o.student,
    methods: p.methods,
    perTeacher,
    task: ds.task.kind,
    looks,
    fusionOf: p.fusionOf,
    byRank,
    run,
    gainsOf,
    design,
  });

  // 5–6: tables, outcomes and the student to deploy (assemble.ts).
  const a: Assembly = { records: records(), candidates, gainsOf, design: design(), headline, metrics, perTeacher, task: ds.task.kind };
  const table = methodTable(a);
  const outcomes = outcomesOf(a, cch);
  const { best, bestRecord, decision } = deployment(a, table, { looks, budget: p.budget, familyFrom });
  const card = { dataset: ds.name, student: o.student, label: best.label, metrics: table.find((r) => r.label === best.label)!.test };
  throwIfAborted(o.signal);
  await exportBestStudent(o.outDir, bestRecord, { ...card, budget: p.budget.name, why: decision.sentence });
  const result: RunResult = {
    version: VERSION,
    dataset: { name: ds.name, n: ds.n, summary: describeDataset(ds), subsampledFrom: p.base === p.loaded ? null : p.loaded.n },
    ...{ student: o.student, teachers: p.teachers, budget: p.budget, schedule: p.schedule },
    ...{ splits: p.scheme, folds: p.folds, methods: p.methods },
    ...{ headline, cch, recommended: cch.ranking[0], records: a.records, decision, table, analysis: p.analysis, outcomes },
    baselines: runBaselines(ds, splits, a.records),
    ...{ agreement: agreementOf(outcomes), best, verdict: '', warnings: p.warnings },
    notes: [...p.notes, ...new Set(a.records.flatMap((x) => (x.method && x.notes ? x.notes.map((n) => `${x.method}: ${n}`) : [])))],
    reusedStages: p.store.reused,
    seconds: (Date.now() - started) / 1000,
    report: REPORT_HTML,
  };
  result.verdict = plainVerdict(result);
  // Ctrl-C during the export stops it between files; --resume writes it again.
  throwIfAborted(o.signal);
  await writeOutputs(result, p, o, started);
  return result;
}

/** results.json, methods.csv, teachers.csv, predictions.csv and the report. */
async function writeOutputs(result: RunResult, p: Prepared, o: RunOptions, started: number): Promise<void> {
  await writeJsonAtomic(path.join(o.outDir, 'results.json'), result);
  await writeFileAtomic(path.join(o.outDir, METHODS_CSV), toCsv(methodsRecords(result.table, result.best.label)));
  await writeFileAtomic(path.join(o.outDir, TEACHERS_CSV), toCsv(teachersRecords(result.outcomes, result.cch)));
  // Rows are named by their place in the dataset as loaded, also when the budget ran on a subsample of it.
  const kept = cappedRows(p.loaded, p.budget.maxRows, o.seed ?? 0);
  const split = p.workspace.splits[0];
  await writePredictions(o.outDir, p.ds, o.student, split, kept);
  throwIfAborted(o.signal);
  await writeRunReport(result, p.ds, split, o.outDir, new Date(started).toISOString());
}
