/** The cch-digits entry of the experiment registry. */
import {
  parseIntOption,
  parseNumberListOption,
  parseNumberOption,
  type ExperimentDefinition,
  type ExperimentOption,
  type ReportBlock,
} from '../types.js';
import { CmkdError } from '../../util/errors.js';
import { MARGIN_ESTIMATORS, signedMeanSd, type MarginEstimator } from './common.js';
import { CCH_DIGITS_DEFAULTS, CCH_DIGITS_QUICK, runCchDigits } from './run.js';
import type { CchDigitsOptions, CchDigitsResult } from './types.js';

export { runCchDigits, resolveCchDigitsOptions, summariseCchDigits, CCH_DIGITS_DEFAULTS, CCH_DIGITS_QUICK } from './run.js';
export type { CchDigitsOptions, CchDigitsResult, CchDigitsRow, CchDigitsCell, CchDigitsSigma, CchDigitsAgreement } from './types.js';

const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : 'n/a');
const share = (x: number) => (Number.isFinite(x) ? `${Math.round(100 * x)}%` : 'n/a');

/** Comma-separated estimator names, e.g. 'ksg,latent'. */
export function parseEstimatorList(flag: string): (raw: string) => MarginEstimator[] {
  return (raw) => {
    const names = raw.split(',').map((s) => s.trim());
    for (const n of names) {
      if (!(MARGIN_ESTIMATORS as readonly string[]).includes(n)) {
        throw new CmkdError(`${flag} must be comma-separated names among ${MARGIN_ESTIMATORS.join(', ')}, got '${raw}'`, 'invalid-option');
      }
    }
    return names as MarginEstimator[];
  };
}

/** Options every digits experiment shares (training budget and MI estimation). */
export function commonDigitsOptions(
  defaults: { n: number; seeds: number; epochs: number; learningRate: number; batchSize: number; estimators: string[]; miDims: number },
  quick: { n?: number; seeds?: number; epochs?: number },
): ExperimentOption[] {
  const q = (v: number | undefined, d: number) => `default ${d}${v !== undefined ? `; quick ${v}` : ''}`;
  return [
    {
      flags: '--n <int>',
      key: 'n',
      description: `digits drawn from the 10,000, split 70/10/20 (${q(quick.n, defaults.n)})`,
      parse: parseIntOption('--n', 100),
    },
    {
      flags: '--seeds <int>',
      key: 'seeds',
      description: `seeds (split, initial weights, batch order) (${q(quick.seeds, defaults.seeds)})`,
      parse: parseIntOption('--seeds', 1, 1000),
    },
    {
      flags: '--epochs <int>',
      key: 'epochs',
      description: `Adam epochs per model; the best validation epoch is kept (${q(quick.epochs, defaults.epochs)})`,
      parse: parseIntOption('--epochs', 1),
    },
    {
      flags: '--learning-rate <x>',
      key: 'learningRate',
      description: `Adam learning rate (default ${defaults.learningRate})`,
      parse: parseNumberOption('--learning-rate', { above: 0, max: 100 }),
    },
    {
      flags: '--batch-size <int>',
      key: 'batchSize',
      description: `mini-batch size (default ${defaults.batchSize})`,
      parse: parseIntOption('--batch-size', 1),
    },
    {
      flags: '--estimators <list>',
      key: 'estimators',
      description: `CCH margin estimators among ${MARGIN_ESTIMATORS.join(', ')} (default ${defaults.estimators.join(',')})`,
      parse: parseEstimatorList('--estimators'),
    },
    {
      flags: '--mi-dims <int>',
      key: 'miDims',
      description: `principal components of each representation for MI estimation (default ${defaults.miDims})`,
      parse: parseIntOption('--mi-dims', 1),
    },
  ];
}

