/** The verdicts entry of the experiment registry. */
import { CmkdError } from '../../util/errors.js';
import { parseIntOption, parseNumberListOption, type ExperimentDefinition, type ReportBlock } from '../types.js';
import { VERDICTS_DEFAULTS, VERDICTS_QUICK, checkCombo, runVerdicts } from './run.js';
import { DEVELOPMENT_HEADER, EVALUATION_HEADER, developmentRows, evaluationRows, rankingSentence, targetSentence } from './summary.js';
import type { VerdictsCombo, VerdictsOptions, VerdictsResult } from './types.js';

export { runVerdicts, resolveVerdictsOptions, pairRowsOf, VERDICTS_DEFAULTS, VERDICTS_QUICK, VERDICTS_COMBOS } from './run.js';
export { scoreVerdicts, scoreRows } from './score.js';
export { calibrate, CALIBRATION_RULES, CALIBRATION_TARGET } from './calibration.js';
export { planVerdicts, pairCount, variantDataset, gaussianDataset } from './pairs.js';
export type * from './types.js';

/** 'output:ksg,embedding:gaussian,latent:latent' → combinations (each checked). */
export function parseGrid(raw: string): VerdictsCombo[] {
  return raw.split(',').map((part) => {
    const [representation, estimator, extra] = part.trim().split(':');
    if (!representation || !estimator || extra !== undefined) {
      throw new CmkdError(
        `--grid must be comma-separated representation:estimator (e.g. output:ksg,latent:latent), got '${raw}'`,
        'invalid-option',
      );
    }
    const combo = { representation, estimator } as VerdictsCombo;
    checkCombo(combo);
    return combo;
  });
}

/** 'a,b,c' → its items; 'none' → no items (e.g. no degraded pairs). */
function parseList(flag: string): (raw: string) => string[] {
  return (raw) => {
    if (raw.trim() === 'none') return [];
    const items = raw.split(',').map((s) => s.trim());
    if (items.some((s) => s === '')) throw new CmkdError(`${flag} must be a comma-separated list, got '${raw}'`, 'invalid-option');
    return items;
  };
}

/** A number list, or 'none' for no items (no source of that family). */
function parseNumbers(flag: string): (raw: string) => number[] {
  const parse = parseNumberListOption(flag);
  return (raw) => (raw.trim() === 'none' ? [] : parse(raw));
}

const list = (xs: readonly (string | number)[]) => xs.join(',');
const combos = (cs: readonly VerdictsCombo[]) => cs.map((c) => `${c.representation}:${c.estimator}`).join(',');

export function verdictsReport(r: VerdictsResult): ReportBlock[] {
  const b = r.options.budget;
  return [
    {
      text:
        `verdicts: ${r.pairs} teacher → student pairs in ${r.runs.length} runs (budget ${b.name}, ${b.repeats} repeats, ${b.epochs !== null ? `${b.epochs} epochs` : `at most ${b.maxSteps} steps`}), ` +
        `each scored under ${r.options.combos.length} representation × estimator combinations. ${r.wallSeconds.toFixed(0)} s → ${r.options.outDir}`,
    },
    { text: `development (${r.halves.development.length} sources): the criterion per representation × estimator` },
    { table: { header: DEVELOPMENT_HEADER, rows: developmentRows(r.development) } },
    ...(r.evaluation
      ? [
          { text: `evaluation (${r.halves.evaluation.length} sources): the chosen verdict against simple rules` },
          { table: { header: EVALUATION_HEADER, rows: evaluationRows(r.evaluation) } },
        ]
      : []),
    {
      text:
        targetSentence(r) +
        (r.evaluation ? `\n${rankingSentence(r.evaluation)}` : '') +
        `\ngains at ${r.options.repeats} splits: ${Object.entries(r.gainOutcomes)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}.` +
        `\nreused every trained model in ${r.calls.filter((c, i) => i % r.options.combos.length !== 0 && c.reusedAllModels).length} of ` +
        `${r.calls.filter((_, i) => i % r.options.combos.length !== 0).length} analysis-only calls.` +
        `\nfiles: ${r.files.join(', ')}`,
    },
  ];
}

const d = VERDICTS_DEFAULTS;
const q = VERDICTS_QUICK;

