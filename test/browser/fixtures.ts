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
