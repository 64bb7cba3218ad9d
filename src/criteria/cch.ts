/**
 * The Cross-modal Complementarity Hypothesis as a teacher-selection criterion (Xie, Xu &
 * Sanguinetti, arXiv 2510.13182): distilling teacher representation Ht into a student whose
 * representation is Hs helps when I(Ht;Hs) > I(Hs;Y), and hurts or does nothing otherwise.
 * Per candidate teacher: the margin I(Ht;Hs) − I(Hs;Y) with an interval from paired resampling
 * (both terms on the same resamples), a verdict, and the ranking by margin.
 *
 * Next to it, the Modality Focusing Hypothesis view (Xue et al., ICLR 2023): KD transfers the
 * label information the modalities share. Estimated as the co-information
 * I(Ht;Hs;Y) = I(Ht;Y) + I(Hs;Y) − I(Ht,Hs;Y) (= I(Ht;Y) − I(Ht;Y|Hs)), with I(Ht,Hs;Y) from the
 * concatenated representations, and the γ-like shared fraction co-information / I(Ht;Y).
 * Co-information is redundancy minus synergy, so it is a lower bound on the shared label
 * information when synergy is present; the minimum-MI redundancy min(I(Ht;Y), I(Hs;Y)) is
 * reported as the matching upper bound. The joint term lives in twice the dimensions of the
 * others, where k-NN estimators are biased downward, so it is floored at
 * max(I(Ht;Y), I(Hs;Y)) (chain rule), which keeps the co-information within that bound.
 *
 * Representations wider than `dims` (default 8) are reduced to their top principal components,
 * fitted on the estimation rows themselves (label-free, so no label information leaks into the
 * fit). Why PCA of the embedding rather than logits: KSG's bias grows with dimension (I(Ht;Hs)
 * is estimated in 2·dims dimensions); logits have as many columns as classes, softmax
 * probabilities lie on a simplex (degenerate for k-NN distances), and both keep only the
 * label-predictive part of a representation, while CCH is about what Ht carries of Hs beyond it.
 */
import { MI_ESTIMATORS, MI_UNITS, validateMIInput, type MIEstimatorName, type MIInput } from '../mi/index.js';
import { CmkdError, check, oneOf } from '../util/errors.js';
import { pcaReduce } from './pca.js';
import { pairedEstimates, type Quantity, type Term } from './resample.js';
import type {
  CchFromRepresentationsInput,
  CchResult,
  Estimate,
  Representation,
  RepresentationInfo,
  TeacherScore,
  Verdict,
} from './types.js';

/** Default PCA width per estimator: k-NN and Gaussian estimators work on few dimensions; MINE / latent learn their own codes. */
export const DEFAULT_DIMS: Record<MIEstimatorName, number> = { gaussian: 8, ksg: 8, mine: 32, latent: 32 };

/** helps: interval above 0; hurts: below 0; uncertain: it contains 0. Without an interval, the sign decides (0: uncertain). */
export function verdictOf(margin: Estimate): Verdict {
  const [lo, hi] = margin.ci ?? [margin.value, margin.value];
  if (lo > 0) return 'helps';
  if (hi < 0) return 'hurts';
  return 'uncertain';
}

/** What estimated the terms, for people: the estimator, or 'plug-in (discrete)' on predicted classes. */
export function miMethod(r: Pick<CchResult, 'estimator' | 'settings'>): string {
  return typeof r.settings.method === 'string' ? r.settings.method : r.estimator;
}

/** Ranks 1..n by value, largest first; ties keep the input order. */
export function rankByValue(values: number[]): number[] {
  const order = values.map((v, i) => ({ v: Number.isFinite(v) ? v : -Infinity, i })).sort((a, b) => b.v - a.v || a.i - b.i);
  const ranks = new Array<number>(values.length);
  order.forEach(({ i }, r) => (ranks[i] = r + 1));
  return ranks;
}

function checkRepresentation(what: string, h: Representation, n?: number): void {
  check(h !== null && typeof h === 'object', `${what} must be {data, n, d} or {labels, n}`);
  validateMIInput(what, 'labels' in h ? { labels: h.labels, n: h.n } : { data: h.data, n: h.n, d: h.d });
  if (n !== undefined) check(h.n === n, `${what} has ${h.n} rows but the student representation has ${n}; all must cover the same samples`);
}

/** Side-by-side columns [a | b] of two representations over the same rows; two discrete ones: the pair (a, b) as one class. */
function concat(a: Representation, b: Representation): Representation {
  if ('labels' in a || 'labels' in b) {
    check('labels' in a && 'labels' in b, 'cch: the student and the teachers must all be discrete or all continuous');
    const k = Math.max(0, ...b.labels) + 1;
    return { labels: Int32Array.from(a.labels, (x, i) => x * k + b.labels[i]), n: a.n };
  }
  const d = a.d + b.d;
  const out = new Float64Array(a.n * d);
  for (let i = 0; i < a.n; i++) {
    out.set(a.data.subarray(i * a.d, (i + 1) * a.d), i * d);
    out.set(b.data.subarray(i * b.d, (i + 1) * b.d), i * d + a.d);
  }
  return { data: out, n: a.n, d };
}

