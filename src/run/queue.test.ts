import { mkdir, mkdtemp, readdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startSource } from '../../test/cli.js';
import { HAS_REDIS, NO_REDIS_REASON, startRedis, startWorker, type RedisServer, type WorkerProcess } from '../../test/redis/redis.js';
import { CmkdError } from '../util/errors.js';
import type { ProgressEvent } from '../util/progress.js';
import { loadDataset } from '../data/index.js';
import { initEngine } from '../engine/index.js';
import { runMainJob, sweep, type RunResult } from './index.js';
import {
  QUEUE_NAME,
  decodeJson,
  encodeJson,
  failureError,
  failureReason,
  jobEnd,
  jobSignature,
  queueConnection,
  redactUrl,
  type QueueJob,
} from './queue.js';
import { EXECUTOR_RUN, runTables, tinySweepBudget } from './testing.js';
import type { Json } from './plan.js';

describe('what crosses the queue', () => {
  it('records keep NaN and ±Infinity, as the in-process executors keep them', () => {
    const record = { a: NaN, b: [Infinity, -Infinity, 1.5], c: { $numberish: 'x' }, d: null };
    const back = decodeJson(encodeJson(record)) as typeof record;
    expect(back.a).toBeNaN();
    expect(back.b).toEqual([Infinity, -Infinity, 1.5]);
    expect(back.c).toEqual({ $numberish: 'x' });
    expect(back.d).toBeNull();
  });

  it('a CmkdError keeps its code through the failure reason; other errors stay plain', () => {
    const err = failureError(failureReason(new CmkdError('bad column x', 'invalid-option')));
    expect(err).toBeInstanceOf(CmkdError);
    expect(err.message).toBe('bad column x');
    expect((err as CmkdError).code).toBe('invalid-option');
    const other = failureError(failureReason(new TypeError('boom')));
    expect(other).not.toBeInstanceOf(CmkdError);
    expect(other.message).toBe('boom');
    // BullMQ's own reason (a cell whose workers kept dying) is an interruption to resume from.
    const gaveUp = failureError('job stalled more than allowable limit', 'r0-student');
    expect(gaveUp).toBeInstanceOf(CmkdError);
    expect((gaveUp as CmkdError).code).toBe('interrupted');
    expect(gaveUp.message).toBe(
      "the queue gave up on cell 'r0-student': job stalled more than allowable limit; finished cells are kept: --resume continues the run",
    );
  });

  it('a job that finishes while its state is read is seen running or finished with its record, never finished without it', async () => {
    // A fake Redis in which the job completes right after the first read of any kind (the race
    // that once failed a run with "the queue returned an unreadable record").
    type FakeJob = { returnvalue: unknown; failedReason: string };
    const redis = (finishAs: 'completed' | 'failed') => {
      let state: 'active' | 'completed' | 'failed' = 'active';
      let job: FakeJob = { returnvalue: null, failedReason: '' };
      const read = <T>(value: T): T => {
        if (state === 'active') {
          state = finishAs;
          job =
            finishAs === 'completed' ? { returnvalue: '{"record":"{}"}', failedReason: '' } : { returnvalue: null, failedReason: 'boom' };
        }
        return value;
      };
      const Job = { fromId: async () => read({ ...job }) } as unknown as Parameters<typeof jobEnd>[0];
      const queue = { getJobState: async () => read(state) } as unknown as Parameters<typeof jobEnd>[1];
      return [Job, queue] as const;
    };
    for (const finishAs of ['completed', 'failed'] as const) {
      const [Job, queue] = redis(finishAs);
      expect(await jobEnd(Job, queue, 'j')).toBe('running');
      expect(await jobEnd(Job, queue, 'j')).toEqual(
        finishAs === 'completed' ? { returnvalue: '{"record":"{}"}' } : { failedReason: 'boom' },
      );
    }
    const gone = { getJobState: async () => 'unknown' } as unknown as Parameters<typeof jobEnd>[1];
    expect(await jobEnd({ fromId: async () => undefined } as unknown as Parameters<typeof jobEnd>[0], gone, 'j')).toBe('missing');
  });

  it('queue URLs: redis:// or rediss:// with a host and a database number; the password never shows', () => {
    expect(queueConnection('redis://127.0.0.1:6379/2')).toMatchObject({ url: 'redis://127.0.0.1:6379/2' });
    expect(() => queueConnection('http://x:1')).toThrow(/^--queue 'http:\/\/x:1': expected a redis:\/\/ or rediss:\/\/ URL$/);
    expect(() => queueConnection('redis://h/q')).toThrow(/database number/);
    expect(() => queueConnection('not a url')).toThrow(/expected a URL like redis:\/\/host:6379\/0/);
    expect(redactUrl('rediss://u:s3cret@h:6380/1')).toBe('rediss://u:***@h:6380/1');
    expect(() => queueConnection('ftp://u:s3cret@h')).toThrow(/^(?!.*s3cret)/);
  });

  it("queue URLs: a database beyond Redis's 16 and a malformed host are refused before connecting", () => {
    for (const ok of [
      'redis://127.0.0.1:6379/15',
      'redis://h/0',
      'redis://redis-1.example.org.:6379',
      'redis://[::1]:6379/3',
      'rediss://my_host:1',
    ])
      expect(() => queueConnection(ok), ok).not.toThrow();
    expect(() => queueConnection('redis://:s3cret@127.0.0.1:6379/99')).toThrow(
      /^--queue 'redis:\/\/:\*\*\*@127\.0\.0\.1:6379\/99': database 99 is out of range: expected \/0 to \/15 \(Redis has 16 databases unless configured otherwise\)$/,
    );
    expect(() => queueConnection('redis://h/16')).toThrow(/database 16 is out of range/);
    const host = 'expected a host name, an IPv4 address \\(four numbers from 0 to 255\\) or an \\[IPv6\\] address';
    expect(() => queueConnection('redis://256.1.1.1:1')).toThrow(
      new RegExp(`^--queue 'redis://256\\.1\\.1\\.1:1': host '256\\.1\\.1\\.1' is not an IPv4 address: ${host}$`),
    );
    expect(() => queueConnection('redis://1.2.3:6379')).toThrow(/host '1\.2\.3' is not an IPv4 address/);
    expect(() => queueConnection('redis://-bad-:6379', '--queue')).toThrow(new RegExp(`host '-bad-' is not a valid host name: ${host}$`));
    expect(() => queueConnection('redis://h:0')).toThrow(/port 0: expected a port from 1 to 65535$/);
  });
});