export function cchDigitsReport(r: CchDigitsResult): ReportBlock[] {
  const o = r.options;
  const est = o.estimators;
  return [
    {
      text:
        `cch-digits: teacher CNN on pixels blurred at σ ∈ {${o.sigmas.join(', ')}}, student CNN (same architecture: conv ${o.channels.join('/')}, dense ${o.hidden.join('/')}) on textured; ` +
        `n = ${o.n} (70/10/20), ${o.seeds} seed(s), Adam lr ${o.learningRate}, ${o.epochs} epochs, batch ${o.batchSize}; KD T ∈ {${o.temperatures.join(', ')}}, λ ∈ {${o.lambdas.join(', ')}}. ` +
        `CCH margin on the test rows, embeddings reduced to ${o.miDims} principal components. ${r.wallSeconds.toFixed(0)} s → ${o.outDir}`,
    },
    {
      table: {
        header: [
          'σ',
          'teacher %',
          'no-KD %',
          'KD gain (mean over T,λ ± sd over seeds)',
          'gain range over T,λ',
          ...est.map((e) => `margin ${e} (nats)`),
        ],
        rows: r.bySigma.map((s) => [
          String(s.sigma),
          pct(s.teacherAccMean),
          pct(s.studentAcc),
          signedMeanSd(s.kdGainMean, s.kdGainSd),
          `${signedMeanSd(s.kdGainMin, Number.NaN)} … ${signedMeanSd(s.kdGainMax, Number.NaN)}`,
          ...est.map((e) => signedMeanSd(s.marginMean[e] ?? Number.NaN, s.marginSd[e] ?? Number.NaN)),
        ]),
      },
    },
    {
      table: {
        header: ['T', 'λ', ...r.bySigma.map((s) => `gain σ=${s.sigma}`)],
        rows: [...new Set(r.cells.map((c) => `${c.temperature}|${c.lambda}`))].map((k) => {
          const [t, l] = k.split('|').map(Number);
          return [
            String(t),
            String(l),
            ...r.bySigma.map((s) =>
              signedMeanSd(
                r.cells.find((c) => c.sigma === s.sigma && c.temperature === t && c.lambda === l)?.kdGainMean ?? Number.NaN,
                Number.NaN,
              ),
            ),
          ];
        }),
      },
    },
    {
      text:
        r.agreement
          .map(
            (a) =>
              `${a.estimator}: sign of margin = sign of KD gain in ${share(a.cellSignAgreement)} of (σ, T, λ) cells and ${share(a.sigmaSignAgreement)} of σ; Spearman(gain, margin) over σ ${Number.isFinite(a.spearmanGainMargin) ? a.spearmanGainMargin.toFixed(2) : 'n/a'}.`,
          )
          .join('\n') + `\nfiles: ${r.files.join(', ')}`,
    },
  ];
}

export const cchDigitsExperiment: ExperimentDefinition = {
  name: 'cch-digits',
  description:
    "CCH paper's MNIST → MNIST-M protocol on the built-in digits: blurred-pixels teacher, textured student, KD gain vs CCH margin",
  options: [
    ...commonDigitsOptions(CCH_DIGITS_DEFAULTS, CCH_DIGITS_QUICK),
    {
      flags: '--sigmas <list>',
      key: 'sigmas',
      description: `teacher blur σ in pixels (default ${CCH_DIGITS_DEFAULTS.sigmas.join(',')}; quick ${CCH_DIGITS_QUICK.sigmas?.join(',')})`,
      parse: parseNumberListOption('--sigmas'),
    },
    {
      flags: '--temperatures <list>',
      key: 'temperatures',
      description: `KD temperatures (default ${CCH_DIGITS_DEFAULTS.temperatures.join(',')}; the paper's grid: 1,2,3,4)`,
      parse: parseNumberListOption('--temperatures'),
    },
    {
      flags: '--lambdas <list>',
      key: 'lambdas',
      description: `KD weights λ in (1 − λ)·CE + λ·KD (default ${CCH_DIGITS_DEFAULTS.lambdas.join(',')})`,
      parse: parseNumberListOption('--lambdas', { min: 0, max: 1000 }),
    },
  ],
  async run(opts, ctx) {
    const { quick, ...rest } = opts;
    const result = await runCchDigits(
      { ...(quick ? CCH_DIGITS_QUICK : {}), ...(rest as Partial<CchDigitsOptions> & { outDir: string }) },
      ctx,
    );
    return { result, report: cchDigitsReport(result) };
  },
};
