/**
 * Figures: Vega-Lite specs rendered headless to SVG (vega's own renderer, no canvas) and
 * PNG (resvg). Experiments and reports build specs with inline data and call renderChart.
 *
 * Specs may come from a run folder's report.json, which anyone can edit, so rendering loads
 * nothing: specs that name a URL (data.url, image marks) or a link (href) are refused, and
 * vega gets a loader that refuses every URL and file in case something slips past the check.
 */
import { Resvg } from '@resvg/resvg-js';
import path from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { CmkdError } from '../util/errors.js';
import { writeFileAtomic } from '../util/fs.js';
import { MAX_JSON_DEPTH, excerpt } from '../util/text.js';

export type VegaLiteSpec = vl.TopLevelSpec;

/** The house style shared by every cmkd figure. */
export const CHART_CONFIG = {
  font: 'DejaVu Sans, Helvetica, Arial, sans-serif',
  background: 'white',
  padding: 8,
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e5e7eb', domainColor: '#9ca3af', tickColor: '#9ca3af' },
  legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 0 },
  title: { fontSize: 14, anchor: 'start', offset: 10 },
  view: { stroke: null },
  range: { category: ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#4b5563', '#9333ea'] },
} as const;

/**
 * A vega loader that refuses every URL and file, including the sanitising of image and link
 * URLs: vega's default loader reads local files and fetches URLs, which would let a tampered
 * report.json copy local files into the report or into URLs a browser later requests.
 */
export function inlineOnlyLoader(): vega.Loader {
  const refuse = async (uri?: unknown): Promise<never> => {
    throw new Error(`cmkd figures load nothing (${String(uri)}); give their data inline as data.values`);
  };
  return Object.assign(vega.loader({ mode: 'http' }), { load: refuse, sanitize: refuse, http: refuse, file: refuse, fileAccess: false });
}

// Keys whose contents are data rows, not instructions: a column may be called url or href.
const DATA_KEYS = new Set(['values', 'datasets']);

/** Deepest nesting of a figure spec: cmkd's own go 8 levels deep (a layered chart's encoding's scale's range). */
export const MAX_SPEC_DEPTH = MAX_JSON_DEPTH;

/**
 * What a paint (fill, stroke, color, background, *Color, *Fill, *Stroke) may be: a colour name, #hex,
 * rgb()/rgba()/hsl()/hsla() of numbers, 'transparent' or 'none' — what cmkd's figures use. Not url(…),
 * which makes a browser fetch the paint.
 */
const COLOR = /^(#[0-9a-f]{3,8}|[a-z]+|(rgb|rgba|hsl|hsla)\(\s*[-\d.%]+(\s*[,/ ]\s*[-\d.%]+){2,3}\s*\))$/i;
const isPaintKey = (k: string) => /^(fill|stroke|color|background)$|(Color|Fill|Stroke)$/.test(k);

/** The text a CSS parser sees: escapes (\75 is 'u') decoded, whitespace dropped, lower case. */
function cssText(s: string): string {
  return s
    .replace(/\\([0-9a-f]{1,6})\s?/gi, (_, h: string) => String.fromCodePoint(Math.min(parseInt(h, 16), 0x10ffff)))
    .replace(/\\(.)/g, '$1')
    .replace(/\s+/g, '')
    .toLowerCase();
}

/**
 * Throw a one-line CmkdError naming `name` if `spec` would load anything or carry a link: any
 * `url` (data.url, a lookup's data, an image's url), any image mark, any `href`, any url(…) in a
 * string (a paint 'url(http://…#g)' makes the browser fetch it), a paint outside the colour
 * allow-list, nesting deeper than MAX_SPEC_DEPTH, or a spec Vega cannot parse (an unknown signal
 * in a calculate), so a tampered report.json is refused before any file is written.
 */
export function checkChartSpec(spec: unknown, name: string): void {
  const refuse = (why: string, tail = '; figures take inline data.values only and load nothing') => {
    throw new CmkdError(`figure '${name}': ${why}${tail}`, 'invalid-input');
  };
  const walk = (v: unknown, at: string[]): void => {
    if (at.length > MAX_SPEC_DEPTH)
      refuse(`the spec is nested more than ${MAX_SPEC_DEPTH} levels deep (at ${at.slice(0, 4).join('.')}…)`, '');
    if (typeof v === 'string' && cssText(v).includes('url(')) refuse(`${at.join('.')} holds url(…), which loads a URL`);
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, [...at, String(i)]));
    if (typeof v !== 'object' || v === null) return;
    for (const [k, x] of Object.entries(v)) {
      const where = [...at, k].join('.');
      if (k === 'mark' && (x === 'image' || (typeof x === 'object' && x !== null && (x as { type?: unknown }).type === 'image')))
        refuse(`${where} is an image mark (it loads its url)`);
      if (k === 'url') refuse(`${where} names a URL to load`);
      if (k === 'href') refuse(`${where} makes a link`);
      if (isPaintKey(k) && typeof x === 'string' && !COLOR.test(x.trim()))
        refuse(`${where} is ${excerpt(x)}; a colour is a name, #hex, rgb(…) or hsl(…)`, '');
      if (!DATA_KEYS.has(k)) walk(x, [...at, k]);
    }
  };
  walk(spec, []);
  try {
    vega.parse(vl.compile(spec as VegaLiteSpec).spec);
  } catch (err) {
    refuse(`Vega cannot read the spec: ${excerpt(String((err as Error)?.message ?? err).split('\n')[0], 160)}`, '');
  }
}

/**
 * Compile a Vega-Lite spec (house style applied unless the spec sets its own config) to an SVG
 * string. `name` (the figure id) names the figure in errors.
 */
export async function chartToSvg(spec: VegaLiteSpec, name = 'chart'): Promise<string> {
  checkChartSpec(spec, name);
  const withConfig = { ...spec, config: { ...CHART_CONFIG, ...(spec.config ?? {}) } } as VegaLiteSpec;
  const { spec: vgSpec } = vl.compile(withConfig);
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none', loader: inlineOnlyLoader() });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterise an SVG at `scale` (2 = crisp on high-DPI screens). */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' },
    background: 'white',
  });
  return resvg.render().asPng();
}

/** Render `spec` to `<outBase>.svg` and `<outBase>.png` (atomic writes); returns the SVG text too. */
export async function renderChart(spec: VegaLiteSpec, outBase: string): Promise<{ svg: string; files: string[] }> {
  const svg = await chartToSvg(spec, path.basename(outBase));
  const files = [`${outBase}.svg`, `${outBase}.png`];
  await writeFileAtomic(files[0], svg);
  await writeFileAtomic(files[1], svgToPng(svg));
  return { svg, files };
}
