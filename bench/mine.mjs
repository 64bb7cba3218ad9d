// MINE benchmark: CPU and wall time of one Donsker–Varadhan run and one InfoNCE run (default
// settings, seed 0) on the same Gaussian sample with a known MI.
// Run: npm run bench:mine, or after npm run build: node bench/mine.mjs [n] [rho,rho,...]
// (default n = 10000, ρ = 0.8,0.6,0.4: 3 + 3 columns, corr(x_i, y_i) = ρ_i). One run each:
// figures depend on the machine's load.
import { mineMI, networkFeatures } from '../dist/mi/index.js';
import { register } from 'node:module';

// The samplers are test-only (not built into dist/): load their source through the hooks the tests use.
register('../src/run/ts-hooks.mjs', import.meta.url);
const { correlatedGaussians } = await import('../src/mi/testdata.ts');

const n = Number(process.argv[2] ?? 10000);
const rhos = (process.argv[3] ?? '0.8,0.6,0.4').split(',').map(Number);
const d = rhos.length;
const p = correlatedGaussians(n, rhos, 2024);
const fx = networkFeatures({ data: p.x, n, d });
const fy = networkFeatures({ data: p.y, n, d });
console.log(`n = ${n}, ${d} + ${d} columns, rho = ${rhos.join(', ')}: exact I = ${p.exact.toFixed(4)} nats; node ${process.version}`);

for (const bound of ['dv', 'infonce']) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await mineMI(fx.data, fx.d, fy.data, fy.d, n, { bound, seed: 0 });
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  const batch = r.batchSize === undefined ? '' : `, batch ${r.batchSize}`;
  console.log(
    `${bound.padEnd(8)} value ${r.value.toFixed(4)} (exact ${p.exact.toFixed(4)}, error ${(r.value - p.exact).toFixed(4)}), ` +
      `${r.epochs} epochs (best ${r.bestEpoch})${batch}: CPU ${cpu.toFixed(1)} s, wall ${wall.toFixed(1)} s`,
  );
}
