/**
 * Figures: Vega-Lite specs rendered headless to SVG (vega's own renderer, no canvas) and
 * PNG (resvg). Experiments and reports build specs with inline data and call renderChart.
 */
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import * as vl from 'vega-lite';
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

/** Compile a Vega-Lite spec (house style applied unless the spec sets its own config) to an SVG string. */
export async function chartToSvg(spec: VegaLiteSpec): Promise<string> {
  const withConfig = { ...spec, config: { ...CHART_CONFIG, ...(spec.config ?? {}) } } as VegaLiteSpec;
  const { spec: vgSpec } = vl.compile(withConfig);
  const view = new vega.View(vega.parse(vgSpec), { renderer: 'none' });
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
  const svg = await chartToSvg(spec);
  const files = [`${outBase}.svg`, `${outBase}.png`];
  await writeFileAtomic(files[0], svg);
  await writeFileAtomic(files[1], svgToPng(svg));
  return { svg, files };
}
