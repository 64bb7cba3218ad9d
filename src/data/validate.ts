/**
 * Checks a MultimodalDataset (loaded or built in memory) against the invariants every module
 * relies on; the first fault becomes a CmkdError naming the modality, its file, and the
 * sample/row and column at fault.
 */
import { CmkdError } from '../util/errors.js';
import { columnName, featureSize, MODALITY_NAME, MODALITY_NAME_RULE } from './access.js';
import type { Modality, ModalityTable, MultimodalDataset } from './types.js';

/** Where value k of sample i of m lives, in the words of its source file. */
export function locateValue(m: Modality, i: number, k: number): string {
  const src = m.source ? ` (${m.source})` : '';
  const csv = m.source?.toLowerCase().endsWith('.csv');
  const col = m.columns?.[k];
  if (m.kind === 'image' && m.shape.length === 3) {
    const [, w, c] = m.shape;
    const y = Math.floor(k / (w * c));
    const x = Math.floor(k / c) % w;
    const ch = k % c;
    const pixel = `value ${k} (y=${y}, x=${x}, c=${ch})`;
    return `modality '${m.name}'${src} ${csv ? `row ${i + 1}` : `sample ${i}`}, ${col ? `column '${col}' = ` : ''}${pixel}`;
  }
  if (csv && col) return `modality '${m.name}'${src} row ${i + 1}, column '${col}'`;
  return `modality '${m.name}'${src} sample ${i}, ${col ? `column '${col}'` : `feature ${k}`}`;
}

/** The modalities' checks of validateDataset, for data without labels; returns its argument. */
export function validateModalities<T extends ModalityTable>(ds: T): T {
  const fail = (msg: string): never => {
    throw new CmkdError(`dataset '${ds.name}': ${msg}`, 'invalid-input');
  };
  if (!Number.isInteger(ds.n) || ds.n < 1) fail(`n must be a positive integer; got ${ds.n}`);
  if (!Array.isArray(ds.modalities) || ds.modalities.length === 0) fail('has no modalities; expected at least one');

  const seen = new Set<string>();
  for (const m of ds.modalities) {
    if (typeof m.name !== 'string' || m.name.length === 0) fail('a modality has an empty name');
    if (!MODALITY_NAME.test(m.name)) fail(`modality name ${JSON.stringify(m.name)} is not allowed: use ${MODALITY_NAME_RULE}`);
    if (seen.has(m.name)) fail(`duplicate modality name '${m.name}'; modality names must be unique`);
    seen.add(m.name);
    const where = `modality '${m.name}'${m.source ? ` (${m.source})` : ''}`;
    if (m.kind !== 'table' && m.kind !== 'image') fail(`${where}: unknown kind '${String(m.kind)}'; expected table or image`);
    if (!Array.isArray(m.shape) || m.shape.some((s) => !Number.isInteger(s) || s < 1)) {
      fail(`${where}: shape [${String(m.shape)}] must be positive integers`);
    }
    if (m.kind === 'table' && m.shape.length !== 1) fail(`${where}: a table has shape [d]; got [${m.shape.join(', ')}]`);
    if (m.kind === 'image' && m.shape.length !== 3) fail(`${where}: an image has shape [H, W, C]; got [${m.shape.join(', ')}]`);
    if (!(m.data instanceof Float32Array)) fail(`${where}: data must be a Float32Array`);
    const d = featureSize(m);
    if (m.data.length !== ds.n * d) {
      const rows = m.data.length / d;
      fail(
        Number.isInteger(rows)
          ? `row counts differ: ${where} has ${rows} samples but the dataset has n = ${ds.n}`
          : `${where}: ${m.data.length} values is not a whole number of samples of ${d} values (shape [${m.shape.join(', ')}])`,
      );
    }
    if (m.columns && m.columns.length !== d) fail(`${where}: ${m.columns.length} column names for ${d} features`);
    for (let idx = 0; idx < m.data.length; idx++) {
      const v = m.data[idx];
      if (!Number.isFinite(v)) {
        const i = Math.floor(idx / d);
        const what = Number.isNaN(v)
          ? 'NaN (an empty, NA or NaN cell)'
          : `${v} (infinite, or beyond ±3.4e38, the largest magnitude of a 32-bit float, which cmkd stores features as)`;
        fail(`${locateValue(m, i, idx % d)}: value is ${what}; expected a finite number`);
      }
    }
  }
  return ds;
}

