/**
 * The report as one self-contained HTML file: inline CSS, charts as inline SVG (rendered from
 * their Vega-Lite specs), images as data URIs, no scripts and no external requests, so it
 * opens offline and prints cleanly. The output is a pure function of the document.
 */
import { VERSION } from '../version.js';
import { chartToSvg } from './charts.js';
import type { Block, FigureBlock, ImageBlock, ReportDocument, ReportDocumentInput, ReportSection, TableBlock } from './document.js';
import { parseReportDocument } from './document.js';
import { toJson } from '../util/fs.js';
import { bestCells, columnFormats, formatCell } from './format.js';

/** Escape text for HTML element content and attribute values. */
/** The start of a self-contained page, through </head>: charset, viewport, no favicon request, generator, title, inline CSS. */
export function htmlHead(title: string, css: string, version: string = VERSION): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<meta name="generator" content="cmkd ${escapeHtml(version)}">
<title>${escapeHtml(title)}</title>
<style>${css}</style>
</head>`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/** Escaped text with the two bits of markup reports use: **bold** and `code`. */
export function inlineText(s: string): string {
  return escapeHtml(s)
    .replace(/`([^`]+)`/g, '<code>$1</code>')
    .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
}

/** A heading as an anchor id: lower case, non-alphanumerics as '-'. */
export function slug(s: string): string {
  return (
    s
      .toLowerCase()
      .normalize('NFKD')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'section'
  );
}

