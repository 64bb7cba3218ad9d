#!/usr/bin/env node
// FeatKD(out) against FeatKD(emb), paired by split, over sweeps run with --feature-modes output,embedding.
//
//   for pair in textured:pixels textured:blocks pixels:blocks ...; do
//     cmkd sweep digits --student ${pair%%:*} --teacher ${pair##*:} --quick --methods feature \
//       --feature-modes output,embedding --out runs/featmode/${pair%%:*}-${pair##*:}
//   done
//   node scripts/feature-modes.mjs runs/featmode/*
//
// Per sweep: each mode's mean gain over the no-KD student (weighted F1, the splits it ran) with its
// outcome, and out − emb on the splits both ran (mean ± se). Over the sweeps: the mean of out − emb
// with a 95% bootstrap interval by sweep (seeded) and how many favour each mode.
import fs from 'node:fs';
import path from 'node:path';
import process from 'node:process';

const dirs = process.argv.slice(2).filter((d) => fs.existsSync(path.join(d, 'results.json')));
if (dirs.length === 0) {
  console.error(
    'usage: node scripts/feature-modes.mjs <sweep folder>... (folders with results.json of sweeps with --feature-modes output,embedding)',
  );
  process.exit(2);
}
const mean = (x) => x.reduce((a, b) => a + b, 0) / x.length;
const sd = (x) => Math.sqrt(x.reduce((a, b) => a + (b - mean(x)) ** 2, 0) / (x.length - 1));
const pts = (x) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}`;
const diffs = [];
for (const dir of dirs) {
  const r = JSON.parse(fs.readFileSync(path.join(dir, 'results.json'), 'utf8'));
  const by = {};
  for (const c of r.cells) (by[c.row] ??= {})[c.repeat] = c.test.f1Weighted;
  const [st, out, emb] = [by.student, by['feature@mode=output'], by['feature@mode=embedding']];
  if (!st || !out || !emb) {
    console.error(`${dir}: no feature@mode=output and feature@mode=embedding rows; skipped`);
    continue;
  }
  const effect = Object.fromEntries(r.table.rows.map((row) => [row.id, row.effect]));
  const gains = (m) =>
    Object.keys(m)
      .filter((k) => k in st)
      .map((k) => m[k] - st[k]);
  const both = Object.keys(out).filter((k) => k in emb);
  const d = both.map((k) => out[k] - emb[k]);
  diffs.push(mean(d));
  console.log(
    `${path.basename(dir).padEnd(22)} out ${pts(mean(gains(out)))} (${gains(out).length} splits, ${effect['feature@mode=output']})  emb ${pts(mean(gains(emb)))} (${gains(emb).length}, ${effect['feature@mode=embedding']})  out − emb ${pts(mean(d))} ± ${((100 * sd(d)) / Math.sqrt(d.length)).toFixed(2)} (${d.length} splits)`,
  );
}
// Seeded bootstrap of the sweeps' mean difference.
let s = 27;
const uniform = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
const boots = Array.from({ length: 4000 }, () => mean(diffs.map(() => diffs[Math.floor(uniform() * diffs.length)]))).sort((a, b) => a - b);
console.log(
  `${diffs.length} sweeps: out − emb ${pts(mean(diffs))} pts [${pts(boots[99])}, ${pts(boots[3899])}] (95% bootstrap by sweep); out better on ${diffs.filter((x) => x > 0).length}, emb on ${diffs.filter((x) => x < 0).length}`,
);
