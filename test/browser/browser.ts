/**
 * Browser checks with Debian's Chromium driven by playwright-core (no browser download).
 * Reusable by any test: `checkReportInBrowser(htmlPath)` opens a report.html from file:// and
 * throws unless its charts rendered and nothing was fetched from outside.
 *
 * Tests that need a browser use `describe.skipIf(!HAS_CHROMIUM)` and print NO_CHROMIUM_REASON,
 * so a machine without Chromium skips them visibly instead of failing.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Chromium to drive; CMKD_CHROMIUM overrides the Debian path. */
export const CHROMIUM_PATH = process.env.CMKD_CHROMIUM ?? '/usr/bin/chromium';
export const HAS_CHROMIUM = existsSync(CHROMIUM_PATH);
export const NO_CHROMIUM_REASON = `browser tests skipped: no Chromium at ${CHROMIUM_PATH} (install it with 'apt-get install -y chromium', or set CMKD_CHROMIUM)`;

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Launch headless Chromium; close it when done (`await browser.close()`). */
export async function launchChromium(): Promise<Browser> {
  if (!HAS_CHROMIUM) throw new Error(NO_CHROMIUM_REASON);
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS, headless: true });
}

/**
 * A page that records console errors, uncaught exceptions and every request whose URL is not
 * under one of `allowedPrefixes` (plus data: / blob: / about:).
 */
export async function watchedPage(browser: Browser, allowedPrefixes: string[], viewport = { width: 1100, height: 900 }) {
  const page = await browser.newPage({ viewport });
  const errors: string[] = [];
  const externalRequests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('request', (r) => {
    const url = r.url();
    if (!/^(data|blob|about):/.test(url) && !allowedPrefixes.some((p) => url.startsWith(p))) externalRequests.push(url);
  });
  return { page, errors, externalRequests };
}

export interface FigureCheck {
  /** The <figure> id ('figure-<block id>'). */
  id: string;
  /** Rendered size of the SVG in CSS pixels. */
  width: number;
  height: number;
  /** Drawn data marks (symbols, rules, rects, lines, text) outside axes, legends and titles. */
  marks: number;
}

export interface ReportBrowserCheck {
  title: string;
  /** Text of each verdict callout. */
  verdicts: string[];
  figures: FigureCheck[];
  /** Number of data tables and of bold best cells among them. */
  tables: number;
  bestCells: number;
  /** Requests to anything but the report file itself (must be empty). */
  externalRequests: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
  screenshot?: string;
  /** Full-page screenshots at REPORT_WIDTHS (with screenshotDir). */
  screenshots: string[];
}

// Runs in the page (plain JS: the project compiles without the DOM lib).
const INSPECT_REPORT = `(() => {
  const figures = [...document.querySelectorAll('figure.chart')].map((f) => {
    const svg = f.querySelector('svg');
    const r = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
    let marks = 0;
    if (svg) {
      // Data marks sit in containers of class role-mark (axes, legends and titles have their own roles).
      for (const g of svg.querySelectorAll('g.role-mark')) {
        if (/mark-group/.test(g.getAttribute('class') || '')) continue;
        marks += [...g.children].filter((c) => c.tagName !== 'g' || c.children.length > 0).length;
      }
    }
    return { id: f.id, width: r.width, height: r.height, marks };
  });
  return {
    title: document.title,
    verdicts: [...document.querySelectorAll('.verdict')].map((v) => v.innerText.trim()),
    figures,
    tables: document.querySelectorAll('table.data thead').length,
    bestCells: document.querySelectorAll('td.best').length,
  };
})()`;

/** Window widths every report must fit: a laptop and a desktop screen. */
export const REPORT_WIDTHS = [1280, 1920] as const;

