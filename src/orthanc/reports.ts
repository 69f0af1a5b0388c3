/** All AI result SRs of a study, read back from Orthanc. */
import { NotAnAiReportError, parseReport, type ReportSummary } from '../dicom/sr';
import type { OrthancClient } from './client';

/**
 * Reports of our kind in the study with this Study Instance UID (sorted: see sortReports).
 * SRs of other makers in the same study are skipped, not reported as errors.
 */
export async function readStudyReports(orthanc: OrthancClient, studyInstanceUid: string): Promise<ReportSummary[]> {
  const ids = await orthanc.find('Instance', { StudyInstanceUID: studyInstanceUid, Modality: 'SR' });
  const out: ReportSummary[] = [];
  for (const id of ids) {
    try {
      out.push(parseReport(await orthanc.getInstanceFile(id)));
    } catch (err) {
      if (!(err instanceof NotAnAiReportError)) throw err;
    }
  }
  return sortReports(out);
}

/**
 * Image by image (source SOP Instance UID), and for one image the newest report first, so the reports of two model
 * versions stand side by side; ties by SR UID.
 */
export function sortReports(reports: ReportSummary[]): ReportSummary[] {
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...reports].sort(
    (a, b) =>
      cmp(a.sourceSopInstanceUid, b.sourceSopInstanceUid) ||
      cmp(b.createdAt ?? '', a.createdAt ?? '') ||
      cmp(a.sopInstanceUid, b.sopInstanceUid),
  );
}
