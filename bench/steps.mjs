// Per-step training cost at the product's own shapes: the budgets' default MLP (tables) and CNN
// (images), their batch size and Adam learning rate, one plain step, one KD step and one DisCoM-KD
// step, in cmkd (the real trainer: trainModel / trainDiscom) and in PyTorch (bench/steps_torch.py,
// the same models and losses), measured interleaved in one run so that the machine's load hits both.
//
//   npm run bench:steps                          # builds, then: node bench/steps.mjs
//   node bench/steps.mjs [--budget quick|standard|full] [--rounds 5] [--epochs 2] [--warmup 1]
//                        [--only mlp-plain,cnn-kd,...] [--profile] [--no-torch]
//
// Two long-lived children (one Node process running cmkd, one /usr/bin/python3 running PyTorch,
// both single-threaded) answer one command per line. Per round, every case runs `--epochs` epochs
// of 1,400 rows (the quick budget's 2,000 rows × 0.7) in cmkd, then in PyTorch; per-step CPU time
// is the process CPU time of those epochs over their steps. The warm-up rounds (--warmup, default one, of
// one epoch each) are not counted; V8 keeps optimising cmkd's JavaScript for several hundred steps.
// Figures are medians over the rounds. --profile adds, per cmkd case, one profiled epoch: time in
// kernels by op, time outside kernels (dispatch, tape, tidy, allocation and disposal), tensors
// allocated per step, and the time to gather a batch's rows.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import os from 'node:os';
import process from 'node:process';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROWS = 1400;
const TABLE_DIM = 216;
const IMAGE = [28, 28, 3];
const CLASSES = 10;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function parseArgs(argv) {
  const o = { budget: 'quick', rounds: 5, epochs: 2, warmup: 1, only: null, profile: false, torch: true, child: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--budget') o.budget = argv[++i];
    else if (a === '--rounds') o.rounds = Number(argv[++i]);
    else if (a === '--epochs') o.epochs = Number(argv[++i]);
    else if (a === '--warmup') o.warmup = Number(argv[++i]);
    else if (a === '--only') o.only = argv[++i].split(',');
    else if (a === '--profile') o.profile = true;
    else if (a === '--no-torch') o.torch = false;
    else if (a === '--child') o.child = true;
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

/** Deterministic synthetic data: features ~ N(0, 1), labels uniform over the classes. */
function synthetic(n, size, seed) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const x = new Float32Array(n * size);
  for (let i = 0; i < x.length; i++) x[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = Math.floor(uniform() * CLASSES);
  return { x, y };
}

// ---------------------------------------------------------------- cmkd child

async function cmkdChild() {
  const { initEngine, tf } = await import('../dist/engine/index.js');
  const { buildModel, makeSpec } = await import('../dist/models/index.js');
  const { trainModel } = await import('../dist/train/trainer.js');
  const { predictOutputs } = await import('../dist/train/predict.js');
  const { trainDiscom } = await import('../dist/train/discom/index.js');
  const { createObjective } = await import('../dist/kd/index.js');
  const { gatherRows, batchOrder } = await import('../dist/engine/step.js');
  const { resolveBudget } = await import('../dist/run/budget.js');
  const info = await initEngine({ backend: 'wasm', threads: 1, seed: 1 });

  const table = synthetic(ROWS, TABLE_DIM, 7);
  const image = synthetic(ROWS, IMAGE[0] * IMAGE[1] * IMAGE[2], 7);
  image.y = table.y; // paired rows for DisCoM-KD
  const cache = new Map();

  async function setup(c) {
    const key = `${c.budget}:${c.model}:${c.step}`;
    if (cache.has(key)) return cache.get(key);
    const b = resolveBudget(c.budget);
    const spec = (kind) =>
      kind === 'mlp'
        ? makeSpec('mlp', [TABLE_DIM], CLASSES, 'classification', b.table)
        : makeSpec('cnn', IMAGE, CLASSES, 'classification', b.image);
    const data = (kind) => (kind === 'mlp' ? table : image);
    let s;
    if (c.step === 'discom') {
      const run = (epochs) =>
        trainDiscom({
          modalities: [
            { name: 'table', kind: 'table', shape: [TABLE_DIM], train: table.x, backbone: { kind: 'mlp', ...b.table } },
            { name: 'image', kind: 'image', shape: IMAGE, train: image.x, backbone: { kind: 'cnn', ...b.image } },
          ],
          trainLabels: table.y,
          numClasses: CLASSES,
          epochs,
          batchSize: b.batchSize,
          lr: b.lr,
          augment: false,
          seed: 0,
        }).then((r) => Object.values(r.branches).forEach((m) => m.dispose()));
      s = { run, batchSize: b.batchSize };
    } else {
      const model = buildModel(spec(c.model), 0);
      const d = data(c.model);
      let teacher = null;
      if (c.step === 'kd') {
        // The teacher reads the other modality, as in cross-modal KD; its outputs are computed once per split.
        const other = c.model === 'mlp' ? 'cnn' : 'mlp';
        const t = buildModel(spec(other), 1);
        teacher = { model: t, x: data(other).x };
      }
      // The frozen teacher's outputs: computed once per split (distill.ts), timed apart from the steps.
      let outputs = null;
      const predict = async () => (outputs = await predictOutputs(teacher.model, teacher.x, ROWS, 256));
      if (teacher) await predict();
      const run = async (epochs) => {
        let distill;
        let objective = null;
        if (teacher) {
          objective = createObjective('kd', { task: 'classification' });
          distill = { objective, teacher: { logits: outputs.logits, embedding: outputs.embedding } };
        }
        await trainModel({
          model,
          train: { x: d.x, y: d.y, n: ROWS },
          task: 'classification',
          epochs,
          batchSize: b.batchSize,
          lr: b.lr,
          earlyStopping: false,
          seed: 0,
          distill,
        });
        objective?.dispose();
      };
      s = { run, batchSize: b.batchSize, model, d, teacher, predict: teacher ? predict : null };
    }
    cache.set(key, s);
    return s;
  }

  async function measure(c, epochs) {
    const s = await setup(c);
    const steps = Math.ceil(ROWS / s.batchSize) * epochs;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await s.run(epochs);
    const cpu = process.cpuUsage(c0);
    let teacherMs = null;
    if (s.predict) {
      const p0 = process.cpuUsage();
      await s.predict();
      const p = process.cpuUsage(p0);
      teacherMs = (p.user + p.system) / 1000;
    }
    return { cpuMs: (cpu.user + cpu.system) / 1000 / steps, wallMs: (performance.now() - t0) / steps, steps, teacherMs };
  }

  async function profile(c) {
    const s = await setup(c);
    const steps = Math.ceil(ROWS / s.batchSize);
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const p = await tf.profile(() => s.run(1));
    const wallMs = (performance.now() - t0) / steps;
    const cpu = process.cpuUsage(c0);
    // Leaf kernels only: 'name__op' entries are op wrappers that contain kernels listed on their own.
    const leaves = p.kernels.filter((k) => !k.name.endsWith('__op'));
    const byName = new Map();
    let outputs = 0;
    let bytes = 0;
    for (const k of leaves) {
      const e = byName.get(k.name) ?? { ms: 0, count: 0 };
      e.ms += k.kernelTimeMs;
      e.count++;
      byName.set(k.name, e);
      for (const shape of k.outputShapes) {
        outputs++;
        bytes += 4 * shape.reduce((a, b) => a * b, 1);
      }
    }
    const kernels = [...byName].map(([name, e]) => ({ name, ms: e.ms / steps, count: e.count / steps })).sort((a, b) => b.ms - a.ms);
    // Gathering a batch's rows (plain and KD steps: x, labels, and for KD the teacher's logits and embeddings).
    let gatherMs = null;
    if (s.d) {
      const shape = c.model === 'mlp' ? [TABLE_DIM] : IMAGE;
      const order = batchOrder(ROWS, { batchSize: s.batchSize, seed: 3 });
      const tl = new Float32Array(ROWS * CLASSES);
      const te = new Float32Array(ROWS * 64);
      const g0 = process.cpuUsage();
      for (let r = 0; r < 5; r++)
        for (const rows of order) {
          const ts = [gatherRows(s.d.x, shape, rows), gatherRows(s.d.y, [], rows)];
          if (s.teacher) ts.push(gatherRows(tl, [CLASSES], rows), gatherRows(te, [64], rows));
          tf.dispose(ts);
        }
      const g = process.cpuUsage(g0);
      gatherMs = (g.user + g.system) / 1000 / (5 * order.length);
    }
    return {
      cpuMs: (cpu.user + cpu.system) / 1000 / steps,
      wallMs,
      kernelMs: kernels.reduce((a, k) => a + k.ms, 0),
      kernelCount: kernels.reduce((a, k) => a + k.count, 0),
      newTensors: outputs / steps,
      newBytes: bytes / steps,
      gatherMs,
      kernels: kernels.slice(0, 14),
    };
  }

  const rl = createInterface({ input: process.stdin });
  process.stdout.write(`${JSON.stringify({ ready: true, tfjs: tf.version.tfjs, backend: info.backend, simd: info.wasm?.simd })}\n`);
  for await (const line of rl) {
    const cmd = JSON.parse(line);
    try {
      const out = cmd.profile ? await profile(cmd.case) : await measure(cmd.case, cmd.epochs);
      process.stdout.write(`${JSON.stringify(out)}\n`);
    } catch (e) {
      process.stdout.write(`${JSON.stringify({ error: e instanceof Error ? e.stack : String(e) })}\n`);
    }
  }
}

// ---------------------------------------------------------------- parent

/** A child answering one JSON command per line. */
function lineChild(cmd, args) {
  const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: proc.stdout });
  const waiting = [];
  lines.on('line', (l) => waiting.shift()?.resolve(JSON.parse(l)));
  proc.on('exit', (code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`${path.basename(args[0])} exited (${code}): ${stderr.slice(-2000)}`));
  });
  const next = () => new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  return {
    ready: next(),
    async ask(obj) {
      const p = next();
      proc.stdin.write(`${JSON.stringify(obj)}\n`);
      const r = await p;
      if (r.error) throw new Error(r.error);
      return r;
    },
    close: () => proc.stdin.end(),
  };
}

