import type { Command } from 'commander';
import path from 'node:path';
import { EXPERIMENTS } from '../../experiments/registry.js';
import type { ExperimentDefinition, ReportBlock } from '../../experiments/types.js';
import { emit, progressBars, table } from '../output.js';
import { initEngine } from '../../engine/index.js';
import { interruptSignal, prepareOutDir } from '../common.js';
import {
  addBackendFlag,
  addExecutorFlags,
  addOutputFlags,
  backendOption,
  executorOptions,
  isQuiet,
  type ExecutorFlags,
  type OutputFlags,
} from '../options.js';

/** runs/<name>-<local timestamp>, e.g. runs/cch-gaussian-2026-11-23T09-36-06. */
export function defaultRunDir(name: string, now = new Date()): string {
  const p = (x: number) => String(x).padStart(2, '0');
  const stamp = `${now.getFullYear()}-${p(now.getMonth() + 1)}-${p(now.getDate())}T${p(now.getHours())}-${p(now.getMinutes())}-${p(now.getSeconds())}`;
  return path.join('runs', `${name}-${stamp}`);
}

export function renderReport(blocks: ReportBlock[]): string {
  return blocks.map((b) => ('text' in b ? b.text : table(b.table.header, b.table.rows))).join('\n\n');
}

function addExperiment(group: Command, def: ExperimentDefinition): void {
  const cmd = group.command(def.name).description(def.description);
  for (const o of def.options) cmd.option(o.flags, o.description);
  addExecutorFlags(cmd);
  cmd
    .option('--quick', 'small, fast configuration (smoke test)')
    .option('--out <dir>', `run folder (default runs/${def.name}-<timestamp>)`)
    .option('--resume', 'reuse the finished cells of an interrupted or earlier run in --out');
  addOutputFlags(addBackendFlag(cmd)).action(
    async (raw: Record<string, string | boolean | undefined> & ExecutorFlags & OutputFlags & { backend?: string }) => {
      const opts: Record<string, unknown> = {};
      for (const o of def.options) {
        const v = raw[o.key];
        if (typeof v === 'string') opts[o.key] = o.parse(v);
      }
      const executor = executorOptions(raw);
      const backend = backendOption(raw);
      const outDir = prepareOutDir('--out', typeof raw.out === 'string' ? raw.out : defaultRunDir(def.name), Boolean(raw.resume));
      await initEngine({ backend });
      const bars = progressBars({ quiet: isQuiet(raw) });
      const { signal, release } = interruptSignal();
      let stopped = false;
      const stopBars = () => {
        if (!stopped) bars.stop();
        stopped = true;
      };
      try {
        const { result, report } = await def.run(
          { ...opts, quick: Boolean(raw.quick), outDir },
          { onProgress: bars, signal, resume: Boolean(raw.resume), ...executor },
        );
        stopBars();
        emit(result, { json: Boolean(raw.json) }, () => renderReport(report));
      } finally {
        stopBars();
        release();
      }
    },
  );
}

export function register(program: Command): void {
  const group = program.command('experiment').description('run a reproducible experiment into a run folder (results table + figures)');
  addOutputFlags(group.command('list').description('list the experiments'), { progress: false }).action((opts: { json?: boolean }) => {
    const rows = EXPERIMENTS.map((e) => ({ name: e.name, description: e.description }));
    emit(rows, opts, (r) =>
      table(
        ['experiment', 'description'],
        r.map((e) => [e.name, e.description]),
      ),
    );
  });
  for (const def of EXPERIMENTS) addExperiment(group, def);
}
