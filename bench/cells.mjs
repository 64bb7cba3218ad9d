// Cells per hour on each executor, in one run: the same `cmkd run` in one process (--workers 1),
// on 2 local worker processes (--workers 2), and through a Redis queue served by 1 and by 2
// `cmkd worker` processes (--queue, workers started beforehand), each timed as a whole command.
// The queue's overhead per cell is a lone worker's idle time between the end of one cell and the
// start of the next: the record's trip back, the submitter's stage write, the next job's trip
// out. Every executor's output folder is checked identical to the one-process run's (stage files,
// models and queue.json aside). The ceiling row runs two independent one-process runs at once:
// 2 × (one run's cells) in its wall time is what two processes can do on this machine at all,
// whatever the executor.
//
//   npm run bench:cells                       # builds, then runs everything
//   node bench/cells.mjs [--n 2000] [--repeats 3] [--max-steps 264] [--only seq,pool2,queue1,queue2,ceiling]
//
// The queue runs need Debian's redis-server (CMKD_REDIS_SERVER overrides /usr/bin/redis-server);
// without it they are skipped, saying so.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.join(here, '..', 'dist', 'cli', 'main.js');
const REDIS = process.env.CMKD_REDIS_SERVER ?? '/usr/bin/redis-server';

const opts = { n: 2000, repeats: 3, maxSteps: 264, only: ['seq', 'pool2', 'queue1', 'queue2', 'ceiling'] };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--n') opts.n = Number(process.argv[++i]);
  else if (a === '--repeats') opts.repeats = Number(process.argv[++i]);
  else if (a === '--max-steps') opts.maxSteps = Number(process.argv[++i]);
  else if (a === '--only') opts.only = process.argv[++i].split(',');
  else throw new Error(`unknown argument ${a}`);
}

const spec = `digits?n=${opts.n}&modalities=profiles,blocks,fourier`;
const runArgs = (out) => [
  'run',
  spec,
  '--student',
  'profiles',
  '--repeats',
  String(opts.repeats),
  '--max-steps',
  String(opts.maxSteps),
  '--out',
  out,
  '--quiet',
];
const work = mkdtempSync(path.join(tmpdir(), 'cmkd-bench-cells-'));

function timed(args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cmkd ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}

