/** Figure of cch-noise: KD gain and CCH margin against the noise level, with their zero crossings. */
import type { VegaLiteSpec } from '../../report/charts.js';
import type { MarginEstimator } from '../cch-digits/common.js';
import type { CchNoiseCrossings, CchNoiseLevel } from './types.js';

const ESTIMATOR_TITLE: Record<MarginEstimator, string> = { ksg: 'KSG', latent: 'latent MI', gaussian: 'Gaussian' };

export function cchNoiseFigures(
  levels: CchNoiseLevel[],
  estimators: MarginEstimator[],
  crossings: CchNoiseCrossings,
): Record<string, VegaLiteSpec> {
  const x = {
    field: 'noise',
    type: 'quantitative',
    title: 'noise sd ε (× teacher logit scale), symlog axis',
    scale: { type: 'symlog', constant: 0.25 },
  };
  const finite = (v: number) => (Number.isFinite(v) ? v : 0);
  const crossingRules = [
    ...crossings.gain.map((c) => ({ noise: c, what: 'KD gain = 0' })),
    ...estimators.flatMap((e) => (crossings.margin[e] ?? []).map((c) => ({ noise: c, what: `margin (${ESTIMATOR_TITLE[e]}) = 0` }))),
  ];
  const rules = {
    data: { values: crossingRules },
    mark: { type: 'rule', strokeDash: [4, 3] },
    encoding: {
      x: { field: 'noise', type: 'quantitative' },
      color: { field: 'what', type: 'nominal', title: 'zero crossing', scale: { scheme: 'dark2' } },
    },
  };
  const gain = {
    title: 'Accuracy change from KD (mean ± sd over seeds)',
    width: 420,
    height: 200,
    layer: [
      { data: { values: [{}] }, mark: { type: 'rule', color: '#9ca3af' }, encoding: { y: { datum: 0 } } },
      ...(crossingRules.length ? [rules] : []),
      {
        data: {
          values: levels.map((l) => ({
            noise: l.noise,
            gain: l.kdGainMean,
            lo: l.kdGainMean - finite(l.kdGainSd),
            hi: l.kdGainMean + finite(l.kdGainSd),
          })),
        },
        layer: [
          { mark: { type: 'rule', color: '#111827' }, encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } } },
          {
            mark: { type: 'line', point: true, color: '#111827' },
            encoding: { x, y: { field: 'gain', type: 'quantitative', title: 'KD − no-KD accuracy' } },
          },
        ],
      },
    ],
  };
  const margin = {
    title: 'CCH margin I(H1;H2) − I(H2;Y) of the noisy teacher logits (nats)',
    width: 420,
    height: 200,
    layer: [
      { data: { values: [{}] }, mark: { type: 'rule', color: '#9ca3af' }, encoding: { y: { datum: 0 } } },
      ...(crossingRules.length ? [rules] : []),
      {
        data: {
          values: levels.flatMap((l) =>
            estimators.map((e) => ({ noise: l.noise, margin: l.marginMean[e], estimator: ESTIMATOR_TITLE[e] })),
          ),
        },
        mark: { type: 'line', point: true },
        encoding: {
          x,
          y: { field: 'margin', type: 'quantitative', title: 'margin (nats)' },
          strokeDash: { field: 'estimator', type: 'nominal', title: 'estimator' },
        },
      },
    ],
  };
  return { 'gain-and-margin-vs-noise': { vconcat: [gain, margin], resolve: { scale: { color: 'shared' } } } as unknown as VegaLiteSpec };
}