// A real redis-server on a free port and `cmkd worker` processes from the sources.
const base = EXECUTOR_RUN;
const tables = runTables;
const out = (name: string) => mkdtemp(path.join(tmpdir(), `cmkd-queue-${name}-`));

describe.skipIf(!HAS_REDIS)(HAS_REDIS ? 'execute through a Redis queue served by cmkd worker processes' : NO_REDIS_REASON, () => {
  let redis: RedisServer;
  let workers: WorkerProcess[] = [];
  let one: RunResult;
  const start = async (n: number, args: string[] = ['--lock-seconds', '2']) => {
    const started = Array.from({ length: n }, () => startWorker(redis.url, args));
    workers.push(...started);
    await Promise.all(started.map((w) => w.waitFor(/worker ready/)));
    return started;
  };
  const stopAll = async () => {
    await Promise.all(workers.map((w) => w.stop()));
    workers = [];
  };

  beforeAll(async () => {
    redis = await startRedis({ persist: true });
    one = await runMainJob({ ...base, outDir: await out('seq') });
  }, 120_000);
  afterEach(stopAll);
  afterAll(async () => {
    await redis?.stop();
  });

  it('gives the tables of the sequential run on 2 workers; the run resumes on one process', async () => {
    const [a, b] = await start(2);
    const outDir = await out('2');
    const queued = await runMainJob({ ...base, outDir, queue: { url: redis.url } });
    expect(tables(queued)).toEqual(tables(one));
    expect(queued.notes).toEqual(one.notes);
    // Both workers ran cells, and no cell ran twice.
    const ran = [...a.lines, ...b.lines].filter((l) => / done /.test(l)).map((l) => l.split(' ')[4]);
    expect(a.lines.some((l) => / done /.test(l)) && b.lines.some((l) => / done /.test(l))).toBe(true);
    expect(new Set(ran).size).toBe(ran.length);
    const resumed = await runMainJob({ ...base, outDir, resume: true });
    expect(resumed.reusedStages).toHaveLength(queued.records.length + 2);
    expect(tables(resumed)).toEqual(tables(one));
  }, 300_000);

  it('a sweep through the queue gives the table and cells of the sweep in one process', async () => {
    await start(2);
    await initEngine();
    const source = { spec: 'digits?n=200&modalities=profiles,blocks&cache=false', load: {} };
    const o = {
      dataset: await loadDataset(source.spec),
      source,
      student: 'profiles',
      teacher: 'blocks',
      methods: ['kd'],
      repeats: 2,
      seed: 3,
      budget: tinySweepBudget(32),
    };
    const seq = await sweep({ ...o, outDir: await out('sweep1') });
    const queued = await sweep({ ...o, queue: { url: redis.url }, outDir: await out('sweepq') });
    const cells = (r: typeof seq) => r.cells.map(({ seconds: _s, ...c }) => c);
    expect(queued.table).toEqual(seq.table);
    expect(cells(queued)).toEqual(cells(seq));
  }, 300_000);

  it('a worker killed mid-cell: another worker takes the cell over and the tables are the same', async () => {
    const [victim] = await start(1);
    const outDir = await out('kill');
    const run = runMainJob({ ...base, outDir, queue: { url: redis.url } });
    const line = await victim.waitFor(/started r0-teacher/);
    victim.child.kill('SIGKILL');
    const cell = line.split(' ')[4];
    const [heir] = await start(1);
    const queued = await run;
    expect(tables(queued)).toEqual(tables(one));
    expect(heir.lines.some((l) => l.includes(` started ${cell} (`))).toBe(true);
  }, 300_000);

  it('Redis restarted mid-run: the submitter and the workers reconnect and finish with the same tables', async () => {
    await start(2);
    const outDir = await out('restart');
    let restarted: Promise<void> | null = null;
    const onProgress = (ev: ProgressEvent) => {
      if (!restarted && ev.task === 'cmkd run' && ev.done >= 3) restarted = redis.stop().then(() => redis.start());
    };
    const queued = await runMainJob({ ...base, outDir, queue: { url: redis.url }, onProgress });
    expect(restarted).not.toBeNull();
    await restarted;
    expect(tables(queued)).toEqual(tables(one));
  }, 300_000);

  it('a cell that fails deterministically fails the run once with its one-line error, not after retries', async () => {
    // A worker on another backend refuses every cell: other numbers than the submitter's.
    const [cpu] = await start(1, ['--lock-seconds', '2', '--backend', 'cpu']);
    const outDir = await out('fail');
    await expect(runMainJob({ ...base, outDir, queue: { url: redis.url } })).rejects.toThrow(
      /^cell 'r0-(student|teacher-blocks|teacher-fourier|teacher-fusion)' was submitted from the wasm backend and this worker runs cpu \(other numbers\): start the worker with --backend wasm$/,
    );
    // Each cell the worker took failed once: none went back on the queue for another try.
    const failed = cpu.lines.filter((l) => / failed /.test(l)).map((l) => l.split(' ')[4]);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(new Set(failed).size).toBe(failed.length);
  }, 120_000);

  it('Ctrl-C stops the submitter; --resume picks up the cells finished meanwhile', async () => {
    await start(2);
    const outDir = await out('abort');
    const controller = new AbortController();
    const onProgress = (ev: ProgressEvent) => {
      if (ev.task === 'cmkd run' && ev.done >= 2) controller.abort();
    };
    await expect(runMainJob({ ...base, outDir, queue: { url: redis.url }, signal: controller.signal, onProgress })).rejects.toThrow(
      /^interrupted$/,
    );
    expect((await readdir(path.join(outDir, 'stages'))).length).toBeGreaterThanOrEqual(2);
    const resumed = await runMainJob({ ...base, outDir, resume: true, queue: { url: redis.url } });
    expect(resumed.reusedStages.length).toBeGreaterThanOrEqual(2);
    expect(tables(resumed)).toEqual(tables(one));
  }, 300_000);

  it('Redis gone mid-run for longer than the wait: the submitting process ends with one line and exit 2, not 0 in silence', async () => {
    await start(1);
    const outDir = await out('gone');
    const run = startSource(fileURLToPath(new URL('../../test/redis/queued-run.ts', import.meta.url)), [redis.url, outDir, '1000']);
    try {
      await run.waitFor(/^progress [1-9]/);
      await redis.stop();
      const code = await run.exited;
      const errors = run.lines.filter((l) => l.startsWith('cmkd: '));
      expect({ code, errors }).toEqual({
        code: 2,
        errors: [
          `cmkd: error: lost the connection to the queue at ${redis.url} for 1 s; finished cells are kept: --resume continues the run`,
        ],
      });
      expect(run.lines).not.toContain('finished');
    } finally {
      await run.stop('SIGKILL');
      // The worker lost Redis in the middle of a cell and is no part of the test.
      await Promise.all(workers.map((w) => w.stop('SIGKILL')));
      await redis.start();
    }
  }, 120_000);

  it('no worker serving the queue: the submitter is told once how to start one, with the URL without its password', async () => {
    const url = redis.url.replace('redis://', 'redis://:pw@');
    const told: string[] = [];
    const controller = new AbortController();
    const onIdle = (m: string) => {
      told.push(m);
      controller.abort();
    };
    // No worker runs (each test stops its own); this Redis takes any password.
    await expect(
      runMainJob({ ...base, outDir: await out('idle'), queue: { url, onIdle, idleHintMs: 500 }, signal: controller.signal }),
    ).rejects.toThrow(/^interrupted$/);
    const shown = redactUrl(url);
    expect(told).toEqual([
      `no worker has taken a cell from the queue at ${shown} for 1 s; start one with: cmkd worker --queue ${shown} (same Redis database, a --root holding the run folder)`,
    ]);
  }, 60_000);

  it('an unreachable queue fails at once with one line naming it, without its password', async () => {
    const port = redis.port + 1 === 65536 ? redis.port - 1 : redis.port + 1;
    await expect(
      runMainJob({ ...base, outDir: await out('down'), queue: { url: `redis://u:pw@127.0.0.1:${port}`, reconnectMs: 1000 } }),
    ).rejects.toThrow(
      new RegExp(`^cannot reach the queue at redis://u:\\*\\*\\*@127.0.0.1:${port} within 1 s; is redis-server running there\\?$`),
    );
  }, 60_000);
});

