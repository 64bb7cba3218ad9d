/**
 * Cells through a Redis queue (BullMQ): `execute` (cells.ts) with `queue`. The submitting process
 * keeps the stage store and schedules cells as their dependencies finish (schedule.ts); each cell
 * to compute becomes a BullMQ job on the queue `cmkd` that any `cmkd worker --queue <url>`
 * (src/worker/queue-entry.ts) takes, runs from the plan's recipe and answers with the cell's record.
 *
 * Cells are added as their dependencies finish rather than as one BullMQ flow per run: a flow is a
 * tree (a child has one parent), while a plan is a DAG in which one teacher feeds the analysis and
 * every distilled student of its split; and the submitter must write each stage file anyway.
 *
 * What travels through Redis: the job (the recipe — dataset spec and options —, the cell, the
 * records of its dependencies, the run folder's path and the submitter's working folder), progress
 * events, and the record. Artefacts (saved models) do not: workers write them into the run
 * folder, which every worker must see at the same path (one machine, or a shared file system).
 * A job or record over MAX_JOB_BYTES is refused. With a queue key, the submitter signs each job
 * (jobSignature) and workers given the key refuse any other; workers also refuse jobs whose
 * folders are outside their root (src/worker/queue-entry.ts).
 *
 * Faults: a worker that dies mid-cell stops renewing its lock and BullMQ's stalled-job check
 * hands the cell to another worker; a cell that throws fails the run once (no retries: cells are
 * deterministic); while Redis is unreachable both sides reconnect, and the submitter gives up after
 * `reconnectMs` with a one-line error — finished cells are kept for --resume. Jobs are named by a
 * token stored in the run folder (queue.json) and the cell's fingerprint, so a resumed submitter
 * picks up records finished while it was away, and a new run never reads an old run's records.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
// bullmq takes ~0.2 s to import: loaded when a plan is queued, not by every command.
import type { ConnectionOptions, Queue, QueueEvents } from 'bullmq';
import { tf } from '../engine/index.js';
import { CmkdError, type CmkdErrorCode } from '../util/errors.js';
import { writeJsonAtomic } from '../util/fs.js';
import { interrupted, type ProgressEvent } from '../util/progress.js';
import { cellFingerprint, type Cell, type ExecuteOptions, type Json, type QueueTarget, type WorkspaceRecipe } from './plan.js';
import { executeScheduled, type CellExecutor } from './schedule.js';
import { fingerprintOf } from './stages.js';

/** The BullMQ queue cells go through (one per Redis database; choose the database in the URL). */
export const QUEUE_NAME = 'cmkd';
/** The largest job (cell and dependency records) or record, as JSON, that goes through Redis. */
export const MAX_JOB_BYTES = 4 * 1024 * 1024;
/** How long a submitter or worker waits for an unreachable Redis before it gives up, by default. */
export const RECONNECT_MS = 60_000;
/** How often the submitter asks Redis for the state of the cells it waits for (events may be lost across a restart). */
const POLL_MS = 2000;
/** How long queued cells may wait with no worker taking any before the submitter is told how to start one. */
export const IDLE_HINT_MS = 30_000;
/** How long dropping a connection may take (see shutDown). */
const DISCONNECT_MS = 1000;
/** Finished jobs stay this long, so a resumed submitter finds records computed while it was away. */
const KEEP_SECONDS = 24 * 3600;

/** What a queued cell carries: everything a worker needs to rebuild the plan's workspace and run it. */
export interface QueueJob {
  recipe: WorkspaceRecipe;
  cell: Cell;
  /** Records of the cell's dependencies (encodeJson). */
  deps: string;
  /** The run folder (absolute) and the submitter's working folder (relative dataset paths). */
  outDir: string;
  cwd: string;
  /** The submitter's TF.js backend: another backend gives other numbers, so a worker on another one refuses. */
  backend: string;
  /** With a queue key: jobSignature of the rest of the job; a worker given a key refuses a job without the right one. */
  sig?: string;
}

