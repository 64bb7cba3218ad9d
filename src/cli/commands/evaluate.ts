import type { Command } from 'commander';
import { applyStandardizer, featureSize, getModality, gatherRows, stratifiedSplit } from '../../data/index.js';
import { initEngine } from '../../engine/index.js';
import { loadModel } from '../../models/index.js';
import { evaluateModel } from '../../train/index.js';
import { CmkdError, oneOf } from '../../util/errors.js';
import { emit, progressBars } from '../output.js';
import { addDatasetFlags, loadForCommand, type DatasetFlags } from '../common.js';
import { addBackendFlag, addOutputFlags, backendOption, isQuiet, numberOption, range, RANGES, type OutputFlags } from '../options.js';
import { evaluationLine } from './train.js';

const SPLIT_PARTS = ['test', 'val', 'train', 'all'] as const;
type SplitPart = (typeof SPLIT_PARTS)[number];

interface EvaluateFlags extends DatasetFlags, OutputFlags {
  split: string;
  splitSeed?: string;
  modality?: string;
  backend?: string;
}

export function register(program: Command): void {
  addDatasetFlags(
    addOutputFlags(
      addBackendFlag(
        program
          .command('evaluate')
          .description("score a saved model on a dataset: the rows of its split (the model's own split seed by default) or all rows")
          .argument('<model-dir>', 'directory holding model.json and weights.bin (as written by cmkd train)')
          .argument('<dataset>', "'digits' (or 'digits?n=2000'), a directory with cmkd.json, or a .csv with --csv-modality/--label")
          .option('--split <part>', `rows to score: ${SPLIT_PARTS.join('|')}`, 'test')
          .option('--split-seed <n>', `seed of the 70/10/20 split (default: the one the model was trained with) ${range(RANGES.splitSeed)}`)
          .option('--modality <name>', 'modality to read (default: the one the model was trained on)'),
      ),
    ),
  ).action(async (modelDir: string, spec: string, f: EvaluateFlags) => {
    const part = oneOf<SplitPart>('split', f.split, SPLIT_PARTS);
    const backend = backendOption(f);
    const splitSeedFlag = numberOption('--split-seed', f.splitSeed, RANGES.splitSeed);
    await initEngine({ backend });
    const { model, meta } = await loadModel(modelDir);
    try {
      const bars = progressBars({ quiet: isQuiet(f) });
      const ds = await loadForCommand(spec, f, bars).finally(() => bars.stop());
      const modalityName = f.modality ?? meta.modality;
      if (!modalityName) throw new CmkdError(`${modelDir}: the model does not record its modality; give --modality`, 'invalid-option');
      const m = getModality(ds, modalityName);
      const want = meta.spec.inputShape;
      if (m.shape.join('x') !== want.join('x')) {
        throw new CmkdError(
          `modality '${m.name}' of dataset '${ds.name}' has samples of shape [${m.shape.join(', ')}]; the model in ${modelDir} reads [${want.join(', ')}]`,
          'invalid-input',
        );
      }
      if (ds.task.kind !== meta.spec.task) {
        throw new CmkdError(
          `dataset '${ds.name}' is a ${ds.task.kind} task; the model in ${modelDir} does ${meta.spec.task}`,
          'invalid-input',
        );
      }
      if (ds.task.kind === 'classification' && meta.classes && ds.task.classes.join('\u0000') !== meta.classes.join('\u0000')) {
        throw new CmkdError(
          `dataset '${ds.name}' has classes [${ds.task.classes.join(', ')}]; the model in ${modelDir} was trained on [${meta.classes.join(', ')}]`,
          'invalid-input',
        );
      }
      const trainedSplitSeed =
        (meta.extra?.training as { splitSeed?: number } | undefined)?.splitSeed ?? (meta.extra?.splitSeed as number | undefined);
      const splitSeed = splitSeedFlag ?? trainedSplitSeed ?? 0;
      const rows = part === 'all' ? Int32Array.from({ length: ds.n }, (_, i) => i) : stratifiedSplit(ds, { seed: splitSeed })[part];
      // The saved standardiser (fitted on the model's training rows) is applied, not refitted.
      const std = meta.standardizer
        ? applyStandardizer(m, {
            modality: m.name,
            per: meta.standardizer.per,
            mean: Float32Array.from(meta.standardizer.mean),
            std: Float32Array.from(meta.standardizer.std),
          })
        : m;
      const x = gatherRows(std.data, featureSize(m), rows);
      const y = ds.labels instanceof Int32Array ? new Int32Array(rows.length) : new Float32Array(rows.length);
      for (let i = 0; i < rows.length; i++) y[i] = ds.labels[rows[i]];
      const evaluation = await evaluateModel(model, x, y, ds.task);
      const result = {
        model: modelDir,
        dataset: ds.name,
        modality: m.name,
        split: part,
        splitSeed: part === 'all' ? null : splitSeed,
        ...evaluation,
      };
      emit(
        result,
        f,
        (r) =>
          `${r.model} on ${r.dataset}/${r.modality} (${r.split}${r.splitSeed === null ? '' : `, split seed ${r.splitSeed}`}, n=${r.n}): ${evaluationLine(r)}`,
      );
    } finally {
      model.dispose();
    }
  });
}
