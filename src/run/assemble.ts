/**
 * The main job's tables and decision from its records: the methods table (teachers, the student,
 * each distilled student, with its gain decided under the design), the teachers' outcomes, the
 * deployed student (DEPLOY_RULE, src/run/decide.ts) and how the sequential splits ended.
 */
import type { CchResult } from '../criteria/index.js';
import type { TaskKind } from '../kd/index.js';
import type { GainDesign } from '../metrics/index.js';
import type { Budget } from './budget.js';
import { DEPLOY_RULE, candidateSummaries, deployChoice, gainUnits, nextStep, summariseGain } from './decide.js';
import { candidateId, type Candidate } from './run-looks.js';
import { summariseRecords, summariseValues } from './summarise.js';
import type { MethodRow, ModelRecord, RunDecision, RunResult, TeacherOutcome } from './types.js';
import { teacherOutcomes } from './verdict.js';

export interface Assembly {
  records: ModelRecord[];
  candidates: Candidate[];
  gainsOf(teacher: string, methodId: string): number[];
  design: GainDesign;
  headline: { metric: string; higherIsBetter: boolean };
  metrics: string[];
  /** The method distilled from every teacher (src/kd/registry.ts teacherMethodId), and the task. */
  perTeacher: string;
  task: TaskKind;
}

const rowLabel = (rec: ModelRecord): string =>
  rec.role === 'teacher'
    ? `TEACHER (${rec.modality})`
    : rec.role === 'student'
      ? `STUDENT (${rec.modality}, no KD)`
      : `${rec.method} ← ${rec.teacher}`;

/** Every distilled student as a candidate: its id as the tables label it, and its per-split gains. */
const gainCandidates = (a: Assembly) => a.candidates.map((c) => ({ id: candidateId(c, a.task), gains: a.gainsOf(c.teacher, c.methodId) }));

/** Every distilled student's gain as the tables show it (decide.ts candidateSummaries), by candidate id. */
const gainSummaries = (a: Assembly) => candidateSummaries(gainCandidates(a), a.design);

/** 5. The methods table: the student, the teachers, each distilled student (in candidate order); gains paired by split. */
export function methodTable(a: Assembly): MethodRow[] {
  const gains = gainSummaries(a);
  const byKey = new Map<string, ModelRecord[]>();
  for (const rec of a.records) {
    const key = rec.role === 'distilled' ? `${rec.methodId}|${rec.teacher}` : `${rec.role}|${rec.modality}`;
    byKey.set(key, [...(byKey.get(key) ?? []), rec]);
  }
  const order = (k: string) => {
    const rec = byKey.get(k)![0];
    if (rec.role === 'distilled') return 2 + a.candidates.findIndex((c) => c.teacher === rec.teacher && c.methodId === rec.methodId);
    return rec.role === 'student' ? 0 : 1;
  };
  return [...byKey.keys()]
    .sort((x, y) => order(x) - order(y))
    .map((key) => {
      const recs = byKey.get(key)!.sort((x, y) => x.repeat - y.repeat);
      const first = recs[0];
      return {
        label: rowLabel(first),
        role: first.role,
        modality: first.modality,
        teacher: first.teacher,
        methodId: first.methodId,
        ...summariseRecords(recs, a.metrics),
        ...(first.role === 'distilled'
          ? (gains.get(rowLabel(first)) ?? summariseGain(a.gainsOf(first.teacher!, first.methodId!), a.design))
          : {}),
      };
    });
}

/** Each teacher's CCH verdict beside its measured gain of the per-teacher method (plain KD; FeatKD(out) for regression). */
export function outcomesOf(a: Assembly, cch: CchResult): TeacherOutcome[] {
  const gains = gainSummaries(a);
  return teacherOutcomes(
    cch,
    (teacher) =>
      gains.get(candidateId({ teacher, methodId: a.perTeacher }, a.task)) ?? summariseGain(a.gainsOf(teacher, a.perTeacher), a.design),
  );
}

/** 6. The student to deploy (DEPLOY_RULE), its record on split 1, and how the run decided. */
export function deployment(
  a: Assembly,
  table: MethodRow[],
  o: { looks: number[]; budget: Budget; familyFrom: string[] },
): { best: RunResult['best']; bestRecord: ModelRecord; decision: RunDecision } {
  const deploy = deployChoice(gainCandidates(a), a.design, gainUnits(a.headline.metric));
  const studentRow = table.find((row) => row.role === 'student')!;
  const bestRow = deploy.chosen === null ? studentRow : table.find((row) => row.label === deploy.chosen)!;
  const bestRecord = a.records.find(
    (rec) =>
      rec.repeat === 0 &&
      (bestRow.role === 'student' ? rec.role === 'student' : rec.methodId === bestRow.methodId && rec.teacher === bestRow.teacher),
  )!;
  const best = {
    label: bestRow.label,
    modelDir: 'best-student',
    sourceDir: bestRecord.modelDir,
    valHeadline: bestRow.val[a.headline.metric],
    testHeadline: bestRow.test[a.headline.metric],
    beatsStudent: bestRow !== studentRow,
  };
  const undecidedRows = table.filter((row) => row.effect === 'undecided at the cap' || row.effect === 'undecided');
  const decision: RunDecision = {
    rule: DEPLOY_RULE,
    sentence: deploy.sentence,
    chosen: deploy.chosen,
    familywiseError: deploy.familywiseError,
    looks: o.looks,
    delta: a.design.delta,
    splitsUsed: Math.max(...a.records.map((r) => r.repeat)) + 1,
    familyFrom: o.familyFrom,
    undecided: undecidedRows.length,
    next: nextOf(a, table, o.looks, o.budget),
  };
  return { best, bestRecord, decision };
}

/** The next step when some gains stay open at the cap (decide.ts nextStep): a split adds the open students, the no-KD student and their teachers. */
function nextOf(a: Assembly, table: MethodRow[], looks: number[], budget: Budget): RunDecision['next'] {
  const atCap = a.candidates.filter((c) => table.find((row) => row.label === candidateId(c, a.task))?.effect === 'undecided at the cap');
  if (!atCap.length) return null;
  return nextStep(
    atCap.map((c) => a.gainsOf(c.teacher, c.methodId)),
    a.design,
    {
      looks,
      planned: budget.looks,
      modelsPerSplit: atCap.length + 1 + new Set(atCap.map((c) => c.teacher)).size,
      pace: summariseValues(a.records.map((rec) => rec.seconds)).mean,
    },
  );
}
