/**
 * The synthetic regression experiment of the CCH paper (§3, joint-Gaussian model): for each
 * setting of a sweep across the CCH boundary and several seeds, fit a linear teacher on x1,
 * train linear KD students on x2 for λ ∈ {0} ∪ lambdas (closed form and TF.js Adam), measure
 * the test-MSE change KD − no-KD, and compare its sign with the CCH prediction
 * (KD helps ⇔ I(H1;H2) > I(H2;Y)) and with the exact finite-sample expectation (theory.ts).
 *
 * What is computed, exactly:
 * - teacher w1: OLS of y on x1 (no intercept) on its own n rows ('independent', default) or on
 *   the student's training rows ('same'); the theory is exact conditional on w1 only for the former;
 * - students: OLS of the mixed target on x2 (closed form) and Adam on the KD loss, same n rows;
 * - measured change: test MSE on nTest fresh rows (paired: same rows for every λ), plus the
 *   exact test risk of the fitted weights under the known covariance;
 * - CCH margin: exact I(w1*ᵀx1; w*ᵀx2) − I(w*ᵀx2; y) with the population teacher w1*, and its
 *   sample estimates from the fitted teacher and OLS student on held-out rows (Gaussian and KSG);
 * - theory: E[R(λ)] − E[R(0)] over training sets given the fitted w1, and the population change t²D.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execute, type Cell, type CellRunner, type Json } from '../../run/cells.js';
import { summariseValues } from '../../run/summarise.js';
import { check } from '../../util/errors.js';
import { toCsv, writeFileAtomic, writeJsonAtomic } from '../../util/fs.js';
import { throwIfAborted } from '../../util/progress.js';
import { makeRng } from '../../util/rng.js';
import { estimateMI } from '../../mi/index.js';
import { experimentExecutor, experimentStore, withNaN } from '../plan.js';
import { renderCchFigures } from './figures.js';
import type {
  CchAgreement,
  CchGaussianOptions,
  CchGaussianResult,
  CchMiRow,
  CchRow,
  CchSettingSummary,
  CchTheoryPoint,
  RunContext,
} from './types.js';
import { latentFactorModel, labelNoise, sampleJoint } from './model.js';
import { CCH_FAMILIES, knobGrid, sweepSettings, type CchSetting } from './settings.js';
import { kdStudentsClosedForm, mse, olsFit, predict, trainKdStudentsAdam } from './students.js';
import {
  blocks,
  expectedRiskChange,
  expectedRiskSlopeAtZero,
  optimalLambda,
  populationQuantities,
  populationRisk,
  riskOf,
  type CchPopulation,
} from './theory.js';

export const CCH_DEFAULTS: Omit<CchGaussianOptions, 'outDir'> = {
  n: 10000,
  p: 100,
  lambdas: [0.2, 0.3, 0.5, 0.7, 0.8],
  seeds: 5,
  settings: 12,
  seed: 1,
  nTest: 10000,
  miSamples: 5000,
  teacherData: 'independent',
  adamSteps: 200,
  learningRate: 0.02,
  loadingSeed: 1,
};

/** --quick: a small run for smoke tests (well under a minute). */
export const CCH_QUICK: Partial<CchGaussianOptions> = {
  n: 2000,
  p: 20,
  seeds: 2,
  settings: 6,
  nTest: 2000,
  miSamples: 1000,
  adamSteps: 150,
  learningRate: 0.05,
};