/** HMAC-SHA256 (RFC 2104), hex, of the job's JSON without `sig`, keyed with the queue key. */
export function jobSignature(job: QueueJob, key: string): string {
  const { sig: _sig, ...rest } = job;
  return createHmac('sha256', key).update(JSON.stringify(rest)).digest('hex');
}

/** Whether `job` carries the signature `key` gives it (compared in constant time). */
export function signedWith(job: QueueJob, key: string): boolean {
  if (typeof job.sig !== 'string') return false;
  const expected = Buffer.from(jobSignature(job, key), 'hex');
  const given = Buffer.from(job.sig, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** A worker's answer: the record (encodeJson) and how long the cell took on the worker. */
export interface QueueAnswer {
  record: string;
  ms: number;
}

/** JSON that keeps NaN and ±Infinity (records hold NaN where a metric is undefined), as the in-process executors do. */
export function encodeJson(value: Json): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { $number: String(v) } : v));
}

export function decodeJson(text: string): Json {
  return JSON.parse(text, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === '$number') return Number((v as { $number: string }).$number);
    }
    return v;
  }) as Json;
}

/** The URL as given, its password replaced by '***', for messages and logs. */
export function redactUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '(unparsable queue URL)';
  }
  return u.password ? url.replace(`:${u.password}@`, ':***@') : url;
}

/**
 * The largest database number a queue URL may name: Redis's default `databases 16`. Checked before
 * connecting because ioredis answers a SELECT the server refuses by logging the error and serving
 * database 0, which would mix this queue with another's.
 */
export const MAX_DB = 15;

/**
 * What is wrong with a URL's host (null: nothing): a host is a name (labels of letters, digits,
 * '-' and '_', at most 63 characters each, 253 in all), an IPv4 address (four numbers from 0 to
 * 255) or an [IPv6] address. The URL parser leaves a redis:// host as written, so '256.1.1.1' would
 * reach the resolver and fail only after the reconnect wait.
 */
function hostProblem(host: string): string | null {
  if (host.startsWith('[')) return null; // IPv6: checked by the URL parser.
  const expected = 'expected a host name, an IPv4 address (four numbers from 0 to 255) or an [IPv6] address';
  if (/^[\d.]+$/.test(host)) {
    const parts = host.split('.');
    return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)
      ? null
      : `host '${host}' is not an IPv4 address: ${expected}`;
  }
  const name = host.endsWith('.') ? host.slice(0, -1) : host; // a fully qualified name may end with '.'
  const label = /^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$/i;
  return name.length <= 253 && name.split('.').every((l) => label.test(l)) ? null : `host '${host}' is not a valid host name: ${expected}`;
}

/**
 * Checks a queue URL (redis:// or rediss://, host, optional port and /db) and gives ioredis's
 * options: reconnect (every ≤ 2 s) until `stopping()` says the caller is shutting down.
 */
export function queueConnection(url: string, flag = '--queue', stopping: () => boolean = () => false): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new CmkdError(`${flag} '${redactUrl(url)}': expected a URL like redis://host:6379/0`, 'invalid-option');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new CmkdError(`${flag} '${redactUrl(url)}': expected a redis:// or rediss:// URL`, 'invalid-option');
  if (!u.hostname) throw new CmkdError(`${flag} '${redactUrl(url)}': no host`, 'invalid-option');
  const host = hostProblem(u.hostname);
  if (host) throw new CmkdError(`${flag} '${redactUrl(url)}': ${host}`, 'invalid-option');
  if (u.port === '0') throw new CmkdError(`${flag} '${redactUrl(url)}': port 0: expected a port from 1 to 65535`, 'invalid-option');
  if (u.pathname && u.pathname !== '/' && !/^\/\d+$/.test(u.pathname))
    throw new CmkdError(`${flag} '${redactUrl(url)}': the path must be a database number, like /0`, 'invalid-option');
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (db > MAX_DB)
    throw new CmkdError(
      `${flag} '${redactUrl(url)}': database ${u.pathname.slice(1)} is out of range: expected /0 to /${MAX_DB} (Redis has ${MAX_DB + 1} databases unless configured otherwise)`,
      'invalid-option',
    );
  // maxRetriesPerRequest null: commands wait for a reconnect instead of failing (BullMQ's advice for workers).
  return {
    url,
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    retryStrategy: (times: number) => (stopping() ? null : Math.min(200 * times, 2000)),
  };
}

