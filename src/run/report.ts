/**
 * The run's report: a ReportDocument built from the RunResult (report.json → report.html),
 * and the in-browser page of the deployed student.
 */
import path from 'node:path';
import { getModality, featureSize, leakWarning, type MultimodalDataset, type Split } from '../data/index.js';
import {
  cchScatterSpec,
  confusionMatrixSpec,
  figure,
  learningCurvesSpec,
  list,
  methodsSpec,
  metricGainRange,
  metricLabel,
  metricRange,
  paragraph,
  table,
  teacherRankingSpec,
  trackRecordTable,
  trackRecordWords,
  verdict,
  writeReport,
  writeStudentPage,
  STUDENT_DIR,
  type ReportDocumentInput,
  type WrittenReport,
} from '../report/index.js';
import { miMethod } from '../criteria/index.js';
import { teacherMethodId } from '../kd/index.js';
import type { MeanSd } from '../metrics/index.js';
import { LEAST_SQUARES } from './baseline.js';
import type { BaselineRow, RunResult } from './types.js';
import { formatEstimate } from '../util/format.js';
import { agreementLine, perTeacherWords } from './verdict.js';

const REPRESENTATION_WORDS = {
  output: 'outputs (logits, PCA-reduced)',
  predicted: 'predicted classes (plug-in MI)',
  embedding: 'penultimate embeddings (PCA-reduced)',
  latent: 'learned low-dimensional codes of the penultimate embeddings',
} as const;

/** 'plain KD' → 'Plain KD' at a sentence's start. */
const sentenceCase = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** What the outcomes of a gain mean, once for the report. */
const GAIN_WORDS =
  "A gain is a 'clear gain' or 'clear loss' when its 95% interval excludes 0, 'no practical effect' when the interval lies inside ± the practical margin, otherwise 'undecided' ('undecided at the cap' when the run stopped adding splits; 'stopped: cannot be deployed' when the run stopped adding splits for it early, its interval's upper end being below the practical margin or below the lower end of a gain that is above 0 after the correction); the intervals allow for splits that share rows (corrected where test rows are shared) and for splits added after looking.";

/**
 * The teachers whose models the methods figure and learning curves show: those the method family ran
 * from, the deployed student's, and every teacher whose plain-KD gain is decided (a clear gain or loss),
 * in the CCH ranking's order.
 */
export function shownTeachers(r: Pick<RunResult, 'decision' | 'recommended' | 'outcomes' | 'table' | 'best'>): string[] {
  const deployedTeacher = r.table.find((row) => row.label === r.best.label && row.role === 'distilled')?.teacher;
  const wanted = new Set([
    ...(r.decision.familyFrom.length ? r.decision.familyFrom : [r.recommended]),
    ...(deployedTeacher ? [deployedTeacher] : []),
    ...r.outcomes.filter((o) => o.effect === 'clear gain' || o.effect === 'clear loss').map((o) => o.teacher),
  ]);
  const ranked = r.outcomes.map((o) => o.teacher).filter((t) => wanted.has(t));
  return [...ranked, ...[...wanted].filter((t) => !ranked.includes(t))];
}

/** A run's notes by kind (RunResult.notes holds them in one list). */
export interface RunNotes {
  /** What loading the data changed (e.g. a repeated CSV column name renamed), then the label leaks the data check found. */
  data: string[];
  /** How the run ran (e.g. on one process despite --workers). */
  run: string[];
  /** Schedules this budget does not finish (e.g. DKD's warm-up), 'METHOD: note'. */
  schedules: string[];
}

/**
 * Sorts the run's notes by kind: a schedule note is one a distilled record carries (as 'METHOD: note'),
 * a data note one the dataset summary carries among its warnings; the rest say how the run ran. The
 * data notes end with the summary's label leaks (a feature that gives the label away).
 */
