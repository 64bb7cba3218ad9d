/**
 * The Modality Focusing Hypothesis's synthetic "modality Venn" data (Xue et al., ICLR 2023,
 * §4 and Eq. 27, following their gauss/ code): decisive latents xs ~ N(0, I), a random
 * separating hyperplane a ~ N(0, I), y = 1[xs·a > 0]. Each modality holds some decisive
 * latents and Gaussian noise elsewhere; which latents the two modalities share is the knob.
 */
import { CmkdError } from '../../util/errors.js';
import { makeRng, type Rng } from '../../util/rng.js';

export type MfhMode = 'gamma' | 'alpha';

export interface MfhSample {
  /** Teacher modality x1 (n × d1) and student modality x2 (n × d2). */
  x1: Float32Array;
  x2: Float32Array;
  d1: number;
  d2: number;
  y: Int32Array;
  n: number;
}

export interface MfhSetting {
  mode: MfhMode;
  /**
   * gamma mode: decisive dimensions shared by teacher and student (0…10 of 10 each);
   * alpha mode: teacher-only decisive dimensions added to the 10 shared ones (0, 10, …, 40).
   */
  vary: number;
}

/** The paper's dimensions: gamma mode d1 = 25, d2 = 50, 10 decisive dims each; alpha mode d1 = d2 = 50. */
export const MFH_DIMS = {
  gamma: { d1: 25, d2: 50, teacherDecisive: 10, studentDecisive: 10 },
  alpha: { d1: 50, d2: 50, studentDecisive: 10 },
} as const;

/** γ = shared decisive / all decisive, and α = teacher-only decisive share (paper's definitions). */
export function mfhRatios(s: MfhSetting): { gamma: number; alpha: number } {
  if (s.mode === 'gamma') {
    const shared = s.vary;
    return { gamma: shared / (20 - shared), alpha: (10 - shared) / (20 - shared) };
  }
  const alpha = s.vary / (s.vary + 10);
  return { gamma: 1 - alpha, alpha };
}

function checkSetting(s: MfhSetting): void {
  if (s.mode === 'gamma' && !(Number.isInteger(s.vary) && s.vary >= 0 && s.vary <= 10)) {
    throw new CmkdError(`mfh-synthetic: gamma mode takes 0…10 shared decisive dimensions, got ${s.vary}`, 'invalid-option');
  }
  if (s.mode === 'alpha' && !(Number.isInteger(s.vary) && s.vary >= 0 && s.vary <= 40)) {
    throw new CmkdError(`mfh-synthetic: alpha mode takes 0…40 teacher-only decisive dimensions, got ${s.vary}`, 'invalid-option');
  }
}

/** A random separating hyperplane (the paper draws 500 dims and uses a prefix). */
export function drawHyperplane(rng: Rng, dims = 500): Float64Array {
  const a = new Float64Array(dims);
  for (let i = 0; i < dims; i++) a[i] = rng.normal();
  return a;
}

/**
 * n samples of the setting, given the hyperplane. `rng` draws the latents and the student's
 * noise; the teacher's noise comes from a second stream seeded by rng's first draw, so the
 * student modality and the labels are the same for every setting of a mode at one seed (the
 * reference's no-KD baseline is one number across its α sweep).
 */
export function generateMfh(setting: MfhSetting, hyperplane: Float64Array, n: number, rng: Rng): MfhSample {
  checkSetting(setting);
  const gammaMode = setting.mode === 'gamma';
  const { d1, d2 } = MFH_DIMS[setting.mode];
  // Number of decisive latents, and the latent range each modality copies.
  const latentDims = gammaMode ? 20 : d1;
  const student: [number, number] = [0, 10];
  const teacher: [number, number] = gammaMode ? [10 - setting.vary, 20 - setting.vary] : [0, setting.vary + 10];
  const x1 = new Float32Array(n * d1);
  const x2 = new Float32Array(n * d2);
  const y = new Int32Array(n);
  const xs = new Float64Array(latentDims);
  const teacherNoise = makeRng(rng.seed());
  for (let i = 0; i < n; i++) {
    let dot = 0;
    for (let j = 0; j < latentDims; j++) {
      xs[j] = rng.normal();
      dot += xs[j] * hyperplane[j];
    }
    y[i] = dot > 0 ? 1 : 0;
    for (let j = 0; j < d2; j++) x2[i * d2 + j] = j >= student[0] && j < student[1] ? xs[j] : rng.normal();
    for (let j = 0; j < d1; j++) x1[i * d1 + j] = j >= teacher[0] && j < teacher[1] ? xs[j] : teacherNoise.normal();
  }
  return { x1, x2, d1, d2, y, n };
}

/** Train and test sets for one seed, as the reference draws them (test from seed + 1). */
export function mfhSplit(setting: MfhSetting, seed: number, nTrain: number, nTest: number): { train: MfhSample; test: MfhSample } {
  const rng = makeRng(seed);
  const hyperplane = drawHyperplane(rng);
  return { train: generateMfh(setting, hyperplane, nTrain, rng), test: generateMfh(setting, hyperplane, nTest, makeRng(seed + 1)) };
}