/** The CLI flag of an option (nTest → --n-test); loadingSeed has none, the API alone sets it. */
const flagOf = (key: string): string => (key === 'loadingSeed' ? key : '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()));

/** Defaults, then the quick preset, then whatever the caller set; validated. */
export function resolveCchOptions(partial: Partial<CchGaussianOptions> = {}): CchGaussianOptions {
  const given = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) as Partial<CchGaussianOptions>;
  const o: CchGaussianOptions = { ...CCH_DEFAULTS, ...(given.quick ? CCH_QUICK : {}), ...given };
  // Messages name the options by their flags (miSamples is --mi-samples), the names a CLI user typed.
  const int = (name: keyof CchGaussianOptions, min: number) => {
    const v = o[name] as number;
    check(Number.isInteger(v) && v >= min, `cch-gaussian: ${flagOf(name)} must be an integer ≥ ${min}, got ${String(v)}`, 'invalid-option');
  };
  int('p', 2);
  int('n', 1);
  int('seeds', 1);
  int('settings', 1);
  int('nTest', 2);
  int('miSamples', 8);
  int('adamSteps', 1);
  int('seed', 0);
  int('loadingSeed', 0);
  check(o.n > o.p + 1, `cch-gaussian: --n must exceed --p + 1 (--n ${o.n}, --p ${o.p}); the student is an OLS fit`, 'invalid-option');
  check(o.miSamples <= o.nTest, `cch-gaussian: --mi-samples (${o.miSamples}) cannot exceed --n-test (${o.nTest})`, 'invalid-option');
  check(
    o.learningRate > 0 && Number.isFinite(o.learningRate),
    `cch-gaussian: --learning-rate must be positive, got ${o.learningRate}`,
    'invalid-option',
  );
  check(Array.isArray(o.lambdas) && o.lambdas.length >= 1, 'cch-gaussian: --lambdas must list at least one KD weight', 'invalid-option');
  for (const l of o.lambdas)
    check(Number.isFinite(l) && l > 0, `cch-gaussian: every --lambdas weight must be a positive number, got ${l}`, 'invalid-option');
  check(
    o.teacherData === 'independent' || o.teacherData === 'same',
    `cch-gaussian: --teacher-data must be 'independent' or 'same', got '${String(o.teacherData)}'`,
    'invalid-option',
  );
  return o;
}

// Mean and sample sd over seeds through the one summary (NaN for no values; sd NaN for a single seed).
const mean = (a: number[]) => summariseValues(a).mean;
const sd = (a: number[]) => summariseValues(a).sd;

async function miPair(a: Float64Array, b: Float64Array, estimator: 'gaussian' | 'ksg', seed: number): Promise<number> {
  const n = a.length;
  const est = await estimateMI({ data: a, n, d: 1 }, { data: b, n, d: 1 }, { estimator, bootstrap: 0, seed });
  return est.value;
}

/** What a (setting, seed) cell records: its rows (one per λ) and its MI estimates. */
interface SeedOutcome {
  rows: CchRow[];
  mi: CchMiRow;
}

/** What every cell shares: the options, the sweep and each setting's population quantities. */
export interface CchWorkspace {
  o: CchGaussianOptions;
  settings: CchSetting[];
  population: CchPopulation[];
}

/** What the cells' results depend on: the resolved options without the run folder and the output switches. */
export type CchCellSettings = Omit<CchGaussianOptions, 'outDir' | 'noFigures' | 'quick'>;

/** The plan's workspace from its cell settings, for the run and for the workers (src/worker/families.ts). */
export async function cchGaussianWorkspace(o: CchCellSettings): Promise<CchWorkspace> {
  const settings = sweepSettings(o.settings);
  const population = settings.map((setting) => populationQuantities(latentFactorModel(setting.structure, o.p, o.loadingSeed)));
  return { o, settings, population };
}

type SeedInputs = { setting: string; index: number; seed: number };

const TASK = 'cch-gaussian';

/** One cell per (setting, seed): the seed's three samples come from one random stream, and every step reads them. */
export function planCchGaussian(settings: readonly CchSetting[], seeds: number): Cell[] {
  return settings.flatMap((setting) =>
    Array.from({ length: seeds }, (_, s) => ({
      id: `${setting.id}-seed${s}`,
      kind: 'seed',
      inputs: { setting: setting.id, index: setting.index, seed: s } satisfies SeedInputs,
      dependsOn: [],
      label: `${setting.id} seed ${s}`,
    })),
  );
}

export const CCH_GAUSSIAN_RUNNERS: Record<string, CellRunner<CchWorkspace>> = {
  seed: async (cell, { workspace: w, onProgress, signal }) => {
    const i = cell.inputs as SeedInputs;
    const setting = w.settings[i.index];
    const done = setting.index * w.o.seeds + i.seed;
    const total = w.settings.length * w.o.seeds;
    const outcome = await runSeed(setting, i.seed, w.o, w.population[i.index], { signal }, (detail) =>
      onProgress?.({ task: TASK, done, total, detail: `${setting.id} seed ${i.seed}: ${detail}` }),
    );
    return outcome as unknown as Json;
  },
};