export function runNotes(r: Pick<RunResult, 'notes' | 'records' | 'dataset'>): RunNotes {
  const summary = r.dataset.summary;
  const schedule = new Set(r.records.flatMap((x) => (x.method && x.notes ? x.notes.map((n) => `${x.method}: ${n}`) : [])));
  const data = new Set(summary.warnings);
  const out: RunNotes = { data: [], run: [], schedules: [] };
  for (const n of r.notes) (schedule.has(n) ? out.schedules : data.has(n) ? out.data : out.run).push(n);
  out.data.push(...(summary.leaks ?? []).map((l) => leakWarning(l, summary.task)));
  return out;
}

const teacherWords = (teachers: string[]) => `teacher${teachers.length === 1 ? '' : 's'} ${teachers.map((t) => `'${t}'`).join(', ')}`;

/** What the report's sections share, derived from the run's result. */
function reportContext(r: RunResult) {
  const h = r.headline.metric;
  const hName = metricLabel(h);
  const metrics = Object.keys(r.table[0].test);
  const student = r.table.find((row) => row.role === 'student')!;
  // The headline is the deploy decision (DEPLOY_RULE, src/run/decide.ts); the paragraph under it gives its reason.
  const tone = r.best.beatsStudent ? ('positive' as const) : ('neutral' as const);
  const headlineText = r.best.beatsStudent ? `Deploy ${r.best.label}` : 'Deploy the student alone';
  const splitsText = (n: number) => `${n} ${r.splits === 'kfold' ? `stratified ${r.folds}-fold` : '70/10/20'} split${n === 1 ? '' : 's'}`;
  const sequential = r.decision.looks.length > 1;
  const familyFrom = r.decision.familyFrom.length ? r.decision.familyFrom : [r.recommended];
  const gainCell = (g: MeanSd | undefined, ci: [number, number] | null | undefined) => (g ? { value: g.mean, ci: ci ?? null } : null);
  const deployed = (text: string) => (text === r.best.label ? `${text} (deployed)` : text);
  const distilled = r.table.filter((row) => row.role === 'distilled');
  const shown = shownTeachers(r);
  const shownRows = distilled.filter((row) => shown.includes(row.teacher!));
  const curves = r.records.filter(
    (rec) =>
      rec.repeat === 0 &&
      rec.history.length > 0 &&
      (rec.role === 'student' ||
        rec.modelDir === r.best.sourceDir ||
        (rec.role === 'distilled' && shown.includes(rec.teacher!)) ||
        (rec.role === 'teacher' && shown.includes(rec.modality))),
  );
  const bestRecord = r.records.find((rec) => rec.repeat === 0 && rec.modelDir === r.best.sourceDir);
  const studentRecord = r.records.find((rec) => rec.repeat === 0 && rec.role === 'student');
  // The confusion matrix counts the first split's test rows (the rows of predictions.csv).
  const testRows = bestRecord?.confusion ? bestRecord.confusion.flat().reduce((a, b) => a + b, 0) : null;
  const classes = r.dataset.summary.task.kind === 'classification' ? r.dataset.summary.task.classes : [];
  const notes = runNotes(r);
  const label = (rec: { role: string; modality: string; method?: string; teacher?: string }) =>
    rec.role === 'student' ? 'student (no KD)' : rec.role === 'teacher' ? `teacher (${rec.modality})` : `${rec.method} ← ${rec.teacher}`;
  return {
    r,
    h,
    hName,
    metrics,
    student,
    tone,
    headlineText,
    splitsText,
    sequential,
    familyFrom,
    gainCell,
    deployed,
    distilled,
    shown,
    shownRows,
    notes,
    curves,
    bestRecord,
    studentRecord,
    testRows,
    classes,
    label,
  };
}

type ReportContext = ReturnType<typeof reportContext>;