/**
 * Rename every id in an SVG to `<prefix><base>-<k>` (k counting in order of appearance) and
 * rewrite the references to it, so several inline charts, each with its own `clip1`, can
 * share one page, and so vega's process-global counters (gradient_1, gradient_3, …) do not
 * leak into the page: the same chart always yields the same text.
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  const names = new Map<string, string>();
  const rename = (id: string) => {
    let n = names.get(id);
    if (n === undefined) {
      n = `${prefix}${id.replace(/[_-]?\d+$/, '') || 'id'}-${names.size + 1}`;
      names.set(id, n);
    }
    return n;
  };
  return svg.replace(/(\sid=")([^"]+)(")|(url\(#)([^)]+)(\))|(\s(?:xlink:)?href="#)([^"]+)(")/g, (...m: string[]) => {
    const [open, id, close] = m[1] !== undefined ? [m[1], m[2], m[3]] : m[4] !== undefined ? [m[4], m[5], m[6]] : [m[7], m[8], m[9]];
    return open + rename(id) + close;
  });
}

const CSS = `
:root { --fg: #1f2937; --muted: #6b7280; --line: #e5e7eb; --bg-soft: #f9fafb; --accent: #2563eb;
  --pos: #059669; --pos-bg: #ecfdf5; --neg: #dc2626; --neg-bg: #fef2f2; --neu: #4b5563; --neu-bg: #f3f4f6; --warn: #d97706; --warn-bg: #fffbeb; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--fg); background: #fff; font: 16px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", Helvetica, Arial, sans-serif; }
main { max-width: 76rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
/* Tables and figures take the page's width; running text keeps a readable line length. */
p, ul, .verdict, nav.toc, .subtitle, figcaption { max-width: 62rem; }
h1 { font-size: 1.9rem; line-height: 1.2; margin: 0 0 .35rem; letter-spacing: -.01em; }
h2 { font-size: 1.35rem; margin: 2.6rem 0 .8rem; padding-bottom: .3rem; border-bottom: 1px solid var(--line); }
p { margin: .6rem 0; }
a { color: var(--accent); }
code { font: .88em/1.4 ui-monospace, SFMono-Regular, Menlo, "DejaVu Sans Mono", monospace; background: var(--neu-bg); padding: .05em .3em; border-radius: 3px; }
.subtitle { color: var(--muted); font-size: 1.1rem; margin: 0 0 .8rem; }
.meta { display: flex; flex-wrap: wrap; gap: .25rem 1.5rem; margin: .6rem 0 0; padding: 0; color: var(--muted); font-size: .9rem; }
.meta div { display: flex; gap: .35rem; } .meta dt { font-weight: 600; } .meta dd { margin: 0; }
.links { margin: .8rem 0 0; font-size: .95rem; } .links a { margin-right: 1.2rem; }
header { margin-bottom: 1.4rem; }
.summary { margin: 1.2rem 0 1.6rem; }
.verdict { border-left: 5px solid var(--neu); background: var(--neu-bg); padding: .8rem 1.1rem; border-radius: 0 6px 6px 0; margin: 1rem 0; break-inside: avoid; }
.verdict-title { font-weight: 700; font-size: 1.08rem; margin: 0 0 .2rem; }
.verdict p { margin: .25rem 0; }
.verdict-positive { border-color: var(--pos); background: var(--pos-bg); } .verdict-positive .verdict-title { color: var(--pos); }
.verdict-negative { border-color: var(--neg); background: var(--neg-bg); } .verdict-negative .verdict-title { color: var(--neg); }
.verdict-warning { border-color: var(--warn); background: var(--warn-bg); } .verdict-warning .verdict-title { color: var(--warn); }
nav.toc { font-size: .95rem; background: var(--bg-soft); border: 1px solid var(--line); border-radius: 6px; padding: .6rem 1rem; }
nav.toc ol { margin: .2rem 0 0; padding-left: 1.3rem; columns: 2 16rem; }
figure { margin: 1.4rem 0; break-inside: avoid; }
.chart { overflow-x: auto; }
.chart svg { display: block; max-width: 100%; height: auto; margin: 0 auto; }
.image img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
figcaption, caption { color: var(--muted); font-size: .9rem; margin-top: .4rem; text-align: left; }
caption { caption-side: bottom; padding-top: .4rem; }
.fig-no { font-weight: 600; color: var(--fg); }
.table-wrap { overflow-x: auto; break-inside: avoid; }
figure.table { margin: 1.2rem 0; }
table.data { border-collapse: collapse; width: auto; min-width: 50%; font-size: .92rem; font-variant-numeric: tabular-nums; }
table.data th, table.data td { padding: .38rem .75rem; border-bottom: 1px solid var(--line); vertical-align: top; }
table.data thead th { border-bottom: 2px solid #9ca3af; text-align: left; font-weight: 600; vertical-align: bottom; }
table.data th.num, table.data td.num { text-align: right; }
/* A narrow column breaks a cell between its value and its ± sd or interval, never inside either. */
.main, .aside { white-space: nowrap; }
table.data tbody tr:hover { background: var(--bg-soft); }
table.data tbody th { text-align: left; font-weight: 600; }
table.data tr.ref > * { background: var(--neu-bg); font-style: italic; }
td.best { font-weight: 700; }
.aside { color: var(--muted); font-weight: 400; }
td.best .aside { color: var(--fg); }
details.settings { margin-top: 2.6rem; font-size: .9rem; }
details.settings summary { cursor: pointer; font-weight: 600; }
details.settings table { margin-top: .6rem; }
ul { padding-left: 1.4rem; }
footer { margin-top: 3rem; padding-top: .8rem; border-top: 1px solid var(--line); color: var(--muted); font-size: .85rem; }
@media (max-width: 640px) { body { font-size: 15px; } main { padding: 1.2rem .8rem 3rem; } h1 { font-size: 1.5rem; } }
@media print {
  body { font-size: 11pt; } main { max-width: none; padding: 0; }
  a { color: inherit; text-decoration: none; } nav.toc, .links { display: none; }
  h2 { break-after: avoid; } .chart { overflow: visible; } .table-wrap { overflow: visible; }
  details.settings > *:not(summary) { display: block; }
  .verdict { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;

interface Counters {
  figure: number;
  table: number;
}

function paragraphs(text: string): string {
  return text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `<p>${inlineText(p)}</p>`)
    .join('\n');
}

function renderTable(t: TableBlock, n: number): string {
  const formats = columnFormats(t);
  const best = bestCells(t);
  const refs = new Set(t.referenceRows ?? []);
  const numericCol = t.header.map((_, j) => t.rows.length > 0 && t.rows.every((r) => formatCell(r[j] ?? null).numeric));
  const th = t.header.map((h, j) => `<th scope="col"${numericCol[j] ? ' class="num"' : ''}>${inlineText(h)}</th>`).join('');
  const body = t.rows
    .map((row, i) => {
      const tds = t.header.map((_, j) => {
        const f = formatCell(row[j] ?? null, formats[j]);
        const cls = [f.numeric ? 'num' : '', best.has(`${i},${j}`) ? 'best' : ''].filter(Boolean).join(' ');
        const content = f.numeric
          ? `<span class="main">${escapeHtml(f.main)}</span>${f.aside ? ` <span class="aside">${escapeHtml(f.aside.trimStart())}</span>` : ''}`
          : escapeHtml(f.main);
        const tag = j === 0 && !f.numeric ? 'th scope="row"' : 'td';
        return `<${tag}${cls ? ` class="${cls}"` : ''}>${content}</${tag.split(' ')[0]}>`;
      });
      return `<tr${refs.has(i) ? ' class="ref"' : ''}>${tds.join('')}</tr>`;
    })
    .join('\n');
  // The caption sits outside the scrolling box, so a table wider than the page scrolls without clipping it.
  const caption = t.caption ? `<figcaption><span class="fig-no">Table ${n}.</span> ${inlineText(t.caption)}</figcaption>` : '';
  return `<figure class="table" id="table-${escapeHtml(t.id)}"><div class="table-wrap"><table class="data"><thead><tr>${th}</tr></thead><tbody>\n${body}\n</tbody></table></div>${caption}</figure>`;
}

async function renderFigure(f: FigureBlock, n: number): Promise<string> {
  const svg = prefixSvgIds(await chartToSvg(f.spec, f.id), `f${n}-`);
  const caption = f.caption ? `<figcaption><span class="fig-no">Figure ${n}.</span> ${inlineText(f.caption)}</figcaption>` : '';
  return `<figure class="chart" id="figure-${escapeHtml(f.id)}"><div class="chart-svg">${svg}</div>${caption}</figure>`;
}

function renderImage(b: ImageBlock, n: number): string {
  const caption = b.caption ? `<figcaption><span class="fig-no">Figure ${n}.</span> ${inlineText(b.caption)}</figcaption>` : '';
  return `<figure class="image"><img src="${escapeHtml(b.src)}" alt="${escapeHtml(b.alt)}">${caption}</figure>`;
}

async function renderBlock(b: Block, c: Counters): Promise<string> {
  switch (b.kind) {
    case 'paragraph':
      return paragraphs(b.text);
    case 'verdict':
      return `<div class="verdict verdict-${b.tone}" role="note"><div class="verdict-title">${inlineText(b.title)}</div>${paragraphs(b.text)}</div>`;
    case 'list':
      return `<ul>${b.items.map((i) => `<li>${inlineText(i)}</li>`).join('')}</ul>`;
    case 'table':
      return renderTable(b, ++c.table);
    case 'figure':
      return renderFigure(b, ++c.figure);
    case 'image':
      return renderImage(b, ++c.figure);
  }
}

async function renderBlocks(blocks: Block[], c: Counters): Promise<string> {
  const out: string[] = [];
  for (const b of blocks) out.push(await renderBlock(b, c));
  return out.join('\n');
}

/** Section anchor ids, unique within the document. */
function sectionIds(sections: ReportSection[]): string[] {
  const seen = new Map<string, number>();
  return sections.map((s) => {
    const base = s.id ?? slug(s.heading);
    const k = seen.get(base) ?? 0;
    seen.set(base, k + 1);
    return k === 0 ? base : `${base}-${k + 1}`;
  });
}

function settingText(v: unknown): string {
  if (Array.isArray(v)) return v.join(', ');
  if (v === null) return '—';
  return String(v);
}

/**
 * The report as a self-contained HTML page. Async only because charts render through vega;
 * the output depends on nothing but `input` (no clock, no files).
 */
export async function renderHtmlReport(input: ReportDocument | ReportDocumentInput): Promise<string> {
  // Through JSON first, so the page is exactly what report.json re-renders to (NaN → null).
  const doc = parseReportDocument(JSON.parse(toJson(input)));
  const counters: Counters = { figure: 0, table: 0 };
  const ids = sectionIds(doc.sections);
  const m = doc.meta;
  const metaItems: [string, string][] = [];
  if (m.dataset) metaItems.push(['Dataset', m.dataset]);
  if (m.date) metaItems.push(['Date', m.date]);
  metaItems.push(['cmkd', m.cmkdVersion ?? VERSION]);
  const header = [
    `<h1>${inlineText(doc.title)}</h1>`,
    doc.subtitle ? `<p class="subtitle">${inlineText(doc.subtitle)}</p>` : '',
    `<dl class="meta">${metaItems.map(([k, v]) => `<div><dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd></div>`).join('')}</dl>`,
    doc.links?.length
      ? `<p class="links">${doc.links.map((l) => `<a href="${escapeHtml(l.href)}">${inlineText(l.text)}</a>`).join('')}</p>`
      : '',
  ]
    .filter(Boolean)
    .join('\n');
  const summary = doc.summary.length
    ? `<section class="summary" aria-label="Summary">\n${await renderBlocks(doc.summary, counters)}\n</section>`
    : '';
  const toc =
    doc.sections.length >= 3
      ? `<nav class="toc" aria-label="Contents"><strong>Contents</strong><ol>${doc.sections
          .map((s, i) => `<li><a href="#${ids[i]}">${inlineText(s.heading)}</a></li>`)
          .join('')}</ol></nav>`
      : '';
  const sections: string[] = [];
  for (const [i, s] of doc.sections.entries()) {
    sections.push(`<section id="${ids[i]}">\n<h2>${inlineText(s.heading)}</h2>\n${await renderBlocks(s.blocks, counters)}\n</section>`);
  }
  const settings = Object.entries(m.settings ?? {});
  const settingsHtml = settings.length
    ? `<details class="settings"><summary>Settings of this run</summary><div class="table-wrap"><table class="data"><tbody>${settings
        .map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td>${escapeHtml(settingText(v))}</td></tr>`)
        .join('')}</tbody></table></div></details>`
    : '';
  return `${htmlHead(doc.title, CSS, m.cmkdVersion ?? VERSION)}
<body>
<main>
<header>
${header}
</header>
${summary}
${toc}
${sections.join('\n')}
${settingsHtml}
<footer>Made by cmkd ${escapeHtml(m.cmkdVersion ?? VERSION)}. This page is self-contained (inline SVG figures, no scripts, no external requests); the run folder also holds each figure as .svg/.png under figures/ and each table as .csv/.json under tables/.</footer>
</main>
</body>
</html>
`;
}