async function runSeed(
  setting: CchSetting,
  s: number,
  o: CchGaussianOptions,
  qPop: CchPopulation,
  ctx: RunContext,
  onStep: (detail: string) => void,
): Promise<SeedOutcome> {
  const model = latentFactorModel(setting.structure, o.p, o.loadingSeed);
  const b = blocks(model);
  const rng = makeRng(o.seed * 1_000_003 + s);
  const { n, p } = o;
  const train = sampleJoint(model, n, rng);
  const teach = o.teacherData === 'same' ? train : sampleJoint(model, n, rng);
  const test = sampleJoint(model, o.nTest, rng);
  throwIfAborted(ctx.signal);

  const w1 = olsFit(teach.x1, n, p, teach.y, 'x1 (teacher rows)');
  const teacherTrain = predict(train.x1, n, p, w1);
  const lambdas = [0, ...o.lambdas];
  const closed = kdStudentsClosedForm(train.x2, n, p, train.y, teacherTrain, lambdas);
  const adam = await trainKdStudentsAdam(train.x2, n, p, train.y, teacherTrain, lambdas, {
    steps: o.adamSteps,
    learningRate: o.learningRate,
    signal: ctx.signal,
    onStep: (step, loss) => onStep(`Adam ${step}/${o.adamSteps} loss ${loss.toFixed(4)}`),
  });
  const q = populationQuantities(model, w1);
  const testMse = (w: Float64Array) => mse(test.x2, o.nTest, p, w, test.y);
  const mseAdam = adam.weights.map(testMse);
  const mseClosed = closed.map(testMse);
  const riskAdam = adam.weights.map((w) => riskOf(model, w, b));
  const riskClosed = closed.map((w) => riskOf(model, w, b));
  const rows: CchRow[] = o.lambdas.map((lambda, i) => {
    const j = i + 1;
    return {
      setting: setting.id,
      family: setting.family,
      knob: setting.knob,
      seed: s,
      lambda,
      miMargin: qPop.miMargin,
      mse0Adam: mseAdam[0],
      deltaMseAdam: mseAdam[j] - mseAdam[0],
      deltaMseClosedForm: mseClosed[j] - mseClosed[0],
      deltaRiskAdam: riskAdam[j] - riskAdam[0],
      deltaRiskClosedForm: riskClosed[j] - riskClosed[0],
      deltaRiskTheory: expectedRiskChange(q, lambda, n, p),
      deltaRiskPopulation: populationRisk(q, lambda) - populationRisk(q, 0),
      adamMinusClosedFormRisk: riskAdam[j] - riskClosed[j],
    };
  });

  // Sample MI on held-out rows: H1 = w1ᵀx1, H2 = ŵ_OLSᵀx2 (the no-KD student estimates w*).
  const m = o.miSamples;
  const h1 = predict(test.x1.subarray(0, m * p), m, p, w1);
  const h2 = predict(test.x2.subarray(0, m * p), m, p, closed[0]);
  const yHeld = test.y.subarray(0, m);
  const miSeed = o.seed * 7919 + s;
  const mi: CchMiRow = {
    setting: setting.id,
    seed: s,
    miTeacherStudentExact: q.miTeacherStudent,
    miStudentLabelExact: q.miStudentLabel,
    miTeacherStudentGaussian: await miPair(h1, h2, 'gaussian', miSeed),
    miStudentLabelGaussian: await miPair(h2, yHeld, 'gaussian', miSeed),
    miTeacherStudentKsg: await miPair(h1, h2, 'ksg', miSeed),
    miStudentLabelKsg: await miPair(h2, yHeld, 'ksg', miSeed),
    marginExact: q.miMargin,
    marginGaussian: 0,
    marginKsg: 0,
  };
  mi.marginGaussian = mi.miTeacherStudentGaussian - mi.miStudentLabelGaussian;
  mi.marginKsg = mi.miTeacherStudentKsg - mi.miStudentLabelKsg;
  return { rows, mi };
}