export function buildRunReport(r: RunResult, date: string): ReportDocumentInput {
  const c = reportContext(r);
  const { sequential, tone, headlineText, splitsText } = c;
  return {
    title: `Cross-modal KD for the '${r.student}' student`,
    subtitle: `${r.dataset.name}: ${r.dataset.n} paired samples${r.dataset.subsampledFrom ? ` (stratified subsample of ${r.dataset.subsampledFrom})` : ''}, ${sequential ? `up to ${splitsText(r.decision.splitsUsed)} (added where undecided, looks at ${r.decision.looks.join(', ')})` : splitsText(r.decision.splitsUsed)}, budget '${r.budget.name}'`,
    meta: {
      dataset: r.dataset.name,
      date,
      cmkdVersion: r.version,
      settings: {
        student: r.student,
        teachers: r.teachers,
        methods: r.methods,
        budget: r.budget.name,
        epochs: r.schedule.epochs,
        splits: sequential ? `auto: up to ${r.decision.splitsUsed} (looks ${r.decision.looks.join(', ')})` : r.decision.splitsUsed,
        'practical margin': r.decision.delta,
        'MI estimator': miMethod(r.cch),
        'CCH rows (held out)': r.cch.n,
        'wall time (s)': Math.round(r.seconds),
      },
    },
    links: [{ href: `${STUDENT_DIR}/index.html`, text: 'Try the deployed student in your browser' }],
    summary: [
      verdict(tone, headlineText, r.verdict),
      ...(r.warnings.length ? [verdict('warning', 'Read these numbers with care', r.warnings.join(' '))] : []),
    ],
    sections: [
      ...(c.notes.data.length
        ? [
            {
              heading: 'The data',
              blocks: [paragraph('What loading the data changed, and the label leaks the data check found:'), list(c.notes.data)],
            },
          ]
        : []),
      teachersSection(c),
      methodsSection(c),
      trainingSection(c),
      filesSection(c),
    ],
  };
}

/** Will KD help: the CCH prediction against the measured plain-KD gain per teacher. */
function teachersSection(c: ReportContext) {
  const { r, h, hName, gainCell } = c;
  return {
    heading: 'Will KD help, and from which teacher?',
    blocks: [
      paragraph(
        `The Cross-modal Complementarity Hypothesis predicts that KD from a teacher helps when I(Ht;Hs) > I(Hs;Y): the margin I(Ht;Hs) − I(Hs;Y) is estimated with the **${miMethod(r.cch)}** estimator on the ${REPRESENTATION_WORDS[r.analysis.representation]} of the trained teachers and the no-KD student, on the ${r.cch.n} held-out rows of each of ${r.cch.repeats ?? 1} repeats (own split, own models). Its ${Math.round(100 * r.cch.ciLevel)}% interval combines the spread between repeats (training and data) with the estimator's ${r.cch.interval} resampling. A verdict is "helps" or "hurts" only when the interval excludes 0, else "uncertain". ${GAIN_WORDS} ${agreementLine(r.agreement)}.`,
      ),
      figure(
        'teacher-ranking',
        teacherRankingSpec(r.outcomes.map((o) => ({ teacher: o.teacher, margin: o.margin, ci: o.marginCi, verdict: o.verdict }))),
        'Teachers ranked by CCH margin, with intervals.',
      ),
      table({
        id: 'teachers',
        caption: `CCH prediction against the measured ${hName} gain of ${perTeacherWords(r)} from each teacher (mean and 95% interval over the splits it was paired on; bold: clear gain). "agrees" is given only for a decided verdict and a clear gain or clear loss. The student's I(Hs;Y) is ${formatEstimate(r.cch.miStudentLabel.value, r.cch.miStudentLabel.ci)} nats for every teacher. MFH columns: label information in the teacher, and the share of it the student also carries (co-information / I(Ht;Y)).`,
        header: [
          'rank',
          'teacher',
          'I(Ht;Hs)',
          'margin',
          'verdict',
          `KD gain (${hName})`,
          'effect',
          'agrees',
          'I(Ht;Y)',
          'shared fraction',
        ],
        rows: r.outcomes.map((o) => {
          const score = r.cch.teachers.find((t) => t.teacher === o.teacher)!;
          return [
            o.rank,
            o.teacher,
            score.miTeacherStudent,
            { value: o.margin, ci: o.marginCi },
            o.verdict,
            gainCell(o.gain, o.gainCi),
            o.effect ?? '–',
            o.agrees === null ? '–' : o.agrees ? 'yes' : 'no',
            score.mfh ? score.mfh.miTeacherLabel : null,
            score.mfh ? score.mfh.sharedFraction : null,
          ];
        }),
        bold: r.outcomes.flatMap((o, i) => (o.effect === 'clear gain' ? [[i, `KD gain (${hName})`] as [number, string]] : [])),
        formats: { rank: { digits: 0 }, [`KD gain (${hName})`]: { signed: true } },
      }),
      ...trackRecordBlocks(r),
      figure(
        'cch-scatter',
        cchScatterSpec(
          r.outcomes.map((o) => ({ teacher: o.teacher, margin: o.margin, marginCi: o.marginCi, gain: o.gain.mean, gainCi: o.gainCi })),
          {
            gainRange: metricGainRange(h),
            intervals: `the teachers table's ${Math.round(100 * r.cch.ciLevel)}% margin and 95% gain intervals`,
          },
        ),
        `Measured KD gain (${hName}, ${perTeacherWords(r)}) against the CCH margin, one point per teacher. Points in the upper-right and lower-left quadrants agree with the hypothesis. The bars are the intervals of the teachers table: horizontal, the margin's ${Math.round(100 * r.cch.ciLevel)}% interval (${r.cch.interval}); vertical, the gain's 95% interval over paired repeats. A teacher without a bar has no such interval (fewer than 2 repeats, or no interval estimated).`,
      ),
    ],
  };
}

