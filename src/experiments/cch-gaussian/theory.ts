/**
 * Closed forms for cross-modal KD in the joint-Gaussian model.
 *
 * Teacher H1 = w1ᵀx1; student H2 = w2ᵀx2 minimising E(y − H2)² + λ E(H2 − H1)², whose
 * normal equations (1+λ)Σ22 w2 = Σ2y + λΣ21 w1 give, with t = λ/(1+λ),
 *
 *   w2(λ) = (1 − t) w* + t v,   w* = Σ22⁻¹Σ2y (best student),  v = Σ22⁻¹Σ21 w1 (teacher regressed on x2).
 *
 * Population: R(λ, w1) = R0 + t²·D with R0 = Var(y | x2) and D = (v − w*)ᵀΣ22(v − w*), so
 * dR/dλ = 0 at λ = 0 and KD can never lower the population risk (the unregularised student is
 * already Bayes-optimal among linear predictors).
 *
 * Finite samples (n rows of Gaussian x2, no intercept, w1 independent of the student's rows):
 * the student regresses the mixed target z_t = (1 − t)y + t·H1 on X2 by OLS, so
 *
 *   E R(λ) = Var(y|x2) + t²·D + κ·σ²_t,   κ = p2 / (n − p2 − 1)   (E(X2ᵀX2)⁻¹ = Σ22⁻¹/(n − p2 − 1)),
 *   σ²_t = Var(z_t | x2) = (1−t)²·Var(y|x2) + 2t(1−t)·Cov(y, H1 | x2) + t²·Var(H1|x2),
 *
 * and dE R/dλ at 0 = 2κ·(Cov(y, H1 | x2) − Var(y | x2)): KD helps for small λ exactly when the
 * teacher's output, given x2, co-varies with y less than y does with itself — a variance
 * reduction of order p/n, paid for by the bias t²·D.
 */
import { check } from '../../util/errors.js';
import { dot, matrix, matvec, solveSPD, submatrix, type Matrix } from '../../util/linalg.js';
import type { JointGaussian } from './model.js';

/** The blocks of a joint covariance ordered [x1, x2, y]. */
export interface CovBlocks {
  s11: Matrix;
  s22: Matrix;
  /** Σ12 (p1×p2). */
  s12: Matrix;
  s1y: Float64Array;
  s2y: Float64Array;
  syy: number;
}

export function blocks(model: JointGaussian): CovBlocks {
  const { p1, p2, sigma } = model;
  const r1 = Array.from({ length: p1 }, (_, i) => i);
  const r2 = Array.from({ length: p2 }, (_, i) => p1 + i);
  const iy = p1 + p2;
  const d = iy + 1;
  return {
    s11: submatrix(sigma, r1, r1),
    s22: submatrix(sigma, r2, r2),
    s12: submatrix(sigma, r1, r2),
    s1y: Float64Array.from(r1, (i) => sigma.data[i * d + iy]),
    s2y: Float64Array.from(r2, (i) => sigma.data[i * d + iy]),
    syy: sigma.data[iy * d + iy],
  };
}

function solveVec(a: Matrix, b: Float64Array, what: string): Float64Array {
  return solveSPD(a, matrix(b.length, 1, b), what).data;
}

/** Gaussian MI of two scalars with correlation ρ, in nats: −½ log(1 − ρ²). */
export function scalarGaussianMI(rho: number): number {
  return -0.5 * Math.log(Math.max(1e-300, 1 - rho * rho));
}

/** Everything the theorem and the risk formulas need, for one teacher w1. */
export interface CchPopulation {
  /** Teacher weights used (population OLS Σ11⁻¹Σ1y unless given). */
  wTeacher: Float64Array;
  /** Best student w* = Σ22⁻¹Σ2y. */
  wStar: Float64Array;
  /** Teacher output regressed on x2: v = Σ22⁻¹Σ21 w1. */
  vTeacherOnStudent: Float64Array;
  varY: number;
  varTeacher: number;
  varStudent: number;
  covTeacherStudent: number;
  covStudentLabel: number;
  covTeacherLabel: number;
  /** corr(w1ᵀx1, w*ᵀx2). */
  rhoTeacherStudent: number;
  /** corr(w*ᵀx2, y). */
  rhoStudentLabel: number;
  /** I(H1; H2) with H2 = w*ᵀx2, nats. */
  miTeacherStudent: number;
  /** I(H2; Y), nats. */
  miStudentLabel: number;
  /** CCH margin I(H1;H2) − I(H2;Y); the theorem predicts KD helps when it is positive. */
  miMargin: number;
  /** Var(y | x2) = R0 in the population. */
  residualVarLabel: number;
  /** Var(H1 | x2). */
  residualVarTeacher: number;
  /** Cov(y, H1 | x2) = Cov(y − H2, H1). */
  residualCov: number;
  /** D = (v − w*)ᵀΣ22(v − w*) = Var(E[H1|x2] − H2): the bias KD pulls the student toward. */
  misfit: number;
}

