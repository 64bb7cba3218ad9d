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
        const what = Number.isNaN(v) ? 'NaN (an empty, NA or NaN cell)' : String(v);
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

/** Names shown in a warning about many columns: the first few, then '…'. */
const FIRST_NAMES = 5;

/**
 * Things that load fine but will bite later (what loading changed, e.g. a renamed repeated CSV
 * column; a class too small for the default split, a declared class with no samples, class
 * imbalance beyond IMBALANCE_RATIO, a single modality, constant features); one line each.
 */
export function datasetWarnings(ds: MultimodalDataset): string[] {
  const out: string[] = [...(ds.warnings ?? [])];
  if (ds.modalities.length < 2)
    out.push(`only one modality ('${ds.modalities[0]?.name}'); cross-modal distillation needs a teacher and a student modality`);
  if (ds.task.kind === 'classification') {
    const counts = new Array<number>(ds.task.classes.length).fill(0);
    for (let i = 0; i < ds.n; i++) counts[ds.labels[i]]++;
    ds.task.classes.forEach((c, k) => {
      if (counts[k] === 0) out.push(`class '${c}' is declared but has no samples`);
      else if (counts[k] < 3)
        out.push(
          `class '${c}' has ${counts[k]} sample${counts[k] === 1 ? '' : 's'}; the default 70/10/20 split needs at least 3 per class`,
        );
    });
    const present = ds.task.classes.map((c, k) => ({ count: counts[k], c })).filter((x) => x.count > 0);
    const largest = present.reduce((a, b) => (b.count > a.count ? b : a), present[0]);
    const smallest = present.reduce((a, b) => (b.count < a.count ? b : a), present[0]);
    if (smallest && largest.count > IMBALANCE_RATIO * smallest.count)
      out.push(
        `class imbalance: class '${largest.c}' has ${largest.count} samples and class '${smallest.c}' ${smallest.count} (ratio ${(largest.count / smallest.count).toFixed(1)}, above ${IMBALANCE_RATIO}); accuracy mostly rewards the large classes, so read macro F1 (f1Macro) beside it`,
      );
  }
  for (const m of ds.modalities) {
    const d = featureSize(m);
    const constant: number[] = [];
    for (let k = 0; k < d; k++) {
      const first = m.data[k];
      let same = true;
      for (let i = 1; i < ds.n && same; i++) same = m.data[i * d + k] === first;
      if (same) constant.push(k);
    }
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
