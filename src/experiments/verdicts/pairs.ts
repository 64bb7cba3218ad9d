/**
 * Where the verdicts experiment's teacher → student pairs come from, and the datasets they are
 * trained on (built in memory; every pair is then an ordinary `cmkd run`):
 *
 * - digits-views: the built-in digits views distilled into each other in both directions.
 * - digits-degraded: pixels teachers made worse on purpose, blurred (the digits' own blur views)
 *   or with Gaussian noise on the pixels, distilled into a few student views. Unlike cch-noise,
 *   which corrupts a trained teacher's logits, the noise here is in the teacher's input, since
 *   the run trains every teacher on its modality.
 * - gaussian: the latent-factor model of cch-gaussian at settings spread over its three families
 *   (which cross the CCH boundary), x1 and x2 as two table modalities, the scalar y cut into
 *   terciles of its N(0, 1) law (plain KD distils class probabilities), each direction a pair.
 */
import { loadDataset, type Modality, type MultimodalDataset } from '../../data/index.js';
import { DIGITS_MODALITIES, type DigitsModalityName } from '../../data/digits/index.js';
import { sigmaTag } from '../../data/digits/views.js';
import { check } from '../../util/errors.js';
import { makeRng } from '../../util/rng.js';
import type { ProgressFn } from '../../util/progress.js';
import { latentFactorModel, sampleJoint } from '../cch-gaussian/model.js';
import { sweepSettings, type CchSetting } from '../cch-gaussian/settings.js';
import type { VerdictsOptions, VerdictsRun } from './types.js';

export const VIEWS_VARIANT = 'digits-views';
export const DEGRADED_VARIANT = 'digits-degraded';
export const GAUSSIAN_PREFIX = 'gaussian:';
/** Φ⁻¹(1/3): the terciles of y ~ N(0, 1) (Var y = 1 in the latent-factor model). */
const TERCILE = 0.430727299295457;

export const blurName = (sigma: number) => `pixels_blur${sigmaTag(sigma)}`;
export const noiseName = (sd: number) => `pixels_noise${sigmaTag(sd)}`;

/** The Gaussian settings of the plan (cch-gaussian's sweep with k settings). */
export function gaussianSettings(k: number): CchSetting[] {
  return k > 0 ? sweepSettings(k) : [];
}

const folder = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '-');

/** Every run of the experiment, grouped by dataset variant (one runMainJob call per run and combination). */
export function planVerdicts(
  o: Pick<VerdictsOptions, 'views' | 'degradedStudents' | 'blur' | 'noise' | 'gaussianSettings'>,
): VerdictsRun[] {
  const runs: VerdictsRun[] = [];
  if (o.views.length >= 2) {
    for (const student of o.views) {
      runs.push({ variant: VIEWS_VARIANT, student, teachers: o.views.filter((v) => v !== student), dir: `${VIEWS_VARIANT}-${student}` });
    }
  }
  const degraded = [...o.blur.map(blurName), ...o.noise.map(noiseName)];
  if (degraded.length) {
    for (const student of o.degradedStudents)
      runs.push({ variant: DEGRADED_VARIANT, student, teachers: degraded, dir: `${DEGRADED_VARIANT}-${student}` });
  }
  for (const s of gaussianSettings(o.gaussianSettings)) {
    const variant = `${GAUSSIAN_PREFIX}${s.id}`;
    for (const [student, teacher] of [
      ['x2', 'x1'],
      ['x1', 'x2'],
    ]) {
      runs.push({ variant, student, teachers: [teacher], dir: folder(`gaussian-${s.id}-${student}`) });
    }
  }
  return runs;
}

/** Teacher → student pairs of a plan. */
export function pairCount(runs: readonly VerdictsRun[]): number {
  return runs.reduce((t, r) => t + r.teachers.length, 0);
}

