import type { Command } from 'commander';
import { getModality, loadModalities, modalityRows, type ModalityTable, type MultimodalDataset } from '../../data/index.js';
import { initEngine } from '../../engine/index.js';
import { estimateMI, MI_ESTIMATORS, MI_UNITS, type MIEstimate, type MIEstimatorName, type MIInput, type MIUnits } from '../../mi/index.js';
import { CmkdError, oneOf } from '../../util/errors.js';
import { makeRng } from '../../util/rng.js';
import { decimalsFor, formatAt, formatNumber } from '../../util/format.js';
import { emit, progressBars, warn } from '../output.js';
import { addDatasetFlags, columnOptions, type DatasetFlags } from '../common.js';
import { addBackendFlag, addOutputFlags, backendOption, isQuiet, numberOption, range, RANGES, type OutputFlags } from '../options.js';

interface MiFlags extends DatasetFlags, OutputFlags {
  backend?: string;
  x: string;
  y: string;
  estimator: string;
  k?: string;
  seed: string;
  bootstrap?: string;
  ci: string;
  units: string;
  bound?: string;
  latentDim?: string;
  epochs?: string;
  samples?: string;
}

/** `cmkd mi --samples`: an estimate needs two rows at least. */
const MI_SAMPLES = { ...RANGES.samples, min: 2 };

/**
 * A modality's rows, or the task's labels for the name 'label' (class indices, or the regression
 * target as one column). `flag` names the option that asked for it, for the error when a single
 * CSV was loaded without --label.
 */
function variable(ds: ModalityTable | MultimodalDataset, flag: string, name: string, rows: Int32Array | null): MIInput {
  const pick = <T extends Int32Array | Float32Array>(a: T, d: number): T => {
    if (!rows) return a;
    const out = new (a.constructor as new (n: number) => T)(rows.length * d);
    for (let j = 0; j < rows.length; j++) for (let c = 0; c < d; c++) out[j * d + c] = a[rows[j] * d + c];
    return out;
  };
  const n = rows ? rows.length : ds.n;
  if (name === 'label') {
    if (!('labels' in ds)) throw new CmkdError(`${flag} label: name the CSV's label column with --label <column>`, 'invalid-option');
    if (ds.task.kind === 'classification') return { labels: pick(Int32Array.from(ds.labels), 1), n };
    return { data: pick(Float32Array.from(ds.labels), 1), n, d: 1 };
  }
  const m = modalityRows(getModality(ds, name));
  return { data: pick(m.data, m.d), n, d: m.d };
}

function human(r: MIEstimate & { x: string; y: string; dataset: string }): string {
  const s = r.settings;
  // The value and its interval at one set of decimal places (the report's number format).
  const d = decimalsFor(r.ci ? [r.value, ...r.ci] : [r.value]);
  const ci = r.ci ? ` [${Math.round(Number(s.ci) * 100)}% CI ${formatAt(r.ci[0], d)}, ${formatAt(r.ci[1], d)}]` : '';
  // InfoNCE cannot exceed log B: a value near it means the batch, not the data, set the estimate.
  const cap =
    s.bound === 'infonce'
      ? ` (InfoNCE ≤ log B = ${formatNumber(Math.log(Number(s.batchSize)) / (r.units === 'bits' ? Math.LN2 : 1))})`
      : '';
  const detail = [
    String(s.method ?? r.estimator),
    s.k !== undefined ? `k=${s.k}` : '',
    `n=${r.n}`,
    s.batchSize !== undefined ? `batch=${s.batchSize}${cap}` : '',
    s.interval !== 'none' ? `${s.interval} x${s.repeats ?? s.resamples}` : '',
    `seed=${s.seed}`,
  ]
    .filter(Boolean)
    .join(', ');
  return `I(${r.x}; ${r.y}) = ${formatAt(r.value, d)} ${r.units}${ci}\n  ${r.dataset}: ${detail}`;
}