/**
 * How far to trust the verdict: its measured track record (src/report/verdicts-track-record.json,
 * from `cmkd experiment verdicts` on evaluation pairs) against simple rules; classification only,
 * the task it was measured on.
 */
function trackRecordBlocks(r: RunResult) {
  const words = trackRecordWords(r.headline.metric === 'f1Weighted' ? 'classification' : 'regression', r.analysis.representation);
  if (!words) return [];
  return [
    paragraph(words.text + (words.measuredFor ? ` (Measured for ${words.measuredFor}; this run uses ${r.analysis.representation}.)` : '')),
    trackRecordTable(),
  ];
}

/**
 * The baselines beside the run's own models of each table modality (baseline.ts): nearest centroid,
 * or for regression least squares and the training mean; nothing without one.
 */
function baselineBlocks(r: RunResult, hName: string) {
  const rows = r.baselines ?? [];
  if (!rows.length) return [];
  const role = (b: BaselineRow) => (b.role === 'student' ? 'no-KD student' : 'teacher');
  const cell = (x: MeanSd) => ({ mean: x.mean, sd: x.sd, n: x.n });
  if (rows[0].baseline === LEAST_SQUARES)
    return [
      paragraph(
        `Baselines, not deployable students: least squares (with an intercept, on each table modality's standardised features) and the training rows' mean target predicted for every row, fitted on each split's training rows, against the run's own model of that modality on the same splits (test ${hName}, mean ± sd over the splits; lower is better). A model above the training mean has learnt nothing from its features; one well above least squares is under-trained: try \`--model\`, \`--hidden\` or a longer \`--max-steps\`.`,
      ),
      table({
        id: 'baselines',
        header: ['modality', 'model', `training mean (${hName})`, `least squares (${hName})`, `model (${hName})`, 'splits'],
        rows: rows.map((b) => [b.modality, role(b), cell(b.trainingMean!), cell(b.test), cell(b.model), b.test.n]),
        formats: { splits: { digits: 0 } },
      }),
    ];
  return [
    paragraph(
      `A baseline, not a deployable student: the nearest-centroid rule (each class the mean of its standardised training rows) on each table modality, fitted on each split's training rows, against the run's own model of that modality on the same splits (test ${hName}, mean ± sd over the splits). A model well below its baseline is under-trained: try \`--model\`, \`--hidden\` or a longer \`--max-steps\`.`,
    ),
    table({
      id: 'baselines',
      header: ['modality', 'model', `nearest centroid (${hName})`, `model (${hName})`, 'splits'],
      rows: rows.map((b) => [b.modality, role(b), cell(b.test), cell(b.model), b.test.n]),
      formats: { splits: { digits: 0 } },
    }),
  ];
}

