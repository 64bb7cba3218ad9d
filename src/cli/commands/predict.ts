import path from 'node:path';
import type { Command } from 'commander';
import { applyStandardizer, getModality, loadModalities, type ModalityTable, type MultimodalDataset } from '../../data/index.js';
import { initEngine } from '../../engine/index.js';
import { loadModel } from '../../models/index.js';
import { predictionRecords } from '../../run/exports.js';
import { predictOutputs } from '../../train/index.js';
import { CmkdError } from '../../util/errors.js';
import { toCsv, writeFileAtomic } from '../../util/fs.js';
import { addDatasetFlags, columnOptions, type DatasetFlags } from '../common.js';
import { addBackendFlag, addQuietFlag, backendOption, isQuiet, type OutputFlags } from '../options.js';
import { progressBars, warn } from '../output.js';

interface PredictFlags extends DatasetFlags, OutputFlags {
  out?: string;
  modality?: string;
  backend?: string;
}

/**
 * The class index, in the model's class order, of each of the dataset's labels; undefined when a
 * label is not among the model's classes (or the tasks differ), so no label column is written.
 */
function labelsFor(ds: MultimodalDataset, classes: string[] | undefined): ArrayLike<number> | undefined {
  if (ds.task.kind === 'regression') return classes ? undefined : ds.labels;
  if (!classes) return undefined;
  const map = ds.task.classes.map((c) => classes.indexOf(c));
  if (map.some((k) => k < 0)) return undefined;
  return Int32Array.from(ds.labels, (y) => map[y]);
}

export function register(program: Command): void {
  addDatasetFlags(
    addQuietFlag(
      addBackendFlag(
        program
          .command('predict')
          .description(
            "predict new rows with a saved model (cmkd train's --out, or a run's best-student): one CSV row per input row with id, predicted and p_<class> per class",
          )
          .argument('<model-dir>', 'directory holding model.json and weights.bin (cmkd train --out, or <run>/best-student)')
          .argument(
            '<data>',
            "rows to predict: a .csv (every column is the model's modality unless --csv-modality says which; no label needed), a directory with cmkd.json, or 'digits'",
          )
          .option('--out <file>', 'write the predictions CSV here (default: stdout)')
          .option('--modality <name>', 'modality of <data> to read (default: the one the model was trained on)'),
      ),
      'no progress on stderr and no "predictions written" line',
    ),
  ).action(async (modelDir: string, spec: string, f: PredictFlags) => {
    const backend = backendOption(f);
    await initEngine({ backend });
    const { model, meta } = await loadModel(modelDir);
    try {
      const modalityName = f.modality ?? meta.modality;
      if (!modalityName) throw new CmkdError(`${modelDir}: the model does not record its modality; give --modality`, 'invalid-option');
      const options = columnOptions(f);
      // A CSV of new rows: by default all its columns (a pandas index column is the row ids) are the model's modality.
      const csv = spec.toLowerCase().endsWith('.csv');
      if (csv && !options.modalities) options.modalities = { [modalityName]: options.label ? `!${options.label}` : '*' };
      const bars = progressBars({ quiet: isQuiet(f) });
      let ds: ModalityTable | MultimodalDataset;
      try {
        ds = await loadModalities(spec, { ...options, onProgress: bars });
      } finally {
        bars.stop();
      }
      for (const w of ds.warnings ?? []) warn(w);
      const m = getModality(ds, modalityName);
      const want = meta.spec.inputShape;
      if (m.shape.join('x') !== want.join('x')) {
        throw new CmkdError(
          `modality '${m.name}' of ${spec} has samples of shape [${m.shape.join(', ')}]${m.columns ? ` (columns ${m.columns.join(', ')})` : ''}; the model in ${modelDir} reads [${want.join(', ')}]`,
          'invalid-input',
        );
      }
      // The saved standardiser (fitted on the model's training rows) is applied, not refitted.
      const x = meta.standardizer
        ? applyStandardizer(m, {
            modality: m.name,
            per: meta.standardizer.per,
            mean: Float32Array.from(meta.standardizer.mean),
            std: Float32Array.from(meta.standardizer.std),
          }).data
        : m.data;
      const { logits } = await predictOutputs(model, x, ds.n);
      const classes = meta.spec.task === 'classification' ? meta.classes : undefined;
      if (meta.spec.task === 'classification' && !classes)
        throw new CmkdError(`${modelDir}: the model does not record its class names (model.json has no classes)`, 'invalid-input');
      const labels = 'labels' in ds ? labelsFor(ds, classes) : undefined;
      if ('labels' in ds && !labels) warn(`${spec}: its labels are not among the model's classes; the predictions CSV has no label column`);
      const records = predictionRecords({
        ids: ds.ids ?? Int32Array.from({ length: ds.n }, (_, i) => i),
        labels,
        outputs: logits,
        classes,
      });
      const text = toCsv(records);
      if (f.out) {
        await writeFileAtomic(path.resolve(f.out), text);
        if (!isQuiet(f)) process.stderr.write(`cmkd: ${ds.n} predictions written to ${f.out}\n`);
      } else process.stdout.write(text);
    } finally {
      model.dispose();
    }
  });
}
