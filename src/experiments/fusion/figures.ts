/** Figures of the fusion experiment: accuracies per teacher, and KD gain against the CCH margin. */
import type { VegaLiteSpec } from '../../report/charts.js';
import type { MarginEstimator } from '../cch-digits/common.js';
import type { FusionComparison, FusionOptions, FusionTeacherSummary } from './types.js';

const ESTIMATOR_TITLE: Record<MarginEstimator, string> = { ksg: 'KSG', latent: 'latent MI', gaussian: 'Gaussian' };

export function fusionFigures(
  teachers: FusionTeacherSummary[],
  c: FusionComparison,
  o: Pick<FusionOptions, 'student' | 'estimators'>,
): Record<string, VegaLiteSpec> {
  const bars = teachers.flatMap((t) => [
    { teacher: t.teacher, model: 'teacher (its views at test time)', acc: t.teacherAccMean },
    { teacher: t.teacher, model: `student on ${o.student} + KD from it`, acc: t.kdAccMean },
  ]);
  const accuracy = {
    title: `Test accuracy per teacher; dashed: ${o.student} student alone`,
    width: 360,
    height: 240,
    layer: [
      {
        data: { values: bars },
        mark: 'bar',
        encoding: {
          x: { field: 'teacher', type: 'nominal', title: null, sort: teachers.map((t) => t.teacher), axis: { labelAngle: -30 } },
          xOffset: { field: 'model', type: 'nominal' },
          y: { field: 'acc', type: 'quantitative', title: 'test accuracy', scale: { domain: [0, 1] } },
          color: { field: 'model', type: 'nominal', title: null },
        },
      },
      {
        data: { values: [{ acc: c.studentAlone }] },
        mark: { type: 'rule', strokeDash: [5, 4], color: '#111827' },
        encoding: { y: { field: 'acc', type: 'quantitative' } },
      },
    ],
  } as unknown as VegaLiteSpec;
  const panel = (e: MarginEstimator) => ({
    title: `CCH margin by ${ESTIMATOR_TITLE[e]}`,
    width: 280,
    height: 220,
    layer: [
      { data: { values: [{}] }, mark: { type: 'rule', color: '#9ca3af' }, encoding: { y: { datum: 0 } } },
      { data: { values: [{}] }, mark: { type: 'rule', color: '#9ca3af', strokeDash: [4, 4] }, encoding: { x: { datum: 0 } } },
      {
        data: {
          values: teachers.map((t) => ({
            teacher: t.teacher,
            kind: t.kind,
            x: t.marginMean[e],
            gain: t.kdGainMean,
            lo: t.kdGainMean - (Number.isFinite(t.kdGainSd) ? t.kdGainSd : 0),
            hi: t.kdGainMean + (Number.isFinite(t.kdGainSd) ? t.kdGainSd : 0),
          })),
        },
        layer: [
          {
            mark: 'rule',
            encoding: {
              x: { field: 'x', type: 'quantitative' },
              y: { field: 'lo', type: 'quantitative' },
              y2: { field: 'hi' },
              color: { field: 'kind', type: 'nominal' },
            },
          },
          {
            mark: { type: 'point', filled: true, size: 70 },
            encoding: {
              x: { field: 'x', type: 'quantitative', title: 'I(H1;H2) − I(H2;Y) (nats)' },
              y: { field: 'gain', type: 'quantitative', title: 'KD − no-KD accuracy' },
              color: { field: 'kind', type: 'nominal', title: 'teacher' },
            },
          },
          {
            mark: { type: 'text', dy: -10, fontSize: 10 },
            encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'gain', type: 'quantitative' }, text: { field: 'teacher' } },
          },
        ],
      },
    ],
  });
  const gainVsMargin = {
    title: `KD gain of the ${o.student} student vs the CCH margin, per teacher (mean ± sd over seeds)`,
    hconcat: o.estimators.map(panel),
    resolve: { scale: { y: 'shared', color: 'shared' } },
  } as unknown as VegaLiteSpec;
  return { accuracy, 'gain-vs-margin': gainVsMargin };
}