export function register(program: Command): void {
  addDatasetFlags(
    addOutputFlags(
      addBackendFlag(
        program
          .command('mi')
          .description('estimate the mutual information between two modalities, or a modality and the label')
          .argument(
            '<dataset>',
            "'digits' (or 'digits?n=2000'), a directory with cmkd.json, or a .csv with --csv-modality (and --label for MI with the label)",
          )
          .requiredOption('--x <modality>', 'first variable: a modality name')
          .requiredOption('--y <modality|label>', "second variable: a modality name, or 'label' for the task's labels")
          .option('--estimator <name>', `estimator (${MI_ESTIMATORS.join('|')})`, 'ksg')
          .option('--k <n>', `neighbours for ksg/latent (default 3; latent 4) ${range(RANGES.k)}`)
          .option('--seed <n>', `seed for jitter, splits and networks ${range(RANGES.seed)}`, '0')
          .option(
            '--bootstrap <n>',
            `resamples for the interval (gaussian/ksg: 20 half-splits, latent: 3 half-splits, mine: 3 reruns); 0 for none ${range(RANGES.bootstrap)}`,
          )
          .option('--ci <level>', `confidence level of the interval ${range(RANGES.ci)}`, '0.95')
          .option('--units <u>', `units (${MI_UNITS.join('|')})`, 'nats')
          .option('--bound <b>', 'mine: dv or infonce')
          .option('--latent-dim <n>', `latent: dimension of each learned code (default 8) ${range(RANGES.latentDim)}`)
          .option('--epochs <n>', `mine/latent: maximum epochs ${range(RANGES.epochs)}`)
          .option('--samples <n>', `use a seeded random subset of this many samples ${range(MI_SAMPLES)}`),
        '; runs the networks of mine and latent',
      ),
    ),
  ).action(async (spec: string, flags: MiFlags) => {
    // Every flag is checked before the dataset is loaded.
    const seed = numberOption('--seed', flags.seed, RANGES.seed) as number;
    const samples = numberOption('--samples', flags.samples, MI_SAMPLES);
    const settings = {
      estimator: oneOf<MIEstimatorName>('estimator', flags.estimator, MI_ESTIMATORS),
      units: oneOf<MIUnits>('units', flags.units, MI_UNITS),
      seed,
      ci: numberOption('--ci', flags.ci, RANGES.ci),
      k: numberOption('--k', flags.k, RANGES.k),
      bootstrap: numberOption('--bootstrap', flags.bootstrap, RANGES.bootstrap),
      bound: flags.bound === undefined ? undefined : oneOf('bound', flags.bound, ['dv', 'infonce'] as const),
      latentDim: numberOption('--latent-dim', flags.latentDim, RANGES.latentDim),
      epochs: numberOption('--epochs', flags.epochs, RANGES.epochs),
    };
    const backend = backendOption(flags);
    // Only mine and latent train networks: the other estimators need no TF.js backend.
    if (settings.estimator === 'mine' || settings.estimator === 'latent') await initEngine({ backend });
    const bars = progressBars({ quiet: isQuiet(flags) });
    try {
      // Between two modalities a single CSV needs no label column.
      const ds = await loadModalities(spec, { ...columnOptions(flags), onProgress: bars });
      for (const w of ds.warnings ?? []) warn(w);
      let rows: Int32Array | null = null;
      if (samples !== undefined && samples < ds.n) {
        const all = Int32Array.from({ length: ds.n }, (_, i) => i);
        makeRng(seed).shuffle(all);
        rows = all.slice(0, samples).sort();
      }
      const result = await estimateMI(variable(ds, '--x', flags.x, rows), variable(ds, '--y', flags.y, rows), {
        ...settings,
        onProgress: bars,
      });
      bars.stop();
      emit({ dataset: ds.name, x: flags.x, y: flags.y, ...result }, flags, human);
    } finally {
      bars.stop();
    }
  });
}
