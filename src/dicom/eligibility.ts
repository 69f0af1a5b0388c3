/**
 * Which stored instances the chest X-ray model reads. Pure: decided from a few DICOM attributes.
 *
 * Rule: classify when Modality is CR or DX (whatever the SOP class: secondary captures of chest films
 * carry Modality DX/CR too) and BodyPartExamined is absent, empty, CHEST or THORAX (the values DICOM's
 * CID 4031 and common vendors use for chest films). Anything else is skipped with the reason.
 * A radiograph without pixel data cannot be classified: that is a failure, not a skip.
 */
import type { Eligibility } from '../contracts';

export const CHEST_MODALITIES: ReadonlySet<string> = new Set(['CR', 'DX']);
export const CHEST_BODY_PARTS: ReadonlySet<string> = new Set(['', 'CHEST', 'THORAX']);

export interface EligibilityFacts {
  modality: string | undefined;
  bodyPartExamined: string | undefined;
  hasPixelData: boolean;
}

export function chestXrayEligibility(facts: EligibilityFacts): Eligibility {
  const modality = (facts.modality ?? '').trim().toUpperCase();
  if (!CHEST_MODALITIES.has(modality)) {
    return {
      classify: false,
      type: 'NotChestXray',
      message: `Modality is ${modality || 'missing'}; the model reads chest radiographs (CR or DX) only. Stored in Orthanc, not classified.`,
    };
  }
  const bodyPart = (facts.bodyPartExamined ?? '').trim().toUpperCase();
  if (!CHEST_BODY_PARTS.has(bodyPart)) {
    return {
      classify: false,
      type: 'NotChestXray',
      message: `Body Part Examined is ${bodyPart}; the model reads chest radiographs only. Stored in Orthanc, not classified.`,
    };
  }
  if (!facts.hasPixelData) {
    return {
      classify: false,
      type: 'NoPixelData',
      message: `This ${modality} instance has no pixel data, so there is no image to classify. Re-export it from the modality with the image.`,
    };
  }
  return { classify: true };
}
