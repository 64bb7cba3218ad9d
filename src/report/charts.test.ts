import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chartToSvg, renderChart, type VegaLiteSpec } from './charts.js';

const spec: VegaLiteSpec = {
  title: 'margin vs gain',
  data: {
    values: [
      { x: -0.2, y: -0.1, s: 'a' },
      { x: 0.3, y: 0.05, s: 'b' },
    ],
  },
  mark: 'point',
  encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, color: { field: 's' } },
};

describe('charts', () => {
  it('renders a Vega-Lite spec to SVG with its marks and title', async () => {
    const svg = await chartToSvg(spec);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('margin vs gain');
    expect((svg.match(/<path[^>]*role="graphics-symbol"|class="mark-symbol/g) ?? []).length).toBeGreaterThan(0);
  });

  it('writes SVG and a PNG image', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cmkd-chart-'));
    const { files } = await renderChart(spec, path.join(dir, 'fig'));
    const png = await readFile(files[1]);
    expect([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join('')).toBe('PNG');
    expect(png.length).toBeGreaterThan(1000);
  });
});
