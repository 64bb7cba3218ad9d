import { childPids } from '../../test/children.js';
import { mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../util/progress.js';
import { loadDataset } from '../data/index.js';
import { initEngine } from '../engine/index.js';
import { runMainJob, sweep, type RunResult } from './index.js';
import { EXECUTOR_RUN, runTables, tinySweepBudget } from './testing.js';

// Forks real worker processes (src/worker/pool-entry.ts through ts-hooks.mjs), each loading the spec again.
const base = EXECUTOR_RUN;
const tables = runTables;
const children = childPids;
const out = (name: string) => mkdtemp(path.join(tmpdir(), `cmkd-pool-${name}-`));

let one: RunResult;

describe('execute on a pool of worker processes', () => {
  it('gives the records and tables of the sequential run; a pool run resumes on one process', async () => {
    one = await runMainJob({ ...base, outDir: await out('1') });
    const outDir = await out('2');
    // The run's two plans (models and analysis, then distillation) share one pool: two processes in all.
    const forked = new Set<number>();
    const onProgress = (ev: ProgressEvent) => {
      if (ev.task === 'cmkd run') for (const pid of children()) forked.add(pid);
    };
    const two = await runMainJob({ ...base, outDir, workers: 2, onProgress });
    expect(forked.size).toBe(2);
    expect(tables(two)).toEqual(tables(one));
    expect(two.notes).toEqual(one.notes);
    const resumed = await runMainJob({ ...base, outDir, resume: true });
    expect(resumed.reusedStages).toHaveLength(two.records.length + 2);
    expect(tables(resumed)).toEqual(tables(one));
  }, 300_000);

  it('Ctrl-C stops the workers and keeps finished cells; a cell whose worker is killed runs again on a new one, once', async () => {
    one ??= await runMainJob({ ...base, outDir: await out('1') });
    const outDir = await out('abort');
    const controller = new AbortController();
    const onProgress = (ev: ProgressEvent) => {
      if (ev.task === 'cmkd run' && ev.done >= 2) controller.abort();
    };
    await expect(runMainJob({ ...base, outDir, workers: 2, signal: controller.signal, onProgress })).rejects.toThrow(/^interrupted$/);
    expect(children()).toEqual([]);
    expect((await readdir(path.join(outDir, 'stages'))).length).toBeGreaterThanOrEqual(2);
    const resumed = await runMainJob({ ...base, outDir, resume: true, workers: 2 });
    expect(resumed.reusedStages.length).toBeGreaterThanOrEqual(2);
    expect(tables(resumed)).toEqual(tables(one));

    // Killed once: the cells get new workers and the run ends with the same tables.
    let killed = false;
    const killOnce = (ev: ProgressEvent) => {
      if (killed || ev.task === 'cmkd run') return;
      const workers = children();
      killed = workers.length > 0;
      for (const pid of workers) process.kill(pid, 'SIGKILL');
    };
    const survived = await runMainJob({ ...base, outDir: await out('kill1'), workers: 2, onProgress: killOnce });
    expect(killed).toBe(true);
    expect(tables(survived)).toEqual(tables(one));
    // Killed every time: a cell's second death fails the run naming it.
    const killAlways = (ev: ProgressEvent) => {
      if (ev.task === 'cmkd run') return;
      for (const pid of children()) process.kill(pid, 'SIGKILL');
    };
    await expect(runMainJob({ ...base, outDir: await out('kill'), workers: 2, onProgress: killAlways })).rejects.toThrow(
      /^worker process was killed by SIGKILL while running cell 'r0-(student|teacher-blocks)'.*--resume continues the run$/,
    );
    expect(children()).toEqual([]);
  }, 300_000);

  it('a sweep on 2 workers gives the table and cells of the sweep in one process', async () => {
    const source = { spec: 'digits?n=200&modalities=profiles,blocks&cache=false', load: {} };
    await initEngine();
    const dataset = await loadDataset(source.spec);
    const o = {
      dataset,
      source,
      student: 'profiles',
      teacher: 'blocks',
      methods: ['kd', 'feature'],
      repeats: 2,
      seed: 3,
      budget: tinySweepBudget(32),
    };
    const seq = await sweep({ ...o, outDir: await out('sweep1') });
    const two = await sweep({ ...o, workers: 2, outDir: await out('sweep2') });
    const cells = (r: typeof seq) => r.cells.map(({ seconds: _s, ...c }) => c);
    expect(two.table).toEqual(seq.table);
    expect(cells(two)).toEqual(cells(seq));
  }, 300_000);
});
