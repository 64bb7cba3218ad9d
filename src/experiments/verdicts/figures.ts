/** The verdicts experiment's figure: measured KD gain against the CCH margin, one panel per representation × estimator. */
import type { VegaLiteSpec } from '../../report/charts.js';
import { clearSign, decidedSign } from './score.js';
import type { VerdictsPairRow, VerdictsScore } from './types.js';

/** How a pair counts in the table: agrees, disagrees, or cannot be checked (and why). */
export function pairStatus(r: VerdictsPairRow): 'agrees' | 'disagrees' | 'undecided' | 'no clear effect' {
  const d = decidedSign(r);
  if (d === 0) return 'undecided';
  const c = clearSign(r);
  if (c === 0) return 'no clear effect';
  return d === c ? 'agrees' : 'disagrees';
}

export function verdictsFigure(rows: readonly VerdictsPairRow[], table: readonly VerdictsScore[]): VegaLiteSpec {
  const values = rows
    .filter((r) => Number.isFinite(r.margin) && Number.isFinite(r.gainMean))
    .map((r) => ({
      combo: `${r.representation} × ${r.estimator}`,
      pair: `${r.teacher} → ${r.student} (${r.variant})`,
      margin: r.margin,
      gain: r.gainMean,
      status: pairStatus(r),
    }));
  return {
    title: 'KD gain (mean over repeats) against the CCH margin, per pair',
    data: { values },
    facet: { column: { field: 'combo', type: 'nominal', title: null, sort: table.map((s) => `${s.representation} × ${s.estimator}`) } },
    spec: {
      width: 200,
      height: 200,
      layer: [
        { mark: { type: 'rule', color: '#9ca3af' }, encoding: { y: { datum: 0 } } },
        { mark: { type: 'rule', color: '#9ca3af', strokeDash: [4, 4] }, encoding: { x: { datum: 0 } } },
        {
          mark: { type: 'point', filled: true, size: 50 },
          encoding: {
            x: { field: 'margin', type: 'quantitative', title: 'margin I(Ht;Hs) − I(Hs;Y) (nats)' },
            y: { field: 'gain', type: 'quantitative', title: 'KD gain (headline metric)' },
            color: {
              field: 'status',
              type: 'nominal',
              title: 'verdict vs gain',
              scale: {
                domain: ['agrees', 'disagrees', 'undecided', 'no clear effect'],
                range: ['#059669', '#dc2626', '#9ca3af', '#d97706'],
              },
            },
            tooltip: [{ field: 'pair' }, { field: 'margin' }, { field: 'gain' }, { field: 'status' }],
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  } as unknown as VegaLiteSpec;
}
