import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sampleReportDocument, SAMPLE_VERDICT } from '../../test/browser/fixtures.js';
import { CmkdError } from '../util/errors.js';
import { chartToSvg } from './charts.js';
import { parseReportDocument, table, type TableBlock } from './document.js';
import { cchScatterSpec, confusionMatrixSpec, learningCurvesSpec, methodsSpec, teacherRankingSpec, verdictOfInterval } from './figures.js';
import { bestCells, formatCell, formatNumber, metricGainRange, metricRange, tableRecords } from './format.js';
import { inlineText, prefixSvgIds, renderHtmlReport } from './html.js';
import { readReport, rerenderReport, writeReport } from './write.js';

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

describe('cell formatting', () => {
  it('formats numbers with significant digits, a real minus sign, optional sign and percent', () => {
    expect(formatNumber(0.12345)).toBe('0.123');
    expect(formatNumber(12.345)).toBe('12.3');
    expect(formatNumber(1234.5)).toBe('1235');
    expect(formatNumber(-0.2, { digits: 2 })).toBe('−0.20');
    expect(formatNumber(0.031, { signed: true })).toBe('+0.0310');
    expect(formatNumber(0, { signed: true })).toBe('0.00');
    expect(formatNumber(0.9123, { percent: true })).toBe('91.2%');
    expect(formatNumber(3, { digits: 0 })).toBe('3');
    expect(formatNumber(NaN)).toBe('—');
    expect(formatNumber(null)).toBe('—');
    expect(formatNumber(0.00001234)).toBe('1.23e-5');
  });

  it('shows an sd or an interval at the decimal places of its value, never in another notation', () => {
    expect(formatCell({ mean: 0.912, sd: 0.0104 })).toEqual({ main: '0.912', aside: ' ± 0.010', numeric: true });
    expect(formatCell({ mean: 0.912, sd: null })).toEqual({ main: '0.912', numeric: true });
    // The case from the field: a teacher's accuracy with a tiny sd.
    expect(formatCell({ mean: 0.959, sd: 4.42e-5 })).toEqual({ main: '0.959', aside: ' ± 0.000', numeric: true });
    // A spread larger than its value sets the places for both.
    expect(formatCell({ mean: 0.0012, sd: 0.021 })).toEqual({ main: '0.0012', aside: ' ± 0.0210', numeric: true });
    expect(formatCell({ value: -0.2, ci: [-0.33, -0.05] }, { digits: 2 })).toEqual({
      main: '−0.20',
      aside: ' [−0.33, −0.05]',
      numeric: true,
    });
    expect(formatCell({ value: 0.004, ci: [-0.0104, 0.0187] }, { signed: true })).toEqual({
      main: '+0.0040',
      aside: ' [−0.0104, +0.0187]',
      numeric: true,
    });
    expect(formatCell({ text: 'kd (T=4)', value: 3 })).toEqual({ main: 'kd (T=4)', numeric: false });
  });

  const t: TableBlock = table({
    id: 't',
    header: ['method', 'acc', 'loss', 'note'],
    rows: [
      ['a', { mean: 0.9, sd: 0.01 }, 0.5, 'x'],
      ['b', { mean: 0.95, sd: 0.02 }, 0.3, 'y'],
      ['c', { mean: 0.95, sd: 0.05 }, null, 'z'],
    ],
    best: { acc: 'max', loss: 'min', missing: 'max' },
  });

  it('marks the best cell per column, ties included, ignoring missing values', () => {
    expect([...bestCells(t)].sort()).toEqual(['1,1', '1,2', '2,1']);
  });

  it('also bolds the cells listed in `bold` (e.g. clearly positive gains), ignoring unknown columns and rows', () => {
    const g = table({
      ...t,
      best: undefined,
      bold: [
        [0, 'note'],
        [2, 'acc'],
        [1, 'missing'],
        [7, 'acc'],
      ],
    });
    expect([...bestCells(g)].sort()).toEqual(['0,3', '2,1']);
  });

  it('flattens cells into CSV-ready records (mean and sd in their own columns)', () => {
    expect(tableRecords(t)[0]).toEqual({ method: 'a', acc: 0.9, 'acc sd': 0.01, loss: 0.5, note: 'x' });
    const est = tableRecords(table({ id: 'e', header: ['m'], rows: [[{ value: 1, ci: [0, 2] }], [{ value: 2, ci: null }]] }));
    expect(est).toEqual([
      { m: 1, 'm ci low': 0, 'm ci high': 2 },
      { m: 2, 'm ci low': null, 'm ci high': null },
    ]);
  });
});