// Runs in the page: what a reader at this window width cannot read in full.
const LAYOUT_PROBLEMS = `(() => {
  const problems = [];
  const name = (el) => (el.closest('figure') || {}).id || el.tagName.toLowerCase();
  // A table must fit its column: no horizontal scroll bar, no cell whose text is cut.
  for (const w of document.querySelectorAll('.table-wrap')) {
    if (w.scrollWidth > w.clientWidth + 1) problems.push(name(w) + ' is ' + w.scrollWidth + ' px wide in a ' + w.clientWidth + ' px column (scrolls sideways)');
  }
  for (const c of document.querySelectorAll('table.data th, table.data td')) {
    if (c.scrollWidth > c.clientWidth + 1) problems.push(name(c) + ': cell "' + c.textContent + '" is cut');
    if (c.textContent.includes('\u2026')) problems.push(name(c) + ': cell "' + c.textContent + '" is truncated');
  }
  // A chart must fit the page, and none of its texts may be cut ('…') or overlap another.
  for (const f of document.querySelectorAll('figure.chart')) {
    const svg = f.querySelector('svg');
    if (!svg) continue;
    const box = svg.getBoundingClientRect();
    if (box.right > document.documentElement.clientWidth + 1) problems.push(f.id + ' runs past the window');
    const texts = [...svg.querySelectorAll('text')]
      // vega hides the tick labels it thins out with opacity 0; those are not seen.
      .filter((t) => t.textContent.trim() !== '' && getComputedStyle(t).opacity !== '0' && getComputedStyle(t).visibility !== 'hidden')
      .map((t) => ({ text: t.textContent, r: t.getBoundingClientRect() }));
    for (const t of texts) if (t.text.includes('\u2026')) problems.push(f.id + ': label "' + t.text + '" is truncated');
    for (let i = 0; i < texts.length; i++) {
      for (let j = i + 1; j < texts.length; j++) {
        const a = texts[i].r, b = texts[j].r;
        const w = Math.min(a.right, b.right) - Math.max(a.left, b.left);
        const h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
        if (w > 1 && h > 1) problems.push(f.id + ': labels "' + texts[i].text + '" and "' + texts[j].text + '" overlap');
      }
    }
  }
  return problems;
})()`;

/**
 * Layout problems of the open page at its current width: tables that scroll sideways or cut a
 * cell, charts wider than the window, truncated or overlapping chart labels. Empty when all is readable.
 */
export async function layoutProblems(page: Page): Promise<string[]> {
  return (await page.evaluate(LAYOUT_PROBLEMS)) as string[];
}

/**
 * Open a report.html (file://) in Chromium and check it: every chart is an SVG of non-zero
 * size with data marks, no request leaves the file, no script error, and at each of
 * REPORT_WIDTHS every table and chart is readable in full (layoutProblems). Throws an Error
 * listing every problem; returns what it saw. `screenshot`: path of a full-page PNG to write;
 * `screenshotDir`: where to write report-<width>.png per width.
 */
export async function checkReportInBrowser(
  htmlPath: string,
  opts: { screenshot?: string; browser?: Browser; minFigures?: number; screenshotDir?: string } = {},
): Promise<ReportBrowserCheck> {
  const browser = opts.browser ?? (await launchChromium());
  try {
    const url = pathToFileURL(path.resolve(htmlPath)).href;
    const { page, errors, externalRequests } = await watchedPage(browser, [url]);
    await page.goto(url, { waitUntil: 'load' });
    const seen = (await page.evaluate(INSPECT_REPORT)) as Omit<ReportBrowserCheck, 'externalRequests' | 'errors' | 'screenshot'>;
    let screenshot: string | undefined;
    if (opts.screenshot) {
      await mkdir(path.dirname(opts.screenshot), { recursive: true });
      await page.screenshot({ path: opts.screenshot, fullPage: true });
      screenshot = opts.screenshot;
    }
    // At each common window width: readable in full (and a screenshot, to look at, with screenshotDir).
    const problems: string[] = [];
    const screenshots: string[] = [];
    for (const width of REPORT_WIDTHS) {
      await page.setViewportSize({ width, height: 1000 });
      problems.push(...(await layoutProblems(page)).map((p) => `at ${width} px: ${p}`));
      if (opts.screenshotDir) {
        const file = path.join(opts.screenshotDir, `report-${width}.png`);
        await mkdir(opts.screenshotDir, { recursive: true });
        await page.screenshot({ path: file, fullPage: true });
        screenshots.push(file);
      }
    }
    await page.close();
    const result: ReportBrowserCheck = { ...seen, externalRequests, errors, screenshots, ...(screenshot ? { screenshot } : {}) };
    if (seen.figures.length < (opts.minFigures ?? 1))
      problems.push(`found ${seen.figures.length} charts, expected at least ${opts.minFigures ?? 1}`);
    for (const f of seen.figures) {
      if (!(f.width > 0 && f.height > 0)) problems.push(`chart ${f.id} has size ${f.width}×${f.height}`);
      if (f.marks === 0) problems.push(`chart ${f.id} draws no data marks`);
    }
    if (externalRequests.length) problems.push(`requests outside the file: ${externalRequests.join(', ')}`);
    if (errors.length) problems.push(...errors);
    if (problems.length) throw new Error(`report ${htmlPath} failed the browser check:\n  ${problems.join('\n  ')}`);
    return result;
  } finally {
    if (!opts.browser) await browser.close();
  }
}

/** Wait until a page's `window.cmkdReady` promise settles; rethrows its rejection. */
export async function waitForStudent(page: Page): Promise<void> {
  await page.waitForFunction('window.cmkdReady !== undefined');
  await page.evaluate('window.cmkdReady');
}
