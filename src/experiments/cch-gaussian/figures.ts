/**
 * Figures of the cch-gaussian experiment as Vega-Lite specs with inline data.
 */
import path from 'node:path';
import { renderChart, type VegaLiteSpec } from '../../report/charts.js';
import { writeJsonAtomic } from '../../util/fs.js';
import { latentFactorModel } from './model.js';
import type { CchGaussianResult, CchTheoryPoint } from './types.js';
import { expectedRiskChange, populationQuantities, populationRisk } from './theory.js';

const THEORY = 'expected, n samples (theory)';
const POPULATION = 'population, n → ∞ (theory)';
const MEASURED = 'measured (Adam, mean ± s.e. over seeds)';
/** Ticks for the symlog risk-change axes (vega shows those inside the domain). */
const SYMLOG_TICKS = [-0.1, -0.03, -0.01, -0.003, -0.001, 0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3];

/** Test-MSE change KD − no-KD against the exact CCH margin, one panel per family, one series per λ. */
export function deltaVsMarginSpec(result: CchGaussianResult, curves: CchTheoryPoint[]): VegaLiteSpec {
  const o = result.options;
  const values = [
    ...curves.map((c) => ({
      kind: THEORY,
      family: c.family,
      lambda: `λ = ${c.lambda}`,
      margin: c.miMargin,
      delta: c.deltaRiskTheory,
      lo: null,
      hi: null,
    })),
    ...curves.map((c) => ({
      kind: POPULATION,
      family: c.family,
      lambda: `λ = ${c.lambda}`,
      margin: c.miMargin,
      delta: c.deltaRiskPopulation,
      lo: null,
      hi: null,
    })),
    ...result.summary.map((s) => {
      const se = s.sdDeltaMseAdam / Math.sqrt(o.seeds);
      return {
        kind: MEASURED,
        family: s.family,
        lambda: `λ = ${s.lambda}`,
        margin: s.miMargin,
        delta: s.meanDeltaMseAdam,
        lo: s.meanDeltaMseAdam - se,
        hi: s.meanDeltaMseAdam + se,
      };
    }),
  ];
  const x = { field: 'margin', type: 'quantitative', title: 'CCH margin I(H1;H2) − I(H2;Y) (nats, exact)' } as const;
  const y = {
    field: 'delta',
    type: 'quantitative',
    title: 'test MSE change, KD − no KD',
    scale: { type: 'symlog', constant: 1e-3 },
    axis: { format: '~g', values: SYMLOG_TICKS },
  } as const;
  const color = { field: 'lambda', type: 'nominal', title: 'KD weight' } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `KD in the joint-Gaussian model: measured vs theory (n = ${o.n}, p = ${o.p}, ${o.seeds} seeds)`,
      subtitle: 'CCH predicts KD helps (change < 0) right of x = 0; y axis is symlog',
    },
    data: { values },
    facet: { column: { field: 'family', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 240,
      layer: [
        { mark: { type: 'rule', color: '#6b7280' }, encoding: { y: { datum: 0 } } },
        { mark: { type: 'rule', color: '#6b7280', strokeDash: [2, 2] }, encoding: { x: { datum: 0 } } },
        {
          transform: [{ filter: `datum.kind === '${POPULATION}'` }],
          mark: { type: 'line', strokeDash: [4, 3], opacity: 0.45 },
          encoding: { x, y, color },
        },
        { transform: [{ filter: `datum.kind === '${THEORY}'` }], mark: { type: 'line' }, encoding: { x, y, color } },
        {
          transform: [{ filter: `datum.kind === '${MEASURED}'` }],
          mark: { type: 'rule' },
          encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' }, color },
        },
        {
          transform: [{ filter: `datum.kind === '${MEASURED}'` }],
          mark: { type: 'point', filled: true, size: 40 },
          encoding: { x, y, color },
        },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  } as VegaLiteSpec;
}

/** Risk change E R(λ) − E R(0) along λ for the end points of each family, with measured points. */
export function riskCurvesSpec(result: CchGaussianResult): VegaLiteSpec {
  const o = result.options;
  const ends = new Map<string, { id: string; family: string; structure: (typeof result.summary)[number]['structure']; margin: number }>();
  for (const fam of new Set(result.summary.map((s) => s.family))) {
    const ss = result.summary.filter((s) => s.family === fam);
    const knobs = ss.map((s) => s.knob);
    for (const k of [Math.min(...knobs), Math.max(...knobs)]) {
      const s = ss.find((x) => x.knob === k)!;
      ends.set(s.setting, { id: s.setting, family: fam, structure: s.structure, margin: s.miMargin });
    }
  }
  const lambdaMax = Math.max(1, ...o.lambdas) * 1.25;
  const values: Record<string, unknown>[] = [];
  for (const e of ends.values()) {
    const q = populationQuantities(latentFactorModel(e.structure, o.p, o.loadingSeed));
    const label = `${e.id} (margin ${e.margin >= 0 ? '+' : ''}${e.margin.toFixed(3)})`;
    for (let i = 0; i <= 60; i++) {
      const lambda = (lambdaMax * i) / 60;
      values.push({ kind: THEORY, family: e.family, setting: label, lambda, delta: expectedRiskChange(q, lambda, o.n, o.p) });
      values.push({ kind: POPULATION, family: e.family, setting: label, lambda, delta: populationRisk(q, lambda) - populationRisk(q, 0) });
    }
    for (const s of result.summary.filter((x) => x.setting === e.id)) {
      values.push({ kind: MEASURED, family: e.family, setting: label, lambda: s.lambda, delta: s.meanDeltaMseAdam });
    }
  }
  const x = { field: 'lambda', type: 'quantitative', title: 'KD weight λ' } as const;
  const y = {
    field: 'delta',
    type: 'quantitative',
    title: 'risk change R(λ) − R(0)',
    scale: { type: 'symlog', constant: 1e-3 },
    axis: { format: '~g', values: SYMLOG_TICKS },
  } as const;
  const color = { field: 'setting', type: 'nominal', title: 'setting', legend: { orient: 'bottom', columns: 2, labelLimit: 480 } } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Risk of the KD student along λ',
      subtitle: 'lines: expected finite-sample risk (solid) and population risk (dashed); points: measured test MSE',
    },
    data: { values },
    facet: { column: { field: 'family', type: 'nominal', title: null } },
    spec: {
      width: 260,
      height: 220,
      layer: [
        { mark: { type: 'rule', color: '#6b7280' }, encoding: { y: { datum: 0 } } },
        {
          transform: [{ filter: `datum.kind === '${POPULATION}'` }],
          mark: { type: 'line', strokeDash: [4, 3], opacity: 0.5 },
          encoding: { x, y, color },
        },
        { transform: [{ filter: `datum.kind === '${THEORY}'` }], mark: { type: 'line' }, encoding: { x, y, color } },
        {
          transform: [{ filter: `datum.kind === '${MEASURED}'` }],
          mark: { type: 'point', filled: true, size: 45 },
          encoding: { x, y, color },
        },
      ],
    },
  } as VegaLiteSpec;
}