export const verdictsExperiment: ExperimentDefinition = {
  name: 'verdicts',
  description:
    'calibration of the CCH verdict: built-in teacher → student pairs where KD helps and where it hurts, split by source into development (choosing the representation × estimator) and evaluation (the verdict against simple rules, cluster-bootstrap intervals)',
  options: [
    {
      flags: '--repeats <int>',
      key: 'repeats',
      description: `repeated splits per run, for the gain interval (default ${d.repeats})`,
      parse: parseIntOption('--repeats', 2),
    },
    {
      flags: '--grid <list>',
      key: 'grid',
      description: `representation:estimator combinations (default ${combos(d.combos)}; quick ${combos(q.combos ?? [])})`,
      parse: parseGrid,
    },
    {
      flags: '--n <int>',
      key: 'n',
      description: `digits drawn from the 10,000 for the digits pairs (default ${d.n}; quick ${q.n})`,
      parse: parseIntOption('--n', 100),
    },
    {
      flags: '--views <list>',
      key: 'views',
      description: `digits views distilled into each other in both directions (default ${list(d.views)}; quick ${list(q.views ?? [])})`,
      parse: parseList('--views'),
    },
    {
      flags: '--degraded-students <list>',
      key: 'degradedStudents',
      description: `students of the blurred / noised pixels teachers (default ${list(d.degradedStudents)}; none: no degraded pairs)`,
      parse: parseList('--degraded-students'),
    },
    {
      flags: '--blur <list>',
      key: 'blur',
      description: `σ in pixels of the blurred pixels teachers (default ${list(d.blur)})`,
      parse: parseNumbers('--blur'),
    },
    {
      flags: '--noise <list>',
      key: 'noise',
      description: `sd of the input noise of the noised pixels teachers, pixels in [0, 1] (default ${list(d.noise)})`,
      parse: parseNumbers('--noise'),
    },
    {
      flags: '--label-noise <list>',
      key: 'labelNoise',
      description: `shares η of the digits training labels flipped to another class (the test labels true), one noisy-labels source each (default ${list(d.labelNoise) || 'none'}; none: no such source)`,
      parse: parseNumbers('--label-noise'),
    },
    {
      flags: '--few-rows <list>',
      key: 'fewRows',
      description: `digits counts of the few-rows sources, one source each (default ${list(d.fewRows) || 'none'}; none: no such source)`,
      parse: parseNumbers('--few-rows'),
    },
    {
      flags: '--weak-noise <list>',
      key: 'weakNoise',
      description: `noise / column sd of the weak table students next to clean teachers, one source each (default ${list(d.weakNoise) || 'none'}; none: no such source)`,
      parse: parseNumbers('--weak-noise'),
    },
    {
      flags: '--weak-pixels <list>',
      key: 'weakPixels',
      description: `sd of the noise on the pixels of weak pixels students, every clean view their teacher, one source each (default ${list(d.weakPixels) || 'none'}; none: no such source)`,
      parse: parseNumbers('--weak-pixels'),
    },
    {
      flags: '--image-rows <list>',
      key: 'imageRows',
      description: `digits counts of the image-student sources: the textured view as the CNN student of every --view, one source each (default ${list(d.imageRows) || 'none'}; none: no such source)`,
      parse: parseNumbers('--image-rows'),
    },
    {
      flags: '--replicates <list>',
      key: 'replicates',
      description: `digits skips at which every evaluation source is drawn again on fresh rows (disjoint from every other source's digits; Gaussian settings redrawn), all evaluation (default ${list(d.replicates) || 'none'}; none: no replicate)`,
      parse: parseNumbers('--replicates'),
    },
    {
      flags: '--regime-students <list>',
      key: 'regimeStudents',
      description: `table views that are in turn the students of the noisy-labels, few-rows and weak sources (default ${list(d.regimeStudents)})`,
      parse: parseList('--regime-students'),
    },
    {
      flags: '--gaussian-settings <int>',
      key: 'gaussianSettings',
      description: `synthetic Gaussian settings, each distilled both ways (default ${d.gaussianSettings}; quick ${q.gaussianSettings})`,
      parse: parseIntOption('--gaussian-settings', 0),
    },
    {
      flags: '--gaussian-n <int>',
      key: 'gaussianN',
      description: `rows per Gaussian dataset (default ${d.gaussianN}; quick ${q.gaussianN})`,
      parse: parseIntOption('--gaussian-n', 60),
    },
    {
      flags: '--seed <int>',
      key: 'seed',
      description: `seed of the runs and of the synthetic data (default ${d.seed})`,
      parse: parseIntOption('--seed', 0, 2 ** 32 - 1),
    },
  ],
  async run(opts, ctx) {
    const { quick, grid, ...rest } = opts;
    const given = { ...(rest as Partial<VerdictsOptions> & { outDir: string }), combos: grid as VerdictsCombo[] | undefined };
    const result = await runVerdicts({ ...(quick ? VERDICTS_QUICK : {}), ...given }, ctx);
    return { result, report: verdictsReport(result) };
  },
};
