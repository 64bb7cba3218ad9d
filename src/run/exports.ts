/**
 * The run folder's flat CSV exports, one record per row, every column a plain number or word:
 *
 *   methods.csv      one row per model of the methods table (RunResult.table)
 *   teachers.csv     one row per teacher: CCH prediction and measured KD gain (RunResult.outcomes)
 *   predictions.csv  the deployed student on the test rows of the first split
 *
 * Column names follow one pattern: `<quantity>_mean`, `<quantity>_sd`, and `<quantity>_lo` /
 * `<quantity>_hi` for the ends of an interval (as the sweep's table.csv). A cell is empty only
 * where the run has no such value (a teacher has no gain; an interval needs two repeats).
 */
import type { CchResult, Estimate } from '../criteria/index.js';
import type { MethodRow, TeacherOutcome } from './types.js';

export const METHODS_CSV = 'methods.csv';
export const TEACHERS_CSV = 'teachers.csv';
export const PREDICTIONS_CSV = 'predictions.csv';

type Value = string | number | boolean | null;

/** methods.csv: label, role, modality, teacher, method, test_<metric>_mean/_sd, val_<metric>_mean, the paired gain, deployed. */
export function methodsRecords(table: MethodRow[], deployedLabel: string): Record<string, Value>[] {
  return table.map((row) => {
    const out: Record<string, Value> = {
      label: row.label,
      role: row.role,
      modality: row.modality,
      teacher: row.teacher ?? null,
      method: row.methodId ?? null,
    };
    for (const [k, v] of Object.entries(row.test)) {
      out[`test_${k}_mean`] = v.mean;
      out[`test_${k}_sd`] = v.sd;
    }
    for (const [k, v] of Object.entries(row.val)) out[`val_${k}_mean`] = v.mean;
    out.gain_mean = row.gain?.mean ?? null;
    out.gain_sd = row.gain?.sd ?? null;
    out.gain_lo = row.gainCi?.[0] ?? null;
    out.gain_hi = row.gainCi?.[1] ?? null;
    out.effect = row.effect ?? null;
    out.deployed = row.label === deployedLabel;
    return out;
  });
}

/** `<name>`, `<name>_lo`, `<name>_hi` of an estimate with its interval. */
function estimateColumns(name: string, e: Estimate | null | undefined): Record<string, Value> {
  return { [name]: e?.value ?? null, [`${name}_lo`]: e?.ci?.[0] ?? null, [`${name}_hi`]: e?.ci?.[1] ?? null };
}

/** teachers.csv: the teachers table of the report, with its intervals as _lo/_hi columns and the MI terms behind the margin. */
export function teachersRecords(outcomes: TeacherOutcome[], cch: Pick<CchResult, 'teachers' | 'miStudentLabel'>): Record<string, Value>[] {
  return outcomes.map((o) => {
    const score = cch.teachers.find((t) => t.teacher === o.teacher);
    return {
      rank: o.rank,
      teacher: o.teacher,
      ...estimateColumns('mi_teacher_student', score?.miTeacherStudent),
      ...estimateColumns('mi_student_label', cch.miStudentLabel),
      ...estimateColumns('margin', { value: o.margin, ci: o.marginCi }),
      verdict: o.verdict,
      gain_mean: o.gain.mean,
      gain_sd: o.gain.sd,
      gain_lo: o.gainCi?.[0] ?? null,
      gain_hi: o.gainCi?.[1] ?? null,
      gain_n: o.gain.n,
      effect: o.effect,
      agrees: o.agrees,
      ...estimateColumns('mi_teacher_label', score?.mfh?.miTeacherLabel),
      ...estimateColumns('shared_fraction', score?.mfh?.sharedFraction),
    };
  });
}

export interface PredictionsInput {
  /** Row of each prediction in the dataset as loaded (0-based), or the rows' names from the file. */
  ids: ArrayLike<number> | readonly string[];
  /** True label per row: class index (classification) or target value; absent for new rows (no label column). */
  labels?: ArrayLike<number>;
  /** Model outputs, row-major n × outputs: logits (classification) or the predicted value. */
  outputs: Float32Array;
  /** Class names (classification); absent for regression. */
  classes?: string[];
}

/** Softmax of one row of logits, computed stably. */
function softmax(logits: Float32Array): number[] {
  const max = Math.max(...logits);
  const e = Array.from(logits, (z) => Math.exp(z - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
}

/**
 * predictions.csv: id, label, predicted, then `p_<class>` per class (classification: class names,
 * probabilities from the softmax of the logits; ties go to the first class) — or id, label,
 * predicted (regression). Without labels (new rows) the label column is left out.
 */
export function predictionRecords(p: PredictionsInput): Record<string, Value>[] {
  const n = p.ids.length;
  const width = p.outputs.length / Math.max(n, 1);
  const out: Record<string, Value>[] = [];
  for (let i = 0; i < n; i++) {
    const row = p.outputs.subarray(i * width, (i + 1) * width);
    const label: Record<string, Value> = p.labels ? { label: p.classes ? p.classes[p.labels[i]] : p.labels[i] } : {};
    if (!p.classes) {
      out.push({ id: p.ids[i], ...label, predicted: row[0] });
      continue;
    }
    const probs = softmax(row);
    const top = probs.reduce((b, v, k) => (v > probs[b] ? k : b), 0);
    const rec: Record<string, Value> = { id: p.ids[i], ...label, predicted: p.classes[top] };
    p.classes.forEach((c, k) => (rec[`p_${c}`] = probs[k]));
    out.push(rec);
  }
  return out;
}
