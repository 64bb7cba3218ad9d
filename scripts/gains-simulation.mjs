#!/usr/bin/env node
// The simulation tables of docs/decisions.md ("Decided answers about gains"): seeded, deterministic.
//
//   npm run build && node scripts/gains-simulation.mjs [--reps 4000]
//
// Table 1 compares ways to decide one gain from per-split gains that overlap (random 70/10/20
// splits): today's plain t-interval over 3 splits, the Nadeau–Bengio corrected interval at a fixed
// 3 or 12 splits, group-sequential repeated confidence intervals at looks 3, 5, 8, 12 with Pocock- or
// O'Brien–Fleming-type spending, and an anytime-valid confidence sequence looking after every split.
// Table 2 runs the deploy decision over 9 candidates, adding splits only for the open ones.
import { deployDecision } from '../dist/metrics/gains.js';
import {
  confidenceSequenceDecider,
  extendedDecider,
  fixedDecider,
  sequentialDecider,
  sequentialRun,
  simulateClaims,
  simulateDeploy,
  todaysRun,
} from '../dist/metrics/gains-testdata.js';

const at = process.argv.indexOf('--reps');
const reps = at > 0 ? Number(process.argv[at + 1]) : 4000;
if (!(Number.isInteger(reps) && reps > 0)) {
  console.error(`--reps: expected a positive integer; got ${process.argv[at + 1]}`);
  process.exit(2);
}

const nTrain = 700;
const nTest = 200;
const r = nTest / nTrain;
const rho = r / (1 + r);
const looks = [3, 5, 8, 12];
const pct = (x) => `${(100 * x).toFixed(1)}%`;

const models = [
  {
    title: `Correlated normal: g_r = μ + u + e_r, corr ρ = ${rho.toFixed(3)} between splits (= r/(1+r), r = n_test/n_train = ${r.toFixed(3)}), sd τ = 1, δ = 1.5`,
    model: { kind: 'correlated', rho, tau: 1 },
    delta: 1.5,
    mus: [0, 0.5, 1, 1.5, 2.5],
  },
  {
    title:
      'Finite pool: 1000 rows drawn once per dataset (per-row paired gain ∈ {−1, 0, +1}, 16% of rows differ), each split tests 200 of them (shared between splits) + training noise sd 0.01, δ = 0.05',
    model: { kind: 'pool', rows: 1000, testFraction: 0.2, disagree: 0.08, noise: 0.01 },
    delta: 0.05,
    mus: [0, 0.02, 0.05, 0.08],
  },
];

const deciders = (delta) => [
  ['today: plain t, 3 splits', fixedDecider(3, 1 / 3, delta)],
  ['Nadeau–Bengio t, 3 splits', fixedDecider(3, 1 / 3 + r, delta)],
  ['Nadeau–Bengio t, 12 splits', fixedDecider(12, 1 / 12 + r, delta)],
  ['sequential, Pocock-type', sequentialDecider({ scheme: 'random', nTrain, nTest, looks, delta, spending: 'pocock' })],
  ["sequential, O'Brien–Fleming-type", sequentialDecider({ scheme: 'random', nTrain, nTest, looks, delta, spending: 'obrien-fleming' })],
  ...[0.1, 0.3, 1].map((c) => [`confidence sequence (Lai), c = ${c}`, confidenceSequenceDecider({ first: 3, cap: 12, r, c, delta })]),
];

/**
 * One table of claims: a row per [name, decider], a column per true effect μ (seed `seed + column`); each cell:
 * decided · mean splits used · wrong claims (gain / loss / no practical effect).
 */
function claimsTable(title, first, rows, o) {
  console.log(`${title}\n`);
  console.log(`| ${first} | ${o.mus.map((mu) => `μ = ${mu}`).join(' | ')} |`);
  console.log(`|---|${o.mus.map(() => '---').join('|')}|`);
  for (const [name, decide] of rows) {
    const cells = o.mus.map((mu, i) => {
      const s = simulateClaims(decide, o.model, mu, o.delta, reps, o.seed + i);
      return `${pct(s.decided)} · ${s.meanSplits.toFixed(1)} · ${pct(s.wrong.gain)}/${pct(s.wrong.loss)}/${pct(s.wrong.none)}`;
    });
    console.log(`| ${name} | ${cells.join(' | ')} |`);
  }
  console.log('');
}

console.log(
  `Seeded; ${reps} simulated datasets per cell. Cell: decided (any of the three outcomes) · mean splits used · wrong claims (gain / loss / no practical effect).\n`,
);
for (const { title, model, delta, mus } of models)
  claimsTable(`**${title}**`, 'method', deciders(delta), { model, mus, delta, seed: 1000 });

