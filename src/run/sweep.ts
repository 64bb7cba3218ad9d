/**
 * A method sweep in the papers' layout, as a plan of the run's model cells (src/run/model-cells.ts):
 * on stratified 70/10/20 splits, the TEACHER (teacher modality), the STUDENT without KD, and a
 * student per method row (± LSKD, feature KD, DisCoM-KD, the temperature and λ grids), each
 * scored on the split's test rows and summarised as mean ± sd over splits.
 *
 * `planSweep` (sweep-plan.ts): per split r (split seed and training seed `seed + r`) a `train`
 * cell for the teacher (saved to models/r<r>/teacher), one for the no-KD student, and a `distill`
 * cell per method row (a method with a teacher depends on the teacher cell and loads it from its
 * folder; one without, DisCoM-KD, does not). Every student of a split starts from the same
 * initial weights. Cell inputs are JSON; the dataset is the workspace every cell shares.
 *
 * `sweep`: sequential splits as `cmkd run`'s (src/run/decide.ts): the plan grows look by look,
 * adding splits only for the method rows whose gain over the no-KD student is still open, up to
 * the cap (a fixed `repeats`: one look). After every finished cell, results.json (the settings,
 * every cell's row, the table; at the end the decision), results.csv (one line per cell) and
 * table.csv are rewritten atomically (sweep-files.ts); at the end methods.svg/png, the table as a
 * chart. With `resume`, finished cells are read back from stages/ and skipped, so a finished
 * sweep resumed with a higher cap trains only the new splits; a folder of other settings is
 * refused. Training is a pure function of the seeds, so a resumed sweep ends with the same table.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { initEngine } from '../engine/index.js';
import { loadDataset, type LoadOptions } from '../data/index.js';
import { renderChart } from '../report/charts.js';
import type { ProgressFn } from '../util/progress.js';
import { meanSd, type GainCandidate, type GainDesign } from '../metrics/index.js';
import { asJson, execute, fromJson, type Cell, type CellPool, type Json, type QueueTarget, type RecipeRunner } from './cells.js';
import { DEPLOY_RULE, deployChoice, gainUnits, nextStep, openCandidates } from './decide.js';
import { withPool } from './pool.js';
import { growingPlan } from './sequential.js';
import { modelRunners, type ModelCellKind, type ModelWorkspace } from './model-cells.js';
import { priorSweep, RESULTS_JSON, writeSweepFiles } from './sweep-files.js';
import {
  cellId,
  prepareSweep,
  sweepCell,
  sweepCells,
  type SweepCellInputs,
  type SweepConfig,
  type SweepPlanOptions,
} from './sweep-plan.js';
import { sweepFigureSpec, sweepGainDesign, sweepGains, sweepTable, type SweepCell, type SweepTable } from './sweep-table.js';
import { fingerprintOf } from './stages.js';
import type { Decision, ModelRecord } from './types.js';

export { RESULTS_CSV, RESULTS_JSON, TABLE_CSV } from './sweep-files.js';
export { DEFAULT_SWEEP_METHODS, planSweep, sweepEntries } from './sweep-plan.js';
export type { SweepCellBudget, SweepCellInputs, SweepEntry, SweepPlanOptions } from './sweep-plan.js';
export { formatSweepTable, sweepFigureSpec, sweepGainDesign, sweepGains, sweepTable } from './sweep-table.js';
export type { SweepCell, SweepRow, SweepTable } from './sweep-table.js';

export const METHODS_FIGURE = 'methods';
const SWEEP_TASK = 'sweep';

export interface SweepOptions extends SweepPlanOptions {
  /** Where results, models and the cells' stage files go. */
  outDir: string;
  /** Continue the sweep in outDir, skipping finished cells. */
  resume?: boolean;
  /**
   * How `dataset` was loaded, for worker processes to load it the same way: with it, `workers` > 1
   * runs the cells on a local pool and `queue` on `cmkd worker` processes (see cells.ts).
   */
  source?: SweepSource;
  workers?: number;
  queue?: QueueTarget;
  onProgress?: ProgressFn;
  signal?: AbortSignal;
}

/** A dataset spec and the loader's options (JSON): what a worker loads the sweep's dataset from. */
export interface SweepSource {
  spec: string;
  load: Omit<LoadOptions, 'onProgress' | 'signal'>;
}

export interface SweepResult {
  table: SweepTable;
  cells: SweepCell[];
  /** Cells trained by this call (the rest were read back). */
  trained: number;
  reused: number;
  seconds: number;
  outDir: string;
  /** methods.svg and methods.png: the table as a chart. */
  figures: string[];
  /** Schedules the budget does not finish (e.g. DKD's warm-up in a 6-epoch run), one line per row affected. */
  notes: string[];
  /** The deploy decision over the method rows and how the sequential splits ended. */
  decision: Decision;
  /** How the rows were split (src/data/rows.ts), and the folds k of 'kfold'. */
  splits: 'random' | 'kfold';
  folds: number;
}

/** What every cell of a sweep shares: the model cells' workspace (the dataset, and the sweep's splits, seeds and budget). */
export interface SweepWorkspace {
  cells: ModelWorkspace;
}

const SWEEP_RUNNERS = modelRunners((w: SweepWorkspace) => w.cells);

/** The options of a sweep's recipe (JSON): where workers load its dataset from, and its settings. */
type SweepRecipe = SweepSource & { config: SweepConfig };

