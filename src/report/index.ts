/** Reading AI result SRs back. */
export { parseReport, NotAnAiReportError } from './parse';
export type { ReportSummary, ReportFinding } from './parse';
export { readStudyReports } from './read-study';
