/** The verdicts entry of the experiment registry. */
import { CmkdError } from '../../util/errors.js';
import { parseIntOption, parseNumberListOption, type ExperimentDefinition, type ReportBlock } from '../types.js';
import { VERDICTS_TARGET } from './score.js';
import { VERDICTS_DEFAULTS, VERDICTS_QUICK, checkCombo, runVerdicts } from './run.js';
import { VERDICTS_HEADER, targetSentence, verdictsTableRows } from './summary.js';
import type { VerdictsCombo, VerdictsOptions, VerdictsResult } from './types.js';

export { runVerdicts, resolveVerdictsOptions, pairRowsOf, VERDICTS_DEFAULTS, VERDICTS_QUICK, VERDICTS_COMBOS } from './run.js';
export { scoreVerdicts, scoreRows, winnerOf, VERDICTS_TARGET } from './score.js';
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
    { table: { header: VERDICTS_HEADER, rows: verdictsTableRows(r.table) } },
    {
      text:
        targetSentence(r, VERDICTS_TARGET) +
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
    'calibration of the CCH verdict: over ≥ 30 built-in teacher → student pairs, agreement of decided verdicts with clear KD gains, per representation × MI estimator',
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
      parse: parseNumberListOption('--blur'),
    },
    {
      flags: '--noise <list>',
      key: 'noise',
      description: `sd of the input noise of the noised pixels teachers, pixels in [0, 1] (default ${list(d.noise)})`,
      parse: parseNumberListOption('--noise'),
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
