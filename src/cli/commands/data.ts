import type { Command } from 'commander';
import { describeDataset, datasetWarnings, loadDataset, type DatasetSummary, type MultimodalDataset } from '../../data/index.js';
import { addDatasetFlags, columnOptions, type DatasetFlags } from '../common.js';
import { emit, fmt, progressBars, table, warn } from '../output.js';

interface DataFlags extends DatasetFlags {
  json?: boolean;
}

async function load(spec: string, flags: DataFlags, validate: boolean): Promise<MultimodalDataset> {
  const bars = progressBars();
  try {
    // Not loadForCommand: what loading changed is among datasetWarnings, printed once by the command.
    return await loadDataset(spec, { ...columnOptions(flags), onProgress: bars, validate });
  } finally {
    bars.stop();
  }
}

function taskLine(t: DatasetSummary['task']): string {
  return t.kind === 'classification' ? `classification, ${t.classes.length} classes` : `regression of '${t.target}'`;
}

function shapeText(shape: number[]): string {
  return shape.join('×');
}

function describeText(s: DatasetSummary): string {
  const lines = [`${s.name}: ${s.n} samples, ${s.modalities.length} modalities, ${taskLine(s.task)}`];
  if (s.description) lines.push(s.description);
  lines.push(
    '',
    table(
      ['modality', 'kind', 'shape', 'min', 'max', 'mean', 'std', 'missing', 'source'],
      s.modalities.map((m) => [m.name, m.kind, shapeText(m.shape), m.min, m.max, m.mean, m.std, m.missing + m.infinite, m.source ?? '']),
    ),
  );
  if (s.classBalance) {
    lines.push(
      '',
      table(
        ['class', 'count', 'fraction'],
        s.classBalance.map((c) => [c.class, c.count, c.fraction]),
      ),
    );
  }
  if (s.target)
    lines.push('', `target: min ${fmt(s.target.min)}  max ${fmt(s.target.max)}  mean ${fmt(s.target.mean)}  std ${fmt(s.target.std)}`);
  return lines.join('\n');
}

export function register(program: Command): void {
  const data = program.command('data').description('inspect and check datasets (built-in digits, a cmkd.json directory, or a CSV)');

  addDatasetFlags(
    data
      .command('describe')
      .description('summarise a dataset: modalities (kind, shape, value ranges, missing values), task, class balance')
      .argument('<dataset>', "'digits' (or 'digits?n=2000'), a directory with cmkd.json, or a .csv with --csv-modality/--label")
      .option('--json', 'print JSON'),
  ).action(async (spec: string, flags: DataFlags) => {
    const ds = await load(spec, flags, false);
    emit(describeDataset(ds), flags, describeText);
  });

  addDatasetFlags(
    data
      .command('validate')
      .description('check a dataset loads and is consistent; prints "ok: ..." or one line naming the fault (exit 2)')
      .argument('<dataset>', "'digits' (or 'digits?n=2000'), a directory with cmkd.json, or a .csv with --csv-modality/--label")
      .option('--json', 'print JSON'),
  ).action(async (spec: string, flags: DataFlags) => {
    const ds = await load(spec, flags, true);
    const result = {
      ok: true,
      name: ds.name,
      n: ds.n,
      modalities: ds.modalities.map((m) => ({ name: m.name, kind: m.kind, shape: m.shape })),
      task: describeDataset(ds).task,
      warnings: datasetWarnings(ds),
    };
    // Warnings go to stderr (stdout is for the result; --json carries them in `warnings`).
    if (!flags.json) for (const w of result.warnings) warn(w);
    emit(
      result,
      flags,
      (r) =>
        `ok: ${r.name}: ${r.n} samples; modalities ${r.modalities.map((m) => `${m.name} [${m.kind} ${shapeText(m.shape)}]`).join(', ')}; ${taskLine(r.task)}`,
    );
  });
}