describe.skipIf(!HAS_REDIS)(HAS_REDIS ? 'a Redis that requires a password' : NO_REDIS_REASON, () => {
  let redis: RedisServer;
  const at = (password: string) => `redis://${password ? `:${password}@` : ''}127.0.0.1:${redis.port}`;
  beforeAll(async () => {
    redis = await startRedis({ password: 's3cret' });
  }, 60_000);
  afterAll(async () => {
    await redis?.stop();
  });

  // The wait for an unreachable Redis stays at its 60 s default: a refusal must not wait for it.
  it('a submitter with a wrong or no password fails at once with one line, not after the reconnect wait', async () => {
    for (const [password, what] of [
      ['wrong', 'refused the credentials (WRONGPASS invalid username-password pair or user is disabled.)'],
      ['', 'requires a password (NOAUTH)'],
    ]) {
      const url = at(password);
      await expect(runMainJob({ ...base, outDir: await out('auth'), queue: { url } })).rejects.toThrow(
        new CmkdError(
          `the queue at ${redactUrl(url)} ${what}: give that Redis's password in --queue, like redis://:password@host:6379/0`,
          'invalid-option',
        ),
      );
    }
  }, 30_000);

  it('cmkd worker with a wrong password: one line and exit 2; with the right one it serves', async () => {
    const wrong = startWorker(at('wrong'));
    expect(await wrong.exited).toBe(2);
    expect(wrong.lines.filter(Boolean)).toEqual([
      `cmkd: error: the queue at redis://:***@127.0.0.1:${redis.port} refused the credentials (WRONGPASS invalid username-password pair or user is disabled.): give that Redis's password in --queue, like redis://:password@host:6379/0`,
    ]);
    const right = startWorker(at('s3cret'));
    try {
      await right.waitFor(/worker ready/);
    } finally {
      await right.stop();
    }
  }, 30_000);
});

