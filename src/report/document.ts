/**
 * The report as data. A run builds a ReportDocument, saves it as `report.json`, and the HTML
 * (report.html) is a pure function of that document (`renderHtmlReport`), so `cmkd report
 * <run-dir>` can re-render it at any time without re-running anything.
 *
 * The zod schema below is the single source of the types; `parseReportDocument` checks a
 * document read from disk and names the field at fault.
 */
import * as z from 'zod';
import { CmkdError } from '../util/errors.js';
import type { VegaLiteSpec } from './charts.js';

/** A number that JSON may have turned into null (NaN / ±Infinity are written as null). */
const num = z.number().nullable();

/** mean ± sd over repeated runs (sd null/NaN when n = 1). */
export const meanSdCellSchema = z.object({ mean: num, sd: num.optional(), n: z.number().int().optional() });
/** A point estimate with a confidence interval. */
export const estimateCellSchema = z.object({ value: num, ci: z.tuple([num, num]).nullable().optional() });
/** Free text with an optional number used for ranking (best-per-column) and for CSV/JSON export. */
export const textCellSchema = z.object({ text: z.string(), value: num.optional() });

// Order matters: zod picks the first matching member and drops unknown keys, so the text cell
// ({ text, value }) must come before the estimate ({ value, ci }).
export const cellSchema = z.union([z.string(), z.number(), z.null(), textCellSchema, meanSdCellSchema, estimateCellSchema]);

export const columnFormatSchema = z.object({
  /** Significant digits (default: the table's digits, else 3); 0 writes whole numbers. An sd or interval takes its value's decimal places. */
  digits: z.number().int().min(0).max(12).optional(),
  /** Show value × 100 with a % sign. */
  percent: z.boolean().optional(),
  /** Always show the sign (+0.12). */
  signed: z.boolean().optional(),
});

export const toneSchema = z.enum(['positive', 'negative', 'neutral', 'warning']);

export const paragraphBlockSchema = z.object({
  kind: z.literal('paragraph'),
  /** Plain text; **bold** and `code` are the only markup. Blank lines separate paragraphs. */
  text: z.string(),
});

export const verdictBlockSchema = z.object({
  kind: z.literal('verdict'),
  /** positive (KD helps), negative (hurts), neutral (uncertain / informational), warning. */
  tone: toneSchema,
  title: z.string(),
  text: z.string(),
});

export const listBlockSchema = z.object({ kind: z.literal('list'), items: z.array(z.string()) });

export const tableBlockSchema = z.object({
  kind: z.literal('table'),
  /** File stem for tables/<id>.csv and .json (letters, digits, '-', '_'). */
  id: z.string().regex(/^[A-Za-z0-9_-]+$/),
  caption: z.string().optional(),
  header: z.array(z.string()).min(1),
  rows: z.array(z.array(cellSchema)),
  /** Column (by header name) → which value is best; the best cell of each such column is bold. */
  best: z.record(z.string(), z.enum(['max', 'min'])).optional(),
  /** Further cells to bold, as [row index, column header] (e.g. gains whose interval excludes 0). */
  bold: z.array(z.tuple([z.number().int().min(0), z.string()])).optional(),
  /** Default significant digits of numeric cells (default 3; 0: whole numbers). */
  digits: z.number().int().min(0).max(12).optional(),
  /** Per-column formatting, by header name. */
  formats: z.record(z.string(), columnFormatSchema).optional(),
  /** Rows to shade as a reference (e.g. the no-KD baseline), by row index. */
  referenceRows: z.array(z.number().int().min(0)).optional(),
});

export const figureBlockSchema = z.object({
  kind: z.literal('figure'),
  /** File stem for figures/<id>.svg and .png. */
  id: z.string().regex(/^[A-Za-z0-9_-]+$/),
  spec: z.custom<VegaLiteSpec>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'expected a Vega-Lite spec object'),
  caption: z.string().optional(),
});

export const imageBlockSchema = z.object({
  kind: z.literal('image'),
  /** A PNG/JPEG/SVG data URI ('data:image/png;base64,…'). */
  src: z.string().regex(/^data:image\/(png|jpeg|svg\+xml);base64,/, "expected a data URI 'data:image/png;base64,…'"),
  alt: z.string(),
  caption: z.string().optional(),
});

export const blockSchema = z.discriminatedUnion('kind', [
  paragraphBlockSchema,
  verdictBlockSchema,
  listBlockSchema,
  tableBlockSchema,
  figureBlockSchema,
  imageBlockSchema,
]);

