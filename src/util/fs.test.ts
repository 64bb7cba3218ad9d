/** The one CSV writer (toCsv): RFC 4180 quoting of header and cells, and no cell a spreadsheet runs as a formula. */
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { predictionRecords } from '../run/exports.js';
import { toCsv } from './fs.js';

const read = (text: string) => parse(text, { relax_column_count: true }) as string[][];

describe('toCsv', () => {
  it('quotes header names holding commas and quotes: predictions.csv for classes `cat, domestic` and `dog "big"`', () => {
    const classes = ['cat, domestic', 'dog "big"', 'fish'];
    const records = predictionRecords({ ids: [0, 1], labels: [0, 1], outputs: Float32Array.from([2, 1, 0, 0, 3, 1]), classes });
    const rows = read(toCsv(records));
    expect(rows.map((r) => r.length)).toEqual([6, 6, 6]);
    expect(rows[0]).toEqual(['id', 'label', 'predicted', 'p_cat, domestic', 'p_dog "big"', 'p_fish']);
    expect(rows[1].slice(0, 3)).toEqual(['0', 'cat, domestic', 'cat, domestic']);
    expect(rows[2].slice(0, 3)).toEqual(['1', 'dog "big"', 'dog "big"']);
  });

  it("prefixes formula-leading text with ' (header and cells), and leaves numbers and numeric text as they are", () => {
    const hostile = ['=HYPERLINK("http://x","y")', '+1+2', '-2+3', '@SUM(A1)', '\tx', '\rx'];
    const text = toCsv(
      hostile.map((h, i) => ({ name: h, value: -i - 0.5, text: '-1', plus: '+2.5e3' })),
      ['name', 'value', 'text', 'plus'],
    );
    const rows = read(text);
    expect(rows.slice(1).map((r) => r[0])).toEqual(hostile.map((h) => `'${h}`));
    expect(rows.slice(1).map((r) => r[1])).toEqual(hostile.map((_, i) => String(-i - 0.5)));
    expect(rows.slice(1).every((r) => r[2] === '-1' && r[3] === '+2.5e3')).toBe(true);
    expect(read(toCsv([{ '=cmd': 1 }]))[0]).toEqual(["'=cmd"]);
  });

  it('writes the header alone when there are no rows but columns are given; CR and LF are quoted', () => {
    expect(toCsv([], ['a,b', 'c'])).toBe('"a,b",c\n');
    expect(toCsv([])).toBe('');
    expect(read(toCsv([{ a: 'x\r\ny', b: NaN }]))).toEqual([
      ['a', 'b'],
      ['x\r\ny', ''],
    ]);
  });
});