/** Checks the pair sources (CmkdError naming the option at fault). */
export function checkSources(o: VerdictsOptions): void {
  const views = DIGITS_MODALITIES as readonly string[];
  for (const [flag, list] of [
    ['--views', o.views],
    ['--degraded-students', o.degradedStudents],
  ] as const) {
    for (const v of list)
      check(views.includes(v), `verdicts: ${flag} must list digits views (${views.join(', ')}), got '${v}'`, 'invalid-option');
    check(new Set(list).size === list.length, `verdicts: ${flag} lists a view twice: ${list.join(',')}`, 'invalid-option');
  }
  check(
    o.degradedStudents.every((s) => s !== 'pixels'),
    'verdicts: --degraded-students cannot be pixels, the degraded teachers see pixels',
    'invalid-option',
  );
  check(
    o.blur.every((s) => Number.isFinite(s) && s > 0 && s <= 100),
    `verdicts: --blur must be σ > 0 in pixels, got ${o.blur.join(',')}`,
    'invalid-option',
  );
  check(
    o.noise.every((s) => Number.isFinite(s) && s > 0),
    `verdicts: --noise must be sds > 0, got ${o.noise.join(',')}`,
    'invalid-option',
  );
  check(new Set(o.blur.map(blurName)).size === o.blur.length, `verdicts: --blur lists a σ twice`, 'invalid-option');
  check(new Set(o.noise.map(noiseName)).size === o.noise.length, `verdicts: --noise lists an sd twice`, 'invalid-option');
  check(
    Number.isInteger(o.gaussianSettings) && o.gaussianSettings >= 0,
    `verdicts: --gaussian-settings must be an integer ≥ 0`,
    'invalid-option',
  );
  check(Number.isInteger(o.gaussianP) && o.gaussianP >= 2, `verdicts: --gaussian-p must be an integer ≥ 2`, 'invalid-option');
  check(Number.isInteger(o.gaussianN) && o.gaussianN >= 60, `verdicts: --gaussian-n must be an integer ≥ 60`, 'invalid-option');
  check(Number.isInteger(o.n) && o.n >= 100 && o.n <= 10_000, `verdicts: --n must be an integer in [100, 10000]`, 'invalid-option');
}

/** A copy of an image modality with N(0, sd²) added to every value (seeded, drawn once). */
export function noisyModality(m: Modality, sd: number, seed: number): Modality {
  const rng = makeRng(seed);
  const data = new Float32Array(m.data.length);
  for (let i = 0; i < data.length; i++) data[i] = m.data[i] + sd * rng.normal();
  return { ...m, name: noiseName(sd), shape: [...m.shape], data, source: `${m.source ?? m.name} + N(0, ${sd}²) noise` };
}

/** The dataset of a variant (digits views, degraded pixels teachers with their students, or a Gaussian setting). */
export async function variantDataset(
  variant: string,
  o: Omit<VerdictsOptions, 'outDir'>,
  io: { onProgress?: ProgressFn; signal?: AbortSignal } = {},
): Promise<MultimodalDataset> {
  if (variant === VIEWS_VARIANT) {
    return loadDataset('digits', { digits: { n: o.n, modalities: o.views as DigitsModalityName[] }, ...io });
  }
  if (variant === DEGRADED_VARIANT) {
    const modalities = ['pixels', ...o.degradedStudents] as DigitsModalityName[];
    const ds = await loadDataset('digits', { digits: { n: o.n, modalities, blur: { pixels: o.blur } }, ...io });
    const pixels = ds.modalities.find((m) => m.name === 'pixels')!;
    const noised = o.noise.map((sd, j) => noisyModality(pixels, sd, 1009 * (o.seed + 1) + j));
    // The clean pixels view only serves to build the degraded teachers.
    return { ...ds, name: 'digits-degraded', modalities: [...ds.modalities.filter((m) => m !== pixels), ...noised] };
  }
  check(variant.startsWith(GAUSSIAN_PREFIX), `verdicts: unknown variant '${variant}'`);
  const id = variant.slice(GAUSSIAN_PREFIX.length);
  const setting = gaussianSettings(o.gaussianSettings).find((s) => s.id === id);
  check(setting !== undefined, `verdicts: unknown Gaussian setting '${id}'`);
  return gaussianDataset(setting!, o.gaussianN, o.gaussianP, o.seed);
}

/** n draws of the latent-factor model at `setting`: x1, x2 as table modalities, y in terciles. */
export function gaussianDataset(setting: CchSetting, n: number, p: number, seed: number): MultimodalDataset {
  const model = latentFactorModel(setting.structure, p, 1);
  const s = sampleJoint(model, n, makeRng(7001 + seed * 31 + setting.index));
  const table = (name: string, data: Float64Array): Modality => ({
    name,
    kind: 'table',
    shape: [p],
    data: Float32Array.from(data),
    columns: Array.from({ length: p }, (_, j) => `${name}_${j + 1}`),
    source: `gaussian ${setting.id}`,
  });
  const labels = Int32Array.from(s.y, (y) => (y < -TERCILE ? 0 : y < TERCILE ? 1 : 2));
  return {
    name: `gaussian-${setting.id}`,
    n,
    modalities: [table('x1', s.x1), table('x2', s.x2)],
    task: { kind: 'classification', classes: ['low', 'middle', 'high'] },
    labels,
    description: `cch-gaussian latent-factor model ${setting.id} (${model.describe}), ${n} draws, y in terciles of N(0, 1)`,
  };
}