/** Throws CmkdError on the first fault; returns the dataset so calls can chain. */
export function validateDataset(ds: MultimodalDataset): MultimodalDataset {
  validateModalities(ds);
  const fail = (msg: string): never => {
    throw new CmkdError(`dataset '${ds.name}': ${msg}`, 'invalid-input');
  };
  if (!ds.labels || ds.labels.length !== ds.n) {
    fail(`row counts differ: ${ds.labels?.length ?? 0} labels for n = ${ds.n} samples`);
  }
  const task = ds.task;
  if (!task || (task.kind !== 'classification' && task.kind !== 'regression')) {
    fail(`unknown task kind '${String((task as { kind?: unknown } | undefined)?.kind)}'; expected classification or regression`);
  }
  if (task.kind === 'classification') {
    const k = task.classes?.length ?? 0;
    if (k < 2) fail(`classification needs at least 2 classes; got ${k}${k ? ` (${task.classes.join(', ')})` : ''}`);
    if (new Set(task.classes).size !== k) fail('class names must be unique');
    if (!(ds.labels instanceof Int32Array)) fail('classification labels must be an Int32Array of class indices');
    for (let i = 0; i < ds.n; i++) {
      const y = ds.labels[i];
      if (y < 0 || y >= k) fail(`label of sample ${i} is ${y}; expected a class index in 0..${k - 1}`);
    }
  } else {
    if (!(ds.labels instanceof Float32Array)) fail('regression targets must be a Float32Array');
    for (let i = 0; i < ds.n; i++) {
      if (!Number.isFinite(ds.labels[i])) fail(`regression target of sample ${i} is ${ds.labels[i]}; expected a finite number`);
    }
  }
  return ds;
}

/**
 * Class imbalance is warned when the largest class has more than this many times the rows of the
 * smallest (present) class: beyond it accuracy mostly rewards predicting the large classes, and a
 * small class's per-class metrics rest on few test rows.
 */
export const IMBALANCE_RATIO = 3;

/**
 * A feature "predicts the label alone" when a rule on that one column gets at least this share
 * right, held out (classification: balanced accuracy of the per-value majority rule, leave-one-out;
 * regression: R² of a straight line). No real feature of a cross-modal task is that good; a copy of
 * the label (a class column read as a feature) is.
 */
export const LEAK_ACCURACY = 0.99;

/**
 * Above this many distinct values (or √n, if fewer) a column is cut into that many equal-width bins
 * (a threshold rule); √n bins keep about √n rows in each, so the leave-one-out majority has rows to vote.
 */
const LEAK_BINS = 256;

/** A feature column that gives the label away. */
export interface LabelLeak {
  modality: string;
  column: string;
  /** 'equals': one value per class and one class per value (or equal to the regression target); 'predicts': above LEAK_ACCURACY. */
  kind: 'equals' | 'predicts';
  /** Classification: leave-one-out balanced accuracy of the column's rule; regression: R² of the line. */
  score: number;
  /** The concatenations of the dataset that hold this column too (the run's fusion teacher), with its name there. */
  fused?: { modality: string; parts: string[]; column: string }[];
}

/**
 * Classification: leave-one-out balanced accuracy of "predict the majority class of the other
 * rows with this value" (values are the column's own when it has few distinct ones, else
 * equal-width bins between its min and max, which makes it a threshold rule); a row alone in
 * its value predicts nothing and counts as wrong. O(n) per column. Also whether values and classes
 * map one to one.
 */
