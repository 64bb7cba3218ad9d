import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CmkdError } from '../util/errors.js';
import { chartToSvg, inlineOnlyLoader, renderChart, type VegaLiteSpec } from './charts.js';

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

  describe('hostile specs (a tampered report.json) load nothing', () => {
    // A spec that would render the first line of a local file as a text mark.
    const fileText = (url: string) =>
      ({
        data: { url, format: { type: 'dsv', delimiter: '\u0001', header: ['line'] } },
        mark: 'text',
        encoding: { text: { field: 'line' } },
      }) as unknown as VegaLiteSpec;
    const refused = async (s: VegaLiteSpec, re: RegExp) => {
      const err = await chartToSvg(s, 'evil').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(CmkdError);
      expect((err as Error).message).toMatch(re);
      expect((err as Error).message).toMatch(/figure 'evil'/);
      expect((err as Error).message).not.toContain('\n');
    };

    it('refuses data.url (file:///etc/hostname, or a local file) without reading it', async () => {
      await refused(fileText('file:///etc/hostname'), /data\.url/);
      const dir = await mkdtemp(path.join(tmpdir(), 'cmkd-chart-'));
      const secret = path.join(dir, 'secret.txt');
      await writeFile(secret, 'TOP-SECRET-4711\n');
      await refused(fileText(`file://${secret}`), /data\.url/);
      await refused(fileText(secret), /data\.url/);
      // Nested data (a layer's, a lookup's) is refused too.
      await refused({ layer: [fileText(secret)] } as unknown as VegaLiteSpec, /layer\.0\.data\.url/);
      await refused(
        {
          data: { values: [{ a: 1 }] },
          transform: [{ lookup: 'a', from: { data: { url: secret }, key: 'a', fields: ['line'] } }],
          mark: 'text',
          encoding: { text: { field: 'line' } },
        } as unknown as VegaLiteSpec,
        /transform\.0\.from\.data\.url/,
      );
    });

    it('refuses image marks with an external url and href links', async () => {
      await refused(
        {
          data: { values: [{ x: 1 }] },
          mark: 'image',
          encoding: { x: { field: 'x', type: 'quantitative' }, url: { value: 'http://example.invalid/x' } },
        } as unknown as VegaLiteSpec,
        /image/,
      );
      await refused(
        {
          data: { values: [{ x: 1, u: 'http://example.invalid/x' }] },
          mark: { type: 'image', width: 10, height: 10 },
          encoding: { x: { field: 'x', type: 'quantitative' }, url: { field: 'u' } },
        } as unknown as VegaLiteSpec,
        /image/,
      );
      await refused({ ...spec, encoding: { ...spec.encoding, href: { value: 'javascript:alert(1)' } } } as VegaLiteSpec, /href/);
      await refused({ ...spec, mark: { type: 'point', href: 'http://example.invalid/x' } } as VegaLiteSpec, /href/);
    });

    it('still accepts inline data whose columns happen to be called url or href', async () => {
      const svg = await chartToSvg({
        data: { values: [{ x: 1, y: 2, url: 'http://example.invalid/x', href: 'javascript:alert(1)' }] },
        mark: 'point',
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      } as VegaLiteSpec);
      expect(svg).not.toContain('example.invalid');
      expect(svg).not.toContain('javascript:');
    });

    it('renders with a loader that refuses every URL and file', async () => {
      const loader = inlineOnlyLoader();
      await expect(loader.load('file:///etc/hostname')).rejects.toThrow(/inline/);
      await expect(loader.sanitize('http://example.invalid/x', { context: 'image' })).rejects.toThrow(/inline/);
      await expect(loader.file('/etc/hostname')).rejects.toThrow(/inline/);
      await expect(loader.http('http://example.invalid/x', {})).rejects.toThrow(/inline/);
    });
  });
});