/**
 * Closes bullmq objects, or after `ms` (Redis gone; 0: at once) drops their connections; `stop()`
 * first ends ioredis's reconnecting. Dropping waits at most DISCONNECT_MS: bullmq's disconnect()
 * waits for ioredis's 'end' event, which a connection dropped while it waits to reconnect never
 * emits — and with no timer left, Node would end the process (exit 0) with the caller still waiting.
 */
export async function shutDown(
  parts: { close(): Promise<void>; disconnect(): Promise<void> }[],
  stop: () => void,
  ms = 5000,
): Promise<void> {
  stop();
  if (ms > 0) {
    try {
      await within(Promise.all(parts.map((p) => p.close())), ms, 'timeout');
      return;
    } catch {
      // Not closed in time: dropped below.
    }
  }
  await within(Promise.allSettled(parts.map((p) => p.disconnect())), DISCONNECT_MS, 'timeout').catch(() => undefined);
}

/** The failure reason a worker gives BullMQ: the error's message, prefixed by its CmkdError code. */
export function failureReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = err instanceof CmkdError ? err.code : 'internal';
  return `[${code}] ${message}`;
}

/**
 * The error of a failure reason, as the cell threw it: a CmkdError keeps its code (and the CLI its
 * exit code). A reason without the prefix is BullMQ's own (a cell whose workers kept dying).
 */
export function failureError(reason: string, cellId = '?'): Error {
  const m = /^\[([a-z-]+)\] ([\s\S]*)$/.exec(reason);
  if (!m)
    return new CmkdError(
      `the queue gave up on cell '${cellId}': ${reason}; finished cells are kept: --resume continues the run`,
      'interrupted',
    );
  if (m[1] !== 'internal') return new CmkdError(m[2], m[1] as CmkdErrorCode);
  return new Error(m[2]);
}

/**
 * The error of a refusal reconnecting cannot cure, or null for any other error: the URL's
 * credentials (Redis 6 and later: WRONGPASS, NOAUTH; earlier: ERR invalid password), or its
 * database beyond the server's `databases` (ioredis would log that and serve database 0). It ends
 * the wait at once instead of after the reconnect time.
 */
export function refusedByRedis(err: unknown, url: string, flag = '--queue'): CmkdError | null {
  const message = (err instanceof Error ? err.message : String(err)).trim();
  let u: URL | null = null;
  try {
    u = new URL(url);
  } catch {
    // Checked by queueConnection before any connection.
  }
  if (/^ERR (DB index is out of range|invalid DB index)/.test(message))
    return new CmkdError(
      `${flag} '${redactUrl(url)}': that Redis has no database ${u?.pathname.slice(1) ?? '?'} (${message}): expected one below its 'databases' setting`,
      'invalid-option',
    );
  if (!/^(WRONGPASS|NOAUTH)\b|^ERR invalid (username-)?password/.test(message)) return null;
  const what = u?.password ? `refused the credentials (${message})` : `requires a password (${message.split(' ')[0]})`;
  return new CmkdError(
    `the queue at ${redactUrl(url)} ${what}: give that Redis's password in ${flag}, like redis://:password@host:6379/0`,
    'invalid-option',
  );
}

/**
 * Fails with the first refusal (refusedByRedis) any of `parts` reports;
 * their other errors (connection errors, retried) go to `other`. Never resolves.
 */
export function refusal(
  parts: { on(event: 'error', listener: (err: Error) => void): unknown }[],
  url: string,
  other: (err: Error) => void = () => undefined,
): Promise<never> {
  const refused = new Promise<never>((_, reject) => {
    for (const p of parts)
      p.on('error', (err: Error) => {
        const e = refusedByRedis(err, url);
        if (e) reject(e);
        else other(err);
      });
  });
  // Awaited only in races: not an unhandled rejection while none is running.
  refused.catch(() => undefined);
  return refused;
}