describe('chart builders', () => {
  it('CCH scatter: a point per teacher named in the legend, both error bars, zero lines and the two regions', async () => {
    const svg = await chartToSvg(
      cchScatterSpec([
        { teacher: 'blocks', margin: 0.4, marginCi: [0.3, 0.5], gain: 0.03, gainCi: [0.01, 0.05] },
        { teacher: 'profiles', margin: -0.2, marginCi: null, gain: -0.01, gainCi: null },
      ]),
    );
    expect(count(svg, /aria-roledescription="point"/g)).toBe(2);
    // 1 margin + 1 gain interval bar (profiles has neither); the two zero lines carry no data so no aria.
    expect(count(svg, /aria-roledescription="rule mark"/g)).toBe(2);
    for (const label of ['blocks', 'profiles', 'CCH predicts help', 'CCH predicts hurt']) expect(svg).toContain(`>${label}<`);
  });

  it("CCH scatter: every bar is the table's interval — the margin's horizontally, the gain's (gainCi) vertically — and the subtitle says so", async () => {
    // As the run report's teachers table gives them: margin with its interval, gain mean with its 95% interval over paired repeats.
    const rows = [
      { teacher: 'blocks', margin: 0.4, marginCi: [0.3, 0.5] as [number, number], gain: 0.03, gainCi: [-0.02, 0.08] as [number, number] },
      { teacher: 'fourier', margin: -0.1, marginCi: [-0.25, 0.05] as [number, number], gain: 0.2, gainCi: [0.05, 1.4] as [number, number] },
    ];
    const spec = cchScatterSpec(rows, {
      gainRange: metricGainRange('f1Weighted'),
      intervals: 'the 95% intervals of the table',
    }) as unknown as {
      title: { subtitle: string };
      layer: { data?: { values: Record<string, unknown>[] }; layer?: { encoding: Record<string, { field?: string }> }[] }[];
    };
    const points = spec.layer.find((l) => l.layer)!;
    expect(points.data!.values).toEqual(
      rows.map((r) => ({
        teacher: r.teacher,
        margin: r.margin,
        gain: r.gain,
        ciLo: r.marginCi[0],
        ciHi: r.marginCi[1],
        gainLo: r.gainCi[0],
        gainHi: r.gainCi[1],
      })),
    );
    // The horizontal bar spans ciLo..ciHi, the vertical one gainLo..gainHi: nothing else is drawn as a bar.
    const [h, v] = points.layer!;
    expect([h.encoding.x.field, h.encoding.x2.field, v.encoding.y.field, v.encoding.y2.field]).toEqual([
      'ciLo',
      'ciHi',
      'gainLo',
      'gainHi',
    ]);
    expect(spec.title.subtitle).toContain('bars: the 95% intervals of the table');
    // A gain interval past the metric's range is clipped in the drawing only: the axis stays within [−1, 1].
    const svg = await chartToSvg(spec as never);
    expect(Math.max(...[...svg.matchAll(/>(−?[0-9]+(?:\.[0-9]+)?)</g)].map((m) => Number(m[1].replace('−', '-'))))).toBeLessThanOrEqual(1);
  });

  it('teacher ranking: best margin first, coloured by the verdict of its interval', async () => {
    expect(verdictOfInterval(0.1, [0.02, 0.2])).toBe('helps');
    expect(verdictOfInterval(0.1, [-0.02, 0.2])).toBe('uncertain');
    expect(verdictOfInterval(-0.1, null)).toBe('hurts');
    const spec = teacherRankingSpec([
      { teacher: 'low', margin: -0.3, ci: [-0.4, -0.2] },
      { teacher: 'high', margin: 0.5, ci: [0.4, 0.6] },
    ]) as { data: { values: { teacher: string; verdict: string }[] } };
    expect(spec.data.values.map((v) => [v.teacher, v.verdict])).toEqual([
      ['high', 'helps'],
      ['low', 'hurts'],
    ]);
    const svg = await chartToSvg(spec as never);
    expect(count(svg, /aria-roledescription="point"/g)).toBe(2);
  });

  it('methods: point and bar per method, baseline line with its label', async () => {
    const svg = await chartToSvg(
      methodsSpec(
        [
          { method: 'kd', mean: 0.9, sd: 0.01 },
          { method: 'dkd', mean: 0.92, sd: 0.02 },
        ],
        { baseline: { mean: 0.88, sd: 0.01 }, sort: 'max' },
      ),
    );
    expect(count(svg, /aria-roledescription="point"/g)).toBe(2);
    expect(svg).toContain('>student without KD<');
  });

  it("metric axes and error bars stay inside the metric's range (F1 never past 1, a gain never past ±1)", async () => {
    // Numbers drawn as text (axis ticks) in an SVG.
    const ticks = (svg: string) => [...svg.matchAll(/>(−?[0-9]+(?:\.[0-9]+)?)</g)].map((m) => Number(m[1].replace('−', '-')));
    const spec = methodsSpec(
      [
        { method: 'kd', mean: 0.97, sd: 0.08 },
        { method: 'dkd', mean: 0.9, sd: 0.05 },
      ],
      { baseline: { mean: 0.95, sd: 0.07 }, range: metricRange('f1Weighted') },
    );
    const json = JSON.stringify(spec);
    expect(json).toContain('"hi":1');
    expect(Math.max(...ticks(await chartToSvg(spec)))).toBeLessThanOrEqual(1);
    const scatter = cchScatterSpec(
      [
        { teacher: 'a', margin: 0.1, gain: 0.9, gainCi: [0.6, 1.2] },
        { teacher: 'b', margin: -0.1, gain: -0.2, gainCi: [-0.3, -0.1] },
      ],
      { gainRange: metricGainRange('f1Weighted') },
    );
    expect(Math.max(...ticks(await chartToSvg(scatter)))).toBeLessThanOrEqual(1);
    expect(metricRange('mse')).toEqual([0, null]);
    expect(metricGainRange('mse')).toEqual([null, null]);
  });

  it('learning curves: one panel per quantity, lines per model, nulls dropped', async () => {
    const spec = learningCurvesSpec([
      {
        model: 'a',
        history: [
          { epoch: 1, valLoss: 1, valMetric: 0.5 },
          { epoch: 2, valLoss: 0.8, valMetric: null },
        ],
      },
      { model: 'b', history: [{ epoch: 1, valLoss: 1.1, valMetric: 0.4 }] },
    ]) as { data: { values: unknown[] } };
    expect(spec.data.values).toHaveLength(5);
    const svg = await chartToSvg(spec as never);
    expect(svg).toContain('>validation loss<');
    expect(svg).toContain('>validation accuracy<');
  });

  it('confusion matrix: a cell per pair with its count, shaded by row share', async () => {
    const spec = confusionMatrixSpec(
      [
        [3, 1],
        [0, 4],
      ],
      ['cat', 'dog'],
    ) as { data: { values: { count: number; share: number }[] } };
    expect(spec.data.values.map((v) => v.share)).toEqual([0.75, 0.25, 0, 1]);
    const svg = await chartToSvg(spec as never);
    expect(count(svg, /aria-roledescription="rect mark"/g)).toBe(4);
    expect(() => confusionMatrixSpec([[1, 2]], ['a', 'b'])).toThrow(CmkdError);
  });
});

