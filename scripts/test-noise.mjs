// How much of a finished run's per-split gain spread comes from its test rows, and the narrowest
// interval its rows allow, whatever the number of splits or the design.
//
//   npm run build && node scripts/test-noise.mjs <run folder>
//
// For every distilled student with a saved model and the no-KD student of the same split, the
// script predicts the split's test rows again (the run's own splits and standardisation, rebuilt
// from settings.json) and counts the discordant rows p (one of the two right, the other wrong).
// The per-row difference d_i ∈ {−1, 0, 1} has variance p − g² (g the accuracy gain), so the gain of
// one split on m test rows has a test-sampling sd of √((p − g²)/m), and a gain measured once on all
// n rows one of √((p − g²)/n): data-sampling
// noise that more splits or seeds cannot remove, so a 95% interval on n rows is at least about
// ±1.96·√(p/n). It checks itself: each rebuilt no-KD student must score the test accuracy its
// stage record holds. Runs of the built-in budgets without --samples; a folder of the run's own
// models (models/r<k>/...).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { prepareRun } from '../dist/run/prepare.js';
import { loadTeacher } from '../dist/train/distill.js';
import { prepareModality } from '../dist/train/pipeline.js';
import { predictOutputs } from '../dist/train/predict.js';

const run = process.argv[2];
if (!run || !fs.existsSync(path.join(run, 'settings.json'))) {
  console.error('usage: node scripts/test-noise.mjs <run folder> (a folder with settings.json and models/)');
  process.exit(2);
}
const s = JSON.parse(fs.readFileSync(path.join(run, 'settings.json'), 'utf8'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmkd-test-noise-'));
const p = await prepareRun({
  dataset: s.dataset,
  student: s.student,
  budget: s.budget.name,
  seed: s.seed,
  splits: s.splits,
  repeats: s.repeats === 'auto' ? 'auto' : s.repeats,
  // Splits up to the folder's last (a resumed run may have passed the budget's cap); split r depends on the seed and r alone.
  ...(s.repeats === 'auto' ? { maxRepeats: Math.max(2, fs.readdirSync(path.join(run, 'models')).length) } : {}),
  outDir: tmp,
});
fs.rmSync(tmp, { recursive: true, force: true });
const w = p.workspace.cells;

const argmax = (logits, k) => {
  const c = new Int32Array(logits.length / k);
  for (let i = 0; i < c.length; i++) {
    let b = 0;
    for (let j = 1; j < k; j++) if (logits[i * k + j] > logits[i * k + b]) b = j;
    c[i] = b;
  }
  return c;
};
async function correct(dir, split, prepared) {
  const m = await loadTeacher(dir, w.ds, split.seed);
  const y = prepared.test.y;
  const o = await predictOutputs(m.model, prepared.test.x, y.length);
  m.model.dispose();
  const c = argmax(o.logits, o.logitsSize);
  return Array.from(c, (x, i) => x === y[i]);
}

const models = (r) => fs.readdirSync(path.join(run, 'models', `r${r}`));
const names = models(0).filter((x) => !x.startsWith('teacher') && x !== 'student');
const stats = new Map();
let rows = 0;
let splits = 0;
for (let r = 0; fs.existsSync(path.join(run, 'models', `r${r}`)); r++) {
  const split = w.split(r);
  // The student's rows standardised on the split's training rows, as every student of the split was trained.
  const prepared = prepareModality(w.ds, s.student, split);
  const base = await correct(path.join(run, 'models', `r${r}`, 'student'), split, prepared);
  const recorded = JSON.parse(fs.readFileSync(path.join(run, 'stages', `r${r}-student.json`), 'utf8')).result.test.accuracy;
  const rebuilt = base.filter(Boolean).length / base.length;
  if (Math.abs(rebuilt - recorded) > 1e-9) {
    console.error(
      `split ${r + 1}: the rebuilt no-KD student scores accuracy ${rebuilt}, its record ${recorded}; the splits were not rebuilt as the run made them`,
    );
    process.exit(1);
  }
  rows += base.length;
  splits += 1;
  for (const name of names) {
    const dir = path.join(run, 'models', `r${r}`, name);
    if (!fs.existsSync(path.join(dir, 'model.json'))) continue;
    const kd = await correct(dir, split, prepared);
    const st = stats.get(name) ?? { discordant: 0, rows: 0, gains: [] };
    let disc = 0;
    let diff = 0;
    for (let i = 0; i < kd.length; i++) {
      disc += kd[i] !== base[i] ? 1 : 0;
      diff += (kd[i] ? 1 : 0) - (base[i] ? 1 : 0);
    }
    st.discordant += disc;
    st.rows += kd.length;
    st.gains.push(diff / kd.length);
    stats.set(name, st);
  }
}
const pts = (x) => (100 * x).toFixed(2).padStart(6);
console.log(`${run}: ${s.dataset}, student '${s.student}', ${w.ds.n} rows; ${splits} splits, ${rows / splits} test rows each`);
console.log(
  'model                   splits  discordant  gain (acc, pts)  sd between splits  test-sampling sd per split  on all rows  95% half-width floor',
);
for (const [name, st] of stats) {
  const R = st.gains.length;
  const mean = st.gains.reduce((a, b) => a + b, 0) / R;
  const sd = Math.sqrt(st.gains.reduce((a, b) => a + (b - mean) ** 2, 0) / (R - 1));
  const pDisc = st.discordant / st.rows;
  // Var d_i = p − g², d_i ∈ {−1, 0, 1} the per-row difference; the mean of m rows: (p − g²)/m
  const perSplit = Math.sqrt((pDisc - mean * mean) / (st.rows / R));
  const all = Math.sqrt((pDisc - mean * mean) / w.ds.n);
  console.log(
    `${name.padEnd(22)}  ${String(R).padStart(6)}  ${(100 * pDisc).toFixed(1).padStart(9)}%  ${pts(mean)}           ${pts(sd)}             ${pts(perSplit)}             ${pts(all)}      ±${pts(1.96 * all).trim()}`,
  );
}