/** Resolves with `p`, or fails with `message` after `ms`. */
async function within<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CmkdError(message, 'interrupted')), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The run's queue token: kept in <run folder>/queue.json on --resume, new otherwise. */
async function runToken(outDir: string, resume: boolean): Promise<string> {
  const file = path.join(outDir, 'queue.json');
  if (resume) {
    try {
      const { token } = JSON.parse(await readFile(file, 'utf8')) as { token?: unknown };
      if (typeof token === 'string' && /^[0-9a-f-]{36}$/.test(token)) return token;
    } catch {
      // No earlier queued run in this folder: a new token.
    }
  }
  const token = randomUUID();
  await writeJsonAtomic(file, { token });
  return token;
}

interface Waiting {
  cell: Cell;
  resolve: (record: Json) => void;
  reject: (err: Error) => void;
}

type Bull = typeof import('bullmq');

/**
 * How an awaited job stands in Redis. Its state is read before the job: a job read first may
 * finish before its state is asked, and its copy would then say 'completed' without the record.
 */
export async function jobEnd(
  Job: Pick<Bull['Job'], 'fromId'>,
  queue: Pick<Queue, 'getJobState'>,
  jobId: string,
): Promise<'missing' | 'running' | { returnvalue: unknown } | { failedReason: string }> {
  const state = await queue.getJobState(jobId);
  if (state === 'unknown') return 'missing';
  if (state !== 'completed' && state !== 'failed') return 'running';
  // Finished jobs do not change; one removed meanwhile (after KEEP_SECONDS) is lost.
  const job = await Job.fromId(queue as Queue, jobId);
  if (!job) return 'missing';
  return state === 'completed' ? { returnvalue: job.returnvalue } : { failedReason: `${job.failedReason}` };
}

class QueueExecutor implements CellExecutor {
  private readonly waiting = new Map<string, Waiting>();
  private readonly ready: Promise<void>;
  private readonly poller: NodeJS.Timeout;
  private closed = false;
  private polling = false;
  /** When Redis last answered a poll (ms since the epoch). */
  private lastContact = Date.now();
  /** When a worker was last seen at work on this run's cells (taking, progressing or finishing one). */
  private lastWorked = Date.now();
  /** Whether onIdle was told (once per run). */
  private hinted = false;

  constructor(
    private readonly Job: Bull['Job'],
    private readonly queue: Queue,
    private readonly events: QueueEvents,
    private readonly token: string,
    private readonly recipe: WorkspaceRecipe,
    private readonly fingerprints: (cell: Cell) => string,
    private readonly reconnectMs: number,
    private readonly url: string,
    private readonly onProgress: ((ev: ProgressEvent) => void) | undefined,
    /** Ends ioredis's reconnecting. */
    private readonly stop: () => void,
    /** The queue key the jobs are signed with (none: unsigned). */
    private readonly key: string | undefined,
    /** Told once when no worker takes the cells (QueueTarget.onIdle), after idleMs. */
    private readonly onIdle: ((message: string) => void) | undefined,
    private readonly idleMs: number,
  ) {
    events.on('completed', ({ jobId, returnvalue }) => this.settle(jobId, { returnvalue }));
    events.on('failed', ({ jobId, failedReason }) => this.settle(jobId, { failedReason }));
    events.on('active', () => {
      this.lastWorked = Date.now();
    });
    events.on('progress', ({ jobId, data }) => {
      this.lastWorked = Date.now();
      if (this.waiting.has(jobId) && !this.closed && data && typeof data === 'object') this.onProgress?.(data as unknown as ProgressEvent);
    });
    this.ready = events.waitUntilReady().then(() => undefined);
    this.poller = setInterval(() => void this.poll(), POLL_MS);
  }

  private jobId(cell: Cell): string {
    return `cell-${fingerprintOf({ token: this.token, cell: this.fingerprints(cell) })}`;
  }

