import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METHOD_IDS } from '../kd/index.js';
import { BUDGET_PRESETS, BUDGETS } from './budget.js';
import { DEPLOY_RULE } from './decide.js';

/** The README's budget table, one record per budget, keyed by the header cells. */
function readmeTable(): Record<string, string>[] {
  const lines = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').split('\n');
  const at = lines.findIndex((l) => l.startsWith('| budget |'));
  expect(at, 'README has a table starting "| budget |"').toBeGreaterThan(0);
  const cells = (l: string) =>
    l
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
  const header = cells(lines[at]);
  const rows: Record<string, string>[] = [];
  for (let i = at + 2; lines[i]?.startsWith('|'); i++) rows.push(Object.fromEntries(cells(lines[i]).map((c, j) => [header[j], c])));
  return rows;
}

const num = (s: string) => Number(s.replace(/,/g, ''));
const lr = (s: string) => {
  const m = /^(?:(\d+)·)?10⁻([¹²³⁴⁵])$/.exec(s);
  expect(m, s).not.toBeNull();
  return Number(m![1] ?? 1) * 10 ** -' ¹²³⁴⁵'.indexOf(m![2]);
};

describe('the README budget table', () => {
  it('states what src/run/budget.ts defines, budget by budget', () => {
    const rows = readmeTable();
    expect(rows.map((r) => r.budget)).toEqual([...BUDGETS]);
    for (const r of rows) {
      const b = BUDGET_PRESETS[r.budget as keyof typeof BUDGET_PRESETS];
      expect(r['rows (cap) `--samples`'], b.name).toBe(b.maxRows === null ? 'all' : b.maxRows.toLocaleString('en-US'));
      // --repeats auto: the planned looks; a fixed run's default (and cmkd cch's) is the first.
      expect(r['splits `--repeats auto` (looks)']).toBe(b.looks.join(' → '));
      expect(b.repeats).toBe(b.looks[0]);
      expect(num(r['max steps `--max-steps`'])).toBe(b.maxSteps);
      expect(num(r['min steps'])).toBe(b.minSteps);
      expect(num(r['patience (steps) `--patience`'])).toBe(b.patienceSteps);
      expect(num(r.batch)).toBe(b.batchSize);
      expect(lr(r.lr)).toBeCloseTo(b.lr, 12);
      expect(r['CNN (images)']).toBe(`conv ${b.image.channels!.join('/')}, ${b.image.hidden!.join('-')}`);
      expect(r['MLP (tables)']).toBe(b.table.hidden!.join('-'));
      expect(num(r['CCH resamples per split `--bootstrap`'])).toBe(b.bootstrap);
      const methods = r['methods `--methods`'];
      expect(methods === `all ${METHOD_IDS.length}` ? [...METHOD_IDS] : methods.split(', ')).toEqual(b.methods);
    }
  });
});

describe('the deploy rule', () => {
  it('is stated in the words of src/run/decide.ts by the README and the docs', () => {
    const flat = (f: string) => readFileSync(new URL(`../../${f}`, import.meta.url), 'utf8').replace(/\s+/g, ' ');
    for (const f of ['README.md', 'docs/verdicts.md', 'docs/decisions.md']) expect(flat(f), f).toContain(DEPLOY_RULE);
  });
});