/** Validate the request (CmkdError naming the field at fault). */
function validate(input: CchFromRepresentationsInput): void {
  check(input !== null && typeof input === 'object', 'cch: expected {student, teachers, labels, ...}', 'invalid-option');
  const { student, teachers, labels } = input;
  check(student && typeof student.name === 'string', 'cch: student must be {name, h}', 'invalid-option');
  check(Array.isArray(teachers) && teachers.length > 0, 'cch: give at least one teacher {name, h}', 'invalid-option');
  checkRepresentation(`student '${student.name}'`, student.h);
  const seen = new Set<string>();
  for (const t of teachers) {
    check(t && typeof t.name === 'string', 'cch: every teacher must be {name, h}', 'invalid-option');
    check(
      t.name !== student.name,
      `cch: the student '${student.name}' is also listed as a teacher; a teacher must be another modality`,
      'invalid-option',
    );
    check(!seen.has(t.name), `cch: teacher '${t.name}' is listed twice`, 'invalid-option');
    seen.add(t.name);
    checkRepresentation(`teacher '${t.name}'`, t.h, student.h.n);
  }
  check(
    labels instanceof Int32Array || labels instanceof Float32Array || labels instanceof Float64Array,
    'cch: labels must be an Int32Array of class indices or a Float32Array/Float64Array target',
  );
  check(
    labels.length === student.h.n,
    `cch: ${labels.length} labels for ${student.h.n} representation rows; they must be the same samples`,
  );
  if (input.estimator !== undefined) oneOf('estimator', String(input.estimator), MI_ESTIMATORS);
  if (input.units !== undefined) oneOf('units', String(input.units), MI_UNITS);
  if (input.dims !== undefined && input.dims !== false)
    check(
      Number.isInteger(input.dims) && input.dims >= 1,
      `dims must be a positive integer or false, got ${String(input.dims)}`,
      'invalid-option',
    );
  if (input.ci !== undefined) check(input.ci > 0 && input.ci < 1, `ci must be a level in (0, 1), got ${input.ci}`, 'invalid-option');
  if (input.bootstrap !== undefined)
    check(
      Number.isInteger(input.bootstrap) && input.bootstrap >= 0,
      `bootstrap must be an integer ≥ 0, got ${input.bootstrap}`,
      'invalid-option',
    );
  if (input.k !== undefined) check(Number.isInteger(input.k) && input.k >= 1, `k must be an integer ≥ 1, got ${input.k}`, 'invalid-option');
  if (input.seed !== undefined) check(Number.isInteger(input.seed), `seed must be an integer, got ${input.seed}`, 'invalid-option');
}

/**
 * CCH margin, verdict and ranking (and the MFH view) from representations the caller already
 * has, e.g. the embeddings of trained teachers and student on held-out rows.
 */
