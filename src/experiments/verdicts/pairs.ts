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
 *
 * Regimes where KD is known to help (so that a calibration can tell a criterion from "always
 * hurts"), each a student view of the digits distilled from the other views:
 * - digits-textured:<n>: the textured view (MNIST-M-like colour images) as a CNN student of every
 *   --view, on n digits (npm start's setting: plain KD from pixels gained 2.7–6.3 points there);
 * - digits-noisy-labels:<η>: a seeded share η of the labels the models learn from (training and
 *   validation) flipped to another class, the test rows scored against the true labels (testLabels);
 * - digits-few:<n>: only n digits (the run then takes its k-fold splits);
 * - digits-weak:<r>: a weak student, the table view with N(0, (r·sd_j)²) noise on each column j,
 *   next to clean teachers;
 * - digits-weak-pixels:<sd>: a weak image student, the pixels with N(0, sd²) noise, next to every
 *   clean view (the clean pixels among them) as teacher.
 *
 * Each run is one *source* (a dataset variant with its student); sources are assigned to the
 * development or the evaluation half by their place in the plan (halvesOf), before any scoring.
 * Replicates (`replicates`) draw every evaluation source again on fresh data: variant, source and
 * folder carry `@r<k>` / `-r<k>`, and all are evaluation.
 */
import { loadDataset, type Modality, type MultimodalDataset } from '../../data/index.js';
import { DIGITS_MODALITIES, DIGITS_TOTAL, type DigitsModalityName } from '../../data/digits/index.js';
import { sigmaTag } from '../../data/digits/views.js';
import { check } from '../../util/errors.js';
import { makeRng } from '../../util/rng.js';
import type { ProgressFn } from '../../util/progress.js';
import { latentFactorModel, sampleJoint } from '../cch-gaussian/model.js';
import { sweepSettings, type CchSetting } from '../cch-gaussian/settings.js';
import type { VerdictsFamily, VerdictsOptions, VerdictsRun } from './types.js';

export const VIEWS_VARIANT = 'digits-views';
export const DEGRADED_VARIANT = 'digits-degraded';
export const GAUSSIAN_PREFIX = 'gaussian:';
export const NOISY_LABELS_PREFIX = 'digits-noisy-labels:';
export const FEW_PREFIX = 'digits-few:';
export const WEAK_PREFIX = 'digits-weak:';
export const WEAK_PIXELS_PREFIX = 'digits-weak-pixels:';
export const IMAGE_PREFIX = 'digits-textured:';
/** The image student of the digits-textured sources. */
export const IMAGE_STUDENT = 'textured';
/** Φ⁻¹(1/3): the terciles of y ~ N(0, 1) (Var y = 1 in the latent-factor model). */
const TERCILE = 0.430727299295457;

export const blurName = (sigma: number) => `pixels_blur${sigmaTag(sigma)}`;
export const noiseName = (sd: number) => `pixels_noise${sigmaTag(sd)}`;
/** The weak student of digits-weak: a table view with noise r times each column's sd. */
export const weakName = (view: string, r: number) => `${view}_noise${sigmaTag(r)}`;

/** The Gaussian settings of the plan (cch-gaussian's sweep with k settings). */
export function gaussianSettings(k: number): CchSetting[] {
  return k > 0 ? sweepSettings(k) : [];
}

const folder = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '-');

/** The student of the i-th level of a regime variant: the regime students in turn. */
const regimeStudent = (o: Pick<VerdictsOptions, 'regimeStudents'>, i: number) => o.regimeStudents[i % o.regimeStudents.length];

/** Every run of the experiment, grouped by dataset variant (one runMainJob call per run and combination), each with its half. */
export function planVerdicts(
  o: Pick<
    VerdictsOptions,
    | 'views'
    | 'degradedStudents'
    | 'blur'
    | 'noise'
    | 'gaussianSettings'
    | 'labelNoise'
    | 'fewRows'
    | 'weakNoise'
    | 'weakPixels'
    | 'imageRows'
    | 'regimeStudents'
    | 'replicates'
  >,
): VerdictsRun[] {
  const runs: Omit<VerdictsRun, 'half'>[] = [];
  const add = (family: VerdictsFamily, variant: string, student: string, teachers: string[], dir: string, source = dir) =>
    runs.push({ family, variant, source, student, teachers, dir });
  // The regimes where KD is known to help first, then those where it mostly hurt.
  const others = (student: string) => o.views.filter((v) => v !== student);
  for (const n of o.imageRows) add('image', `${IMAGE_PREFIX}${n}`, IMAGE_STUDENT, [...o.views], folder(`digits-textured-${n}`));
  o.labelNoise.forEach((eta, i) => {
    const student = regimeStudent(o, i);
    add('noisy-labels', `${NOISY_LABELS_PREFIX}${eta}`, student, others(student), folder(`digits-noisy-labels-${eta}-${student}`));
  });
  o.fewRows.forEach((n, i) => {
    const student = regimeStudent(o, i);
    add('few', `${FEW_PREFIX}${n}`, student, others(student), folder(`digits-few-${n}-${student}`));
  });
  o.weakNoise.forEach((r, i) => {
    const view = regimeStudent(o, i);
    add('weak', `${WEAK_PREFIX}${r}`, weakName(view, r), others(view), folder(`digits-weak-${r}-${view}`));
  });
  for (const sd of o.weakPixels) add('weak', `${WEAK_PIXELS_PREFIX}${sd}`, noiseName(sd), [...o.views], folder(`digits-weak-pixels-${sd}`));
  if (o.views.length >= 2) {
    for (const student of o.views)
      add(
        'views',
        VIEWS_VARIANT,
        student,
        o.views.filter((v) => v !== student),
        `${VIEWS_VARIANT}-${student}`,
      );
  }
  const degraded = [...o.blur.map(blurName), ...o.noise.map(noiseName)];
  if (degraded.length) {
    for (const student of o.degradedStudents) add('degraded', DEGRADED_VARIANT, student, degraded, `${DEGRADED_VARIANT}-${student}`);
  }
  for (const s of gaussianSettings(o.gaussianSettings)) {
    const variant = `${GAUSSIAN_PREFIX}${s.id}`;
    for (const [student, teacher] of [
      ['x2', 'x1'],
      ['x1', 'x2'],
    ]) {
      // Both directions share the setting's draws: one source.
      add('gaussian', variant, student, [teacher], folder(`gaussian-${s.id}-${student}`), variant);
    }
  }
  const planned = halvesOf(runs);
  return [...planned, ...o.replicates.flatMap((_, i) => planned.filter((r) => r.half === 'evaluation').map((r) => replicateOf(r, i + 1)))];
}

/** The k-th replicate of an evaluation run: the same variant on fresh data. */
function replicateOf(r: VerdictsRun, k: number): VerdictsRun {
  return {
    ...r,
    variant: `${r.variant}${REPLICATE_MARK}${k}`,
    source: `${r.source}${REPLICATE_MARK}${k}`,
    dir: `${r.dir}-r${k}`,
    replicate: k,
  };
}

/** What separates a variant from its replicate number. */
const REPLICATE_MARK = '@r';

/** A variant's base and replicate (0: the plan's first draw). */
export function replicateOfVariant(variant: string): { base: string; replicate: number } {
  const i = variant.lastIndexOf(REPLICATE_MARK);
  return i < 0
    ? { base: variant, replicate: 0 }
    : { base: variant.slice(0, i), replicate: Number(variant.slice(i + REPLICATE_MARK.length)) };
}

/**
 * The development / evaluation half of every source, fixed by the plan alone (before any
 * training or scoring): within each family, its sources in plan order alternate development,
 * evaluation, development, … so both halves get sources of every family that has two or more
 * (the regimes where KD helps and those where it hurts).
 */
export function halvesOf(runs: readonly Omit<VerdictsRun, 'half'>[]): VerdictsRun[] {
  const seen = new Map<VerdictsFamily, string[]>();
  return runs.map((r) => {
    const sources = seen.get(r.family) ?? [];
    if (!sources.includes(r.source)) sources.push(r.source);
    seen.set(r.family, sources);
    return { ...r, half: sources.indexOf(r.source) % 2 === 0 ? 'development' : 'evaluation' };
  });
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
  check(
    o.labelNoise.every((eta) => Number.isFinite(eta) && eta > 0 && eta < 0.9),
    `verdicts: --label-noise must be shares in (0, 0.9) (below (K − 1)/K for 10 classes), got ${o.labelNoise.join(',')}`,
    'invalid-option',
  );
  check(
    o.fewRows.every((n) => Number.isInteger(n) && n >= 100 && n <= 10_000),
    `verdicts: --few-rows must be integers in [100, 10000], got ${o.fewRows.join(',')}`,
    'invalid-option',
  );
  check(
    o.weakNoise.every((r) => Number.isFinite(r) && r > 0),
    `verdicts: --weak-noise must be ratios > 0, got ${o.weakNoise.join(',')}`,
    'invalid-option',
  );
  check(
    o.weakPixels.every((sd) => Number.isFinite(sd) && sd > 0),
    `verdicts: --weak-pixels must be sds > 0, got ${o.weakPixels.join(',')}`,
    'invalid-option',
  );
  check(
    o.weakPixels.length === 0 || o.views.includes('pixels'),
    'verdicts: --weak-pixels needs pixels among --views (its clean teacher)',
    'invalid-option',
  );
  check(
    o.imageRows.every((n) => Number.isInteger(n) && n >= 300 && n <= 10_000),
    `verdicts: --image-rows must be integers in [300, 10000], got ${o.imageRows.join(',')}`,
    'invalid-option',
  );
  check(
    o.imageRows.length === 0 || !o.views.includes(IMAGE_STUDENT),
    `verdicts: --image-rows makes ${IMAGE_STUDENT} the student; --views cannot list it`,
    'invalid-option',
  );
  checkReplicates(o);
  const regimes = o.labelNoise.length + o.fewRows.length + o.weakNoise.length;
  if (regimes > 0) {
    check(o.regimeStudents.length > 0, 'verdicts: --regime-students names no view', 'invalid-option');
    for (const v of o.regimeStudents) {
      check(
        ['blocks', 'profiles', 'fourier'].includes(v) && o.views.includes(v),
        `verdicts: --regime-students must be table views listed in --views (blocks, profiles, fourier), got '${v}'`,
        'invalid-option',
      );
    }
    check(
      o.views.length >= 2,
      'verdicts: --label-noise, --few-rows and --weak-noise need ≥ 2 --views (a student and its teachers)',
      'invalid-option',
    );
  }
}

/**
 * Replicate skips: increasing, each at least the plan's largest digits subsample past the one before
 * (0 for the first draw), the last within the 10,000 digits, so that every replicate's digits are
 * disjoint from the first draw's and from each other's.
 */
function checkReplicates(o: VerdictsOptions): void {
  const rows = Math.max(o.n, ...o.imageRows, ...o.fewRows);
  const skips = o.replicates;
  skips.forEach((s, i) => {
    const floor = i === 0 ? rows : skips[i - 1] + rows;
    check(
      Number.isInteger(s) && s >= floor && s + rows <= DIGITS_TOTAL,
      `verdicts: --replicates must be increasing digits skips, each at least ${rows} (the plan's largest digits sample) past the one before, the last at most ${DIGITS_TOTAL - rows}; got ${skips.join(',')}`,
      'invalid-option',
    );
  });
}

/**
 * Labels with a seeded share η of ALL rows (training and test alike) flipped uniformly to another
 * of the K classes. The test labels are noisy too, and the gain's sign is still the clean one:
 * with symmetric flips, the accuracy a on noisy labels of a model with clean accuracy a₀ is
 * (1 − η)·a₀ + (η/(K − 1))·(1 − a₀) = η/(K − 1) + a₀·(1 − ηK/(K − 1)), affine and increasing in
 * a₀ for η < (K − 1)/K, so KD's gain on noisy test labels has the sign of its gain on clean ones
 * (for the run's headline, weighted F1, this holds to the extent it tracks accuracy, which it does
 * on the balanced digits classes).
 */
export function noisyLabels(labels: Int32Array, classes: number, eta: number, seed: number): Int32Array {
  const rng = makeRng(seed);
  const order = rng.shuffle(Array.from(labels, (_, i) => i));
  const out = Int32Array.from(labels);
  for (const i of order.slice(0, Math.round(eta * labels.length))) {
    const shift = 1 + rng.int(classes - 1);
    out[i] = (labels[i] + shift) % classes;
  }
  return out;
}

/** A copy of a table modality with N(0, (r·sd_j)²) added to each column j (sd_j over the rows; seeded). */
export function noisyTable(m: Modality, r: number, name: string, seed: number): Modality {
  check(m.shape.length === 1, `verdicts: ${m.name} is not a table modality`);
  const p = m.shape[0];
  const n = m.data.length / p;
  const sd = Array.from({ length: p }, (_, j) => {
    let s = 0;
    let ss = 0;
    for (let i = 0; i < n; i++) s += m.data[i * p + j];
    const mean = s / n;
    for (let i = 0; i < n; i++) ss += (m.data[i * p + j] - mean) ** 2;
    return Math.sqrt(ss / Math.max(1, n - 1));
  });
  const rng = makeRng(seed);
  const data = new Float32Array(m.data.length);
  for (let i = 0; i < data.length; i++) data[i] = m.data[i] + r * sd[i % p] * rng.normal();
  return { ...m, name, shape: [...m.shape], data, source: `${m.source ?? m.name} + N(0, (${r}·sd)²) noise per column` };
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
  const { base, replicate } = replicateOfVariant(variant);
  check(Number.isInteger(replicate) && replicate >= 0 && replicate <= o.replicates.length, `verdicts: unknown replicate in '${variant}'`);
  // A replicate draws the digits past its skip (rows no other source has) and the Gaussian data with seed + k.
  const skip = replicate > 0 ? o.replicates[replicate - 1] : 0;
  const digits = (n: number, modalities: DigitsModalityName[], blur?: { pixels: number[] }) =>
    loadDataset('digits', { digits: { n, modalities, ...(blur ? { blur } : {}), ...(skip > 0 ? { skip } : {}) }, ...io });
  if (base === VIEWS_VARIANT) return digits(o.n, o.views as DigitsModalityName[]);
  if (base === DEGRADED_VARIANT) {
    const modalities = ['pixels', ...o.degradedStudents] as DigitsModalityName[];
    const ds = await digits(o.n, modalities, { pixels: o.blur });
    const pixels = ds.modalities.find((m) => m.name === 'pixels')!;
    const noised = o.noise.map((sd, j) => noisyModality(pixels, sd, 1009 * (o.seed + 1) + j));
    // The clean pixels view only serves to build the degraded teachers.
    return { ...ds, name: 'digits-degraded', modalities: [...ds.modalities.filter((m) => m !== pixels), ...noised] };
  }
  const regime = await regimeDataset(base, o, digits);
  if (regime) return regime;
  check(base.startsWith(GAUSSIAN_PREFIX), `verdicts: unknown variant '${variant}'`);
  const id = base.slice(GAUSSIAN_PREFIX.length);
  const setting = gaussianSettings(o.gaussianSettings).find((s) => s.id === id);
  check(setting !== undefined, `verdicts: unknown Gaussian setting '${id}'`);
  return gaussianDataset(setting!, o.gaussianN, o.gaussianP, o.seed + replicate);
}

/** The digits of a regime variant where KD is known to help (noisy labels, few rows, a weak student); null for another variant. */
async function regimeDataset(
  variant: string,
  o: Omit<VerdictsOptions, 'outDir'>,
  digits: (n: number, modalities: DigitsModalityName[]) => Promise<MultimodalDataset>,
): Promise<MultimodalDataset | null> {
  const modalities = o.views as DigitsModalityName[];
  const level = (prefix: string) => Number(variant.slice(prefix.length));
  if (variant.startsWith(NOISY_LABELS_PREFIX)) {
    const eta = level(NOISY_LABELS_PREFIX);
    const ds = await digits(o.n, modalities);
    const classes = ds.task.kind === 'classification' ? ds.task.classes.length : 0;
    const labels = noisyLabels(ds.labels as Int32Array, classes, eta, 2003 * (o.seed + 1) + Math.round(1000 * eta));
    // The models learn from the flipped labels; the test scores them against the true ones (testLabels).
    return {
      ...ds,
      name: `digits-noisy-labels-${eta}`,
      labels,
      testLabels: ds.labels,
      description: `${ds.description ?? ds.name}; ${eta} of the training labels flipped to another class, the test labels true`,
    };
  }
  if (variant.startsWith(IMAGE_PREFIX)) {
    const n = level(IMAGE_PREFIX);
    const ds = await digits(n, [...modalities, IMAGE_STUDENT as DigitsModalityName]);
    return { ...ds, name: `digits-textured-${n}` };
  }
  if (variant.startsWith(FEW_PREFIX)) {
    const n = level(FEW_PREFIX);
    const ds = await digits(n, modalities);
    return { ...ds, name: `digits-few-${n}` };
  }
  if (variant.startsWith(WEAK_PIXELS_PREFIX)) {
    const sd = level(WEAK_PIXELS_PREFIX);
    const ds = await digits(o.n, modalities);
    const pixels = ds.modalities.find((m) => m.name === 'pixels')!;
    const weak = noisyModality(pixels, sd, 4001 * (o.seed + 1) + Math.round(1000 * sd));
    return { ...ds, name: `digits-weak-pixels-${sd}`, modalities: [...ds.modalities, weak] };
  }
  if (variant.startsWith(WEAK_PREFIX)) {
    const r = level(WEAK_PREFIX);
    const i = o.weakNoise.indexOf(r);
    check(i >= 0, `verdicts: unknown weak-student level '${variant}'`);
    const view = regimeStudent(o, i);
    const ds = await digits(o.n, modalities);
    const clean = ds.modalities.find((m) => m.name === view)!;
    const weak = noisyTable(clean, r, weakName(view, r), 3001 * (o.seed + 1) + i);
    // The clean view of the weak student is left out: its teachers are the other views.
    return { ...ds, name: `digits-weak-${r}`, modalities: [...ds.modalities.filter((m) => m !== clean), weak] };
  }
  return null;
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