/** Seconds until every one of `argsList`'s commands, started together, has finished. */
async function timedTogether(argsList) {
  const t0 = performance.now();
  await Promise.all(
    argsList.map(
      (args) =>
        new Promise((resolve, reject) => {
          const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
          let err = '';
          child.stderr.on('data', (d) => (err += d));
          child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`cmkd ${args.join(' ')} failed (${code}): ${err}`))));
        }),
    ),
  );
  return (performance.now() - t0) / 1000;
}

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function startRedis() {
  const port = await freePort();
  const child = spawn(REDIS, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', work], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise((resolve) => child.stdout.on('data', (d) => /Ready to accept/.test(String(d)) && resolve()));
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

/** `k` cmkd worker processes, ready; each keeps the times its 'started' and 'done' lines arrived. */
async function startWorkers(url, k) {
  const workers = Array.from({ length: k }, () => {
    const child = spawn(process.execPath, [cli, 'worker', '--queue', url], { stdio: ['ignore', 'ignore', 'pipe'] });
    const events = [];
    let partial = '';
    const ready = new Promise((resolve) =>
      child.stderr.on('data', (d) => {
        const lines = (partial + String(d)).split('\n');
        partial = lines.pop();
        for (const line of lines) {
          if (/worker ready/.test(line)) resolve();
          // The worker stamps its lines: times of its own, not of when the pipe delivered them.
          const m = /^cmkd worker: (\S+) (started|done) (\S+)/.exec(line);
          if (m) events.push({ type: m[2], cell: m[3], at: Date.parse(m[1]) });
        }
      }),
    );
    return { child, events, ready };
  });
  await Promise.all(workers.map((w) => w.ready));
  const stop = () => Promise.all(workers.map((w) => new Promise((resolve) => (w.child.once('exit', resolve), w.child.kill('SIGTERM')))));
  return { stop, events: () => workers.map((w) => w.events) };
}

/** A lone worker's idle gaps: from the end of one cell to the start of the next, what the queue costs each cell (its first cell, which also loads the data, aside). */
function gaps(events) {
  const out = [];
  for (let i = 1; i < events.length; i++)
    if (events[i].type === 'started' && events[i - 1].type === 'done') out.push(events[i].at - events[i - 1].at);
  return out;
}

function same(a, b) {
  const r = spawnSync(
    process.execPath,
    [path.join(here, '..', 'scripts', 'same-outputs.mjs'), a, b, '--skip', 'stages,models,queue.json'],
    { encoding: 'utf8' },
  );
  return r.status === 0 ? 'identical' : `DIFFERENT: ${(r.stdout + r.stderr).trim().split('\n').slice(0, 3).join('; ')}`;
}

console.log(`cmkd run ${spec} --student profiles --repeats ${opts.repeats} --max-steps ${opts.maxSteps}`);
console.log(
  `load average before: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; ${new Date().toISOString()}`,
);
const rows = [];
const seqOut = path.join(work, 'seq');
const seq = timed([...runArgs(seqOut), '--workers', '1']);
const cells = readdirSync(path.join(seqOut, 'stages')).length;
rows.push({ executor: 'one process (--workers 1)', s: seq, check: 'reference' });
if (opts.only.includes('pool2')) {
  const out = path.join(work, 'pool2');
  rows.push({ executor: '2 local workers (--workers 2)', s: timed([...runArgs(out), '--workers', '2']), check: same(seqOut, out) });
}
let queue1 = null;
if (opts.only.some((m) => m.startsWith('queue'))) {
  if (!existsSync(REDIS)) console.log(`queue runs skipped: no redis-server at ${REDIS} (apt-get install -y redis-server)`);
  else {
    const redis = await startRedis();
    try {
      for (const k of [1, 2]) {
        if (!opts.only.includes(`queue${k}`)) continue;
        const workers = await startWorkers(redis.url, k);
        const out = path.join(work, `queue${k}`);
        const s = timed([...runArgs(out), '--queue', redis.url]);
        await workers.stop();
        if (k === 1) queue1 = gaps(workers.events()[0]);
        rows.push({ executor: `Redis queue, ${k} cmkd worker${k > 1 ? 's' : ''}`, s, check: same(seqOut, out) });
      }
    } finally {
      redis.stop();
    }
  }
}
if (opts.only.includes('ceiling')) {
  const outs = ['ceiling-a', 'ceiling-b'].map((d) => path.join(work, d));
  const s = await timedTogether(outs.map((out) => [...runArgs(out), '--workers', '1']));
  rows.push({ executor: 'ceiling: 2 one-process runs at once', s, runs: 2, check: outs.map((out) => same(seqOut, out)).join(', ') });
}
console.log(`${cells} cells per run\n`);
console.log(['executor'.padEnd(34), 'wall s'.padStart(8), 'cells/hour'.padStart(11), 'speed-up'.padStart(9), '  output'].join(''));
for (const r of rows)
  console.log(
    [
      r.executor.padEnd(34),
      r.s.toFixed(1).padStart(8),
      Math.round((((r.runs ?? 1) * cells) / r.s) * 3600)
        .toString()
        .padStart(11),
      `${(((r.runs ?? 1) * seq) / r.s).toFixed(2)}x`.padStart(9),
      `  ${r.check}`,
    ].join(''),
  );
if (queue1 !== null && queue1.length) {
  const sorted = [...queue1].sort((a, b) => a - b);
  const mean = queue1.reduce((a, b) => a + b, 0) / queue1.length;
  console.log(
    `\nqueue overhead per cell (1 worker: from the end of a cell to the start of the next, over ${queue1.length} cells): mean ${mean.toFixed(0)} ms, median ${sorted[sorted.length >> 1].toFixed(0)} ms, max ${sorted[sorted.length - 1].toFixed(0)} ms`,
  );
}
console.log(
  `load average after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);
rmSync(work, { recursive: true, force: true });
