/**
 * The main job's distillation, split by split as the looks go (src/run/decide.ts): the per-teacher
 * method (plain KD; for regression FeatKD(out), src/kd/registry.ts teacherMethodId) from every
 * teacher (in the CCH ranking's order), the method family from the teacher whose per-teacher gain
 * is the largest so far (ties: the CCH ranking), and at each planned look more splits only for the
 * distilled students still open.
 */
import type { GainDesign } from '../metrics/index.js';
import { methodIdLabel, type TaskKind } from '../kd/index.js';
import type { Cell } from './cells.js';
import { openCandidates } from './decide.js';
import { planDistillation, planModels } from './run-plans.js';
import { range } from './sequential.js';
import { summariseValues } from './summarise.js';

/** A distilled student of the run: the splits it was trained on (0, 1, … splits − 1), and whether the last look closed it. */
export interface Candidate {
  teacher: string;
  methodId: string;
  splits: number;
  closed: boolean;
}

/** A distilled student's row label and id in the decisions: 'KDv2 ← pixels' ('FeatKD(out) ← a' for regression). */
export const candidateId = (c: { teacher: string; methodId: string }, task?: TaskKind): string =>
  `${methodIdLabel(c.methodId, task)} ← ${c.teacher}`;

export interface LooksOptions {
  student: string;
  /** Every teacher, in the CCH ranking's order. */
  byRank: string[];
  methods: string[];
  /** The method distilled from every teacher (teacherMethodId of the task), and the task its labels are for. */
  perTeacher: string;
  task: TaskKind;
  /** The planned looks; the first look's models and analysis have run. */
  looks: number[];
  fusionOf: string[] | null;
  /** Runs the cells not run yet. */
  run(cells: Cell[]): Promise<void>;
  /** The paired gains of a distilled student over the no-KD student so far, and the design they are decided under. */
  gainsOf(teacher: string, methodId: string): number[];
  design(): GainDesign;
}

/** Trains the distilled students look by look; returns them in table order and the teachers the method family ran from. */
export async function distillByLooks(o: LooksOptions): Promise<{ candidates: Candidate[]; familyFrom: string[] }> {
  const first = o.looks[0];
  const each = o.perTeacher;
  const candidates: Candidate[] = o.byRank.map((teacher) => ({ teacher, methodId: each, splits: 0, closed: false }));
  const cellsOf = (cs: Candidate[], R: number) => cs.flatMap((c) => range(R, c.splits).map((r) => ({ ...c, repeat: r })));
  let familyFrom: string[] = [];
  let R = first;
  for (;;) {
    // The no-KD student (and the teachers the open candidates need) on the splits up to R.
    const openNow = candidates.filter((c) => !c.closed && c.splits < R);
    const newSplits = [...new Set(openNow.flatMap((c) => range(R, c.splits)))].sort((x, y) => x - y);
    const teachers = [...new Set(openNow.map((c) => c.teacher))];
    await o.run(
      planModels({ student: o.student, teachers, splits: newSplits.filter((r) => r >= first), analysis: null, fusionOf: o.fusionOf }),
    );
    const plain = openNow.filter((c) => c.methodId === each);
    await o.run(planDistillation({ student: o.student, cells: cellsOf(plain, R), task: o.task }));
    for (const c of plain) c.splits = R;
    // The family follows the measurements: the teacher with the largest per-teacher gain so far gets every method.
    const kdMean = (t: string) => summariseValues(o.gainsOf(t, each)).mean;
    const best = o.byRank.reduce((x, y) => (kdMean(y) > kdMean(x) || !Number.isFinite(kdMean(x)) ? y : x));
    if (!familyFrom.includes(best)) {
      familyFrom = [...familyFrom, best];
      for (const m of o.methods.filter((id) => id !== each)) candidates.push({ teacher: best, methodId: m, splits: 0, closed: false });
    }
    const family = candidates.filter((c) => c.methodId !== each && !c.closed && c.splits < R);
    await o.run(planDistillation({ student: o.student, cells: cellsOf(family, R), task: o.task }));
    for (const c of family) c.splits = R;
    const next = openCandidates(
      candidates.map((c) => ({ id: candidateId(c, o.task), gains: o.gainsOf(c.teacher, c.methodId) })),
      o.design(),
    );
    if (next.splits === null) break;
    for (const c of candidates) c.closed = !next.open.includes(candidateId(c, o.task));
    R = next.splits;
  }
  return { candidates, familyFrom };
}
