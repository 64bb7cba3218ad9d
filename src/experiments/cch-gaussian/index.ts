/** The cch-gaussian entry of the experiment registry. */
import {
  parseChoiceOption,
  parseIntOption,
  parseNumberListOption,
  parseNumberOption,
  type ExperimentDefinition,
  type ReportBlock,
} from '../types.js';
import { runCchGaussian } from './run.js';
import type { CchGaussianOptions, CchGaussianResult } from './types.js';

export { runCchGaussian, resolveCchOptions, CCH_DEFAULTS, CCH_QUICK } from './run.js';
export type { CchGaussianOptions, CchGaussianResult } from './types.js';

const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(100 * x)}%` : '–');

export function cchReport(r: CchGaussianResult): ReportBlock[] {
  const o = r.options;
  return [
    {
      text:
        `cch-gaussian: ${r.settingsDone}/${r.settingsTotal} settings × ${o.seeds} seeds, n = ${o.n}, p = ${o.p}, ` +
        `teacher on ${o.teacherData} rows, ${r.wallSeconds.toFixed(0)} s` +
        (o.outDir ? ` → ${o.outDir}` : ''),
    },
    { text: 'Sign of the measured test-MSE change (KD − no KD, Adam students, mean over seeds) vs the prediction, per λ:' },
    {
      table: {
        header: [
          'λ',
          'settings',
          'agree CCH (exact)',
          'agree CCH (Gaussian est.)',
          'agree CCH (KSG est.)',
          'agree CCH per seed',
          'agree finite-n theory',
          'KD helped',
          'CCH predicted help',
        ],
        rows: r.agreement.map((a) => [
          String(a.lambda),
          a.settings,
          pct(a.agreeCch),
          pct(a.agreeCchGaussian),
          pct(a.agreeCchKsg),
          pct(a.agreeCchPerSeed),
          pct(a.agreeTheory),
          a.helped,
          a.cchPredictedHelp,
        ]),
      },
    },
    {
      text:
        `Adam vs closed-form students: max |risk gap| ${r.adamCheck.maxAbsRiskGap.toExponential(2)}, ` +
        `max |ΔMSE gap| ${r.adamCheck.maxAbsDeltaMseGap.toExponential(2)}.\n` +
        `MI estimates, mean |estimate − exact| (nats): ` +
        r.miCheck.map((m) => `${m.estimator} ${m.quantity} ${m.meanAbsError.toFixed(4)}`).join(', ') +
        (r.files.length ? `\nfiles: ${r.files.join(', ')}` : ''),
    },
  ];
}

export const cchGaussianExperiment: ExperimentDefinition = {
  name: 'cch-gaussian',
  description: 'CCH in the joint-Gaussian model: closed-form theory and the synthetic KD regression sweep (arXiv 2510.13182 §3)',
  options: [
    { flags: '--n <int>', key: 'n', description: 'training rows (default 10000; quick 2000)', parse: parseIntOption('--n', 3) },
    { flags: '--p <int>', key: 'p', description: 'dimension of each modality (default 100; quick 20)', parse: parseIntOption('--p', 2) },
    {
      flags: '--lambdas <list>',
      key: 'lambdas',
      description: 'KD weights, comma-separated (default 0.2,0.3,0.5,0.7,0.8)',
      parse: parseNumberListOption('--lambdas', { min: 0, max: 1000 }),
    },
    {
      flags: '--seeds <int>',
      key: 'seeds',
      description: 'seeds per setting (default 5; quick 2)',
      parse: parseIntOption('--seeds', 1, 1000),
    },
    {
      flags: '--settings <int>',
      key: 'settings',
      description: 'settings in the sweep, spread over 3 families (default 12; quick 6)',
      parse: parseIntOption('--settings', 1),
    },
    { flags: '--seed <int>', key: 'seed', description: 'base seed (default 1)', parse: parseIntOption('--seed', 0, 2 ** 32 - 1) },
    {
      flags: '--n-test <int>',
      key: 'nTest',
      description: 'test rows for the measured MSE (default 10000)',
      parse: parseIntOption('--n-test', 2),
    },
    {
      flags: '--mi-samples <int>',
      key: 'miSamples',
      description: 'held-out rows for the sample MI estimates (default 5000)',
      parse: parseIntOption('--mi-samples', 8),
    },
    {
      flags: '--teacher-data <which>',
      key: 'teacherData',
      description: "teacher fitted on 'independent' rows (default; theory exact) or the 'same' rows as the student",
      parse: parseChoiceOption('--teacher-data', ['independent', 'same'] as const),
    },
    {
      flags: '--adam-steps <int>',
      key: 'adamSteps',
      description: 'full-batch Adam steps (default 200)',
      parse: parseIntOption('--adam-steps', 1),
    },
    {
      flags: '--learning-rate <x>',
      key: 'learningRate',
      description: 'Adam learning rate (default 0.02)',
      parse: parseNumberOption('--learning-rate', { above: 0, max: 100 }),
    },
  ],
  async run(opts, ctx) {
    const result = await runCchGaussian(opts as Partial<CchGaussianOptions>, ctx);
    return { result, report: cchReport(result) };
  },
};
