/** All AI result SRs of a study, read back from Orthanc. */
import { NotAnAiReportError, parseReport, type ReportSummary } from '../dicom/sr';
import type { OrthancClient } from './client';

/**
 * Reports of our kind in the study with this Study Instance UID, sorted by SOP Instance UID.
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
  return out.sort((a, b) => (a.sopInstanceUid < b.sopInstanceUid ? -1 : a.sopInstanceUid > b.sopInstanceUid ? 1 : 0));
}
