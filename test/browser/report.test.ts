/** The HTML report in Chromium: charts drawn, verdict shown, nothing fetched from outside. */
import { existsSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../../src/report/write.js';
import { checkReportInBrowser, HAS_CHROMIUM, NO_CHROMIUM_REASON } from './browser.js';
import { sampleReportDocument, SAMPLE_VERDICT, wideRunDocument } from './fixtures.js';

if (!HAS_CHROMIUM) process.stderr.write(`${NO_CHROMIUM_REASON}\n`);

describe.skipIf(!HAS_CHROMIUM)(HAS_CHROMIUM ? 'report in Chromium' : NO_CHROMIUM_REASON, () => {
  it('renders every chart with marks, shows the verdict first, requests nothing, and screenshots', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cmkd-report-browser-'));
    const { html } = await writeReport(dir, sampleReportDocument());
    const shot = path.join(process.env.CMKD_SCREENSHOTS ?? dir, 'report.png');
    const seen = await checkReportInBrowser(html, { screenshot: shot, minFigures: 5, screenshotDir: process.env.CMKD_SCREENSHOTS ?? dir });
    expect(seen.title).toBe(sampleReportDocument().title);
    expect(seen.verdicts).toHaveLength(1);
    expect(seen.verdicts[0].startsWith(SAMPLE_VERDICT)).toBe(true);
    expect(seen.figures.map((f) => f.id)).toEqual([
      'figure-teacher-ranking',
      'figure-cch-scatter',
      'figure-methods',
      'figure-curves',
      'figure-confusion',
    ]);
    // Marks drawn per chart: ranking 3 points + 3 intervals; scatter 3 points, 6 bars, 3 labels.
    const marks = Object.fromEntries(seen.figures.map((f) => [f.id, f.marks]));
    expect(marks['figure-teacher-ranking']).toBeGreaterThanOrEqual(6);
    expect(marks['figure-cch-scatter']).toBeGreaterThanOrEqual(12);
    expect(seen.tables).toBe(2);
    expect(seen.bestCells).toBe(4);
    expect(existsSync(shot) && statSync(shot).size > 10_000).toBe(true);
  });

  it("a run's widest table and close teachers are readable in full at 1280 and 1920 px (no sideways scroll, no cut or overlapping labels)", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cmkd-report-browser-'));
    const { html } = await writeReport(dir, wideRunDocument());
    const seen = await checkReportInBrowser(html, { screenshotDir: process.env.CMKD_SCREENSHOTS ?? dir });
    expect(seen.screenshots.map((f) => path.basename(f))).toEqual(['report-1280.png', 'report-1920.png']);
    expect(seen.tables).toBe(1);
  });

  it('fails loudly on a page whose chart is empty', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cmkd-report-browser-'));
    const doc = {
      title: 'broken',
      sections: [
        { heading: 'h', blocks: [{ kind: 'figure' as const, id: 'empty', spec: { data: { values: [] }, mark: 'point' as const } }] },
      ],
    };
    const { html } = await writeReport(dir, doc);
    await expect(checkReportInBrowser(html)).rejects.toThrow(/chart figure-empty draws no data marks/);
  });
});
