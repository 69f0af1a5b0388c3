/** The source image of a derived object (report, heatmap), read back from Orthanc and checked. */
import { sourceImageFromTags, type SourceImage } from '../dicom/sr/source-image';
import { ReportBuildError } from '../errors';
import type { OrthancClient, SimplifiedTags } from './client';

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