// Table 1b: the run's default from 300 rows on, stratified 10-fold with looks 3, 5, 8 inside one round (disjoint
// test parts, plain factor 1/R), against the overlap-corrected design on the same per-split gains.
{
  const delta = 0.05;
  const base = { nTrain: 1575, nTest: 200, looks: [3, 5, 8], delta };
  claimsTable(
    '**Finite pool of 2000 rows dealt into 10 folds** (split r tests fold r: disjoint test parts; training noise sd 0.01, δ = 0.05)',
    'design',
    [
      ['10-fold, looks 3, 5, 8, factor 1/R', sequentialDecider({ ...base, scheme: 'kfold', folds: 10 })],
      ['same gains, overlap-corrected factor 1/R + n_test/n_train', sequentialDecider({ ...base, scheme: 'random' })],
    ],
    {
      model: { kind: 'pool', rows: 2000, testFraction: 0.1, disagree: 0.08, noise: 0.01, folds: 10 },
      mus: [0, 0.02, 0.05, 0.08],
      delta,
      seed: 2000,
    },
  );
}

// Table 1c: raising the cap after a run ended (`--max-repeats 10 --resume` on a run whose looks were 3, 5, 8): the gains
// undecided at 8 get splits 9 and 10 and are decided with the looks re-planned to 3, 5, 8, 10. npm start's regime:
// the students disagree on about 12% of the rows (scripts/test-noise.mjs), training noise sd 0.02, δ = 0.01.
{
  const delta = 0.01;
  const base = { nTrain: 1575, nTest: 200, delta, scheme: 'kfold', folds: 10 };
  claimsTable(
    '**Raising the cap after looking** (2000 rows in 10 folds, 12% of rows discordant, training noise sd 0.02, δ = 0.01)',
    'design',
    [
      ['looks 3, 5, 8 (the quick budget)', sequentialDecider({ ...base, looks: [3, 5, 8] })],
      ['looks 3, 5, 8, 10 planned from the start', sequentialDecider({ ...base, looks: [3, 5, 8, 10] })],
      ['looks 3, 5, 8, then raised to 10 for the undecided', extendedDecider({ ...base, looks: [3, 5, 8] }, 10)],
    ],
    {
      model: { kind: 'pool', rows: 2000, testFraction: 0.1, disagree: 0.06, noise: 0.02, folds: 10 },
      mus: [0, 0.01, 0.02, 0.04],
      delta,
      seed: 4000,
    },
  );
}

const configs = [
  ['none helps (9 × 0)', Array(9).fill(0)],
  ['4 hurt (−0.5), 5 do nothing', [-0.5, -0.5, -0.5, -0.5, 0, 0, 0, 0, 0]],
  ['one helps (2.5), 8 do nothing', [2.5, 0, 0, 0, 0, 0, 0, 0, 0]],
  ['graded (2, 1.5, 1, 0.5, 5 × 0)', [2, 1.5, 1, 0.5, 0, 0, 0, 0, 0]],
  ['all help a little (9 × 1.5)', Array(9).fill(1.5)],
];
const deployReps = Math.max(1, Math.round(reps / 2));
console.log(
  `**Deploy decision over 9 candidates** (correlated normal as above, gains of different candidates correlated 1/2 through the shared no-KD student; ${deployReps} runs per cell). Cell: deploys a student whose true gain ≤ 0 (family-wise error) · deploys a truly helping one · deploys the best · splits reached · distilled trainings.\n`,
);
console.log('| truth | rule | error | power | best | splits | trainings |');
console.log('|---|---|---|---|---|---|---|');
for (const [name, mus] of configs) {
  const rules = [
    ['today: plain t over 3 splits, uncorrected', todaysRun(3)],
    ...['pocock', 'obrien-fleming'].map((spending) => {
      const d = { scheme: 'random', nTrain, nTest, looks, delta: 1.5, spending };
      return [
        `sequential + Holm, ${spending === 'pocock' ? 'Pocock' : "O'Brien–Fleming"}-type`,
        sequentialRun(d, (c) => deployDecision(c, d).chosen),
      ];
    }),
  ];
  for (const [rule, run] of rules) {
    const s = simulateDeploy(mus, { rho, tau: 1, reps: deployReps, seed: 77 }, run);
    console.log(
      `| ${name} | ${rule} | ${pct(s.error)} | ${pct(s.power)} | ${pct(s.best)} | ${s.meanSplits.toFixed(1)} | ${s.meanTrainings.toFixed(1)} |`,
    );
  }
}
