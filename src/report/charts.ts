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

/**
 * Throw a one-line CmkdError naming `name` if `spec` would load anything or carry a link:
 * any `url` (data.url, a lookup's data, an image's url), any image mark, any `href`.
 */
export function checkChartSpec(spec: unknown, name: string): void {
  const refuse = (why: string) => {
    throw new CmkdError(`figure '${name}': ${why}; figures take inline data.values only and load nothing`, 'invalid-input');
  };
  const walk = (v: unknown, at: string[]): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, [...at, String(i)]));
    if (typeof v !== 'object' || v === null) return;
    for (const [k, x] of Object.entries(v)) {
      const where = [...at, k].join('.');
      if (k === 'mark' && (x === 'image' || (typeof x === 'object' && x !== null && (x as { type?: unknown }).type === 'image')))
        refuse(`${where} is an image mark (it loads its url)`);
      if (k === 'url') refuse(`${where} names a URL to load`);
      if (k === 'href') refuse(`${where} makes a link`);
      if (!DATA_KEYS.has(k)) walk(x, [...at, k]);
    }
  };
  walk(spec, []);
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
