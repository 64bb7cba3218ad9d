import { childPids } from '../../test/children.js';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAS_REDIS, NO_REDIS_REASON, startRedis, startWorker, type RedisServer, type WorkerProcess } from '../../test/redis/redis.js';
import { initEngine } from '../engine/index.js';
import { runCchDigits } from './cch-digits/run.js';
import type { CchDigitsResult } from './cch-digits/types.js';
import { VERDICTS_QUICK, runVerdicts, type VerdictsResult } from './verdicts/index.js';

// An experiment's cells on the executors of src/run (pool.test.ts and queue.test.ts test them on
// runs and sweeps): pool workers and `cmkd worker` both build an experiment's workspace from the
// static table of src/worker/families.ts. cch-digits, tiny: its teachers and student are saved by one
// worker and read by the margin and KD cells, maybe on another, through the run folder. verdicts,
// tiny: ordinary runs on datasets it builds in memory (noised pixels, Gaussian draws), which the
// workers rebuild from the experiment's dataset source.
const o = {
  n: 200,
  seeds: 1,
  sigmas: [0, 6],
  temperatures: [4],
  lambdas: [0.5],
  epochs: 1,
  estimators: ['ksg' as const],
  channels: [4],
  hidden: [8],
};
const results = (r: CchDigitsResult) => ({ rows: r.rows, cells: r.cells, bySigma: r.bySigma, agreement: r.agreement });
const out = (name: string) => mkdtemp(path.join(tmpdir(), `cmkd-executors-${name}-`));
const children = childPids;

const v = { ...VERDICTS_QUICK, views: [], degradedStudents: ['blocks'], blur: [], noise: [0.5], gaussianN: 200 };
const verdicts = (r: VerdictsResult) => ({ rows: r.rows, table: r.table, pairs: r.pairs });

let seq: CchDigitsResult;
let seqVerdicts: VerdictsResult;
beforeAll(async () => {
  await initEngine();
  seq = await runCchDigits({ ...o, outDir: await out('seq') });
  seqVerdicts = await runVerdicts({ ...v, outDir: await out('verdicts-seq') });
}, 240_000);

describe('an experiment on a pool of worker processes', () => {
  it('gives the rows of the experiment in one process; the pool run resumes on one process', async () => {
    const outDir = await out('pool');
    let forked = 0;
    const onProgress = () => {
      if (forked < 2) forked = Math.max(forked, children().length);
    };
    const two = await runCchDigits({ ...o, outDir }, { workers: 2, onProgress });
    expect(forked).toBe(2);
    expect(two.rows).toHaveLength(2);
    expect(results(two)).toEqual(results(seq));
    const resumed = await runCchDigits({ ...o, outDir }, { resume: true });
    expect(results(resumed)).toEqual(results(seq));
  }, 300_000);

  it('verdicts: its runs give the pairs of one process, all on one pool of two processes', async () => {
    const forked = new Set<number>();
    const onProgress = (ev: { task: string }) => {
      if (ev.task === 'cmkd run') for (const pid of children()) forked.add(pid);
    };
    const two = await runVerdicts({ ...v, outDir: await out('verdicts-pool') }, { workers: 2, onProgress });
    expect(two.pairs).toBe(3);
    expect(verdicts(two)).toEqual(verdicts(seqVerdicts));
    expect(forked.size).toBe(2);
  }, 300_000);
});

describe.skipIf(!HAS_REDIS)(HAS_REDIS ? 'an experiment through a Redis queue served by cmkd worker processes' : NO_REDIS_REASON, () => {
  let redis: RedisServer;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  }, 60_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await redis?.stop();
  });

  it('gives the rows of the experiment in one process', async () => {
    workers.push(startWorker(redis.url), startWorker(redis.url));
    await Promise.all(workers.map((w) => w.waitFor(/worker ready/)));
    const queued = await runCchDigits({ ...o, outDir: await out('queue') }, { queue: { url: redis.url } });
    expect(results(queued)).toEqual(results(seq));
    // Every cell ran on a worker, once.
    const ran = workers.flatMap((w) => w.lines.filter((l) => / done /.test(l)).map((l) => l.split(' ')[4]));
    expect(ran.sort()).toEqual(
      [
        'seed0-student',
        'seed0-teacher-sigma0',
        'seed0-teacher-sigma6',
        'seed0-margin-sigma0',
        'seed0-margin-sigma6',
        'seed0-kd-sigma0-T4-lambda0.5',
        'seed0-kd-sigma6-T4-lambda0.5',
      ].sort(),
    );
  }, 300_000);

  it('verdicts: gives the pairs of one process', async () => {
    const queued = await runVerdicts({ ...v, outDir: await out('verdicts-queue') }, { queue: { url: redis.url } });
    expect(verdicts(queued)).toEqual(verdicts(seqVerdicts));
  }, 300_000);
});