export function populationQuantities(model: JointGaussian, wTeacher?: ArrayLike<number>): CchPopulation {
  const b = blocks(model);
  const w1 = wTeacher ? Float64Array.from(wTeacher) : solveVec(b.s11, b.s1y, 'Σ11 (teacher modality x1)');
  check(w1.length === model.p1, `cch-gaussian: teacher weights have ${w1.length} entries, expected p1 = ${model.p1}`);
  const wStar = solveVec(b.s22, b.s2y, 'Σ22 (student modality x2)');
  const s21w1 = new Float64Array(model.p2);
  for (let i = 0; i < model.p1; i++) for (let j = 0; j < model.p2; j++) s21w1[j] += b.s12.data[i * model.p2 + j] * w1[i];
  const v = solveVec(b.s22, s21w1, 'Σ22 (student modality x2)');
  const varY = b.syy;
  const varTeacher = dot(w1, matvec(b.s11, w1));
  const varStudent = dot(wStar, b.s2y);
  const covTeacherStudent = dot(s21w1, wStar);
  const covStudentLabel = varStudent;
  const covTeacherLabel = dot(w1, b.s1y);
  const varTeacherExplained = dot(s21w1, v); // Var(E[H1 | x2]) = vᵀΣ22v
  const rhoTeacherStudent = covTeacherStudent / Math.sqrt(varTeacher * varStudent);
  const rhoStudentLabel = covStudentLabel / Math.sqrt(varStudent * varY);
  const miTeacherStudent = scalarGaussianMI(rhoTeacherStudent);
  const miStudentLabel = scalarGaussianMI(rhoStudentLabel);
  return {
    wTeacher: w1,
    wStar,
    vTeacherOnStudent: v,
    varY,
    varTeacher,
    varStudent,
    covTeacherStudent,
    covStudentLabel,
    covTeacherLabel,
    rhoTeacherStudent,
    rhoStudentLabel,
    miTeacherStudent,
    miStudentLabel,
    miMargin: miTeacherStudent - miStudentLabel,
    residualVarLabel: varY - varStudent,
    residualVarTeacher: varTeacher - varTeacherExplained,
    residualCov: covTeacherLabel - covTeacherStudent,
    misfit: varTeacherExplained - 2 * covTeacherStudent + varStudent,
  };
}

/** t = λ / (1 + λ): the weight of the teacher in the student's mixed target. */
export function teacherWeight(lambda: number): number {
  return lambda / (1 + lambda);
}

/** Population risk R(λ, w1) = R0 + t²D (module comment). */
export function populationRisk(q: CchPopulation, lambda: number): number {
  const t = teacherWeight(lambda);
  return q.residualVarLabel + t * t * q.misfit;
}

/** κ = p / (n − p − 1), the OLS variance inflation E tr(Σ22 (X2ᵀX2)⁻¹) for Gaussian rows. */
export function varianceInflation(n: number, p: number): number {
  check(n > p + 1, `cch-gaussian: the finite-sample risk needs n > p + 1 (n = ${n}, p = ${p})`);
  return p / (n - p - 1);
}

/** σ²_t = Var((1 − t)y + tH1 | x2). */
export function mixedTargetResidualVar(q: CchPopulation, t: number): number {
  return (1 - t) ** 2 * q.residualVarLabel + 2 * t * (1 - t) * q.residualCov + t * t * q.residualVarTeacher;
}

/** E R(λ) over training sets of n Gaussian rows in p student dimensions (module comment). */
export function expectedRisk(q: CchPopulation, lambda: number, n: number, p: number): number {
  const t = teacherWeight(lambda);
  return q.residualVarLabel + t * t * q.misfit + varianceInflation(n, p) * mixedTargetResidualVar(q, t);
}

/** E R(λ) − E R(0): the expected test-risk change from KD. */
export function expectedRiskChange(q: CchPopulation, lambda: number, n: number, p: number): number {
  const t = teacherWeight(lambda);
  return t * t * q.misfit + varianceInflation(n, p) * (mixedTargetResidualVar(q, t) - q.residualVarLabel);
}

/** dE R/dλ at λ = 0 = 2κ(Cov(y, H1|x2) − Var(y|x2)); 0 in the population (n → ∞). */
export function expectedRiskSlopeAtZero(q: CchPopulation, n: number, p: number): number {
  return 2 * varianceInflation(n, p) * (q.residualCov - q.residualVarLabel);
}

/** The λ minimising E R(λ) (0 when KD cannot help at any λ). */
export function optimalLambda(q: CchPopulation, n: number, p: number): number {
  const k = varianceInflation(n, p);
  const num = k * (q.residualVarLabel - q.residualCov);
  const den = q.misfit + k * (q.residualVarLabel - 2 * q.residualCov + q.residualVarTeacher);
  if (!(num > 0) || !(den > 0)) return 0;
  const t = Math.min(num / den, 1 - 1e-12);
  return t / (1 - t);
}

/** Exact test risk E(y − w2ᵀx2)² of any linear student under the model. */
export function riskOf(model: JointGaussian, w2: ArrayLike<number>, b: CovBlocks = blocks(model)): number {
  check(w2.length === model.p2, `cch-gaussian: student weights have ${w2.length} entries, expected p2 = ${model.p2}`);
  return b.syy - 2 * dot(w2, b.s2y) + dot(w2, matvec(b.s22, w2));
}
