/** Public API of the SR builders. */
export { buildReport, buildReportDataset, reportStatements, seriesDescription, REPORT_SERIES_NUMBER } from './document';
export type { BuildReportInput, ReportAlgorithm } from './document';
export { sourceImageFromTags } from './source-image';
export type { SourceImage } from './source-image';
export type { ImageOutline, LabelFinding } from './tid1501-measurement-group';
export { deriveReportUids } from '../uids';
