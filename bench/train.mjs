// Training-speed benchmark: one epoch of an MLP and a small CNN in cmkd (TF.js wasm) and,
// when /usr/bin/python3 can import torch, the same models in PyTorch on the CPU.
//
//   npm run bench:train                       # builds, then runs everything
//   node bench/train.mjs --epochs 3 --threads 1,2 --models mlp,cnn [--profile]
//
// Each (model, threads) configuration runs in its own child process (the engine is set up
// once per process); the child runs one warm-up epoch, then --epochs timed epochs, and
// reports every epoch time and its peak RSS. Figures are medians over the timed epochs.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import process from 'node:process';

const here = path.dirname(fileURLToPath(import.meta.url));
const N = 10_000;
const BATCH = 128;
const LR = 1e-3;

function parseArgs(argv) {
  const opts = { epochs: 3, threads: [1, 2], models: ['mlp', 'cnn'], profile: false, child: null, torch: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--epochs') opts.epochs = Number(argv[++i]);
    else if (a === '--threads') opts.threads = argv[++i].split(',').map(Number);
    else if (a === '--models') opts.models = argv[++i].split(',');
    else if (a === '--profile') opts.profile = true;
    else if (a === '--no-torch') opts.torch = false;
    else if (a === '--child') opts.child = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  return opts;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Deterministic synthetic data: features ~ N(0, 1), labels uniform over 10 classes. */
function syntheticData(sampleSize, seed) {
  let s = seed >>> 0;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  const x = new Float32Array(N * sampleSize);
  for (let i = 0; i < x.length; i++) x[i] = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const y = new Int32Array(N);
  for (let i = 0; i < N; i++) y[i] = Math.floor(uniform() * 10);
  return { x, y };
}

async function runChild(model, threads, epochs, profile) {
  const { initEngine, tf } = await import('../dist/engine/index.js');
  const { batchOrder, gatherRows, LossMeter, trainStep } = await import('../dist/engine/step.js');
  const info = await initEngine({ backend: 'wasm', threads, seed: 1 });
  const seed = (k) => tf.initializers.glorotUniform({ seed: k });
  let net;
  let sampleShape;
  if (model === 'mlp') {
    sampleShape = [100];
    net = tf.sequential({
      layers: [
        tf.layers.dense({ inputShape: [100], units: 256, activation: 'relu', kernelInitializer: seed(1) }),
        tf.layers.dense({ units: 256, activation: 'relu', kernelInitializer: seed(2) }),
        tf.layers.dense({ units: 10, kernelInitializer: seed(3) }),
      ],
    });
  } else {
    sampleShape = [28, 28, 1];
    net = tf.sequential({
      layers: [
        tf.layers.conv2d({
          inputShape: [28, 28, 1],
          filters: 32,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: seed(1),
        }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: seed(2) }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 128, activation: 'relu', kernelInitializer: seed(3) }),
        tf.layers.dense({ units: 10, kernelInitializer: seed(4) }),
      ],
    });
  }
  const data = syntheticData(
    sampleShape.reduce((a, b) => a * b, 1),
    7,
  );
  const optimizer = tf.train.adam(LR);
  const step = (rows) => {
    const x = gatherRows(data.x, sampleShape, rows);
    const labels = gatherRows(data.y, [], rows);
    const loss = trainStep(optimizer, () =>
      tf.tidy(() => tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 10), net.apply(x, { training: true }))),
    );
    tf.dispose([x, labels]);
    return loss;
  };
  const epoch = (e) => {
    const meter = new LossMeter();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (const rows of batchOrder(N, { batchSize: BATCH, seed: 100 + e })) meter.add(step(rows), rows.length);
    const loss = meter.mean();
    meter.dispose();
    const cpu = process.cpuUsage(c0);
    return { seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6, loss };
  };
  epoch(-1); // warm-up: kernel setup, XNNPACK operator caches, JIT
  const results = [];
  for (let e = 0; e < epochs; e++) results.push(epoch(e));
  let kernels = null;
  if (profile) {
    const rows = batchOrder(N, { batchSize: BATCH, seed: 0 })[0];
    const p = await tf.profile(() => step(rows).dispose());
    const byName = new Map();
    for (const k of p.kernels) byName.set(k.name, (byName.get(k.name) ?? 0) + k.kernelTimeMs);
    kernels = [...byName].sort((a, b) => b[1] - a[1]).map(([name, ms]) => ({ name, ms }));
  }
  const out = {
    model,
    threads: info.wasm?.threadCount ?? 1,
    epochs: results.map((r) => r.seconds),
    cpu: results.map((r) => r.cpuSeconds),
    loss: results.map((r) => r.loss),
    peakRssMB: process.resourceUsage().maxRSS / 1024,
    kernels,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function child(args) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`child ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

function torchAvailable() {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function runTorch(model, epochs, threads) {
  const r = spawnSync(
    '/usr/bin/python3',
    [path.join(here, 'train_torch.py'), '--model', model, '--epochs', String(epochs), '--threads', String(threads)],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
    },
  );
  if (r.status !== 0) throw new Error(`train_torch.py ${model} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.child) {
    const [model, threads] = opts.child.split(':');
    await runChild(model, Number(threads), opts.epochs, opts.profile);
    return;
  }
  const os = await import('node:os');
  console.log(`train bench: ${N} samples, batch ${BATCH}, Adam(${LR}); ${opts.epochs} timed epochs after one warm-up; medians`);
  console.log(
    `machine: ${os.cpus().length} logical CPUs (${os.cpus()[0]?.model}), load average ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; node ${process.version}`,
  );
  const torchVersion = opts.torch ? torchAvailable() : null;
  if (opts.torch && !torchVersion) {
    console.log('PyTorch: /usr/bin/python3 cannot import torch - no PyTorch comparison (apt-get install python3-torch to add it).');
  }
  const rows = [];
  for (const model of opts.models) {
    // PyTorch on 1 and 2 threads; ratios are against the faster (on a busy 2-core machine
    // OpenMP's second thread often slows it down).
    const torchRuns = torchVersion ? [1, 2].map((t) => runTorch(model, opts.epochs, t)) : [];
    const torch = torchRuns.length ? torchRuns.reduce((a, b) => (median(a.epochs) <= median(b.epochs) ? a : b)) : null;
    for (const threads of opts.threads) {
      const args = ['--child', `${model}:${threads}`, '--epochs', String(opts.epochs)];
      if (opts.profile) args.push('--profile');
      const r = child(args);
      const sec = median(r.epochs);
      rows.push({ model, threads: r.threads, sec, epochs: r.epochs, rss: r.peakRssMB, torch });
      const cpu = median(r.cpu);
      const ratio = torch
        ? ` | ${(sec / median(torch.epochs)).toFixed(1)}× PyTorch's best (${torch.threads} thread${torch.threads > 1 ? 's' : ''}, ${median(torch.epochs).toFixed(2)} s)`
        : '';
      console.log(
        `${model.toUpperCase().padEnd(4)} cmkd wasm ${r.threads} thread${r.threads > 1 ? 's' : ' '}: ${sec.toFixed(2)} s/epoch, CPU ${cpu.toFixed(2)} s ` +
          `(epochs ${r.epochs.map((s) => s.toFixed(2)).join(', ')}; loss ${r.loss.at(-1).toFixed(3)}), peak RSS ${r.peakRssMB.toFixed(0)} MB${ratio}`,
      );
      if (r.kernels) {
        const total = r.kernels.reduce((s, k) => s + k.ms, 0);
        console.log(
          `     one step by kernel (${total.toFixed(1)} ms in kernels): ${r.kernels
            .slice(0, 10)
            .map((k) => `${k.name} ${k.ms.toFixed(1)}`)
            .join(', ')}`,
        );
      }
    }
    for (const t of torchRuns) {
      console.log(
        `${model.toUpperCase().padEnd(4)} PyTorch ${t.version} ${t.threads} thread${t.threads > 1 ? 's' : ' '}: ${median(t.epochs).toFixed(2)} s/epoch, CPU ${median(t.cpu).toFixed(2)} s ` +
          `(epochs ${t.epochs.map((s) => s.toFixed(2)).join(', ')}), peak RSS ${t.peakRssMB.toFixed(0)} MB`,
      );
    }
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
