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
import { buildReport, sourceImageFromTags, type BuildReportInput, type ImageOutline } from '../dicom/sr';
import { hotArea, outline } from '../inference/cam';
import { deriveReportUids } from '../dicom/uids';
import { asTemporalFailure, ReportBuildError } from '../errors';
import type { OrthancClient, SimplifiedTags } from '../orthanc/client';
import type { SourceImage } from '../dicom/sr/source-image';
import type { StoreReportInput, StoreReportOutput } from '../contracts';
import type { ActivityDeps } from './deps';
import { heartbeat, keepAlive } from './keep-alive';
import { assertResultBound } from './result-binding';

/**
 * The image regions of the SR's groups: the model's input crop for every label, narrowed to the hot area of the
 * label's class activation map where there is one. Nothing for classifications recorded before regions existed.
 */
function regionsFor(c: StoreReportInput['classification']): Pick<BuildReportInput, 'analysedArea' | 'regions'> {
  if (c.inputArea === undefined) return {};
  const regions: Record<string, ImageOutline> = {};
  for (const [label, map] of Object.entries(c.activationMaps ?? {})) {
    const hot = hotArea(map, c.inputArea);
    if (hot) regions[label] = outline(hot);
  }
  return { analysedArea: outline(c.inputArea), regions };
}

/** Orthanc user metadata on a source image: the model versions that reported on it (`id@version,...`). */
export const MODELS_METADATA = 'CxrModels';

/**
 * Add `key` to the source image's CxrModels metadata (visible in Orthanc Explorer and the REST API). Idempotent
 * (a retry finds its key already there). Two models reporting on one image at the same instant may race and one key
 * be lost; the SR itself, found by its derived UID, stays the authority for "already reported".
 */
export async function recordProvenance(orthanc: OrthancClient, orthancId: string, key: string): Promise<void> {
  const current = (await orthanc.getInstanceMetadata(orthancId, MODELS_METADATA)) ?? '';
  const keys = current.split(',').filter((k) => k !== '');
  if (keys.includes(key)) return;
  await orthanc.setInstanceMetadata(orthancId, MODELS_METADATA, [...keys, key].join(','));
}

/**
 * The image a report or heatmap is about, read from Orthanc (its tags, and the attributes the derived object copies),
 * after checking the Orthanc ID still names the SOP Instance the workflow classified: a derived object is never
 * drawn on the wrong image. `doing` completes the refusal: "refusing to <doing> the wrong image".
 */
export async function readSourceImage(
  orthanc: OrthancClient,
  orthancId: string,
  expectedSopInstanceUid: string,
  doing: string,
): Promise<{ tags: SimplifiedTags; source: SourceImage }> {
  const tags = await orthanc.getInstanceTags(orthancId);
  const source = sourceImageFromTags(tags);
  if (source.instance.sopInstanceUid !== expectedSopInstanceUid) {
    throw new ReportBuildError(
      `Orthanc instance ${orthancId} is not ${expectedSopInstanceUid}; refusing to ${doing} the wrong image.`,
    );
  }
  return { tags, source };
}

export function makeReportActivities(deps: ActivityDeps) {
  const { orthanc } = deps;
  return {
    async storeReport(input: StoreReportInput): Promise<StoreReportOutput> {
      return keepAlive(() =>
        asTemporalFailure(async () => {
          assertResultBound(deps.resultKey, input.orthancId, input.classification);
          const { model, findings } = input.classification;
          const { source } = await readSourceImage(orthanc, input.orthancId, input.sourceSopInstanceUid, 'report on');
          const expected = deriveReportUids(source.instance.sopInstanceUid, model.id, model.version);
          const bytes = buildReport({
            source,
            algorithm: model,
            findings,
            createdAt: new Date(input.reportedAt),
            ...regionsFor(input.classification),
            admission: input.admission,
          });
          heartbeat('built');
          const stored = await orthanc.uploadInstance(bytes);
          heartbeat('stored');
          await recordProvenance(orthanc, input.orthancId, `${model.id}@${model.version}`);
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
