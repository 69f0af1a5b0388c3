/**
 * TID 1600 Image Library: one Image Library Group (row 2) holding one TID 1601 entry per analysed image.
 * Of the image-level descriptors (TID 1601 row 2, TID 1602/1603) only the view is written, when known: TID 1603
 * row 1, HAS ACQ CONTEXT CODE (111031, DCM, "Image View") from CID 4010, the view the image was classified as
 * (src/dicom/eligibility.ts), so a reader can check it against the image. The image carries the rest itself.
 */
import { type Code, IMAGE_LIBRARY, IMAGE_LIBRARY_GROUP, IMAGE_VIEW } from '../codes';
import { codeValue, container, image, TemplateViolation, type ContentItem } from './content';

export interface ImageReference {
  sopClassUid: string;
  sopInstanceUid: string;
  /** The frame analysed, for a multi-frame image (1-based: the pipeline reads the first); absent otherwise. */
  frame?: number;
  /** The view the image was classified as (CID 4010 code), when known. */
  view?: Code;
}

export function imageLibrary(images: ImageReference[]): ContentItem {
  if (images.length === 0) {
    throw new TemplateViolation('TID 1601', 'row 1 (Image Library Entry)', 'no source image to reference');
  }
  const entries = images.map((i) => {
    const entry = image('CONTAINS', undefined, i.sopClassUid, i.sopInstanceUid, i.frame);
    if (i.view !== undefined) entry.ContentSequence = [codeValue('HAS ACQ CONTEXT', IMAGE_VIEW, i.view)];
    return entry;
  });
  return container('CONTAINS', IMAGE_LIBRARY, [container('CONTAINS', IMAGE_LIBRARY_GROUP, entries)]);
}