function torchVersion() {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.child) return cmkdChild();
  const { resolveBudget } = await import('../dist/run/budget.js');
  const b = resolveBudget(o.budget);
  const all = ['mlp-plain', 'mlp-kd', 'cnn-plain', 'cnn-kd', 'discom'];
  const cases = (o.only ?? all).map((name) => {
    const [model, step] = name === 'discom' ? ['mlp+cnn', 'discom'] : name.split('-');
    return { name, model, step, budget: o.budget };
  });
  const tv = o.torch ? torchVersion() : null;
  console.log(
    `steps bench, budget ${o.budget}: ${ROWS} rows, batch ${b.batchSize}, Adam(${b.lr}); MLP ${TABLE_DIM}→${b.table.hidden.join('→')}→${CLASSES}, ` +
      `CNN on ${IMAGE.join('×')}: conv${b.image.channels.join('/conv')} + dense${b.image.hidden.join('/')}; ` +
      `${o.rounds} rounds of ${o.epochs} epochs each after ${o.warmup === 1 ? 'one warm-up round' : `${o.warmup} warm-up rounds`}, interleaved; medians`,
  );
  console.log(
    `machine: ${os.cpus().length} logical CPUs (${os.cpus()[0]?.model}), load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; node ${process.version}; ${new Date().toISOString()}`,
  );
  if (o.torch && !tv) console.log('PyTorch: /usr/bin/python3 cannot import torch - cmkd only (apt-get install python3-torch adds it).');
  const cmkd = lineChild(process.execPath, [fileURLToPath(import.meta.url), '--child']);
  const head = await cmkd.ready;
  const torch = tv ? lineChild('/usr/bin/python3', [path.join(here, 'steps_torch.py')]) : null;
  if (torch) await torch.ready;
  console.log(`cmkd: TF.js ${head.tfjs} ${head.backend}${head.simd ? ' (SIMD)' : ''}, 1 thread; PyTorch: ${tv ?? 'absent'}, 1 thread`);

  const results = new Map(cases.map((c) => [c.name, { cmkd: [], torch: [], cmkdTeacher: [], torchTeacher: [] }]));
  const torchCase = (c) => ({ ...c, batchSize: b.batchSize, lr: b.lr, table: b.table, image: b.image });
  for (let round = 1 - o.warmup; round <= o.rounds; round++) {
    for (const c of cases) {
      const a = await cmkd.ask({ case: c, epochs: round <= 0 ? 1 : o.epochs });
      const t = torch && c.step !== 'discom' ? await torch.ask({ case: torchCase(c), epochs: round <= 0 ? 1 : o.epochs }) : null;
      if (round <= 0) continue; // warm-up
      results.get(c.name).cmkd.push(a.cpuMs);
      if (t) results.get(c.name).torch.push(t.cpuMs);
      if (a.teacherMs !== null) results.get(c.name).cmkdTeacher.push(a.teacherMs);
      if (t && t.teacherMs !== null) results.get(c.name).torchTeacher.push(t.teacherMs);
    }
    process.stderr.write(`round ${round}/${o.rounds} done${round <= 0 ? ' (warm-up)' : ''}\n`);
  }

  console.log('\nCPU ms per step (median over rounds; min–max in brackets)');
  console.log(`${'case'.padEnd(11)} ${'cmkd'.padStart(22)} ${'PyTorch'.padStart(22)} ${'ratio'.padStart(7)}`);
  const fmt = (xs) => (xs.length ? `${median(xs).toFixed(2)} (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)})` : '—');
  for (const c of cases) {
    const r = results.get(c.name);
    const ratio = r.torch.length ? `${(median(r.cmkd) / median(r.torch)).toFixed(2)}×` : '—';
    console.log(`${c.name.padEnd(11)} ${fmt(r.cmkd).padStart(22)} ${fmt(r.torch).padStart(22)} ${ratio.padStart(7)}`);
  }
  for (const c of cases) {
    const r = results.get(c.name);
    if (!r.cmkdTeacher.length) continue;
    const ratio = r.torchTeacher.length ? `${(median(r.cmkdTeacher) / median(r.torchTeacher)).toFixed(2)}×` : '—';
    console.log(
      `${(c.name + ' teacher').padEnd(11)} ${fmt(r.cmkdTeacher).padStart(22)} ${fmt(r.torchTeacher).padStart(22)} ${ratio.padStart(7)}  ` +
        `(CPU ms for the frozen teacher's outputs on all ${ROWS} training rows, once per split; not in the step)`,
    );
  }
  if (cases.some((c) => c.step === 'discom'))
    console.log('(discom: two branches, table MLP + image CNN, one joint step; no PyTorch counterpart here)');

  if (o.profile) {
    console.log(
      '\ncmkd profile: one epoch under tf.profile (wall ms per step; the profiler syncs and times every kernel, inflating the step):',
    );
    for (const c of cases) {
      const p = await cmkd.ask({ case: c, profile: true });
      console.log(
        `${c.name}: ${p.wallMs.toFixed(2)} ms (CPU ${p.cpuMs.toFixed(2)}); in kernels ${p.kernelMs.toFixed(2)} ms over ${p.kernelCount.toFixed(0)} kernel calls; ` +
          `outside kernels (dispatch, tape, tidy, allocation/disposal, loop) ${(p.wallMs - p.kernelMs).toFixed(2)} ms; ` +
          `${p.newTensors.toFixed(0)} tensors (${(p.newBytes / 1024).toFixed(0)} KiB) allocated; ` +
          (p.gatherMs === null ? '' : `gathering the batch ${p.gatherMs.toFixed(3)} ms`),
      );
      console.log(`   by op: ${p.kernels.map((k) => `${k.name} ${k.ms.toFixed(2)} (${k.count.toFixed(0)}×)`).join(', ')}`);
    }
  }
  cmkd.close();
  torch?.close();
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