export const sectionSchema = z.object({
  heading: z.string(),
  /** Anchor id (default: from the heading). */
  id: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/)
    .optional(),
  blocks: z.array(blockSchema),
});

/**
 * Whether `href` is a relative link or an http(s) URL. report.json can be edited, and a
 * javascript:, data: or file: link (or '//host', which from a file:// page reaches that host
 * over file sharing) would run or fetch something from the page. Whitespace and control
 * characters are refused because browsers drop them inside a scheme ('java\tscript:'), and
 * backslashes because browsers read them as slashes.
 */
export function isSafeLink(href: string): boolean {
  if (/[\u0000-\u0020\u007f-\u00a0\\]/.test(href) || href.startsWith('//')) return false;
  if (/^https?:\/\/[^/]/i.test(href)) return true;
  // Relative: no scheme, i.e. no ':' before the first '/', '?' or '#'.
  return !/^[^/?#]*:/.test(href);
}

const linkSchema = z.string().refine(isSafeLink, 'expected a relative link or an http(s) URL');

export const settingValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.union([z.string(), z.number()]))]);

export const reportDocumentSchema = z.object({
  title: z.string(),
  subtitle: z.string().optional(),
  meta: z
    .object({
      dataset: z.string().optional(),
      /** ISO date-time of the run (the caller's; rendering never reads the clock). */
      date: z.string().optional(),
      cmkdVersion: z.string().optional(),
      /** Run settings, shown as a key–value list. */
      settings: z.record(z.string(), settingValueSchema).optional(),
    })
    .default({}),
  /** Shown first, above the sections: the verdict and a short summary. */
  summary: z.array(blockSchema).default([]),
  sections: z.array(sectionSchema),
  /** Links shown under the title (e.g. the in-browser student), relative to report.html. */
  links: z.array(z.object({ href: linkSchema, text: z.string() })).optional(),
});

export type MeanSdCell = z.infer<typeof meanSdCellSchema>;
export type EstimateCell = z.infer<typeof estimateCellSchema>;
export type TextCell = z.infer<typeof textCellSchema>;
export type Cell = z.infer<typeof cellSchema>;
export type ColumnFormat = z.infer<typeof columnFormatSchema>;
export type Tone = z.infer<typeof toneSchema>;
export type ParagraphBlock = z.infer<typeof paragraphBlockSchema>;
export type VerdictBlock = z.infer<typeof verdictBlockSchema>;
export type ListBlock = z.infer<typeof listBlockSchema>;
export type TableBlock = z.infer<typeof tableBlockSchema>;
export type FigureBlock = z.infer<typeof figureBlockSchema>;
export type ImageBlock = z.infer<typeof imageBlockSchema>;
export type Block = z.infer<typeof blockSchema>;
export type ReportSection = z.infer<typeof sectionSchema>;
export type SettingValue = z.infer<typeof settingValueSchema>;
/** A report as written to report.json (defaults filled in). */
export type ReportDocument = z.infer<typeof reportDocumentSchema>;
/** What callers build: meta and summary may be left out. */
export type ReportDocumentInput = z.input<typeof reportDocumentSchema>;

/** Check a document (e.g. parsed from report.json); throws CmkdError naming the first fields at fault. */
export function parseReportDocument(value: unknown, where = 'report document'): ReportDocument {
  const parsed = reportDocumentSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  // One line, as every cmkd error: the CLI prints it after 'cmkd: error: '.
  const faults = parsed.error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message.replace(/\s+/g, ' ')}`);
  throw new CmkdError(`${where} is not a valid cmkd report: ${faults.join('; ')}`, 'invalid-input');
}

// Block constructors: terse, typed, for the code that assembles a report.
export const paragraph = (text: string): ParagraphBlock => ({ kind: 'paragraph', text });
export const verdict = (tone: Tone, title: string, text: string): VerdictBlock => ({ kind: 'verdict', tone, title, text });
export const list = (items: string[]): ListBlock => ({ kind: 'list', items });
export const figure = (id: string, spec: VegaLiteSpec, caption?: string): FigureBlock => ({
  kind: 'figure',
  id,
  spec,
  ...(caption ? { caption } : {}),
});
export const table = (t: Omit<TableBlock, 'kind'>): TableBlock => ({ kind: 'table', ...t });
/** An image block from PNG bytes. */
export const pngImage = (png: Uint8Array, alt: string, caption?: string): ImageBlock => ({
  kind: 'image',
  src: `data:image/png;base64,${Buffer.from(png).toString('base64')}`,
  alt,
  ...(caption ? { caption } : {}),
});