function summarise(setting: CchSetting, o: CchGaussianOptions, qPop: CchPopulation, rows: CchRow[], mi: CchMiRow[]): CchSettingSummary[] {
  return o.lambdas.map((lambda) => {
    const r = rows.filter((x) => x.lambda === lambda);
    const deltas = r.map((x) => x.deltaMseAdam);
    const meanDeltaMseAdam = mean(deltas);
    const deltaRiskTheory = expectedRiskChange(qPop, lambda, o.n, o.p);
    const cchPredictsHelp = qPop.miMargin > 0;
    const theoryPredictsHelp = deltaRiskTheory < 0;
    const measuredHelps = meanDeltaMseAdam < 0;
    return {
      setting: setting.id,
      family: setting.family,
      knob: setting.knob,
      structure: setting.structure,
      labelNoise: labelNoise(setting.structure),
      lambda,
      miTeacherStudent: qPop.miTeacherStudent,
      miStudentLabel: qPop.miStudentLabel,
      miMargin: qPop.miMargin,
      miMarginGaussian: mean(mi.map((x) => x.marginGaussian)),
      miMarginKsg: mean(mi.map((x) => x.marginKsg)),
      misfit: qPop.misfit,
      slopeAtZero: expectedRiskSlopeAtZero(qPop, o.n, o.p),
      optimalLambda: optimalLambda(qPop, o.n, o.p),
      deltaRiskTheory,
      deltaRiskPopulation: populationRisk(qPop, lambda) - populationRisk(qPop, 0),
      meanDeltaMseAdam,
      sdDeltaMseAdam: sd(deltas),
      meanDeltaMseClosedForm: mean(r.map((x) => x.deltaMseClosedForm)),
      meanDeltaRiskAdam: mean(r.map((x) => x.deltaRiskAdam)),
      cchPredictsHelp,
      theoryPredictsHelp,
      measuredHelps,
      agreesWithCch: cchPredictsHelp === measuredHelps,
      agreesWithTheory: theoryPredictsHelp === measuredHelps,
    };
  });
}

export function agreementTable(o: CchGaussianOptions, summary: CchSettingSummary[], rows: CchRow[]): CchAgreement[] {
  return o.lambdas.map((lambda) => {
    const s = summary.filter((x) => x.lambda === lambda);
    const r = rows.filter((x) => x.lambda === lambda);
    const frac = (pred: (x: CchSettingSummary) => boolean) => (s.length ? s.filter(pred).length / s.length : NaN);
    return {
      lambda,
      settings: s.length,
      agreeCch: frac((x) => x.agreesWithCch),
      agreeCchGaussian: frac((x) => x.miMarginGaussian > 0 === x.measuredHelps),
      agreeCchKsg: frac((x) => x.miMarginKsg > 0 === x.measuredHelps),
      agreeCchPerSeed: r.length ? r.filter((x) => x.miMargin > 0 === x.deltaMseAdam < 0).length / r.length : NaN,
      agreeTheory: frac((x) => x.agreesWithTheory),
      helped: s.filter((x) => x.measuredHelps).length,
      cchPredictedHelp: s.filter((x) => x.cchPredictsHelp).length,
    };
  });
}

function checks(rows: CchRow[], mi: CchMiRow[]): Pick<CchGaussianResult, 'adamCheck' | 'miCheck'> {
  const gaps = rows.map((r) => Math.abs(r.adamMinusClosedFormRisk));
  const mseGaps = rows.map((r) => Math.abs(r.deltaMseAdam - r.deltaMseClosedForm));
  const err = (estimator: string, quantity: string, f: (x: CchMiRow) => number) => {
    const e = mi.map((x) => Math.abs(f(x)));
    return { estimator, quantity, meanAbsError: mean(e), maxAbsError: e.length ? Math.max(...e) : NaN };
  };
  return {
    adamCheck: {
      maxAbsRiskGap: gaps.length ? Math.max(...gaps) : NaN,
      meanAbsRiskGap: mean(gaps),
      maxAbsDeltaMseGap: mseGaps.length ? Math.max(...mseGaps) : NaN,
    },
    miCheck: [
      err('gaussian', 'I(H1;H2)', (x) => x.miTeacherStudentGaussian - x.miTeacherStudentExact),
      err('gaussian', 'I(H2;Y)', (x) => x.miStudentLabelGaussian - x.miStudentLabelExact),
      err('ksg', 'I(H1;H2)', (x) => x.miTeacherStudentKsg - x.miTeacherStudentExact),
      err('ksg', 'I(H2;Y)', (x) => x.miStudentLabelKsg - x.miStudentLabelExact),
    ],
  };
}