  async run(cell: Cell, deps: Record<string, Json>, outDir: string): Promise<Json> {
    if (this.closed) throw interrupted();
    await this.ready;
    const data: QueueJob = {
      recipe: this.recipe,
      cell,
      deps: encodeJson(deps),
      outDir: path.resolve(outDir),
      cwd: process.cwd(),
      backend: tf.getBackend() === 'tensorflow' ? 'native' : tf.getBackend(),
    };
    if (this.key !== undefined) data.sig = jobSignature(data, this.key);
    const size = Buffer.byteLength(JSON.stringify(data));
    if (size > MAX_JOB_BYTES)
      throw new CmkdError(`cell '${cell.id}' is ${size} bytes as a queue job, over the ${MAX_JOB_BYTES}-byte limit`, 'unsupported');
    const jobId = this.jobId(cell);
    const answer = new Promise<Json>((resolve, reject) => this.waiting.set(jobId, { cell, resolve, reject }));
    // An id already on the queue (a resumed run) is not added twice: its answer is awaited.
    const added = this.queue.add(cell.kind, data, {
      jobId,
      attempts: 1,
      removeOnComplete: { age: KEEP_SECONDS },
      removeOnFail: { age: KEEP_SECONDS },
    });
    // With Redis away, add() waits for the reconnect, and a connection dropped meanwhile (close)
    // leaves it pending for good: the answer failing (connection lost, or closed) ends the wait.
    added.catch(() => undefined);
    answer.catch(() => undefined);
    try {
      await Promise.race([added, answer]);
    } catch (err) {
      // Not queued: nothing to wait for (and the unanswered promise is dropped, not rejected).
      this.waiting.delete(jobId);
      throw err;
    }
    // Finished before the events listened (a resumed run's job)? The poll would see it too, later.
    this.check(jobId).catch(() => undefined);
    return answer;
  }

  private settle(jobId: string, end: { returnvalue?: unknown; failedReason?: string }): void {
    const w = this.waiting.get(jobId);
    if (!w) return;
    this.waiting.delete(jobId);
    this.lastWorked = Date.now();
    if (end.failedReason !== undefined) return w.reject(failureError(`${end.failedReason}`, w.cell.id));
    try {
      const value = end.returnvalue;
      const answer = (typeof value === 'string' ? JSON.parse(value) : value) as QueueAnswer;
      w.resolve(decodeJson(answer.record));
    } catch {
      w.reject(new Error(`cell '${w.cell.id}': the queue returned an unreadable record`));
    }
  }

  /** The state of one awaited job from Redis: settles it if it has finished, fails it if the queue lost it. */
  private async check(jobId: string): Promise<void> {
    const end = await jobEnd(this.Job, this.queue, jobId);
    this.lastContact = Date.now();
    const w = this.waiting.get(jobId);
    if (!w || end === 'running') return;
    if (end === 'missing') {
      this.waiting.delete(jobId);
      return w.reject(
        new CmkdError(
          `the queue at ${redactUrl(this.url)} lost cell '${w.cell.id}' (was Redis restarted without its data?); finished cells are kept: --resume continues the run`,
          'interrupted',
        ),
      );
    }
    this.settle(jobId, end);
  }

  /**
   * Every POLL_MS: asks Redis for the awaited jobs. While Redis is away the calls wait for the
   * reconnect; after `reconnectMs` without an answer the awaited cells fail with one line.
   */
  private async poll(): Promise<void> {
    if (this.closed) return;
    if (this.waiting.size === 0) {
      this.lastContact = Date.now();
      return;
    }
    if (Date.now() - this.lastContact > this.reconnectMs) {
      this.fail(
        new CmkdError(
          `lost the connection to the queue at ${redactUrl(this.url)} for ${Math.round(this.reconnectMs / 1000)} s; finished cells are kept: --resume continues the run`,
          'interrupted',
        ),
      );
      return;
    }
    if (this.polling) return;
    this.polling = true;
    try {
      for (const jobId of [...this.waiting.keys()]) await this.check(jobId);
      await this.idleHint();
    } catch {
      // Asked again at the next poll.
    } finally {
      this.polling = false;
    }
  }

