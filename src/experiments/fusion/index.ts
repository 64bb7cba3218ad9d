/** The fusion entry of the experiment registry. */
import { CmkdError } from '../../util/errors.js';
import { parseChoiceOption, parseNumberOption, type ExperimentDefinition, type ReportBlock } from '../types.js';
import { DIGITS_VIEWS, signedMeanSd } from '../cch-digits/common.js';
import { commonDigitsOptions } from '../cch-digits/index.js';
import { FUSION_DEFAULTS, FUSION_QUICK, runFusion } from './run.js';
import type { FusionOptions, FusionResult } from './types.js';

export { runFusion, resolveFusionOptions, summariseFusion, FUSION_DEFAULTS, FUSION_QUICK, EARLY_FUSION, LATE_FUSION } from './run.js';
export { meanArrays, concatRepresentations } from '../cch-digits/common.js';
export type { FusionOptions, FusionResult, FusionRow, FusionTeacherSummary, FusionComparison, TeacherKind } from './types.js';

const pct = (x: number) => (Number.isFinite(x) ? (100 * x).toFixed(1) : 'n/a');

function parseViewList(raw: string): string[] {
  const views = raw.split(',').map((s) => s.trim());
  for (const v of views) {
    if (!(DIGITS_VIEWS as readonly string[]).includes(v)) {
      throw new CmkdError(
        `--modalities must be comma-separated digits views among ${DIGITS_VIEWS.join(', ')}, got '${raw}'`,
        'invalid-option',
      );
    }
  }
  return views;
}

export function fusionReport(r: FusionResult): ReportBlock[] {
  const o = r.options;
  const c = r.comparison;
  return [
    {
      text:
        `fusion: student on ${o.student}; teachers on each of ${o.modalities.join(', ')}, an early-fusion MLP on their concatenated features, and late fusion (mean of the single-view teachers' logits). ` +
        `KD T = ${o.temperature}, λ = ${o.lambda}; n = ${o.n}, ${o.seeds} seed(s), Adam lr ${o.learningRate}, ${o.epochs} epochs. ${r.wallSeconds.toFixed(0)} s → ${o.outDir}`,
    },
    {
      table: {
        header: [
          'teacher',
          'teacher %',
          `${o.student} + KD %`,
          'KD gain (± sd over seeds)',
          ...o.estimators.map((e) => `margin ${e} (nats)`),
        ],
        rows: r.teachers.map((t) => [
          t.teacher,
          pct(t.teacherAccMean),
          pct(t.kdAccMean),
          signedMeanSd(t.kdGainMean, t.kdGainSd),
          ...o.estimators.map((e) => signedMeanSd(t.marginMean[e] ?? Number.NaN, t.marginSd[e] ?? Number.NaN)),
        ]),
      },
    },
    {
      table: {
        header: ['model', 'views at test time', 'test accuracy %'],
        rows: [
          [`${o.student} student alone`, o.student, pct(c.studentAlone)],
          [`${o.student} + KD from best single teacher (${c.bestSingleTeacher})`, o.student, pct(c.bestSingleKd)],
          [`${o.student} + KD from early-fusion teacher`, o.student, pct(c.earlyFusionKd)],
          [`${o.student} + KD from late-fusion teacher`, o.student, pct(c.lateFusionKd)],
          ['direct fusion (early-fusion model)', o.modalities.join('+'), pct(c.directFusion)],
        ],
      },
    },
    {
      text:
        c.criteria
          .map(
            (k) =>
              `${k.estimator}: Spearman(gain, margin) over teachers ${Number.isFinite(k.spearman) ? k.spearman.toFixed(2) : 'n/a'}, sign agreement ${Number.isFinite(k.signAgreement) ? `${Math.round(100 * k.signAgreement)}%` : 'n/a'}; ` +
              `largest margin: ${k.topMarginTeacher}, largest gain: ${k.topGainTeacher}.`,
          )
          .join('\n') + `\nfiles: ${r.files.join(', ')}`,
    },
  ];
}

export const fusionExperiment: ExperimentDefinition = {
  name: 'fusion',
  description:
    'fusion teachers vs single-view teachers on the digits; fusion teacher + KD vs direct fusion, with the CCH margin per teacher',
  options: [
    ...commonDigitsOptions(FUSION_DEFAULTS, FUSION_QUICK),
    {
      flags: '--modalities <list>',
      key: 'modalities',
      description: `views to fuse, each also a single-view teacher (default ${FUSION_DEFAULTS.modalities.join(',')})`,
      parse: parseViewList,
    },
    {
      flags: '--student <view>',
      key: 'student',
      description: `student's view (default ${FUSION_DEFAULTS.student})`,
      parse: parseChoiceOption('--student', DIGITS_VIEWS),
    },
    {
      flags: '--temperature <x>',
      key: 'temperature',
      description: `KD temperature (default ${FUSION_DEFAULTS.temperature})`,
      parse: parseNumberOption('--temperature', { above: 0, max: 1000 }),
    },
    {
      flags: '--lambda <x>',
      key: 'lambda',
      description: `KD weight λ in (1 − λ)·CE + λ·KD (default ${FUSION_DEFAULTS.lambda})`,
      parse: parseNumberOption('--lambda', { min: 0, max: 1000 }),
    },
  ],
  async run(opts, ctx) {
    const { quick, ...rest } = opts;
    const result = await runFusion({ ...(quick ? FUSION_QUICK : {}), ...(rest as Partial<FusionOptions> & { outDir: string }) }, ctx);
    return { result, report: fusionReport(result) };
  },
};