export function theoryCurves(o: CchGaussianOptions, points = 41): CchTheoryPoint[] {
  const out: CchTheoryPoint[] = [];
  for (const family of CCH_FAMILIES) {
    for (const knob of knobGrid(family, points)) {
      const q = populationQuantities(latentFactorModel(family.structure(knob), o.p, o.loadingSeed));
      for (const lambda of o.lambdas) {
        out.push({
          family: family.name,
          knob,
          lambda,
          miMargin: q.miMargin,
          deltaRiskTheory: expectedRiskChange(q, lambda, o.n, o.p),
          deltaRiskPopulation: populationRisk(q, lambda) - populationRisk(q, 0),
        });
      }
    }
  }
  return out;
}

async function writeResults(dir: string, result: CchGaussianResult): Promise<string[]> {
  const files = [
    path.join(dir, 'results.json'),
    path.join(dir, 'results.csv'),
    path.join(dir, 'settings.csv'),
    path.join(dir, 'mi.csv'),
    path.join(dir, 'agreement.csv'),
  ];
  const flatSummary = result.summary.map(({ structure, ...rest }) => ({ ...rest, ...structure }));
  await writeJsonAtomic(files[0], result);
  await writeFileAtomic(files[1], toCsv(result.rows as unknown as Record<string, unknown>[]));
  await writeFileAtomic(files[2], toCsv(flatSummary));
  await writeFileAtomic(files[3], toCsv(result.mi as unknown as Record<string, unknown>[]));
  await writeFileAtomic(files[4], toCsv(result.agreement as unknown as Record<string, unknown>[]));
  return files;
}

/**
 * Run the sweep. Results are written to opts.outDir after every finished setting (atomic
 * writes), so an interrupted run keeps what it finished; figures are drawn at the end.
 */
export async function runCchGaussian(partial: Partial<CchGaussianOptions> = {}, ctx: RunContext = {}): Promise<CchGaussianResult> {
  const o = resolveCchOptions(partial);
  const started = Date.now();
  const { outDir, noFigures: _noFigures, quick: _quick, ...cellSettings } = o;
  const workspace = await cchGaussianWorkspace(cellSettings);
  const { settings, population } = workspace;
  const result: CchGaussianResult = {
    experiment: 'cch-gaussian',
    options: o,
    complete: false,
    settingsDone: 0,
    settingsTotal: settings.length,
    rows: [],
    mi: [],
    summary: [],
    agreement: [],
    adamCheck: { maxAbsRiskGap: NaN, meanAbsRiskGap: NaN, maxAbsDeltaMseGap: NaN },
    miCheck: [],
    wallSeconds: 0,
    files: [],
  };
  const pending: SeedOutcome[] = [];
  // Without a run folder nothing is kept: the cells' stage files go to a temporary folder, removed at the end.
  const runDir = outDir ?? (await mkdtemp(path.join(tmpdir(), 'cmkd-cch-gaussian-')));
  try {
    await execute(planCchGaussian(settings, o.seeds), {
      workspace,
      store: experimentStore(TASK, runDir, cellSettings, ctx.resume),
      runners: CCH_GAUSSIAN_RUNNERS,
      task: TASK,
      onProgress: ctx.onProgress,
      signal: ctx.signal,
      ...experimentExecutor(TASK, cellSettings, ctx),
      // After the last seed of a setting: its summary, and the results so far written out.
      onCell: async (cell, record) => {
        const i = cell.inputs as SeedInputs;
        pending.push(withNaN<SeedOutcome>(record));
        if (i.seed < o.seeds - 1) return;
        const setting = settings[i.index];
        const rows = pending.flatMap((x) => x.rows);
        const mi = pending.map((x) => x.mi);
        pending.length = 0;
        result.rows.push(...rows);
        result.mi.push(...mi);
        result.summary.push(...summarise(setting, o, population[i.index], rows, mi));
        result.settingsDone++;
        result.agreement = agreementTable(o, result.summary, result.rows);
        Object.assign(result, checks(result.rows, result.mi));
        result.complete = result.settingsDone === settings.length;
        result.wallSeconds = (Date.now() - started) / 1000;
        if (outDir) result.files = await writeResults(outDir, result);
      },
    });
  } finally {
    if (!outDir) await rm(runDir, { recursive: true, force: true });
  }
  if (o.outDir && !o.noFigures) {
    const figures = await renderCchFigures(result, theoryCurves(o), o.outDir);
    result.files = [...result.files, ...figures];
    result.wallSeconds = (Date.now() - started) / 1000;
    await writeJsonAtomic(path.join(o.outDir, 'results.json'), result);
  }
  return result;
}
