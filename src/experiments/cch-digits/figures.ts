/** Figures of cch-digits: KD gain against the CCH margin, and accuracy / margin along the blur sweep. */
import type { VegaLiteSpec } from '../../report/charts.js';
import type { MarginEstimator } from './common.js';
import type { CchDigitsCell, CchDigitsSigma } from './types.js';

const ESTIMATOR_TITLE: Record<MarginEstimator, string> = { ksg: 'KSG', latent: 'latent MI', gaussian: 'Gaussian' };

export function cchDigitsFigures(
  cells: CchDigitsCell[],
  bySigma: CchDigitsSigma[],
  estimators: MarginEstimator[],
): Record<string, VegaLiteSpec> {
  const panel = (e: MarginEstimator) => ({
    title: `CCH margin by ${ESTIMATOR_TITLE[e]}`,
    width: 300,
    height: 240,
    layer: [
      { data: { values: [{}] }, mark: { type: 'rule', color: '#9ca3af' }, encoding: { y: { datum: 0 } } },
      { data: { values: [{}] }, mark: { type: 'rule', color: '#9ca3af', strokeDash: [4, 4] }, encoding: { x: { datum: 0 } } },
      {
        data: { values: cells.map((c) => ({ x: c.marginMean[e], gain: c.kdGainMean, kd: `T=${c.temperature}, λ=${c.lambda}` })) },
        mark: { type: 'point', size: 35, opacity: 0.8 },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: 'I(H1;H2) − I(H2;Y) (nats)' },
          y: { field: 'gain', type: 'quantitative', title: 'KD student − no-KD student accuracy' },
          color: { field: 'kd', type: 'nominal', title: 'KD setting' },
        },
      },
      {
        data: {
          values: bySigma.map((s, i) => ({
            x: s.marginMean[e],
            gain: s.kdGainMean,
            lo: s.kdGainMean - (Number.isFinite(s.kdGainSd) ? s.kdGainSd : 0),
            hi: s.kdGainMean + (Number.isFinite(s.kdGainSd) ? s.kdGainSd : 0),
            label: `σ=${s.sigma}`,
            // Neighbouring σ often sit close together: their labels alternate sides.
            side: i % 2 === 0 ? 'left' : 'right',
          })),
        },
        layer: [
          {
            mark: { type: 'rule', color: '#111827' },
            encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
          },
          {
            mark: { type: 'point', shape: 'diamond', filled: true, size: 90, color: '#111827' },
            encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'gain', type: 'quantitative' } },
          },
          ...(['left', 'right'] as const).map((side) => ({
            transform: [{ filter: `datum.side === '${side}'` }],
            mark: { type: 'text', align: side === 'left' ? 'right' : 'left', dx: side === 'left' ? -9 : 9, fontSize: 10 },
            encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'gain', type: 'quantitative' }, text: { field: 'label' } },
          })),
        ],
      },
    ],
  });
  const gainVsMargin = {
    title: 'KD gain vs CCH margin (points: T, λ cells; diamonds: mean over T, λ ± sd over seeds)',
    hconcat: estimators.map(panel),
    resolve: { scale: { color: 'shared', y: 'shared' } },
  } as unknown as VegaLiteSpec;

  const accLong = [
    ...bySigma.map((s) => ({ sigma: s.sigma, acc: s.teacherAccMean, model: 'teacher (blurred pixels)' })),
    ...bySigma.map((s) => ({ sigma: s.sigma, acc: s.studentAcc, model: 'student, no KD (textured)' })),
    ...cells.map((c) => ({ sigma: c.sigma, acc: c.kdAcc, model: `KD student, T=${c.temperature}, λ=${c.lambda}` })),
  ];
  const marginLong = bySigma.flatMap((s) =>
    estimators.flatMap((e) => [
      { sigma: s.sigma, value: s.marginMean[e], quantity: `margin (${ESTIMATOR_TITLE[e]})` },
      { sigma: s.sigma, value: s.miTeacherStudent[e], quantity: `I(H1;H2) (${ESTIMATOR_TITLE[e]})` },
      { sigma: s.sigma, value: s.miStudentLabel[e], quantity: `I(H2;Y) (${ESTIMATOR_TITLE[e]})` },
    ]),
  );
  const sweep = {
    hconcat: [
      {
        title: 'Test accuracy along the blur sweep',
        width: 300,
        height: 240,
        data: { values: accLong },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'sigma', type: 'quantitative', title: 'teacher blur σ (pixels)' },
          y: { field: 'acc', type: 'quantitative', title: 'test accuracy', scale: { zero: false } },
          color: { field: 'model', type: 'nominal', title: null },
        },
      },
      {
        title: 'CCH terms along the blur sweep (nats)',
        width: 300,
        height: 240,
        layer: [
          { data: { values: [{}] }, mark: { type: 'rule', color: '#9ca3af' }, encoding: { y: { datum: 0 } } },
          {
            data: { values: marginLong },
            mark: { type: 'line', point: true },
            encoding: {
              x: { field: 'sigma', type: 'quantitative', title: 'teacher blur σ (pixels)' },
              y: { field: 'value', type: 'quantitative', title: 'nats' },
              color: { field: 'quantity', type: 'nominal', title: null },
            },
          },
        ],
      },
    ],
    resolve: { scale: { color: 'independent' } },
  } as unknown as VegaLiteSpec;
  return { 'gain-vs-margin': gainVsMargin, sweep };
}
