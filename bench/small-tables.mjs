// Small tabular data: the run's table model (an MLP at the quick budget, or a linear model) against the nearest-centroid
// baseline, over the splits a `cmkd run` of the same rows takes (stratified 5-fold below 300 rows,
// random 70/10/20 at 300), trained as the run's cells train (src/run/prepare.ts runCells).
//
//   npm run build && node bench/small-tables.mjs [--n 40,80,120] [--splits 10] [--configs default,wide,fit,...] [--beds digits,gaussian,gaussian1000] [--seed 0]
//
// Test beds: the built-in digits' table views (blocks, profiles, fourier) subsampled to n rows as
// `--samples n` does, and the CCH paper's joint Gaussian (src/experiments/cch-gaussian, p = 20,
// teacher clarity 0.8, student clarity 0.4) with y cut at its terciles into 3 classes, and with
// p = 1000 cut at its median into 2 classes (--beds gaussian1000). Each line:
// test weighted F1, mean ± sd over the splits, and the paired difference from nearest centroid.
import process from 'node:process';

const { initEngine } = await import('../dist/engine/index.js');
const { loadDataset } = await import('../dist/data/index.js');
const { baselineScore } = await import('../dist/run/baseline.js');
const { trainOnModality, evaluateModel } = await import('../dist/train/index.js');
const { budgetTraining, resolveRunBudget, tableFit, trainingSchedule } = await import('../dist/run/budget.js');
const { planSplits } = await import('../dist/data/rows.js');
const { capRows } = await import('../dist/run/run-options.js');
const { latentFactorModel, sampleJoint } = await import('../dist/experiments/cch-gaussian/model.js');
const { makeRng } = await import('../dist/util/rng.js');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const NS = arg('n', '40,80,120').split(',').map(Number);
const SPLITS = Number(arg('splits', '10'));
// --seed s: another draw of every bed (the digits' subsample, the Gaussian sample and the splits); 0 is the tables' in docs/your-own-data.md.
const SEED = Number(arg('seed', '0'));
const BEDS = arg('beds', 'digits,gaussian,gaussian1000').split(',');

// What each configuration changes of the quick budget (flags of `cmkd run`; es: the early stopping of the run's cells).
const CONFIGS = {
  // The quick budget's table MLP: hidden [64, 64], dropout 0.1, 264 steps, best epoch by validation accuracy (a tie keeps the earlier).
  default: { arch: {}, budget: {} },
  wide: { arch: { hidden: [256, 256] }, budget: {} },
  wide512: { arch: { hidden: [512, 512] }, budget: {} },
  widenodrop: { arch: { hidden: [256, 256], dropout: 0 }, budget: {} },
  half: { arch: {}, budget: { maxSteps: 132 } },
  steps2x: { arch: {}, budget: { maxSteps: 528 } },
  steps4x: { arch: {}, budget: { maxSteps: 1056 } },
  wide4x: { arch: { hidden: [256, 256] }, budget: { maxSteps: 1056 } },
  // Best epoch by validation loss.
  loss: { arch: {}, budget: {}, es: { metric: 'val_loss' } },
  wideloss: { arch: { hidden: [256, 256] }, budget: {}, es: { metric: 'val_loss' } },
  steps4xloss: { arch: {}, budget: { maxSteps: 1056 }, es: { metric: 'val_loss' } },
  wide4xloss: { arch: { hidden: [256, 256] }, budget: { maxSteps: 1056 }, es: { metric: 'val_loss' } },
  // Validation accuracy, a tie taking the later epoch (a negative minDelta counts an equal score as better).
  ties: { arch: {}, budget: {}, es: { minDelta: -1e-9 } },
  wideties: { arch: { hidden: [256, 256] }, budget: {}, es: { minDelta: -1e-9 } },
  // Softmax regression on the standardised features (--model linear): the quick budget's steps, dropout 0.1 before the logits.
  linear: { kind: 'linear', arch: {}, budget: {} },
  // What a classification run on small tables trains (src/run/budget.ts tableFit): logistic regression, full batch, 300 steps, C = 0.1, the last step kept.
  fit: { fit: {} },
  // The same with scikit-learn's default C = 1.
  fitc1: { fit: { c: 1 } },
  linearnodrop: { kind: 'linear', arch: { dropout: 0 }, budget: {} },
  linearloss: { kind: 'linear', arch: {}, budget: {}, es: { metric: 'val_loss' } },
  // Decoupled weight decay at the flag's largest value (--optimizer adamw --weight-decay 1): each step also multiplies w by 1 − lr.
  linearwd: { kind: 'linear', arch: {}, budget: {}, train: { optimizer: 'adamw', weightDecay: 1 } },
  // 10× the quick budget's learning rate (2e-3): Adam moves each weight by about lr a step, and one layer has no depth to make up for it.
  linearlr: { kind: 'linear', arch: {}, budget: {}, train: { lr: 2e-2 } },
  linearlrloss: { kind: 'linear', arch: {}, budget: {}, train: { lr: 2e-2 }, es: { metric: 'val_loss' } },
};
const configs = arg('configs', 'default,wide').split(',');

