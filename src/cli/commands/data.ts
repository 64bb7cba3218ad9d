import type { Command } from 'commander';
import {
  describeDataset,
  datasetWarnings,
  rowFloors,
  taskSummary,
  loadDataset,
  NEAR_CONSTANT_SHARE,
  type DatasetSummary,
  type ModalitySummary,
  type MultimodalDataset,
} from '../../data/index.js';
import { addDatasetFlags, columnOptions, type DatasetFlags } from '../common.js';
import { emit, num, progressBars, table, warn } from '../output.js';
import { addOutputFlags, isQuiet, type OutputFlags } from '../options.js';

interface DataFlags extends DatasetFlags, OutputFlags {
  /** describe: a column table for every modality, however wide. */
  columns?: boolean;
}

/** Modalities with more columns than this get a summary line instead of a row per column (unless --columns). */
const WIDE = 20;
/** Column names listed in a wide modality's summary. */
const FIRST = 5;

async function load(spec: string, flags: DataFlags, validate: boolean): Promise<MultimodalDataset> {
  const bars = progressBars({ quiet: isQuiet(flags) });
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

function columnsText(m: ModalitySummary, all: boolean): string[] {
  const d = m.columns.length;
  const counts = `${d} column${d === 1 ? '' : 's'}: ${m.constantColumns} constant, ${m.nearConstantColumns} near-constant`;
  if (d <= WIDE || all) {
    return [
      `${m.name} (${counts})`,
      table(
        ['column', 'mean', 'sd', 'min', 'max', 'missing', 'flag'],
        m.columns.map((c) => [
          c.name,
          c.mean,
          c.sd,
          c.min,
          c.max,
          c.missing + c.infinite,
          c.constant ? 'constant' : c.nearConstant ? 'near-constant' : '',
        ]),
      ),
    ];
  }
  const first = (pick: (c: ModalitySummary['columns'][number]) => boolean, n: number) => {
    const names = m.columns.filter(pick).map((c) => c.name);
    return names.length
      ? [`  ${n === 0 ? 'constant' : 'near-constant'}: ${names.slice(0, FIRST).join(', ')}${names.length > FIRST ? ', …' : ''}`]
      : [];
  };
  return [`${m.name} (${counts}; --columns lists each)`, ...first((c) => c.constant, 0), ...first((c) => c.nearConstant, 1)];
}

function describeText(s: DatasetSummary, all = false): string {
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
    lines.push('', `target: min ${num(s.target.min)}  max ${num(s.target.max)}  mean ${num(s.target.mean)}  std ${num(s.target.std)}`);
  lines.push(
    '',
    `Columns (over finite values; sd with ddof 0; missing: NaN or ±Inf cells; near-constant: one value in ≥ ${100 * NEAR_CONSTANT_SHARE}% of rows):`,
  );
  for (const m of s.modalities) lines.push(...columnsText(m, all));
  return lines.join('\n');
}

export function register(program: Command): void {
  const data = program.command('data').description('inspect and check datasets (built-in digits, a cmkd.json directory, or a CSV)');

  addDatasetFlags(
    addOutputFlags(
      data
        .command('describe')
        .description(
          'summarise a dataset: modalities (kind, shape, value ranges, missing values), per-column statistics, task, class balance; warns of constant columns and class imbalance',
        )
        .argument('<dataset>', "'digits' (or 'digits?n=2000'), a directory with cmkd.json, or a .csv with --csv-modality/--label")
        .option('--columns', `a row per column for every modality (by default modalities of more than ${WIDE} columns are summarised)`),
      { json: 'print the result as JSON (every column of every modality)' },
    ),
  ).action(async (spec: string, flags: DataFlags) => {
    const ds = await load(spec, flags, false);
    const described = describeDataset(ds);
    // What cmkd run would refuse at this size, beside the data's own warnings.
    const summary = { ...described, warnings: [...described.warnings, ...rowFloors(ds).map((f) => f.refusal)] };
    // Warnings go to stderr (stdout is for the result; --json carries them in `warnings`).
    if (!flags.json) for (const w of summary.warnings) warn(w);
    emit(summary, flags, (s) => describeText(s, Boolean(flags.columns)));
  });

  addDatasetFlags(
    addOutputFlags(
      data
        .command('validate')
        .description('check a dataset loads and is consistent; prints "ok: ..." or one line naming the fault (exit 2)')
        .argument('<dataset>', "'digits' (or 'digits?n=2000'), a directory with cmkd.json, or a .csv with --csv-modality/--label"),
    ),
  ).action(async (spec: string, flags: DataFlags) => {
    const ds = await load(spec, flags, true);
    const result = {
      ok: true,
      name: ds.name,
      n: ds.n,
      modalities: ds.modalities.map((m) => ({ name: m.name, kind: m.kind, shape: m.shape })),
      task: taskSummary(ds),
      warnings: [...datasetWarnings(ds), ...rowFloors(ds).map((f) => f.refusal)],
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
