/**
 * Straightforward float64 implementations of the distillation losses on plain arrays, written
 * directly from the papers' probability-domain formulas (no log-domain tricks), for the tests:
 * the TF.js losses are checked against these values and against central differences of them.
 */

export type Rows = number[][];

export function softmax64(row: number[], temperature = 1): number[] {
  const z = row.map((v) => v / temperature);
  const max = Math.max(...z);
  const e = z.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

export function kl64(p: number[], q: number[]): number {
  let s = 0;
  for (let j = 0; j < p.length; j++) if (p[j] > 0) s += p[j] * Math.log(p[j] / q[j]);
  return s;
}

export function mean64(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function crossEntropy64(logits: Rows, labels: number[]): number {
  return mean64(logits.map((row, i) => -Math.log(softmax64(row)[labels[i]])));
}

export function mse64(predictions: number[], targets: number[]): number {
  return mean64(predictions.map((p, i) => (p - targets[i]) ** 2));
}

/** LSKD Z-score with the unbiased standard deviation and ε = 1e-7. */
export function standardize64(row: number[]): number[] {
  const m = mean64(row);
  const variance = row.reduce((a, v) => a + (v - m) ** 2, 0) / (row.length - 1);
  return row.map((v) => (v - m) / (Math.sqrt(variance) + 1e-7));
}

export function softTarget64(student: Rows, teacher: Rows, temperature: number): number {
  return temperature * temperature * mean64(student.map((s, i) => kl64(softmax64(teacher[i], temperature), softmax64(s, temperature))));
}

export interface Kd64 {
  temperature: number;
  taskWeight: number;
  kdWeight: number;
  standardize?: boolean;
}

export function kd64(student: Rows, teacher: Rows, labels: number[], o: Kd64): number {
  const s = o.standardize ? student.map(standardize64) : student;
  const t = o.standardize ? teacher.map(standardize64) : teacher;
  return o.taskWeight * crossEntropy64(student, labels) + o.kdWeight * softTarget64(s, t, o.temperature);
}

export interface Dkd64 {
  alpha: number;
  beta: number;
  temperature: number;
  taskWeight: number;
  warmupFactor?: number;
  standardize?: boolean;
}

/** TCKD and NCKD (unweighted, T² included) from the probability-domain definitions. */
export function dkdParts64(student: Rows, teacher: Rows, labels: number[], temperature: number): { tckd: number; nckd: number } {
  const tckd: number[] = [];
  const nckd: number[] = [];
  student.forEach((s, i) => {
    const gt = labels[i];
    const ps = softmax64(s, temperature);
    const pt = softmax64(teacher[i], temperature);
    tckd.push(kl64([pt[gt], 1 - pt[gt]], [ps[gt], 1 - ps[gt]]));
    const hatS = ps.filter((_, j) => j !== gt).map((v) => v / (1 - ps[gt]));
    const hatT = pt.filter((_, j) => j !== gt).map((v) => v / (1 - pt[gt]));
    nckd.push(kl64(hatT, hatS));
  });
  const t2 = temperature * temperature;
  return { tckd: t2 * mean64(tckd), nckd: t2 * mean64(nckd) };
}

export function dkd64(student: Rows, teacher: Rows, labels: number[], o: Dkd64): number {
  const s = o.standardize ? student.map(standardize64) : student;
  const t = o.standardize ? teacher.map(standardize64) : teacher;
  const { tckd, nckd } = dkdParts64(s, t, labels, o.temperature);
  return o.taskWeight * crossEntropy64(student, labels) + (o.warmupFactor ?? 1) * (o.alpha * tckd + o.beta * nckd);
}

function matMul64(a: Rows, b: Rows): Rows {
  return a.map((row) => b[0].map((_, j) => row.reduce((acc, v, k) => acc + v * b[k][j], 0)));
}

function transpose64(a: Rows): Rows {
  return a[0].map((_, j) => a.map((row) => row[j]));
}

function squaredFrobenius64(a: Rows, b: Rows): number {
  let s = 0;
  a.forEach((row, i) => row.forEach((v, j) => (s += (v - b[i][j]) ** 2)));
  return s;
}

export function batchLevel64(student: Rows, teacher: Rows, temperature: number): number {
  const p = student.map((r) => softmax64(r, temperature));
  const q = teacher.map((r) => softmax64(r, temperature));
  return squaredFrobenius64(matMul64(q, transpose64(q)), matMul64(p, transpose64(p))) / student.length;
}

export function classLevel64(student: Rows, teacher: Rows, temperature: number): number {
  const p = student.map((r) => softmax64(r, temperature));
  const q = teacher.map((r) => softmax64(r, temperature));
  return squaredFrobenius64(matMul64(transpose64(q), q), matMul64(transpose64(p), p)) / student[0].length;
}

/** numpy.percentile(x, 50) with linear interpolation. */
export function median64(xs: number[]): number {
  const a = [...xs].sort((u, v) => u - v);
  const pos = 0.5 * (a.length - 1);
  const lo = Math.floor(pos);
  return a[lo] + (a[Math.ceil(pos)] - a[lo]) * (pos - lo);
}

export function fractionAtOrBelowMedian64(xs: number[]): number {
  const m = median64(xs);
  return xs.filter((x) => x <= m).length / xs.length;
}

export interface Mlkd64 {
  temperature: number;
  taskWeight: number;
  kdWeight: number;
  standardize?: boolean;
}

export function mlkd64(student: Rows, teacher: Rows, labels: number[], o: Mlkd64, strong?: { student: Rows; teacher: Rows }): number {
  const temps = [o.temperature, 3, 5, 2, 6];
  const teacherProbs = teacher.map((r) => softmax64(r));
  const sampleFraction = fractionAtOrBelowMedian64(teacherProbs.map((p) => Math.max(...p)));
  const classFraction = fractionAtOrBelowMedian64(teacher[0].map((_, j) => teacherProbs.reduce((a, p) => a + p[j], 0)));
  const std = (rows: Rows): Rows => (o.standardize ? rows.map(standardize64) : rows);
  let loss = o.taskWeight * crossEntropy64(student, labels);
  for (const T of temps) {
    loss += o.kdWeight * sampleFraction * softTarget64(std(student), std(teacher), T);
    loss += o.kdWeight * sampleFraction * batchLevel64(student, teacher, T);
    loss += o.kdWeight * classFraction * classLevel64(student, teacher, T);
  }
  if (strong) {
    loss += o.taskWeight * crossEntropy64(strong.student, labels);
    for (const T of temps) loss += o.kdWeight * softTarget64(std(strong.student), std(strong.teacher), T);
  }
  return loss;
}

/** Central differences of f at x (float64), same shape as x. */
export function numericGradient(f: (x: Rows) => number, x: Rows, h = 1e-5): Rows {
  return x.map((row, i) =>
    row.map((_, j) => {
      const plus = x.map((r) => [...r]);
      const minus = x.map((r) => [...r]);
      plus[i][j] += h;
      minus[i][j] -= h;
      return (f(plus) - f(minus)) / (2 * h);
    }),
  );
}