function classLeakScore(col: Float32Array, labels: Int32Array, k: number): { score: number; oneToOne: boolean } {
  const n = col.length;
  const bins = Math.max(2, Math.min(LEAK_BINS, Math.floor(Math.sqrt(n))));
  let keys = new Map<number, number>();
  const group = new Int32Array(n);
  for (let i = 0; i < n && keys.size <= bins; i++) {
    let g = keys.get(col[i]);
    if (g === undefined) keys.set(col[i], (g = keys.size));
    group[i] = g;
  }
  const binned = keys.size > bins;
  if (binned) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      if (col[i] < lo) lo = col[i];
      if (col[i] > hi) hi = col[i];
    }
    const width = (hi - lo) / bins;
    keys = new Map();
    for (let i = 0; i < n; i++) {
      const g = Number.isFinite(width) && width > 0 ? Math.min(bins - 1, Math.floor((col[i] - lo) / width)) : 0;
      group[i] = g;
      keys.set(g, g);
    }
  }
  const groups = bins + 1;
  const counts = new Int32Array(groups * k);
  for (let i = 0; i < n; i++) counts[group[i] * k + labels[i]]++;
  const right = new Int32Array(k);
  const total = new Int32Array(k);
  for (let i = 0; i < n; i++) {
    const g = group[i] * k;
    const y = labels[i];
    total[y]++;
    const own = counts[g + y] - 1;
    let wins = own > 0;
    for (let c = 0; c < k && wins; c++) if (c !== y && counts[g + c] >= own) wins = false;
    if (wins) right[y]++;
  }
  let sum = 0;
  let present = 0;
  for (let c = 0; c < k; c++) {
    if (total[c] === 0) continue;
    sum += right[c] / total[c];
    present++;
  }
  // One to one: every value group holds one class, and every class one value group.
  let oneToOne = !binned;
  const groupOf = new Int32Array(k).fill(-1);
  for (let g = 0; g < groups && oneToOne; g++) {
    let seen = -1;
    for (let c = 0; c < k; c++) {
      if (counts[g * k + c] === 0) continue;
      if (seen >= 0 || groupOf[c] >= 0) oneToOne = false;
      seen = c;
      groupOf[c] = g;
    }
  }
  return { score: present ? sum / present : 0, oneToOne };
}