// p = 20 features per modality and 3 classes (y's terciles); 'gaussian1000': p = 1000 and 2 classes (y's median), as an omics table is.
function gaussianDataset(n, seed, p = 20, classes = 3, name = 'gaussian') {
  const model = latentFactorModel({ shared: 0.4, teacherSpecific: 0.2, studentSpecific: 0.1, teacherClarity: 0.8, studentClarity: 0.4 }, p);
  const s = sampleJoint(model, n, makeRng(seed));
  const sorted = Array.from(s.y).sort((a, b) => a - b);
  const cut = Array.from({ length: classes - 1 }, (_, k) => sorted[Math.floor(((k + 1) * n) / classes)]);
  const labels = Int32Array.from(s.y, (v) => cut.filter((c) => v >= c).length);
  return {
    name: `${name}-${n}`,
    n,
    modalities: [
      { name: 'x1', kind: 'table', shape: [p], data: Float32Array.from(s.x1) },
      { name: 'x2', kind: 'table', shape: [p], data: Float32Array.from(s.x2) },
    ],
    task: { kind: 'classification', classes: ['low', 'mid', 'high'].slice(0, classes) },
    labels,
  };
}

// 'gaussreg': the joint Gaussian's y itself (p = 20 per modality), a regression task scored in test MSE against least squares.
function gaussianRegression(n, seed) {
  const model = latentFactorModel(
    { shared: 0.4, teacherSpecific: 0.2, studentSpecific: 0.1, teacherClarity: 0.8, studentClarity: 0.4 },
    20,
  );
  const s = sampleJoint(model, n, makeRng(seed));
  return {
    name: `gaussreg-${n}`,
    n,
    modalities: [
      { name: 'x1', kind: 'table', shape: [20], data: Float32Array.from(s.x1) },
      { name: 'x2', kind: 'table', shape: [20], data: Float32Array.from(s.x2) },
    ],
    task: { kind: 'regression' },
    labels: Float32Array.from(s.y),
  };
}

async function modelScore(ds, name, split, r, cfg) {
  const quick = resolveRunBudget('quick', cfg.budget ?? {}, { architecture: cfg.arch });
  const b = cfg.fit ? tableFit(quick, { ...tableFit(quick).fit, ...cfg.fit }) : quick;
  const s = trainingSchedule(b, split.train.length);
  const training = cfg.fit
    ? budgetTraining(b, split.train.length)
    : {
        lr: b.lr,
        epochs: s.epochs,
        batchSize: b.batchSize,
        earlyStopping: { patience: s.patience, metric: 'val_metric', minEpochs: s.minEpochs, ...cfg.es },
      };
  const trained = await trainOnModality(ds, {
    ...training,
    seed: r,
    modality: name,
    split,
    kind: b.model ?? cfg.kind ?? 'mlp',
    architecture: b.table,
    ...cfg.train,
  });
  try {
    const ev = await evaluateModel(trained.model, trained.prepared.test.x, trained.prepared.test.y, ds.task);
    return { f1: ds.task.kind === 'regression' ? ev.summary.mse : ev.summary.f1Weighted, epochs: s.epochs, best: trained.result.bestEpoch };
  } finally {
    trained.model.dispose();
  }
}

const ms = (xs) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
  return `${m.toFixed(3)} ± ${sd.toFixed(3)}`;
};

await initEngine();
const digits = BEDS.includes('digits') ? await loadDataset('digits') : null;
const beds = [];
for (const n of NS) {
  if (digits) beds.push({ ds: capRows(digits, n, SEED), modalities: ['blocks', 'profiles', 'fourier'] });
  if (BEDS.includes('gaussian')) beds.push({ ds: gaussianDataset(n, 7 + SEED), modalities: ['x1', 'x2'] });
  if (BEDS.includes('gaussreg')) beds.push({ ds: gaussianRegression(n, 7 + SEED), modalities: ['x1', 'x2'] });
  if (BEDS.includes('gaussian1000')) beds.push({ ds: gaussianDataset(n, 7 + SEED, 1000, 2, 'gaussian1000'), modalities: ['x1'] });
}
console.log(`bed\tn\tmodality\tconfig\tepochs\tbest epochs\tF1 (mean ± sd over ${SPLITS} splits)\tminus nearest centroid`);
for (const { ds, modalities } of beds) {
  const { splits } = planSplits(ds, SPLITS, SEED);
  for (const m of modalities) {
    const nc = splits.map((s) => baselineScore(ds, m, s));
    console.log(`${ds.name.split('-')[0]}\t${ds.n}\t${m}\tnearest centroid\t\t\t${ms(nc)}`);
    for (const c of configs) {
      const out = [];
      for (let r = 0; r < splits.length; r++) out.push(await modelScore(ds, m, splits[r], r, CONFIGS[c]));
      const f1 = out.map((o) => o.f1);
      console.log(
        `${ds.name.split('-')[0]}\t${ds.n}\t${m}\t${c}\t${out[0].epochs}\t${out.map((o) => o.best).join(',')}\t${ms(f1)}\t${ms(f1.map((v, i) => v - nc[i]))}`,
      );
    }
  }
}