export async function cchFromRepresentations(input: CchFromRepresentationsInput): Promise<CchResult> {
  validate(input);
  const estimator: MIEstimatorName = input.estimator ?? 'ksg';
  const units = input.units ?? 'nats';
  const seed = input.seed ?? 0;
  const ciLevel = input.ci ?? 0.95;
  const mfh = input.mfh ?? true;
  const dims = input.dims === undefined ? DEFAULT_DIMS[estimator] : input.dims;
  const n = input.student.h.n;

  const infos: RepresentationInfo[] = [];
  const prepare = (name: string, h: Representation, i: number): MIInput => {
    if ('labels' in h) {
      infos.push({ name, d: 1, dEstimated: 1, explained: 1 });
      return { labels: h.labels, n: h.n };
    }
    if (dims === false || h.d <= dims) {
      infos.push({ name, d: h.d, dEstimated: h.d, explained: 1 });
      return { data: h.data, n: h.n, d: h.d };
    }
    const r = pcaReduce(h, dims, { seed: seed + 7919 * (i + 1) });
    infos.push({ name, d: h.d, dEstimated: r.h.d, explained: r.explained });
    return r.h as MIInput;
  };
  const hs = prepare(input.student.name, input.student.h, 0);
  const hts = input.teachers.map((t, i) => prepare(t.name, t.h, i + 1));
  const y: MIInput = input.labels instanceof Int32Array ? { labels: input.labels, n } : { data: Float64Array.from(input.labels), n, d: 1 };

  // Terms (keys by teacher index; labels name the modalities for progress): I(Hs;Y) once; per
  // teacher I(Ht;Hs) and, for the MFH view, I(Ht;Y) and I(Ht,Hs;Y).
  const s = input.student.name;
  const names = input.teachers.map((t) => t.name);
  const terms: Term[] = [{ key: 'sy', label: `I(${s};Y)`, x: hs, y }];
  hts.forEach((ht, i) => {
    const t = names[i];
    terms.push({ key: `ts${i}`, label: `I(${t};${s})`, x: ht, y: hs });
    if (mfh) {
      terms.push({ key: `ty${i}`, label: `I(${t};Y)`, x: ht, y });
      terms.push({
        key: `tsy${i}`,
        label: `I(${t},${s};Y)`,
        x: concat(ht as Representation, hs as Representation) as MIInput,
        y,
      });
    }
  });
  const quantities: Quantity[] = [{ key: 'sy', f: (v) => v.sy, nonNegative: true }];
  names.forEach((_, i) => {
    const [ts, ty, tsy] = [`ts${i}`, `ty${i}`, `tsy${i}`];
    quantities.push(
      { key: ts, f: (v) => v[ts], nonNegative: true },
      // CCH: KD helps when I(Ht;Hs) > I(Hs;Y).
      { key: `margin${i}`, f: (v) => v[ts] - v.sy },
    );
    if (mfh) {
      // Chain rule: I(Ht,Hs;Y) = I(Ht;Y) + I(Hs;Y|Ht) ≥ max(I(Ht;Y), I(Hs;Y)).
      const joint = (v: Record<string, number>) => Math.max(v[tsy], v[ty], v.sy);
      // Co-information I(Ht;Hs;Y) = I(Ht;Y) + I(Hs;Y) − I(Ht,Hs;Y).
      const shared = (v: Record<string, number>) => v[ty] + v.sy - joint(v);
      quantities.push(
        { key: ty, f: (v) => v[ty], nonNegative: true },
        { key: tsy, f: joint, nonNegative: true },
        { key: `shared${i}`, f: shared },
        { key: `fraction${i}`, f: (v) => (v[ty] > 0 ? shared(v) / v[ty] : Number.NaN) },
        { key: `redundancy${i}`, f: (v) => Math.min(v[ty], v.sy), nonNegative: true },
      );
    }
  });

  const paired = await pairedEstimates(terms, quantities, {
    estimator,
    k: input.k,
    seed,
    bootstrap: input.bootstrap,
    ci: ciLevel,
    mi: input.mi,
    onProgress: input.onProgress,
    signal: input.signal,
  });
  // Everything above is in nats; ratios are unit-free.
  const scale = units === 'bits' ? 1 / Math.LN2 : 1;
  const get = (key: string, unitFree = false): Estimate => {
    const e = paired.estimates[key];
    if (!e) throw new CmkdError(`internal: no estimate for ${key}`);
    const s = unitFree ? 1 : scale;
    const out: Estimate = { value: e.value * s, ci: e.ci ? [e.ci[0] * s, e.ci[1] * s] : null };
    if (e.se !== undefined) out.se = e.se * s;
    if (e.df !== undefined) out.df = e.df;
    return out;
  };
  const miStudentLabel = get('sy');
  const margins = names.map((_, i) => get(`margin${i}`));
  const ranks = rankByValue(margins.map((m) => m.value));
  const scores: TeacherScore[] = names.map((t, i) => ({
    teacher: t,
    miTeacherStudent: get(`ts${i}`),
    miStudentLabel,
    margin: margins[i],
    verdict: verdictOf(margins[i]),
    rank: ranks[i],
    ...(mfh
      ? {
          mfh: {
            miTeacherLabel: get(`ty${i}`),
            miJointLabel: get(`tsy${i}`),
            shared: get(`shared${i}`),
            sharedFraction: get(`fraction${i}`, true),
            redundancyBound: get(`redundancy${i}`),
          },
        }
      : {}),
  }));
  scores.sort((a, b) => a.rank - b.rank);
  const settings: Record<string, number | string | boolean> = {
    estimator,
    seed,
    ci: ciLevel,
    units,
    dims: dims === false ? 'none' : dims,
    reduction: dims === false ? 'none' : 'PCA on the estimation rows',
    mfh,
    shared: 'co-information I(Ht;Y) + I(Hs;Y) − I(Ht,Hs;Y), I(Ht,Hs;Y) floored at max(I(Ht;Y), I(Hs;Y))',
  };
  // Discrete representations (predicted classes): estimateMI takes the plug-in estimate whatever the estimator.
  if ('labels' in input.student.h) settings.method = 'plug-in (discrete)';
  if (input.k !== undefined) settings.k = input.k;
  for (const [key, v] of Object.entries(input.mi ?? {})) if (v !== undefined) settings[key] = v as number | string;
  return {
    student: input.student.name,
    miStudentLabel,
    teachers: scores,
    ranking: scores.map((s) => s.teacher),
    estimator,
    units,
    n,
    interval: paired.interval,
    resamples: paired.resamples,
    ciLevel,
    representations: infos,
    settings,
  };
}
