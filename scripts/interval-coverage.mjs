// Coverage of the CCH interval over repeats (src/criteria/repeats.ts) by simulation, as the
// markdown table in docs/methods.md ("Intervals over repeats"). Run: npm run build && node scripts/interval-coverage.mjs
import { simulateRepeatsCoverage } from '../dist/criteria/repeats-coverage.js';

const trials = 4000;
const rows = 400;
const pct = (x) => `${(100 * x).toFixed(1)}%`;
const lines = [
  `| R | splits | σ_t | ρ (measured) | coverage, SE² = s²/R + ρ·mean(se²) | coverage before, SE² = s²/R + mean(se²)/R |`,
  '|---|---|---|---|---|---|',
];
for (const repeats of [3, 5, 10])
  for (const scheme of ['random', 'kfold'])
    for (const trainingSd of [0, 1]) {
      const r = simulateRepeatsCoverage({ repeats, scheme, trainingSd, trials, rows, seed: 1 });
      lines.push(
        `| ${repeats} | ${scheme === 'random' ? 'random 70/10/20' : '5-fold'} | ${trainingSd === 0 ? '0' : 'σ_e'} | ${r.overlap.toFixed(2)} | ${pct(r.coverage)} | ${pct(r.coverageBefore)} |`,
      );
    }
process.stdout.write(`95% intervals, ${trials} trials per row, ${rows} rows (held-out sets of 120).\n\n${lines.join('\n')}\n`);
