/** The cch-noise entry of the experiment registry. */
import { parseChoiceOption, parseNumberListOption, parseNumberOption, type ExperimentDefinition, type ReportBlock } from '../types.js';
import { DIGITS_VIEWS, signedMeanSd } from '../cch-digits/common.js';
import { commonDigitsOptions } from '../cch-digits/index.js';
import { CCH_NOISE_DEFAULTS, CCH_NOISE_QUICK, runCchNoise } from './run.js';
import type { CchNoiseOptions, CchNoiseResult } from './types.js';

export { runCchNoise, resolveCchNoiseOptions, summariseCchNoise, CCH_NOISE_DEFAULTS, CCH_NOISE_QUICK } from './run.js';
export { logitScale } from '../cch-digits/common.js';
export type { CchNoiseOptions, CchNoiseResult, CchNoiseRow, CchNoiseLevel, CchNoiseCrossings } from './types.js';

const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : 'n/a');
const from = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? `ε = ${x}` : 'no level (not negative at the largest ε)');
const list = (xs: number[] | undefined) => (xs && xs.length ? xs.map((x) => `ε ≈ ${x.toFixed(2)}`).join(', ') : 'none in the range');

export function cchNoiseReport(r: CchNoiseResult): ReportBlock[] {
  const o = r.options;
  const est = o.estimators;
  return [
    {
      text:
        `cch-noise: teacher on ${o.teacher}, student on ${o.student}; Gaussian noise of sd ε × the teacher's logit scale added to the teacher logits KD distils ` +
        `(T = ${o.temperature}, λ = ${o.lambda}); n = ${o.n}, ${o.seeds} seed(s), Adam lr ${o.learningRate}, ${o.epochs} epochs. ` +
        `Margin from the noisy held-out logits vs the no-KD student's embedding (${o.miDims} principal components). ${r.wallSeconds.toFixed(0)} s → ${o.outDir}`,
    },
    {
      table: {
        header: ['ε', 'noisy teacher %', 'no-KD %', 'KD %', 'KD gain (± sd over seeds)', ...est.map((e) => `margin ${e} (nats)`)],
        rows: r.levels.map((l) => [
          String(l.noise),
          pct(l.noisyTeacherAcc),
          pct(l.studentAcc),
          pct(l.kdAcc),
          signedMeanSd(l.kdGainMean, l.kdGainSd),
          ...est.map((e) => signedMeanSd(l.marginMean[e] ?? Number.NaN, l.marginSd[e] ?? Number.NaN)),
        ]),
      },
    },
    {
      text:
        `KD gain changes sign at ${list(r.crossings.gain)}; it stays negative from ${from(r.crossings.gainNegativeFrom)}.\n` +
        est
          .map(
            (e) =>
              `${e} margin crosses 0 at ${list(r.crossings.margin[e])}; it stays negative from ${from(r.crossings.marginNegativeFrom[e])}.`,
          )
          .join('\n') +
        `\nfiles: ${r.files.join(', ')}`,
    },
  ];
}

export const cchNoiseExperiment: ExperimentDefinition = {
  name: 'cch-noise',
  description:
    'CCH boundary test on the digits: growing noise on the teacher logits; where the KD gain changes sign vs where the CCH margin crosses 0',
  options: [
    ...commonDigitsOptions(CCH_NOISE_DEFAULTS, CCH_NOISE_QUICK),
    {
      flags: '--noise <list>',
      key: 'noise',
      description: `noise sd levels ε, × the teacher's logit scale (default ${CCH_NOISE_DEFAULTS.noise.join(',')}; quick ${CCH_NOISE_QUICK.noise?.join(',')})`,
      parse: parseNumberListOption('--noise'),
    },
    {
      flags: '--teacher <view>',
      key: 'teacher',
      description: `teacher's digits view (default ${CCH_NOISE_DEFAULTS.teacher})`,
      parse: parseChoiceOption('--teacher', DIGITS_VIEWS),
    },
    {
      flags: '--student <view>',
      key: 'student',
      description: `student's digits view (default ${CCH_NOISE_DEFAULTS.student})`,
      parse: parseChoiceOption('--student', DIGITS_VIEWS),
    },
    {
      flags: '--temperature <x>',
      key: 'temperature',
      description: `KD temperature (default ${CCH_NOISE_DEFAULTS.temperature})`,
      parse: parseNumberOption('--temperature', { above: 0, max: 1000 }),
    },
    {
      flags: '--lambda <x>',
      key: 'lambda',
      description: `KD weight λ in (1 − λ)·CE + λ·KD (default ${CCH_NOISE_DEFAULTS.lambda})`,
      parse: parseNumberOption('--lambda', { min: 0, max: 1000 }),
    },
  ],
  async run(opts, ctx) {
    const { quick, ...rest } = opts;
    const result = await runCchNoise(
      { ...(quick ? CCH_NOISE_QUICK : {}), ...(rest as Partial<CchNoiseOptions> & { outDir: string }) },
      ctx,
    );
    return { result, report: cchNoiseReport(result) };
  },
};
