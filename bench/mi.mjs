// KSG benchmark: cmkd's k-d tree KSG against sklearn's mutual_info_regression on the same data.
// Run: npm run bench:mi   (builds, then imports ../dist/). Timing figures depend on the machine's load.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gaussianMI, ksgMI } from '../dist/mi/index.js';
import { register } from 'node:module';

// The samplers are test-only (not built into dist/): load their source through the hooks the tests use.
register('../src/run/ts-hooks.mjs', import.meta.url);
const { correlatedGaussians } = await import('../src/mi/testdata.ts');

const PYTHON = '/usr/bin/python3';
const REPEATS = Number(process.env.BENCH_REPEATS ?? 5);

function median(a) {
  const s = [...a].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)];
}

/** Median wall and CPU time (user + system, this process) of fn over `repeats` runs. */
function time(fn, repeats, warmups = 3) {
  for (let w = 0; w < warmups; w++) fn(); // let V8 optimise the hot loops first
  const times = [];
  const cpu = [];
  let value;
  for (let r = 0; r < repeats; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    value = fn(r);
    times.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { value, ms: median(times), cpuMs: median(cpu) };
}

function sklearnAvailable() {
  try {
    execFileSync(PYTHON, ['-c', 'import sklearn'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const fmt = (v, digits = 4) => (v === undefined || v === null ? '-' : v.toFixed(digits));
const pad = (s, w) => String(s).padStart(w);

const haveSklearn = sklearnAvailable();
console.log(
  `cmkd KSG benchmark (k = 3, max-norm, median of ${REPEATS} runs after warm-ups: 3 for cmkd's JIT, 1 for sklearn), node ${process.version}`,
);
if (!haveSklearn) {
  console.log(
    `sklearn: NOT AVAILABLE (${PYTHON} cannot import sklearn; on Debian: apt-get install python3-sklearn). Showing cmkd's figures only.`,
  );
}

// 1-d: x ~ N(0, 1), y = 10·(ρx + √(1−ρ²)e), ρ = 0.5: exact I = −½ log(1 − ρ²) = 0.1438 nats.
const dir = mkdtempSync(path.join(tmpdir(), 'cmkd-bench-mi-'));
try {
  // Warm the JIT on a mid-sized sample first, as a long-running process would be.
  const warm = correlatedGaussians(20000, [0.5], 1, 10);
  for (let r = 0; r < 5; r++) ksgMI(warm.x, 1, warm.y, 1, 20000, { seed: r });
  console.log('\n1-d, sigma1 = 1, sigma2 = 10, rho = 0.5 (exact 0.1438 nats)');
  console.log('(times: wall ms, and CPU ms of the process in brackets; CPU time is less disturbed by a shared machine)');
  const header = ['n', 'exact', 'cmkd MI', 'cmkd ms', 'sklearn MI', 'sklearn ms', '|diff|', 'speed-up', 'CPU ratio'];
  console.log(header.map((h) => pad(h, 15)).join(''));
  for (const n of [1000, 10000, 50000]) {
    const p = correlatedGaussians(n, [0.5], 2024, 10);
    const cmkd = time((r = 0) => ksgMI(p.x, 1, p.y, 1, n, { k: 3, seed: r }), REPEATS);
    let sk = null;
    if (haveSklearn) {
      const file = path.join(dir, `xy-${n}.f64`);
      const buf = new Float64Array(2 * n);
      buf.set(p.x, 0);
      buf.set(p.y, n);
      writeFileSync(file, Buffer.from(buf.buffer));
      sk = JSON.parse(
        execFileSync(PYTHON, [path.join(import.meta.dirname, 'mi_sklearn.py'), file, String(n), String(REPEATS)], { encoding: 'utf8' }),
      );
    }
    const cmkdClipped = Math.max(0, cmkd.value);
    const ms = (t) => (t ? `${fmt(t.ms, 1)} (${fmt(t.cpuMs, 1)})` : '-');
    console.log(
      [
        n,
        fmt(p.exact),
        fmt(cmkdClipped),
        ms(cmkd),
        fmt(sk?.mi),
        ms(sk && { ms: sk.ms, cpuMs: sk.cpu_ms }),
        sk ? Math.abs(cmkdClipped - sk.mi).toExponential(1) : '-',
        sk ? `${fmt(sk.ms / cmkd.ms, 2)}x` : '-',
        sk ? `${fmt(sk.cpu_ms / cmkd.cpuMs, 2)}x` : '-',
      ]
        .map((c) => pad(c, 15))
        .join(''),
    );
  }

  // Higher dimensions: x, y ∈ R^d, corr(x_i, y_i) = 0.5 for every i: exact I = d·0.1438 nats. KSG's
  // known negative bias in high dimensions shows here; the Gaussian closed form is the reference.
  console.log('\nd-dimensional x and y, corr(x_i, y_i) = 0.5 (exact d * 0.1438 nats); KSG vs Gaussian closed form');
  console.log(['d', 'n', 'exact', 'KSG', 'KSG ms', 'Gaussian', 'Gauss ms'].map((h) => pad(h, 11)).join(''));
  for (const [d, n] of [
    [10, 1000],
    [10, 10000],
    [50, 1000],
    [50, 5000],
  ]) {
    const p = correlatedGaussians(n, Array(d).fill(0.5), 7 + d, 1);
    const slow = n * d > 100000;
    const ksg = time((r = 0) => ksgMI(p.x, d, p.y, d, n, { k: 3, seed: r }), slow ? 1 : 3, slow ? 0 : 1);
    const gauss = time(() => gaussianMI(p.x, d, p.y, d, n).value, 3, 1);
    console.log([d, n, fmt(p.exact), fmt(ksg.value), fmt(ksg.ms, 0), fmt(gauss.value), fmt(gauss.ms, 1)].map((c) => pad(c, 11)).join(''));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
