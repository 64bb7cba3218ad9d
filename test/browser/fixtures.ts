/**
 * A small but complete ReportDocument using every block kind and every chart builder, for the
 * report's unit tests and its browser check.
 */
import { cchScatterSpec, confusionMatrixSpec, learningCurvesSpec, methodsSpec, teacherRankingSpec } from '../../src/report/figures.js';
import { figure, list, paragraph, table, verdict, type ReportDocumentInput } from '../../src/report/document.js';

export const SAMPLE_VERDICT = 'KD from blocks helps the pixels student';

export function sampleReportDocument(): ReportDocumentInput {
  const teachers = [
    { teacher: 'blocks', margin: 0.42, marginCi: [0.3, 0.55] as [number, number], gain: 0.031, gainSd: 0.008 },
    { teacher: 'profiles', margin: -0.2, marginCi: [-0.33, -0.05] as [number, number], gain: -0.012, gainSd: 0.006 },
    { teacher: 'fourier', margin: 0.05, marginCi: [-0.06, 0.17] as [number, number], gain: 0.004, gainSd: 0.01 },
  ];
  const history = (scale: number) =>
    Array.from({ length: 6 }, (_, i) => ({
      epoch: i + 1,
      trainLoss: 2 / (i + 1),
      valLoss: (2.2 * scale) / (i + 1.2),
      valMetric: 0.5 + 0.07 * i * scale,
    }));
  return {
    title: 'cmkd run: pixels student on digits',
    subtitle: 'Which teacher helps a pixels-only student?',
    meta: {
      dataset: 'digits?n=1000',
      date: '2026-01-02T03:04:05Z',
      cmkdVersion: '0.1.0',
      settings: { student: 'pixels', teachers: ['blocks', 'profiles', 'fourier'], repeats: 3, budget: 'quick', fusion: false },
    },
    summary: [
      verdict(
        'positive',
        SAMPLE_VERDICT,
        'The CCH margin of **blocks** is above 0 with its whole interval, and distilling from it raised test accuracy by 3.1 points.',
      ),
      paragraph('Three teachers were screened with the `ksg` estimator.'),
    ],
    sections: [
      {
        heading: 'Teachers',
        blocks: [
          figure(
            'teacher-ranking',
            teacherRankingSpec(teachers.map((t) => ({ teacher: t.teacher, margin: t.margin, ci: t.marginCi }))),
            'CCH margins with 95% intervals.',
          ),
          figure('cch-scatter', cchScatterSpec(teachers), 'Predicted against measured.'),
          table({
            id: 'teachers',
            caption: 'Margins and gains.',
            header: ['teacher', 'margin', 'KD gain', 'verdict'],
            rows: teachers.map((t) => [
              t.teacher,
              { value: t.margin, ci: t.marginCi },
              { mean: t.gain, sd: t.gainSd, n: 3 },
              t.margin > 0 ? 'helps' : 'hurts',
            ]),
            best: { margin: 'max', 'KD gain': 'max' },
            formats: { 'KD gain': { signed: true, digits: 3 } },
          }),
        ],
      },
      {
        heading: 'Methods',
        blocks: [
          figure(
            'methods',
            methodsSpec(
              [
                { method: 'kd', mean: 0.912, sd: 0.01 },
                { method: 'dkd', mean: 0.905, sd: 0.012 },
                { method: 'feature', mean: 0.87, sd: null },
              ],
              { metricTitle: 'test accuracy', baseline: { mean: 0.88, sd: 0.01 }, sort: 'max' },
            ),
          ),
          table({
            id: 'methods',
            header: ['method', 'test accuracy', 'macro F1'],
            rows: [
              ['no KD', { mean: 0.88, sd: 0.01 }, 0.87],
              ['kd', { mean: 0.912, sd: 0.01 }, 0.905],
              ['dkd', { mean: 0.905, sd: 0.012 }, 0.91],
            ],
            best: { 'test accuracy': 'max', 'macro F1': 'max' },
            referenceRows: [0],
          }),
        ],
      },
      {
        heading: 'Training',
        blocks: [
          figure(
            'curves',
            learningCurvesSpec(
              [
                { model: 'student', history: history(1) },
                { model: 'kd:blocks', history: history(1.1) },
              ],
              { bestEpoch: { student: 6 } },
            ),
          ),
          figure(
            'confusion',
            confusionMatrixSpec(
              [
                [8, 1, 1],
                [0, 9, 1],
                [2, 0, 8],
              ],
              ['zero', 'one', 'two'],
            ),
          ),
          list(['Models are saved under `models/`.', 'Open `student/index.html` via `cmkd serve`.']),
        ],
      },
    ],
    links: [{ href: 'student/index.html', text: 'Try the student in your browser' }],
  };
}

