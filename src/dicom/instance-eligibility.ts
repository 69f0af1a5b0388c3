/** Eligibility of one stored instance: its UIDs must be referenceable, then the model's rules decide. Pure. */
import type { AcceptedInput, Eligibility } from '../contracts';
import { decideEligibility } from './eligibility';
import { type SimplifiedTags, tagString as tag } from './tags';
import { isValidUid } from './uids';

/**
 * Whether a stored instance is classified, from its tags and the model's intended input (`accepts`): the same rules
 * for zips, arrivals (follow) and re-processing. `what` names the file in messages.
 */
export function eligibilityOfTags(accepts: AcceptedInput, tags: SimplifiedTags, what: string): Eligibility {
  const sopInstanceUid = tag(tags, 'SOPInstanceUID') ?? '';
  const studyInstanceUid = tag(tags, 'StudyInstanceUID') ?? '';
  // A report must reference the image and file under its study by UID: with an invalid UID no valid SR can
  // exist, so say so now rather than after classifying.
  const badUid = [sopInstanceUid, studyInstanceUid].find((u) => !isValidUid(u));
  if (badUid !== undefined) {
    return {
      classify: false,
      type: 'InvalidUid',
      message: `${what} carries the invalid UID ${badUid} (DICOM UIDs are dot-separated numbers without leading zeros, at most 64 characters); it is stored in Orthanc, but no report can reference it. Fix the UID at the source and re-export.`,
    };
  }
  // What the model was made for (its manifest's accepts) decides; see src/dicom/eligibility.ts.
  return decideEligibility(accepts, tags);
}
