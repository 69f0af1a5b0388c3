/** Public API of the SR builders. */
export { buildReport, buildReportDataset, reportStatements, seriesDescription, REPORT_SERIES_NUMBER } from './document';
export type { BuildReportInput } from './document';
export type { Finding, ModelIdentity } from '../../contracts';
/** @deprecated Use ModelIdentity (src/contracts.ts). */
export type { ModelIdentity as ReportAlgorithm } from '../../contracts';
/** @deprecated Use Finding (src/contracts.ts). */
export type { Finding as LabelFinding } from '../../contracts';
export { sourceImageFromTags } from './source-image';
export { parseReport, NotAnAiReportError } from './parse';
export type { ReportSummary } from './parse';
export type { SourceImage } from './source-image';
export type { ImageOutline } from './tid1410-planar-roi';
export { deriveReportUids } from '../uids';
