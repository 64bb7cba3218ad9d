/** Reports (report.json → self-contained report.html, figures, tables), chart builders, and the in-browser student page. */
export { CHART_CONFIG, chartToSvg, renderChart, svgToPng, type VegaLiteSpec } from './charts.js';
export {
  figure,
  list,
  paragraph,
  parseReportDocument,
  pngImage,
  reportDocumentSchema,
  table,
  verdict,
  type Block,
  type Cell,
  type ColumnFormat,
  type EstimateCell,
  type FigureBlock,
  type ImageBlock,
  type ListBlock,
  type MeanSdCell,
  type ParagraphBlock,
  type ReportDocument,
  type ReportDocumentInput,
  type ReportSection,
  type TableBlock,
  type TextCell,
  type Tone,
  type VerdictBlock,
} from './document.js';
export {
  cchScatterSpec,
  confusionMatrixSpec,
  learningCurvesSpec,
  methodsSpec,
  teacherRankingSpec,
  verdictOfInterval,
  type CchScatterOptions,
  type CchScatterPoint,
  type ConfusionOptions,
  type CurvePoint,
  type CurveQuantity,
  type LearningCurvesOptions,
  type MethodRow,
  type MethodsOptions,
  type RankingVerdict,
  type TeacherRankingOptions,
  type TeacherRankingRow,
  type ValueRange,
} from './figures.js';
export { formatCell, formatNumber, metricGainRange, metricLabel, metricRange } from './format.js';
export { escapeHtml, renderHtmlReport } from './html.js';
export {
  STUDENT_DIR,
  studentPageHtml,
  writeStudentPage,
  type StudentPage,
  type StudentPageOptions,
  type StudentSample,
} from './student.js';
export {
  rankingSentence,
  signSentence,
  trackRecordTable,
  VERDICTS_TRACK_RECORD,
  type CalibrationRecord,
  type Interval,
  type RuleRecord,
  type TrackRecordFile,
} from './track-record.js';
export { FIGURES_DIR, readReport, REPORT_HTML, REPORT_JSON, rerenderReport, TABLES_DIR, writeReport, type WrittenReport } from './write.js';
