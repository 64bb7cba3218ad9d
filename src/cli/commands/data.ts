import type { Command } from 'commander';
import {
  loadDataset,
  describeDataset,
  datasetWarnings,
  type CsvModalityColumns,
  type DatasetSummary,
  type LoadOptions,
  type MultimodalDataset,
} from '../../data/index.js';
import { CmkdError, oneOf } from '../../util/errors.js';
import { emit, fmt, progressBars, table } from '../output.js';

interface ColumnFlags {
  modality: string[];
  image: string[];
  label?: string;
  task?: string;
  classes?: string;
  json?: boolean;
}

const collect = (v: string, prev: string[]) => [...prev, v];

function addColumnFlags(cmd: Command): Command {
  return cmd
    .option(
      '--modality <name=columns>',
      "single CSV: columns of a modality, comma list or glob (repeat per modality), e.g. a=c1,c2 or b='img_*'",
      collect,
      [],
    )
    .option('--image <name=HxWxC>', 'single CSV: the modality is an image of this shape, e.g. b=8x8x1 (repeatable)', collect, [])
    .option('--label <column>', 'single CSV: the label column')
    .option('--task <kind>', 'single CSV: classification (default) or regression')
    .option('--classes <names>', 'single CSV: declared class names, comma-separated (labels outside them are an error)')
    .option('--json', 'print JSON');
}

/** Turn --modality/--image/--label/--task/--classes into loader options. */
export function columnOptions(flags: ColumnFlags): Partial<LoadOptions> {
  const out: Partial<LoadOptions> = {};
  const pair = (flag: string, v: string): [string, string] => {
    const i = v.indexOf('=');
    if (i <= 0 || i === v.length - 1) throw new CmkdError(`${flag} '${v}': expected name=value`, 'invalid-option');
    return [v.slice(0, i).trim(), v.slice(i + 1).trim()];
  };
  const shapes = new Map<string, [number, number, number]>();
  for (const v of flags.image) {
    const [name, s] = pair('--image', v);
    const dims = s.split(/[x×,]/).map(Number);
    if (dims.length !== 3 || dims.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new CmkdError(`--image '${v}': expected name=HxWxC with positive integers, e.g. ${name}=28x28x1`, 'invalid-option');
    }
    shapes.set(name, dims as [number, number, number]);
  }
  if (flags.modality.length) {
    const modalities: Record<string, CsvModalityColumns> = {};
    for (const v of flags.modality) {
      const [name, columns] = pair('--modality', v);
      if (name in modalities) throw new CmkdError(`--modality '${v}': modality '${name}' is given twice`, 'invalid-option');
      const shape = shapes.get(name);
      modalities[name] = shape ? { columns, kind: 'image', shape } : columns;
    }
    for (const name of shapes.keys()) {
      if (!(name in modalities)) throw new CmkdError(`--image ${name}=…: there is no --modality ${name}=…`, 'invalid-option');
    }
    out.modalities = modalities;
  } else if (shapes.size) {
    throw new CmkdError('--image needs the matching --modality name=columns', 'invalid-option');
  }
  if (flags.label !== undefined) out.label = flags.label;
  const kind = flags.task === undefined ? undefined : oneOf('task', flags.task, ['classification', 'regression'] as const);
  if (flags.classes !== undefined) {
    if (kind === 'regression') throw new CmkdError('--classes applies to classification, not --task regression', 'invalid-option');
    const classes = flags.classes.split(',').map((c) => c.trim());
    out.task = { kind: 'classification', classes };
  } else if (kind) {
    out.task = kind;
  }
  return out;
}

async function load(spec: string, flags: ColumnFlags, validate: boolean): Promise<MultimodalDataset> {
  const bars = progressBars();
  try {
    return await loadDataset(spec, { ...columnOptions(flags), validate, onProgress: bars });
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

  addColumnFlags(
    data
      .command('describe')
      .description('summarise a dataset: modalities (kind, shape, value ranges, missing values), task, class balance')
      .argument('<dataset>', "'digits' (or 'digits?n=2000'), a directory with cmkd.json, or a .csv with --modality/--label"),
  ).action(async (spec: string, flags: ColumnFlags) => {
    const ds = await load(spec, flags, false);
    emit(describeDataset(ds), flags, describeText);
  });

  addColumnFlags(
    data
      .command('validate')
      .description('check a dataset loads and is consistent; prints "ok: ..." or one line naming the fault (exit 2)')
      .argument('<dataset>', "'digits' (or 'digits?n=2000'), a directory with cmkd.json, or a .csv with --modality/--label"),
  ).action(async (spec: string, flags: ColumnFlags) => {
    const ds = await load(spec, flags, true);
    const result = {
      ok: true,
      name: ds.name,
      n: ds.n,
      modalities: ds.modalities.map((m) => ({ name: m.name, kind: m.kind, shape: m.shape })),
      task: describeDataset(ds).task,
      warnings: datasetWarnings(ds),
    };
    emit(result, flags, (r) =>
      [
        `ok: ${r.name}: ${r.n} samples; modalities ${r.modalities.map((m) => `${m.name} [${m.kind} ${shapeText(m.shape)}]`).join(', ')}; ${taskLine(r.task)}`,
        ...r.warnings.map((w) => `warning: ${w}`),
      ].join('\n'),
    );
  });
}
