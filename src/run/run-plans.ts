/** The main job's plans of model cells (src/run/model-cells.ts): the models and analysis of some splits, and distilled students. */
import { methodIdLabel, type TaskKind } from '../kd/index.js';
import type { Cell } from './cells.js';
import { cellInputs, modelPath, teacherless } from './model-cells.js';
import { FUSION } from './run-options.js';
import type { AnalysisSettings } from './types.js';

/**
 * Cells 1–3 on the given splits: the student alone, a teacher per candidate (the fusion teacher's
 * inputs name the modalities it concatenates), and, with `analysis`, the CCH analysis on each
 * split's held-out rows. A split's cells do not depend on how many splits, teachers or methods the
 * run has, so a run extends.
 */
export function planModels(o: {
  student: string;
  teachers: string[];
  splits: readonly number[];
  analysis: AnalysisSettings | null;
  fusionOf?: string[] | null;
}): Cell[] {
  const cells: Cell[] = [];
  for (const r of o.splits) {
    cells.push({
      id: `r${r}-student`,
      kind: 'train',
      inputs: cellInputs({ repeat: r, modality: o.student, role: 'student', dir: modelPath(r, 'student') }),
      dependsOn: [],
      label: `repeat ${r + 1}: student (${o.student})`,
    });
    for (const t of o.teachers) {
      const parts = t === FUSION && o.fusionOf ? { parts: o.fusionOf } : {};
      cells.push({
        id: `r${r}-teacher-${t}`,
        kind: 'train',
        inputs: cellInputs({ repeat: r, modality: t, role: 'teacher', dir: modelPath(r, `teacher-${t}`), ...parts }),
        dependsOn: [],
        label: `repeat ${r + 1}: teacher (${t})`,
      });
    }
    if (o.analysis)
      cells.push({
        id: `r${r}-cch-${o.analysis.representation}-${o.analysis.estimator}`,
        kind: 'cch',
        inputs: cellInputs({ repeat: r, student: o.student, teachers: o.teachers, ...o.analysis }),
        dependsOn: [`r${r}-student`, ...o.teachers.map((t) => `r${r}-teacher-${t}`)],
        label: `repeat ${r + 1}: CCH analysis`,
      });
  }
  return cells;
}

/** Cells 4: one distilled student per (split, teacher, method), loading the split's saved teacher. */
export function planDistillation(o: {
  student: string;
  cells: { repeat: number; teacher: string; methodId: string }[];
  /** The task the progress labels are for (default classification). */
  task?: TaskKind;
}): Cell[] {
  return o.cells.map(({ repeat: r, teacher: t, methodId: id }) => {
    const inputs = cellInputs({
      repeat: r,
      student: o.student,
      teacher: t,
      methodId: id,
      dir: modelPath(r, teacherless(id) ? `${id}-${t}` : `${id}-from-${t}`),
    });
    return {
      id: `r${r}-${id}-from-${t}`,
      kind: 'distill',
      inputs,
      dependsOn: [],
      label: `repeat ${r + 1}: ${methodIdLabel(id, o.task)} ← ${t}`,
    };
  });
}