/** Where the other methods ran, when the run has any besides the per-teacher one (nothing to say otherwise). */
function familyClause({ r, familyFrom, sequential }: ReportContext): string {
  if (!r.methods.some((m) => m !== teacherMethodId(r.dataset.summary.task.kind))) return '';
  return `; the other methods from **${familyFrom.join('**, **')}**, the teacher with the largest measured ${perTeacherWords(r).replace(' ', '-')} gain${sequential ? ' at the look it was chosen' : ''} (the CCH ranking's first is **${r.recommended}**)`;
}

/** The distillation methods table, the deploy rule applied, and the methods chart. */
function methodsSection(c: ReportContext) {
  const { r, h, hName, metrics, student, familyFrom, gainCell, deployed, shown, shownRows, notes } = c;
  return {
    heading: 'Distillation methods',
    blocks: [
      paragraph(
        `${sentenceCase(perTeacherWords(r))} distills from every teacher, in the CCH ranking's order${familyClause(c)}. Every student has the same architecture; test metrics are mean ± sd over the splits in the splits column; the gain over the no-KD student is paired by split, with its 95% interval, and bold only for a clear gain. ${GAIN_WORDS}`,
      ),
      paragraph(`The deploy rule: ${r.decision.rule}. ${r.decision.sentence}`),
      ...(notes.schedules.length ? [paragraph(`Schedules this budget does not finish: ${notes.schedules.join('; ')}.`)] : []),
      ...(notes.run.length ? [paragraph(`How the run ran: ${notes.run.join('; ')}.`)] : []),
      table({
        id: 'methods',
        header: ['model', ...metrics.map((m) => metricLabel(m)), 'splits', `gain (${hName})`, 'effect'],
        rows: r.table.map((row) => [
          deployed(row.label),
          ...metrics.map((m) => ({ mean: row.test[m].mean, sd: row.test[m].sd, n: row.test[m].n })),
          row.test[h].n,
          gainCell(row.gain, row.gainCi),
          row.effect ?? '–',
        ]),
        bold: r.table.flatMap((row, i) => (row.effect === 'clear gain' ? [[i, `gain (${hName})`] as [number, string]] : [])),
        referenceRows: [r.table.indexOf(student)],
        formats: { splits: { digits: 0 }, [`gain (${hName})`]: { signed: true } },
      }),
      ...baselineBlocks(r, hName),
      figure(
        'methods',
        methodsSpec(
          shownRows.map((row) => ({
            method: row.label.replace(` ← ${row.teacher}`, '') + (row.label === r.best.label ? ' (deployed)' : ''),
            ...(shown.length > 1 ? { group: row.teacher } : {}),
            mean: row.test[h].mean,
            sd: row.test[h].sd,
          })),
          {
            metricTitle: `test ${hName}`,
            range: metricRange(h),
            baseline: { mean: student.test[h].mean, sd: student.test[h].sd, label: 'no KD' },
            sort: r.headline.higherIsBetter ? 'max' : 'min',
          },
        ),
        `Test ${hName} of each method (mean ± sd over its splits), against the no-KD student (line and ± sd band): the methods from ${teacherWords(shown)}${shown.length > familyFrom.length ? ` (the method family's, the deployed student's and every teacher whose ${perTeacherWords(r).replace(' ', '-')} gain is a clear gain or loss)` : ''}.`,
      ),
    ],
  };
}

