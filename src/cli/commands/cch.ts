import type { Command } from 'commander';
import { initEngine } from '../../engine/index.js';
import { miMethod, type Estimate } from '../../criteria/index.js';
import { trackRecordWords, VERDICTS_TRACK_RECORD } from '../../report/index.js';
import { analyseTeachers, type TeacherAnalysis } from '../../run/index.js';
import { formatEstimate } from '../../util/format.js';
import { emit, num, progressBars, table, warn } from '../output.js';
import { addDatasetFlags, columnOptions, interruptSignal, jobDataset, prepareOutDir, type DatasetFlags } from '../common.js';
import { backendOption, isQuiet } from '../options.js';
import { defaultRunDir } from './experiment.js';
import { addRunFlags, parseRunFlags, type SharedRunFlags } from './run.js';

interface CchFlags extends DatasetFlags, SharedRunFlags {
  student: string;
}

/** '2.18 [2.14, 2.23]', as the report writes an estimate; '—' when missing. */
const withCi = (e: Estimate): string => formatEstimate(e.value, Number.isFinite(e.value) ? e.ci : null);

/** How far to trust the verdicts and the ranking: the calibration's record, as the run report gives it (classification only, where it was measured). */
function trackRecordLines(r: TeacherAnalysis): string[] {
  const words = trackRecordWords(r.task, r.representation);
  if (!words) return [];
  const other = words.measuredFor ? ` (measured for ${words.measuredFor}; this analysis uses ${r.representation})` : '';
  return [`track record (cmkd experiment verdicts, ${VERDICTS_TRACK_RECORD.evaluation.pairs} held-out pairs)${other}: ${words.text}`];
}

function human(r: TeacherAnalysis, outDir: string): string {
  const u = r.units;
  const first = r.teachers[0]?.mfh !== undefined;
  const header = ['rank', 'teacher', `I(Ht;Hs)`, `I(Hs;Y)`, 'margin', 'verdict'];
  if (first) header.push('I(Ht;Y)', 'I(Ht,Hs;Y)', 'shared', 'shared/I(Ht;Y)');
  const rows = r.teachers.map((t) => {
    const row: (string | number)[] = [
      String(t.rank),
      t.teacher,
      withCi(t.miTeacherStudent),
      withCi(t.miStudentLabel),
      withCi(t.margin),
      t.verdict,
    ];
    if (t.mfh) row.push(withCi(t.mfh.miTeacherLabel), withCi(t.mfh.miJointLabel), withCi(t.mfh.shared), withCi(t.mfh.sharedFraction));
    return row;
  });
  const resampling =
    r.interval === 'none'
      ? 'no estimator resampling'
      : `${r.resamples} paired ${r.interval === 'half-split' ? 'half-splits' : 'reruns'} each`;
  const interval = `${Math.round(r.ciLevel * 100)}% intervals over ${r.repeats ?? 1} repeats (own split and models), ${resampling}`;
  const reps = r.representations
    .map((x) => (x.dEstimated < x.d ? `${x.name} ${x.d}→${x.dEstimated} (${Math.round(x.explained * 100)}% var)` : `${x.name} ${x.d}`))
    .join(', ');
  const lines = [
    `CCH teacher ranking for student '${r.student}' on ${r.dataset}: KD from Ht helps when I(Ht;Hs) > I(Hs;Y) (margin > 0)`,
    `${r.representation} representations, ${miMethod(r)}${r.settings.k !== undefined ? ` k=${r.settings.k}` : ''}, ${r.n} held-out rows per repeat, ${u}, ${interval}`,
    '',
    table(header, rows),
    '',
    `ranking: ${r.ranking.join(' > ')}`,
    ...trackRecordLines(r),
    `dimensions (PCA on the held-out rows, repeat 1): ${reps}`,
    `models (budget ${r.budget}, ${r.rows.train} train rows, selected on ${r.rows.val}; repeat 1 validation metric): ` +
      r.models
        .filter((m) => m.repeat === 0)
        .map((m) => `${m.modality} ${m.epochs} ep val ${num(Object.values(m.val)[0] ?? NaN)}`)
        .join(', '),
  ];
  if (first)
    lines.push(
      'MFH view: shared = co-information I(Ht;Y) + I(Hs;Y) − I(Ht,Hs;Y), the label information both carry (lower bound when synergy is present)',
    );
  lines.push(`Run folder: ${outDir} (cch.json, models/); \`cmkd run\` with the same --out and --resume reuses these models`);
  return lines.join('\n');
}

export function register(program: Command): void {
  addDatasetFlags(
    addRunFlags(
      program
        .command('cch')
        .description(
          "rank candidate teacher modalities for a student by the CCH margin I(Ht;Hs) − I(Hs;Y): exactly `cmkd run`'s analysis (same models, rows and settings), with intervals over repeats and the MFH view",
        )
        .argument('<dataset>', "'digits' (or 'digits?n=2000'), a directory with cmkd.json, or a .csv with --csv-modality/--label")
        .requiredOption('--student <modality>', 'the student modality'),
      'cch',
    ),
  ).action(async (spec: string, f: CchFlags) => {
    const backend = backendOption(f);
    const options = parseRunFlags(f);
    const outDir = prepareOutDir('--out', f.out ?? defaultRunDir('cch'), Boolean(f.resume));
    await initEngine({ backend });
    const bars = progressBars({ quiet: isQuiet(f) });
    const { signal, release } = interruptSignal();
    try {
      const dataset = await jobDataset(spec, f, options, bars);
      const result = await analyseTeachers({
        dataset,
        load: columnOptions(f),
        student: f.student,
        ...options,
        outDir,
        onProgress: bars,
        signal,
      });
      bars.stop();
      for (const w of result.warnings) warn(w);
      for (const note of result.notes ?? []) warn(note);
      emit(result, f, (r) => human(r, outDir));
    } finally {
      bars.stop();
      release();
    }
  });
}