describe.skipIf(!HAS_REDIS)(HAS_REDIS ? 'workers trust only their root and, given a key, signed jobs' : NO_REDIS_REASON, () => {
  let redis: RedisServer;
  let queue: Queue;
  let events: QueueEvents;
  let workers: WorkerProcess[] = [];
  const start = async (args: string[]) => {
    const w = startWorker(redis.url, ['--lock-seconds', '2', ...args]);
    workers.push(w);
    await w.waitFor(/worker ready/);
    return w;
  };
  beforeAll(async () => {
    redis = await startRedis();
    queue = new Queue(QUEUE_NAME, { connection: { url: redis.url } });
    events = new QueueEvents(QUEUE_NAME, { connection: { url: redis.url } });
    await events.waitUntilReady();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    workers = [];
  });
  afterAll(async () => {
    await events?.close();
    await queue?.close();
    await redis?.stop();
  });

  /** A job written straight into Redis by someone who can write to it, as a submitter would write one. */
  const forged = (over: Partial<QueueJob>): QueueJob => ({
    recipe: { family: 'run', options: {} },
    cell: { id: 'forged', kind: 'student', label: 'forged', dependsOn: [], inputs: {} } as unknown as QueueJob['cell'],
    deps: '{}',
    outDir: tmpdir(),
    cwd: tmpdir(),
    backend: 'wasm',
    ...over,
  });
  /** Adds `data` as job `id` and gives the reason it failed with once the worker has refused it. */
  const refusedWith = async (id: string, data: QueueJob): Promise<string> => {
    const job = await queue.add('student', data, { jobId: id, attempts: 1 });
    const reason = await job.waitUntilFinished(events).then(
      () => 'completed',
      (err: Error) => err.message,
    );
    expect(await job.getState()).toBe('failed');
    return reason;
  };

  it("jobs naming a run or working folder outside the worker's root are refused, symbolic links resolved; the submitter is told", async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'cmkd-root-'));
    const outside = await mkdtemp(path.join(tmpdir(), 'cmkd-outside-'));
    await mkdir(path.join(root, 'run'));
    await symlink(outside, path.join(root, 'link'));
    const worker = await start(['--root', root]);
    const real = await realpath(root);
    expect(await refusedWith('out', forged({ outDir: outside, cwd: root }))).toBe(
      `[unsupported] the submitter's run folder ${outside} is outside this worker's root ${real} (--root): refused; submit from and into folders under it, or start the worker with a --root above them`,
    );
    expect(await refusedWith('link', forged({ outDir: path.join(root, 'run'), cwd: path.join(root, 'link') }))).toMatch(
      /^\[unsupported\] the submitter's working folder \S+\/link is outside this worker's root/,
    );
    expect(worker.lines.filter((l) => / started /.test(l))).toEqual([]);
    expect(await readdir(outside)).toEqual([]);
    // A real submitter running from the repository into the temporary folder: one line naming the worker's root.
    await expect(runMainJob({ ...base, outDir: await out('root'), queue: { url: redis.url } })).rejects.toThrow(
      /^the submitter's (run|working) folder \S+ is outside this worker's root \S+ \(--root\): refused; /,
    );
  }, 120_000);

  it("jobs loading data from outside the worker's root (absolute, ../, a symlink, a label file, --allow-outside) are refused", async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'cmkd-root-'));
    const outside = await mkdtemp(path.join(tmpdir(), 'cmkd-outside-'));
    await mkdir(path.join(root, 'run'));
    await mkdir(path.join(root, 'work'));
    await writeFile(path.join(outside, 'secret.csv'), 'a,b,y\n1,2,x\n3,4,z\n');
    await symlink(path.join(outside, 'secret.csv'), path.join(root, 'work', 'link.csv'));
    await start(['--root', root]);
    const real = await realpath(root);
    const inRoot = { outDir: path.join(root, 'run'), cwd: path.join(root, 'work') };
    const run = (options: Record<string, unknown>) => forged({ ...inRoot, recipe: { family: 'run', options: options as Json } });
    const load = { modalities: { p: ['a'], q: ['b'] }, label: 'y' };
    expect(await refusedWith('data-abs', run({ dataset: path.join(outside, 'secret.csv'), load }))).toBe(
      `[unsupported] the submitter's dataset ${path.join(outside, 'secret.csv')} is outside this worker's root ${real} (--root): refused; keep the data under it, or start the worker with a --root above it`,
    );
    const up = path.relative(path.join(root, 'work'), path.join(outside, 'secret.csv'));
    expect(await refusedWith('data-up', run({ dataset: up, load }))).toMatch(
      /^\[unsupported\] the submitter's dataset \.\.\/\S+ is outside this worker's root/,
    );
    expect(await refusedWith('data-link', run({ dataset: 'link.csv', load }))).toMatch(
      /^\[unsupported\] the submitter's dataset link\.csv is outside/,
    );
    const sweep = forged({ ...inRoot, recipe: { family: 'sweep', options: { spec: path.join(outside, 'secret.csv'), load } as Json } });
    expect(await refusedWith('data-sweep', sweep)).toMatch(/^\[unsupported\] the submitter's dataset \S+secret\.csv is outside/);
    expect(
      await refusedWith(
        'data-labels',
        run({ dataset: 'd.csv', load: { modalities: load.modalities, labelFile: path.join(outside, 'secret.csv') } }),
      ),
    ).toMatch(/^\[unsupported\] the submitter's label file \(--label-file\) \S+secret\.csv is outside/);
    expect(await refusedWith('data-allow', run({ dataset: '.', load: { allowOutside: true } }))).toMatch(
      /^\[unsupported\] the submitter's dataset is loaded with --allow-outside/,
    );
    // A dataset inside the root passes the check (and then fails on its own: there is no such file).
    expect(await refusedWith('data-inside', run({ dataset: 'd.csv', load }))).not.toMatch(/outside this worker's root/);
  }, 120_000);

  it('with a queue key, unsigned and wrongly signed jobs are refused before anything of them is used; signed runs go through', async () => {
    const worker = await start(['--queue-key', 'k3y']);
    expect(await refusedWith('unsigned', forged({}))).toBe(
      "[invalid-option] forged is not signed with this worker's queue key (--queue-key or CMKD_QUEUE_KEY): refused; the submitter must use the same key",
    );
    const wrong = forged({});
    expect(await refusedWith('wrong', { ...wrong, sig: jobSignature(wrong, 'other') })).toMatch(/^\[invalid-option\] forged is not signed/);
    // Signed, then changed: the signature covers the folders.
    const moved = forged({});
    expect(await refusedWith('moved', { ...moved, sig: jobSignature(moved, 'k3y'), outDir: '/' })).toMatch(
      /^\[invalid-option\] forged is not signed/,
    );
    expect(worker.lines.filter((l) => / started /.test(l))).toEqual([]);
    // The submitter without the key is told; with it, the run finishes.
    await expect(runMainJob({ ...base, outDir: await out('unsigned'), queue: { url: redis.url } })).rejects.toThrow(
      /^r0-\S+ is not signed with this worker's queue key \(--queue-key or CMKD_QUEUE_KEY\): refused; the submitter must use the same key$/,
    );
    const signed = await runMainJob({ ...base, outDir: await out('signed'), queue: { url: redis.url, key: 'k3y' } });
    expect(signed.records.length).toBeGreaterThan(0);
  }, 300_000);
});

describe.skipIf(!HAS_REDIS)(HAS_REDIS ? 'a Redis with fewer databases than the URL names' : NO_REDIS_REASON, () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis({ databases: 4 });
  }, 60_000);
  afterAll(async () => {
    await redis?.stop();
  });

  // Within /0 to /15, so past the check before connecting; ioredis alone would serve database 0.
  it('the submitter and the worker fail at once with one line, not on database 0', async () => {
    const url = `${redis.url}/8`;
    const line = `--queue '${url}': that Redis has no database 8 (ERR DB index is out of range): expected one below its 'databases' setting`;
    await expect(runMainJob({ ...base, outDir: await out('db'), queue: { url } })).rejects.toThrow(new CmkdError(line, 'invalid-option'));
    const worker = startWorker(url);
    expect(await worker.exited).toBe(2);
    expect(worker.lines.filter(Boolean)).toEqual([`cmkd: error: ${line}`]);
  }, 30_000);
});
