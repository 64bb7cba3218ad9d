/**
 * Writing a report into a run folder:
 *
 *   <runDir>/report.json           the ReportDocument (the source of truth)
 *   <runDir>/report.html           renderHtmlReport(report.json), self-contained
 *   <runDir>/figures/<id>.svg|png  each figure block
 *   <runDir>/tables/<id>.csv|json  each table block
 *
 * `rerenderReport(runDir)` (what `cmkd report` runs) rebuilds everything but report.json from it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CmkdError } from '../util/errors.js';
import { MAX_TEXT_FILE_BYTES, readRegularFile, toCsv, toJson, writeFileAtomic, writeJsonAtomic } from '../util/fs.js';
import { decodeUtf8, parseJsonText } from '../util/text.js';
import { checkChartSpec, renderChart } from './charts.js';
import { parseReportDocument, type Block, type ReportDocument, type ReportDocumentInput } from './document.js';
import { tableRecords } from './format.js';
import { renderHtmlReport } from './html.js';

export const REPORT_JSON = 'report.json';
export const REPORT_HTML = 'report.html';
export const FIGURES_DIR = 'figures';
export const TABLES_DIR = 'tables';

export interface WrittenReport {
  /** Absolute path of report.html. */
  html: string;
  /** Every file written, report.json first. */
  files: string[];
}

function allBlocks(doc: ReportDocument): Block[] {
  return [...doc.summary, ...doc.sections.flatMap((s) => s.blocks)];
}

/** Figure and table ids name files, so each must be unique within its kind. */
function checkIds(doc: ReportDocument): void {
  for (const kind of ['figure', 'table'] as const) {
    const seen = new Set<string>();
    for (const b of allBlocks(doc)) {
      if (b.kind !== kind) continue;
      if (seen.has(b.id))
        throw new CmkdError(`report: two ${kind}s have the id '${b.id}'; ${kind} ids name files and must be unique`, 'invalid-input');
      seen.add(b.id);
    }
  }
}

async function writeOutputs(runDir: string, doc: ReportDocument): Promise<string[]> {
  checkIds(doc);
  // Every figure is checked before any file is written, so a tampered report.json leaves the folder as it was.
  for (const b of allBlocks(doc)) if (b.kind === 'figure') checkChartSpec(b.spec, b.id);
  const files: string[] = [];
  for (const b of allBlocks(doc)) {
    if (b.kind === 'figure') {
      files.push(...(await renderChart(b.spec, path.join(runDir, FIGURES_DIR, b.id))).files);
    } else if (b.kind === 'table') {
      const records = tableRecords(b);
      const csv = path.join(runDir, TABLES_DIR, `${b.id}.csv`);
      const json = path.join(runDir, TABLES_DIR, `${b.id}.json`);
      await writeFileAtomic(csv, toCsv(records, records.length ? undefined : b.header));
      await writeJsonAtomic(json, { caption: b.caption ?? null, header: b.header, rows: records });
      files.push(csv, json);
    }
  }
  const html = path.join(runDir, REPORT_HTML);
  await writeFileAtomic(html, await renderHtmlReport(doc));
  files.push(html);
  return files;
}

/** Save `doc` as report.json and render report.html, figures and tables next to it. */
export async function writeReport(runDir: string, input: ReportDocument | ReportDocumentInput): Promise<WrittenReport> {
  // The HTML is rendered from what report.json holds, so `cmkd report` reproduces it exactly.
  const doc = parseReportDocument(JSON.parse(toJson(input)));
  const jsonFile = path.join(runDir, REPORT_JSON);
  await writeJsonAtomic(jsonFile, doc);
  const files = await writeOutputs(runDir, doc);
  return { html: path.resolve(runDir, REPORT_HTML), files: [jsonFile, ...files] };
}

/** Read and check `<runDir>/report.json`. */
export async function readReport(runDir: string): Promise<ReportDocument> {
  const file = path.join(runDir, REPORT_JSON);
  if (!existsSync(runDir)) throw new CmkdError(`run folder not found: ${runDir}`, 'not-found');
  if (!existsSync(file))
    throw new CmkdError(`no ${REPORT_JSON} in ${runDir}; is it a cmkd run folder? (\`cmkd run\` writes it)`, 'not-found');
  // Depth-checked: a report.json nested 20,000 deep is one line, not a stack overflow.
  const raw = parseJsonText(decodeUtf8(readRegularFile(file, file, MAX_TEXT_FILE_BYTES), file), file);
  return parseReportDocument(raw, file);
}

/** Re-render report.html, figures and tables of a run folder from its report.json. */
export async function rerenderReport(runDir: string): Promise<WrittenReport> {
  const doc = await readReport(runDir);
  const files = await writeOutputs(runDir, doc);
  return { html: path.resolve(runDir, REPORT_HTML), files };
}
