/**
 * storeReport: build the DICOM Structured Report for one classified image and store it in Orthanc.
 *
 * Idempotency: the SR's SOPInstanceUID is derived from the source SOPInstanceUID and the model
 * id/version, so a retry rebuilds the same UID and Orthanc answers AlreadyStored: never a second SR.
 * The content date/time comes from the workflow (input.reportedAt), so a retry builds byte-identical
 * content; even if it did not, Orthanc keeps the first copy (OverwriteInstances: false) and answers
 * AlreadyStored with the same Orthanc ID. Tested in test/integration/durability/idempotency.test.ts.
 * Patient and study attributes are read from Orthanc here, so no demographics travel through Temporal.
 */
import { heartbeat } from '@temporalio/activity';
import { buildReport, sourceImageFromTags } from '../dicom/sr';
import { deriveReportUids } from '../dicom/uids';
import { asTemporalFailure, ReportBuildError } from '../errors';
import type { StoreReportInput, StoreReportOutput } from '../contracts';
import type { ActivityDeps } from './deps';
import { keepAlive } from './keep-alive';

export function makeReportActivities(deps: ActivityDeps) {
  const { orthanc } = deps;
  return {
    async storeReport(input: StoreReportInput): Promise<StoreReportOutput> {
      return keepAlive(() =>
        asTemporalFailure(async () => {
          const { model, findings } = input.classification;
          const tags = await orthanc.getInstanceTags(input.orthancId);
          const source = sourceImageFromTags(tags);
          if (source.instance.sopInstanceUid !== input.sourceSopInstanceUid) {
            throw new ReportBuildError(
              `Orthanc instance ${input.orthancId} is not ${input.sourceSopInstanceUid}; refusing to report on the wrong image.`,
            );
          }
          const expected = deriveReportUids(source.instance.sopInstanceUid, model.id, model.version);
          const bytes = buildReport({
            source,
            algorithm: model,
            findings,
            createdAt: new Date(input.reportedAt),
            admission: input.admission,
          });
          heartbeat('built');
          const stored = await orthanc.uploadInstance(bytes);
          return {
            reportSopInstanceUid: expected.sopInstanceUid,
            reportOrthancId: stored.id,
            alreadyStored: stored.status === 'AlreadyStored',
          };
        }),
      );
    },
  };
}
