/** Figures of mfh-synthetic: accuracy along the γ and α sweeps, and the KD gain against the CCH margin. */
import type { VegaLiteSpec } from '../../report/charts.js';
import type { MfhMode } from './data.js';
import type { MfhSummaryRow } from './types.js';

export function mfhFigures(summary: MfhSummaryRow[]): Record<string, VegaLiteSpec> {
  const long = summary.flatMap((s) =>
    (
      [
        ['teacher (x1)', s.teacherAcc],
        ['student, no KD (x2)', s.studentAcc],
        ['student with KD (x2)', s.kdAcc],
      ] as const
    ).map(([model, acc]) => ({ mode: s.mode, x: s.mode === 'gamma' ? s.gamma : s.alpha, model, acc })),
  );
  const panel = (mode: MfhMode): VegaLiteSpec => ({
    title: mode === 'gamma' ? 'More shared decisive features (γ ↑)' : 'More teacher-only decisive features (α ↑)',
    width: 300,
    height: 220,
    data: { values: long.filter((r) => r.mode === mode) },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: mode === 'gamma' ? 'γ (shared / all decisive)' : 'α (teacher-only share)' },
      y: { field: 'acc', type: 'quantitative', title: 'test accuracy', scale: { zero: false } },
      color: { field: 'model', type: 'nominal', title: null },
    },
  });
  const gainVsMargin: VegaLiteSpec = {
    title: 'KD gain against the CCH margin, per setting (mean ± sd over seeds)',
    width: 420,
    height: 260,
    data: {
      values: summary.map((s) => ({
        ...s,
        lo: s.kdGainMean - s.kdGainSd,
        hi: s.kdGainMean + s.kdGainSd,
        label: s.mode === 'gamma' ? `γ=${s.gamma.toFixed(2)}` : `α=${s.alpha.toFixed(2)}`,
      })),
    },
    layer: [
      { mark: { type: 'rule', color: '#9ca3af' }, encoding: { y: { datum: 0 } } },
      { mark: { type: 'rule', color: '#9ca3af', strokeDash: [4, 4] }, encoding: { x: { datum: 0 } } },
      {
        mark: 'rule',
        encoding: {
          x: { field: 'cchMarginMean', type: 'quantitative' },
          y: { field: 'lo', type: 'quantitative' },
          y2: { field: 'hi' },
          color: { field: 'mode', type: 'nominal' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x: { field: 'cchMarginMean', type: 'quantitative', title: 'CCH margin I(H1;H2) − I(H2;Y) (nats)' },
          y: { field: 'kdGainMean', type: 'quantitative', title: 'accuracy gain from KD' },
          color: { field: 'mode', type: 'nominal', title: 'sweep' },
        },
      },
      {
        mark: { type: 'text', dy: -9, fontSize: 10 },
        encoding: {
          x: { field: 'cchMarginMean', type: 'quantitative' },
          y: { field: 'kdGainMean', type: 'quantitative' },
          text: { field: 'label' },
        },
      },
    ],
  };
  return {
    accuracy: { hconcat: [panel('gamma'), panel('alpha')], resolve: { scale: { color: 'shared' } } } as VegaLiteSpec,
    'gain-vs-cch-margin': gainVsMargin,
  };
}