/** Sample MI estimates (Gaussian, KSG) against the exact values. */
export function miEstimatesSpec(result: CchGaussianResult): VegaLiteSpec {
  const values = result.mi.flatMap((m) => [
    { estimator: 'gaussian', quantity: 'I(H1;H2)', exact: m.miTeacherStudentExact, estimate: m.miTeacherStudentGaussian },
    { estimator: 'gaussian', quantity: 'I(H2;Y)', exact: m.miStudentLabelExact, estimate: m.miStudentLabelGaussian },
    { estimator: 'ksg', quantity: 'I(H1;H2)', exact: m.miTeacherStudentExact, estimate: m.miTeacherStudentKsg },
    { estimator: 'ksg', quantity: 'I(H2;Y)', exact: m.miStudentLabelExact, estimate: m.miStudentLabelKsg },
  ]);
  const hi = Math.max(0.05, ...values.map((v) => Math.max(v.exact, v.estimate))) * 1.05;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: 'Sample MI estimates vs exact values',
      subtitle: `${result.options.miSamples} held-out rows per estimate; H2 from the fitted no-KD student`,
    },
    width: 320,
    height: 300,
    layer: [
      {
        data: { values: [{ a: 0 }, { a: hi }] },
        mark: { type: 'line', color: '#9ca3af', strokeDash: [4, 3] },
        encoding: { x: { field: 'a', type: 'quantitative' }, y: { field: 'a', type: 'quantitative' } },
      },
      {
        data: { values },
        mark: { type: 'point', filled: true, size: 35, opacity: 0.8 },
        encoding: {
          x: { field: 'exact', type: 'quantitative', title: 'exact MI (nats)', scale: { domain: [0, hi] } },
          y: { field: 'estimate', type: 'quantitative', title: 'estimate (nats)', scale: { domain: [0, hi] } },
          color: { field: 'estimator', type: 'nominal' },
          shape: { field: 'quantity', type: 'nominal' },
        },
      },
    ],
  } as VegaLiteSpec;
}

/** Render every figure into dir as <name>.vl.json (the spec), .svg and .png; returns the files written. */
export async function renderCchFigures(result: CchGaussianResult, curves: CchTheoryPoint[], dir: string): Promise<string[]> {
  const figures: [string, VegaLiteSpec][] = [
    ['delta-mse-vs-margin', deltaVsMarginSpec(result, curves)],
    ['risk-curves', riskCurvesSpec(result)],
    ['mi-estimates', miEstimatesSpec(result)],
  ];
  const files: string[] = [];
  for (const [name, spec] of figures) {
    const base = path.join(dir, name);
    await writeJsonAtomic(`${base}.vl.json`, spec);
    const { files: written } = await renderChart(spec, base);
    files.push(`${base}.vl.json`, ...written);
  }
  return files;
}