describe('HTML report', () => {
  it('is one self-contained page: verdict first, inline SVG charts with unique ids, bold best cells, no scripts or remote URLs', async () => {
    const html = await renderHtmlReport(sampleReportDocument());
    expect(html.indexOf(SAMPLE_VERDICT)).toBeGreaterThan(0);
    expect(html.indexOf(SAMPLE_VERDICT)).toBeLessThan(html.indexOf('<h2'));
    expect(count(html, /<svg/g)).toBe(5);
    expect(html).not.toMatch(/<script|@import/);
    expect(html.match(/<link[^>]*>/g)).toEqual(['<link rel="icon" href="data:,">']);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
    expect(new Set(ids).size).toBe(ids.length);
    expect(html).toContain('<td class="num best"><span class="main">0.912</span> <span class="aside">± 0.010</span></td>');
    expect(html).toContain('<td class="num best"><span class="main">+0.0310</span> <span class="aside">± 0.0080</span></td>');
    expect(html).toContain('<tr class="ref">');
    expect(html).toContain('<strong>blocks</strong>');
  });

  it('escapes text and supports only **bold** and `code`', () => {
    expect(inlineText('a <b> & **c** `d<e>`')).toBe('a &lt;b&gt; &amp; <strong>c</strong> <code>d&lt;e&gt;</code>');
  });

  it('renames SVG ids canonically, references included', () => {
    const svg =
      '<svg><g fill="url(#gradient_7)"/><clipPath id="clip3"/><g clip-path="url(#clip3)"/><use href="#clip3"/><linearGradient id="gradient_7"/></svg>';
    expect(prefixSvgIds(svg, 'f2-')).toBe(
      '<svg><g fill="url(#f2-gradient-1)"/><clipPath id="f2-clip-2"/><g clip-path="url(#f2-clip-2)"/><use href="#f2-clip-2"/><linearGradient id="f2-gradient-1"/></svg>',
    );
  });

  it('writes report.json, report.html, figures and tables; cmkd report re-renders the same page from report.json', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cmkd-report-'));
    const written = await writeReport(dir, sampleReportDocument());
    const names = written.files.map((f) => path.relative(dir, f)).sort();
    expect(names).toEqual(
      [
        'report.json',
        'report.html',
        ...['teacher-ranking', 'cch-scatter', 'methods', 'curves', 'confusion'].flatMap((f) => [`figures/${f}.svg`, `figures/${f}.png`]),
        ...['teachers', 'methods'].flatMap((t) => [`tables/${t}.csv`, `tables/${t}.json`]),
      ].sort(),
    );
    expect(await readFile(path.join(dir, 'tables/methods.csv'), 'utf8')).toBe(
      'method,test accuracy,test accuracy sd,macro F1\nno KD,0.88,0.01,0.87\nkd,0.912,0.01,0.905\ndkd,0.905,0.012,0.91\n',
    );
    const first = await readFile(written.html, 'utf8');
    await writeFile(written.html, 'stale');
    await rerenderReport(dir);
    expect(await readFile(written.html, 'utf8')).toBe(first);
    expect((await readReport(dir)).title).toBe(sampleReportDocument().title);
  });

  it('keeps NaN as a missing value through report.json', async () => {
    const doc = {
      title: 't',
      sections: [
        {
          heading: 'h',
          blocks: [
            table({
              id: 'x',
              header: ['m', 'v'],
              rows: [
                ['a', { mean: 0.5, sd: NaN }],
                ['b', NaN],
              ],
            }),
          ],
        },
      ],
    };
    const html = await renderHtmlReport(doc);
    expect(html).toContain('<td class="num"><span class="main">0.500</span></td>');
    expect(html).toContain('<td class="num"><span class="main">—</span></td>');
  });

  it('rejects a malformed report.json naming the field', async () => {
    expect(() =>
      parseReportDocument({ title: 't', sections: [{ heading: 'h', blocks: [{ kind: 'table', id: 'bad id', header: ['a'], rows: [] }] }] }),
    ).toThrow(/sections\.0\.blocks\.0\.id/);
    const dir = await mkdtemp(path.join(tmpdir(), 'cmkd-report-'));
    await expect(rerenderReport(dir)).rejects.toThrow(/no report\.json/);
    await writeFile(path.join(dir, 'report.json'), '{"title": 1');
    await expect(rerenderReport(dir)).rejects.toThrow(/invalid JSON/);
  });

  it('allows only relative and http(s) links (no javascript:, data:, file:, protocol-relative)', async () => {
    const withLink = (href: string) => ({ title: 't', sections: [], links: [{ href, text: 'x' }] });
    for (const href of ['student/index.html', '#top', '../other/report.html', 'https://example.org/a?b#c', 'HTTP://example.org']) {
      expect(parseReportDocument(withLink(href)).links?.[0].href).toBe(href);
    }
    for (const href of [
      'javascript:alert(1)',
      ' JavaScript:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html,<script>alert(1)</script>',
      'file:///etc/passwd',
      '//evil.example/x',
      '\\\\evil.example\\x',
      'vbscript:x',
    ]) {
      let err: unknown = null;
      try {
        parseReportDocument(withLink(href));
      } catch (e) {
        err = e;
      }
      expect(err, href).toBeInstanceOf(CmkdError);
      expect((err as Error).message).toMatch(/links\.0\.href/);
      expect((err as Error).message).not.toContain('\n');
    }
    await expect(renderHtmlReport(withLink('javascript:alert(1)'))).rejects.toThrow(CmkdError);
  });

  it('refuses a tampered report.json whose figure reads a local file, before writing anything', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cmkd-report-'));
    const secret = path.join(dir, 'secret.txt');
    await writeFile(secret, 'TOP-SECRET-4711\n');
    const evil = {
      data: { url: `file://${secret}`, format: { type: 'dsv', delimiter: '\u0001', header: ['line'] } },
      mark: 'text',
      encoding: { text: { field: 'line' } },
    };
    const doc = {
      title: 't',
      sections: [
        {
          heading: 'h',
          blocks: [
            { kind: 'figure', id: 'fine', spec: methodsSpec([{ method: 'kd', mean: 1 }]) },
            { kind: 'figure', id: 'leak', spec: evil },
          ],
        },
      ],
    };
    await writeFile(path.join(dir, 'report.json'), JSON.stringify(doc));
    await expect(rerenderReport(dir)).rejects.toThrow(/^figure 'leak': .*data\.url/);
    await expect(readFile(path.join(dir, 'report.html'), 'utf8')).rejects.toThrow(/ENOENT/);
    await expect(readFile(path.join(dir, 'figures/fine.svg'), 'utf8')).rejects.toThrow(/ENOENT/);
    await expect(renderHtmlReport(doc as never)).rejects.toThrow(/figure 'leak'/);
  });

  it('refuses two figures with the same id (they would overwrite each other)', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cmkd-report-'));
    const spec = methodsSpec([{ method: 'kd', mean: 1 }]);
    const doc = {
      title: 't',
      sections: [
        {
          heading: 'h',
          blocks: [
            { kind: 'figure' as const, id: 'a', spec },
            { kind: 'figure' as const, id: 'a', spec },
          ],
        },
      ],
    };
    await expect(writeReport(dir, doc)).rejects.toThrow(/two figures have the id 'a'/);
  });
});