/**
 * The widest parts of a real `cmkd run` report (digits, textured student, five teachers): its
 * teachers table (ten columns, intervals in four) and the margin-vs-gain figure, where two
 * teachers score alike. Numbers from a run of `cmkd run digits --student textured --budget quick`.
 */
export function wideRunDocument(): ReportDocumentInput {
  const rows: [
    string,
    number,
    [number, number],
    number,
    [number, number],
    number,
    [number, number],
    number,
    [number, number],
    number,
    [number, number],
  ][] = [
    ['pixels', 1.554, [1.381, 1.728], 0.0036, [-0.0503, 0.0575], 0.073, [-0.018, 0.163], 2.06, [1.99, 2.14], 0.699, [0.607, 0.792]],
    ['fusion', 1.551, [1.336, 1.767], 0.0008, [-0.0505, 0.0522], 0.068, [-0.041, 0.177], 1.94, [1.89, 2.0], 0.719, [0.604, 0.834]],
    ['blocks', 1.525, [1.3, 1.75], -0.0256, [-0.0748, 0.0235], 0.034, [-0.066, 0.134], 1.79, [1.73, 1.84], 0.743, [0.645, 0.842]],
    ['profiles', 1.379, [1.238, 1.519], -0.172, [-0.237, -0.107], -0.032, [-0.173, 0.11], 1.6, [1.53, 1.67], 0.74, [0.656, 0.824]],
    ['fourier', 1.221, [1.086, 1.356], -0.33, [-0.463, -0.196], -0.0038, [-0.0881, 0.0804], 1.58, [1.48, 1.67], 0.673, [0.564, 0.783]],
  ];
  const est = (value: number, ci: [number, number]) => ({ value, ci });
  return {
    title: 'wide run report',
    sections: [
      {
        heading: 'Will KD help, and from which teacher?',
        blocks: [
          table({
            id: 'teachers',
            caption: 'CCH prediction against the measured weighted F1 gain of plain KD from each teacher.',
            header: [
              'rank',
              'teacher',
              'I(Ht;Hs)',
              'margin',
              'verdict',
              'KD gain (weighted F1)',
              'effect',
              'agrees',
              'I(Ht;Y)',
              'shared fraction',
            ],
            rows: rows.map((r, i) => [
              i + 1,
              r[0],
              est(r[1], r[2]),
              est(r[3], r[4]),
              r[3] < -0.1 ? 'hurts' : 'uncertain',
              est(r[5], r[6]),
              'no clear effect',
              '–',
              est(r[7], r[8]),
              est(r[9], r[10]),
            ]),
            formats: { rank: { digits: 0 }, 'KD gain (weighted F1)': { signed: true } },
          }),
          figure(
            'cch-scatter',
            cchScatterSpec(
              rows.map((r) => ({ teacher: r[0], margin: r[3], marginCi: r[4], gain: r[5], gainSd: (r[6][1] - r[6][0]) / 4 })),
              { gainRange: [-1, 1] },
            ),
          ),
        ],
      },
    ],
  };
}