/** The workers' builder of a sweep's workspace (src/worker/families.ts): the dataset loaded from its source. */
export async function sweepWorkspace(options: Json, env: { onProgress?: ProgressFn; signal?: AbortSignal }): Promise<RecipeRunner> {
  const { spec, load, config } = fromJson<SweepRecipe>(options);
  await initEngine();
  const dataset = await loadDataset(spec, { ...load, onProgress: env.onProgress, signal: env.signal });
  const workspace = { cells: sweepCells(dataset, config) };
  return (cell, ctx) => SWEEP_RUNNERS[cell.kind as ModelCellKind](cell, { ...ctx, workspace });
}

/** Run (or resume) a sweep; see the module comment. */
export async function sweep(o: SweepOptions): Promise<SweepResult> {
  return withPool(o, (pool) => runSweep({ ...o, pool }));
}

async function runSweep(o: SweepOptions & { pool?: CellPool }): Promise<SweepResult> {
  const started = Date.now();
  const { config, order, notes, looks, design, planLook } = prepareSweep(o);
  const cap = looks[looks.length - 1];
  const methodRows = order.filter((r) => r.role === 'method');
  const prior = existsSync(path.join(o.outDir, RESULTS_JSON)) ? await priorSweep(o.outDir, Boolean(o.resume), config) : null;
  // Cells of the folder's earlier sweep that this one cannot plan (other methods, or repeats past its cap) stay listed.
  const plannable = new Set(
    planLook(
      methodRows.map((r) => r.id),
      0,
      cap,
    ).map((c) => c.id),
  );
  const carried = (prior?.cells ?? []).filter((c) => !plannable.has(cellId(c.repeat, c.row)));
  const planned: Cell[] = [];
  const records = new Map<string, SweepCell>();
  const cells = () => [...planned.flatMap((c) => records.get(c.id) ?? []), ...carried];
  const write = async (decision?: Decision) => {
    const all = cells();
    const table = sweepTable(all, order, config.task, cap, design);
    await writeSweepFiles(o.outDir, { config, notes, cells: all, table, ...(decision ? { decision } : {}) });
    return table;
  };
  const counts = { trained: 0, reused: 0 };
  const { run } = growingPlan(
    (plan, onProgress) =>
      execute(plan, {
        workspace: { cells: sweepCells(o.dataset, config) },
        store: { runDir: o.outDir, fingerprint: fingerprintOf(config), resume: Boolean(o.resume), reused: [] },
        runners: SWEEP_RUNNERS,
        ...{ task: SWEEP_TASK, onProgress, signal: o.signal, workers: o.workers, queue: o.queue, pool: o.pool },
        recipe: o.source ? { family: 'sweep', options: asJson({ ...o.source, config }) } : undefined,
        onCell: async (cell, record, wasReused) => {
          records.set(cell.id, sweepCell(fromJson<SweepCellInputs>(cell.inputs), fromJson<ModelRecord>(record)));
          counts[wasReused ? 'reused' : 'trained']++;
          await write();
        },
      }),
    o.onProgress,
    SWEEP_TASK,
  );
  // Sequential splits (src/run/decide.ts): each look adds splits only for the method rows whose gain is still open.
  const gains = () => methodRows.map((r) => ({ id: r.label, gains: sweepGains(cells(), r.id, config.task) }));
  let open = methodRows.map((r) => r.id);
  for (let from = 0, R = looks[0]; ;) {
    const plan = planLook(open, from, R);
    planned.push(...plan);
    await run(plan);
    const next = openCandidates(gains(), sweepGainDesign(cells(), config.task, design));
    if (next.splits === null) break;
    open = methodRows.filter((r) => next.open.includes(r.label)).map((r) => r.id);
    [from, R] = [R, next.splits];
  }
  const decision = sweepDecision(await write(), gains(), sweepGainDesign(cells(), config.task, design), cells(), o.budget.looks);
  const table = await write(decision);
  const figure = await renderChart(sweepFigureSpec(table, config.studentModality), path.join(o.outDir, METHODS_FIGURE));
  const seconds = (Date.now() - started) / 1000;
  const splits = { splits: config.splits, folds: config.folds };
  return { table, decision, cells: cells(), ...counts, seconds, outDir: o.outDir, figures: figure.files, notes, ...splits };
}

/** DEPLOY_RULE applied to the method rows, how the splits ended, and the next step (decide.ts nextStep: a split adds the open rows, the teacher and the no-KD student). */
function sweepDecision(
  table: SweepTable,
  candidates: GainCandidate[],
  d: GainDesign,
  all: SweepCell[],
  planned: readonly number[],
): Decision {
  const deploy = deployChoice(candidates, d, gainUnits(table.headline));
  const rows = table.rows.filter((r) => r.role === 'method');
  const undecided = rows.filter((r) => r.effect === 'undecided' || r.effect === 'undecided at the cap');
  const atCap = candidates.filter((c) => rows.find((r) => r.label === c.id)?.effect === 'undecided at the cap');
  const pace = meanSd(all.map((c) => c.seconds)).mean;
  return {
    rule: DEPLOY_RULE,
    ...{ sentence: deploy.sentence, chosen: deploy.chosen, familywiseError: deploy.familywiseError },
    ...{ looks: [...d.looks], delta: d.delta, splitsUsed: Math.max(0, ...all.map((c) => c.repeat + 1)), undecided: undecided.length },
    next: atCap.length
      ? nextStep(
          atCap.map((c) => c.gains),
          d,
          { looks: d.looks, planned, modelsPerSplit: atCap.length + 2, pace },
        )
      : null,
  };
}
