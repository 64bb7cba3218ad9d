import type { Command } from 'commander';
import { stratifiedSplit } from '../../data/index.js';
import { BACKEND_CHOICES, initEngine, type BackendChoice } from '../../engine/index.js';
import { cch, REPRESENTATIONS, type CchDatasetResult, type Estimate, type RepresentationKind } from '../../criteria/index.js';
import { MI_ESTIMATORS, MI_UNITS, type MIEstimatorName, type MIUnits } from '../../mi/index.js';
import { CmkdError, oneOf } from '../../util/errors.js';
import { emit, fmt, progressBars, table } from '../output.js';
import { addDatasetFlags, interruptSignal, loadForCommand, numberOption, type DatasetFlags } from '../common.js';

interface CchFlags extends DatasetFlags {
  student: string;
  teachers?: string;
  estimator: string;
  representation: string;
  k?: string;
  seed: string;
  splitSeed: string;
  bootstrap?: string;
  ci: string;
  units: string;
  dims?: string;
  mfh: boolean;
  epochs?: string;
  samples?: string;
  backend: string;
  json?: boolean;
  quiet?: boolean;
}

/** '2.183 [2.140, 2.226]' (digits: decimals). */
function withCi(e: Estimate, digits = 3): string {
  if (!Number.isFinite(e.value)) return '-';
  const v = e.value.toFixed(digits);
  return e.ci ? `${v} [${e.ci[0].toFixed(digits)}, ${e.ci[1].toFixed(digits)}]` : v;
}

function human(r: CchDatasetResult): string {
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
    if (t.mfh) row.push(withCi(t.mfh.miTeacherLabel), withCi(t.mfh.miJointLabel), withCi(t.mfh.shared), withCi(t.mfh.sharedFraction, 2));
    return row;
  });
  const interval =
    r.interval === 'none'
      ? 'no intervals'
      : `${Math.round(r.ciLevel * 100)}% intervals from ${r.resamples} paired ${r.interval === 'half-split' ? 'half-splits' : 'reruns'}`;
  const reps = r.representations
    .map((x) => (x.dEstimated < x.d ? `${x.name} ${x.d}→${x.dEstimated} (${Math.round(x.explained * 100)}% var)` : `${x.name} ${x.d}`))
    .join(', ');
  const lines = [
    `CCH teacher ranking for student '${r.student}' on ${r.dataset}: KD from Ht helps when I(Ht;Hs) > I(Hs;Y) (margin > 0)`,
    `${r.representation} representations, ${r.estimator}${r.settings.k !== undefined ? ` k=${r.settings.k}` : ''}, ${r.n} held-out rows, ${u}, ${interval}`,
    '',
    table(header, rows),
    '',
    `ranking: ${r.ranking.join(' > ')}`,
    `dimensions (PCA on the held-out rows): ${reps}`,
  ];
  if (r.encoders)
    lines.push(
      `encoders (${r.rows.train} train rows, early stopping on ${r.rows.val}): ` +
        r.encoders
          .map((e) => `${e.modality} ${e.kind} ${e.bestEpoch}/${e.epochs} ep${e.valMetric !== null ? ` val ${fmt(e.valMetric, 3)}` : ''}`)
          .join(', '),
    );
  if (first)
    lines.push(
      'MFH view: shared = co-information I(Ht;Y) + I(Hs;Y) − I(Ht,Hs;Y), the label information both carry (lower bound when synergy is present)',
    );
  return lines.join('\n');
}

export function register(program: Command): void {
  addDatasetFlags(
    program
      .command('cch')
      .description(
        'rank candidate teacher modalities for a student by the CCH margin I(Ht;Hs) − I(Hs;Y), with intervals and the MFH shared-information view',
      )
      .argument('<dataset>', "'digits' (or 'digits?n=2000'), a directory with cmkd.json, or a .csv with --csv-modality/--label")
      .requiredOption('--student <modality>', 'the student modality')
      .option('--teachers <a,b>', 'candidate teacher modalities, comma-separated (default: every other modality)')
      .option('--estimator <name>', `MI estimator (${MI_ESTIMATORS.join('|')})`, 'ksg')
      .option(
        '--representation <kind>',
        'embedding: penultimate layer of a small encoder trained per modality; raw: standardised features',
        'embedding',
      )
      .option('--k <n>', 'neighbours for ksg/latent (default 3; latent 4)')
      .option('--seed <n>', 'seed of encoders, PCA, jitter and resamples', '0')
      .option('--split-seed <n>', 'seed of the 70/10/20 split (MI on its test rows)', '0')
      .option('--bootstrap <n>', 'paired resamples for the intervals (ksg/gaussian: 10 half-splits, mine/latent: 3 reruns); 0: none')
      .option('--ci <level>', 'confidence level', '0.95')
      .option('--units <u>', `units (${MI_UNITS.join('|')})`, 'nats')
      .option('--dims <n|none>', 'PCA width of each representation before estimation (default 8; mine/latent 32)')
      .option('--no-mfh', 'skip the MFH columns (I(Ht;Y), I(Ht,Hs;Y), shared)')
      .option('--epochs <n>', 'embedding: maximum epochs per encoder (default 3)')
      .option('--samples <n>', 'estimate on at most this many of the held-out rows')
      .option('--backend <name>', `TF.js backend (${BACKEND_CHOICES.join('|')})`, 'auto')
      .option('--json', 'print the result as JSON')
      .option('--quiet', 'no progress on stderr'),
  ).action(async (spec: string, f: CchFlags) => {
    const estimator = oneOf<MIEstimatorName>('estimator', f.estimator, MI_ESTIMATORS);
    const representation = oneOf<RepresentationKind>('representation', f.representation, REPRESENTATIONS);
    const units = oneOf<MIUnits>('units', f.units, MI_UNITS);
    const backend = oneOf<BackendChoice>('backend', f.backend, BACKEND_CHOICES);
    const seed = numberOption('--seed', f.seed, { integer: true, min: 0 }) as number;
    const splitSeed = numberOption('--split-seed', f.splitSeed, { integer: true, min: 0 }) as number;
    const teachers = f.teachers
      ?.split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (teachers && teachers.length === 0) throw new CmkdError(`--teachers '${f.teachers}': no modality names`, 'invalid-option');
    const dims =
      f.dims === undefined || f.dims === 'none'
        ? f.dims === 'none'
          ? false
          : undefined
        : numberOption('--dims', f.dims, { integer: true, min: 1 });
    const epochs = numberOption('--epochs', f.epochs, { integer: true, min: 1 });
    if (representation === 'embedding' || estimator === 'mine' || estimator === 'latent') await initEngine({ backend });
    const bars = progressBars({ quiet: Boolean(f.quiet || f.json) });
    const { signal, release } = interruptSignal();
    try {
      const ds = await loadForCommand(spec, f, bars);
      const result = await cch(ds, {
        student: f.student,
        teachers,
        representation,
        estimator,
        units,
        seed,
        split: stratifiedSplit(ds, { seed: splitSeed }),
        k: numberOption('--k', f.k, { integer: true, min: 1 }),
        bootstrap: numberOption('--bootstrap', f.bootstrap, { integer: true, min: 0 }),
        ci: numberOption('--ci', f.ci, { above: 0, max: 0.999999 }),
        dims,
        mfh: f.mfh,
        samples: numberOption('--samples', f.samples, { integer: true, min: 2 }),
        encoder: epochs !== undefined ? { epochs } : undefined,
        onProgress: bars,
        signal,
      });
      bars.stop();
      emit(result, f, human);
    } finally {
      bars.stop();
      release();
    }
  });
}