/** Regression: whether the column equals the target, and R² of the least-squares line through it. */
function targetLeakScore(col: Float32Array, y: Float32Array): { score: number; equal: boolean } {
  const n = col.length;
  let mx = 0;
  let my = 0;
  let equal = true;
  for (let i = 0; i < n; i++) {
    mx += col[i];
    my += y[i];
    if (col[i] !== y[i]) equal = false;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (col[i] - mx) * (y[i] - my);
    sxx += (col[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return { score: sxx > 0 && syy > 0 ? (sxy * sxy) / (sxx * syy) : 0, equal };
}

/** The concatenations of `ds` (Modality.parts) whose every part is one of its modalities: their columns are their parts'. */
function concatenations(ds: ModalityTable): Modality[] {
  return ds.modalities.filter((m) => m.parts?.every((p) => ds.modalities.some((x) => x.name === p)));
}

/** Where column `j` of modality `m` stands in each concatenation of `ds` that holds `m`. */
function fusedColumns(ds: ModalityTable, m: Modality, j: number): NonNullable<LabelLeak['fused']> {
  return concatenations(ds)
    .filter((f) => f.parts!.includes(m.name))
    .map((f) => {
      const parts = f.parts!;
      const before = parts.slice(0, parts.indexOf(m.name)).reduce((a, p) => a + featureSize(ds.modalities.find((x) => x.name === p)!), 0);
      return { modality: f.name, parts: [...parts], column: columnName(f, before + j) };
    });
}

/**
 * Table columns that give the label away: equal to it, or predicting it alone at LEAK_ACCURACY or
 * better (classLeakScore, targetLeakScore). Image modalities are not searched (a pixel is no label
 * column). Columns with missing values are skipped. A concatenation of the dataset's modalities
 * (the run's fusion teacher) is not searched itself: a leak of one of its parts names it (`fused`).
 */
export function labelLeaks(ds: MultimodalDataset): LabelLeak[] {
  const out: LabelLeak[] = [];
  if (ds.n < 2) return out;
  const classes = ds.task.kind === 'classification' ? ds.task.classes.length : 0;
  const fusedOnes = new Set(concatenations(ds));
  for (const m of ds.modalities) {
    if (m.kind !== 'table' || fusedOnes.has(m)) continue;
    const d = featureSize(m);
    const col = new Float32Array(ds.n);
    for (let j = 0; j < d; j++) {
      let finite = true;
      for (let i = 0; i < ds.n; i++) {
        col[i] = m.data[i * d + j];
        if (!Number.isFinite(col[i])) finite = false;
      }
      if (!finite) continue;
      let kind: LabelLeak['kind'] | null = null;
      let score: number;
      if (classes > 0) {
        const c = classLeakScore(col, ds.labels as Int32Array, classes);
        score = c.score;
        kind = c.oneToOne ? 'equals' : score >= LEAK_ACCURACY ? 'predicts' : null;
      } else {
        const t = targetLeakScore(col, ds.labels as Float32Array);
        score = t.score;
        kind = t.equal ? 'equals' : score >= LEAK_ACCURACY ? 'predicts' : null;
      }
      if (kind === null) continue;
      const fused = fusedColumns(ds, m, j);
      out.push({ modality: m.name, column: columnName(m, j), kind, score, ...(fused.length ? { fused } : {}) });
    }
  }
  return out;
}

/**
 * The warning for one leak, with the exclusion that removes the column. A teacher's column leaks into
 * the run's fusion teacher too, which concatenates the teachers: named with its column there when
 * the leak carries it (`fused`), else, with `fusionMay` (a dataset of 3 or more modalities, whose
 * run fuses its teachers by default), said as what a run would do.
 */
export function leakWarning(l: LabelLeak, task: MultimodalDataset['task'], fusionMay = false): string {
  const what =
    l.kind === 'equals'
      ? task.kind === 'classification'
        ? 'equals the label (one value per class)'
        : 'equals the regression target'
      : task.kind === 'classification'
        ? `predicts the label alone (balanced accuracy ${l.score.toFixed(3)} of its per-value majority rule, leave-one-out)`
        : `predicts the target alone (R² ${l.score.toFixed(3)} of a straight line)`;
  const fused = l.fused ?? [];
  const alsoFusion = fused.length
    ? `, and so would the fusion teacher: ${fused.map((f) => `'${f.modality}' (${f.parts.map((p) => `'${p}'`).join(' + ')}) has it as its column '${f.column}'`).join('; ')}`
    : fusionMay
      ? `, and so would cmkd run's fusion teacher, which concatenates the teacher modalities, whenever '${l.modality}' is one of them`
      : '';
  const fixesFusion = fused.length || fusionMay ? '; that removes it from the fusion teacher too' : '';
  return `label leak: modality '${l.modality}' column '${l.column}' ${what}; a model would learn the label from it${alsoFusion}. Leave it out of the modality: add '!${l.column}' to its columns ("columns": "!${l.column}" in cmkd.json, --csv-modality ${l.modality}='!${l.column}' for a single CSV)${fixesFusion}`;
}

/** Names shown in a warning about many columns or classes: the first few, then '…'. */
const FIRST_NAMES = 5;

/** The features of `m` (over its `n` samples) that have the same value in every sample. */
export function constantFeatures(m: Modality, n: number): number[] {
  const d = featureSize(m);
  const constant: number[] = [];
  for (let k = 0; k < d; k++) {
    const first = m.data[k];
    let same = true;
    for (let i = 1; i < n && same; i++) same = m.data[i * d + k] === first;
    if (same) constant.push(k);
  }
  return constant;
}

/** The modalities of `ds` whose every feature is constant: a model on one sees the same input for every sample. */
export function constantModalities(ds: ModalityTable): string[] {
  return ds.modalities.filter((m) => constantFeatures(m, ds.n).length === featureSize(m)).map((m) => m.name);
}

/**
 * Things that load fine but will bite later (what loading changed, e.g. a renamed repeated CSV
 * column; a class too small for the default split, a declared class with no samples, class
 * imbalance beyond IMBALANCE_RATIO, a single modality, a feature that gives the label away (labelLeaks),
 * constant features); one line each.
 */
export function datasetWarnings(ds: MultimodalDataset, leaks: LabelLeak[] = labelLeaks(ds)): string[] {
  const out: string[] = [...(ds.warnings ?? [])];
  if (ds.modalities.length < 2)
    out.push(`only one modality ('${ds.modalities[0]?.name}'); cross-modal distillation needs a teacher and a student modality`);
  if (ds.task.kind === 'classification') {
    const counts = new Array<number>(ds.task.classes.length).fill(0);
    for (let i = 0; i < ds.n; i++) counts[ds.labels[i]]++;
    const empty = ds.task.classes.filter((_, k) => counts[k] === 0);
    const small = ds.task.classes.map((c, k) => ({ c, count: counts[k] })).filter((x) => x.count > 0 && x.count < 3);
    const samples = (count: number) => `${count} sample${count === 1 ? '' : 's'}`;
    // A line per class up to FIRST_NAMES classes; beyond, one line with the count and the first few (5,000 one-sample classes are one line).
    if (small.length > FIRST_NAMES)
      out.push(
        `${small.length} classes have fewer than 3 samples (${small
          .slice(0, FIRST_NAMES)
          .map((x) => `'${x.c}' ${samples(x.count)}`)
          .join(', ')}, …); the default 70/10/20 split needs at least 3 per class`,
      );
    else for (const x of small) out.push(`class '${x.c}' has ${samples(x.count)}; the default 70/10/20 split needs at least 3 per class`);
    if (empty.length > FIRST_NAMES)
      out.push(
        `${empty.length} classes are declared but have no samples: ${empty
          .slice(0, FIRST_NAMES)
          .map((c) => `'${c}'`)
          .join(', ')}, …`,
      );
    else for (const c of empty) out.push(`class '${c}' is declared but has no samples`);
    const present = ds.task.classes.map((c, k) => ({ count: counts[k], c })).filter((x) => x.count > 0);
    const largest = present.reduce((a, b) => (b.count > a.count ? b : a), present[0]);
    const smallest = present.reduce((a, b) => (b.count < a.count ? b : a), present[0]);
    if (smallest && largest.count > IMBALANCE_RATIO * smallest.count)
      out.push(
        `class imbalance: class '${largest.c}' has ${largest.count} samples and class '${smallest.c}' ${smallest.count} (ratio ${(largest.count / smallest.count).toFixed(1)}, above ${IMBALANCE_RATIO}); accuracy mostly rewards the large classes, so read macro F1 (f1Macro) beside it`,
      );
  }
  // Without a concatenation in the data (validate, describe), a dataset of 3 or more modalities is one whose run fuses 2 or more teachers.
  const fusionMay = ds.modalities.length >= 3 && concatenations(ds).length === 0;
  for (const leak of leaks) out.push(leakWarning(leak, ds.task, fusionMay));
  for (const m of ds.modalities) {
    const d = featureSize(m);
    const constant = constantFeatures(m, ds.n);
    if (constant.length === d) out.push(`modality '${m.name}' is constant: every sample has the same values`);
    else if (m.kind === 'table' && constant.length > 0) {
      const names = constant.slice(0, FIRST_NAMES).map((k) => `'${columnName(m, k)}'`);
      out.push(
        `modality '${m.name}' has ${constant.length} constant column${constant.length === 1 ? '' : 's'} of ${d}: ${names.join(', ')}${constant.length > FIRST_NAMES ? ', …' : ''}`,
      );
    }
  }
  return out;
}