/** Learning curves and confusion matrices of the first split. */
function trainingSection(c: ReportContext) {
  const { r, curves, bestRecord, studentRecord, classes, label, shown } = c;
  return {
    heading: 'Training',
    blocks: [
      figure(
        'learning-curves',
        learningCurvesSpec(
          curves.map((rec) => ({
            model: rec.modelDir === r.best.sourceDir ? `${label(rec)} (deployed)` : label(rec),
            history: rec.history,
          })),
          { metricName: r.headline.metric === 'f1Weighted' ? 'accuracy' : 'MSE' },
        ),
        `Validation loss and metric per epoch (first split) of the no-KD student, the deployed student, and the teachers and students from ${teacherWords(shown)}. Each model keeps its best validation epoch.`,
      ),
      // The no-KD student deployed: its confusion matrix once, not twice under two names.
      ...(classes.length && bestRecord?.confusion && studentRecord?.confusion
        ? bestRecord === studentRecord
          ? [
              figure(
                'confusion-student',
                confusionMatrixSpec(studentRecord.confusion, classes, { title: 'No-KD student (deployed)' }),
                'Test confusion matrix of the no-KD student, the deployed student (first split).',
              ),
            ]
          : [
              figure(
                'confusion-student',
                confusionMatrixSpec(studentRecord.confusion, classes, { title: 'No-KD student' }),
                'Test confusion matrix of the no-KD student (first split).',
              ),
              figure(
                'confusion-best',
                confusionMatrixSpec(bestRecord.confusion, classes, { title: r.best.label }),
                `Test confusion matrix of the deployed student, ${r.best.label} (first split).`,
              ),
            ]
        : []),
    ],
  };
}

/** What the run folder holds. */
function filesSection(c: ReportContext) {
  const { testRows, classes, bestRecord, studentRecord } = c;
  return {
    heading: 'Files',
    blocks: [
      paragraph(
        `results.json holds every number above; methods.csv and teachers.csv the tables (intervals as _lo/_hi columns); predictions.csv the deployed student's prediction for each of the ${testRows === null ? '' : `${testRows} `}test rows of the first split${testRows === null ? '' : ` — the rows of the confusion ${bestRecord === studentRecord ? 'matrix' : 'matrices'} above —`}${classes.length ? ' with its class probabilities' : ''}, each row named by its place in the dataset as loaded (id, counting from 0); models/ every trained model (TF.js format); best-student/ the deployed model with MODEL_CARD.md; student/ a page that runs it in a browser, opened straight from the folder (the model is stored in the page) or served with \`cmkd serve <run-dir>\`.`,
      ),
    ],
  };
}

/** At least this many sample inputs on the student page (more when there are more classes). */
export const STUDENT_SAMPLES = 12;

/**
 * Rows for the student page's sample inputs: the test rows taken class by class in turn (the first
 * row of each class, then the second, …), so every class that has a test row is among them, however
 * the file was sorted; max(STUDENT_SAMPLES, classes) rows. Regression: the first test rows.
 */
export function studentSampleRows(test: ArrayLike<number>, labels: ArrayLike<number>, classCount: number | null): number[] {
  const rows = Array.from(test);
  if (classCount === null) return rows.slice(0, STUDENT_SAMPLES);
  const want = Math.max(STUDENT_SAMPLES, classCount);
  const byClass: number[][] = Array.from({ length: classCount }, () => []);
  for (const r of rows) byClass[labels[r]]?.push(r);
  const out: number[] = [];
  for (let k = 0; out.length < want && byClass.some((c) => k < c.length); k++) {
    for (const c of byClass) if (k < c.length && out.length < want) out.push(c[k]);
  }
  return out;
}

/** Write report.html (+ figures and tables) and the student page into the run folder. */
export async function writeRunReport(
  r: RunResult,
  ds: MultimodalDataset,
  split: Split,
  outDir: string,
  date: string,
): Promise<WrittenReport> {
  const m = getModality(ds, r.student);
  const d = featureSize(m);
  const rows = studentSampleRows(split.test, ds.labels, ds.task.kind === 'classification' ? ds.task.classes.length : null);
  await writeStudentPage(path.join(outDir, STUDENT_DIR), {
    modelDir: path.join(outDir, r.best.modelDir),
    samples: rows.map((row) => ({ x: m.data.subarray(row * d, (row + 1) * d), label: ds.labels[row] })),
    title: `${r.best.label} — '${r.student}' student`,
    description: `Trained by cmkd ${r.version} on ${r.dataset.name}. ${r.decision.sentence}`,
    columns: m.columns,
  });
  return writeReport(outDir, buildRunReport(r, date));
}