  /**
   * Cells waiting for idleMs with no worker at any of them (none of them active): tells
   * onIdle, once, how to start a worker on this queue (its URL shown without the password).
   */
  private async idleHint(): Promise<void> {
    if (this.hinted || !this.onIdle || this.waiting.size === 0 || Date.now() - this.lastWorked < this.idleMs) return;
    // This run's cells only: another run's (or a dead worker's) active job says nothing of these.
    for (const jobId of [...this.waiting.keys()]) {
      if ((await this.queue.getJobState(jobId)) === 'active') {
        this.lastWorked = Date.now();
        return;
      }
    }
    this.hinted = true;
    const url = redactUrl(this.url);
    this.onIdle(
      `no worker has taken a cell from the queue at ${url} for ${Math.round(this.idleMs / 1000)} s; start one with: cmkd worker --queue ${url}${this.key === undefined ? '' : ' --queue-key <key>'} (same Redis database, a --root holding the run folder)`,
    );
  }

  /** Fails every awaited cell with `err` (the queue cannot answer them). */
  fail(err: Error): void {
    for (const [jobId, w] of this.waiting) {
      this.waiting.delete(jobId);
      w.reject(err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.poller);
    for (const [jobId, w] of this.waiting) {
      this.waiting.delete(jobId);
      w.reject(interrupted());
      // A cell no worker has taken yet is taken off the queue; a running one finishes and stays
      // in Redis for a resumed run.
      await within(
        this.queue.getJobState(jobId).then(async (state) => {
          // Taken by a worker meanwhile, the job is locked and BullMQ refuses to remove it.
          if (state === 'waiting') await this.queue.remove(jobId);
        }),
        2000,
        'timeout',
      ).catch(() => undefined);
    }
    // With Redis away, close() would wait for it: drop the connections at once.
    await shutDown([this.events, this.queue], this.stop, Date.now() - this.lastContact > 2 * POLL_MS ? 0 : 5000);
  }
}

/** `execute` through the Redis queue `queue.url`: `cmkd worker` processes run the cells. */
export async function executeOnQueue<W>(
  plan: readonly Cell[],
  o: ExecuteOptions<W> & { queue: QueueTarget; recipe: WorkspaceRecipe },
): Promise<Map<string, Json>> {
  let stopping = false;
  const stop = () => {
    stopping = true;
  };
  const connection = queueConnection(o.queue.url, '--queue', () => stopping);
  const { Job, Queue, QueueEvents } = await import('bullmq');
  const reconnectMs = o.queue.reconnectMs ?? RECONNECT_MS;
  const queue = new Queue(QUEUE_NAME, { connection });
  const events = new QueueEvents(QUEUE_NAME, { connection });
  // Connection errors are retried and, if they last, reported by the timeouts below (without a
  // listener bullmq would print each one); a refused password or database fails the run at once.
  const refused = refusal([queue, events], o.queue.url);
  try {
    await within(
      Promise.race([Promise.all([queue.waitUntilReady(), events.waitUntilReady()]), refused]),
      reconnectMs,
      `cannot reach the queue at ${redactUrl(o.queue.url)} within ${Math.round(reconnectMs / 1000)} s; is redis-server running there?`,
    );
  } catch (err) {
    await shutDown([events, queue], stop, 0);
    throw err;
  }
  let token: string;
  try {
    token = await runToken(o.store.runDir, o.store.resume);
  } catch (err) {
    await shutDown([events, queue], stop, 0);
    throw err;
  }
  const executor = new QueueExecutor(
    Job,
    queue,
    events,
    token,
    o.recipe,
    (cell) => cellFingerprint(o.store, cell),
    reconnectMs,
    o.queue.url,
    o.onProgress,
    stop,
    o.queue.key,
    o.queue.onIdle,
    o.queue.idleHintMs ?? IDLE_HINT_MS,
  );
  // A timer for as long as the run waits on the queue: whatever Redis leaves pending, Node does not
  // end the process (exit 0, in silence) while the run has neither finished nor failed.
  const alive = setInterval(() => undefined, 3600_000);
  refused.catch((err: Error) => executor.fail(err));
  try {
    return await executeScheduled(plan, o, executor);
  } finally {
    clearInterval(alive);
  }
}
