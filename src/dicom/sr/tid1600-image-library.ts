/**
 * TID 1600 Image Library: one Image Library Group (row 2) holding one TID 1601 entry per analysed image.
 * Image-level descriptors (TID 1602) are optional and left out: the referenced image carries them itself.
 */
import { IMAGE_LIBRARY, IMAGE_LIBRARY_GROUP } from '../codes';
import { container, image, TemplateViolation, type ContentItem } from './content';

export interface ImageReference {
  sopClassUid: string;
  sopInstanceUid: string;
}

export function imageLibrary(images: ImageReference[]): ContentItem {
  if (images.length === 0) {
    throw new TemplateViolation('TID 1601', 'row 1 (Image Library Entry)', 'no source image to reference');
  }
  const entries = images.map((i) => image('CONTAINS', undefined, i.sopClassUid, i.sopInstanceUid));
  return container('CONTAINS', IMAGE_LIBRARY, [container('CONTAINS', IMAGE_LIBRARY_GROUP, entries)]);
}
