/**
 * TID 1410 Planar ROI Measurements and Qualitative Evaluations: the group the pipeline writes per label. The rows of
 * TID 1501 (tid1501-measurement-group.ts) plus row 7 Image Region = a closed POLYLINE SCOORD on the source image (the
 * part of the image the model analysed, or the hot area of the label's class activation map), SELECTED FROM that image.
 */
import { IMAGE_REGION, MEASUREMENT_GROUP } from '../codes';
import { container, scoord, TemplateViolation, type ContentItem } from './content';
import { measurementGroupRows, type MeasurementGroupInput } from './tid1501-measurement-group';
import type { ImageReference } from './tid1600-image-library';

/** A closed outline in source image pixel coordinates (column, row), first point repeated last. */
export type ImageOutline = readonly (readonly [number, number])[];

/** The TID 1410 group of one label, about `region` of the source image. */
export function planarRoiMeasurementGroup(input: MeasurementGroupInput & { region: ImageOutline }): ContentItem {
  const rows = measurementGroupRows(input, (where) => [imageRegion(input.region, input.source, where)]);
  return container('CONTAINS', MEASUREMENT_GROUP, rows, '1410');
}

function imageRegion(region: ImageOutline, source: ImageReference, where: string): ContentItem {
  try {
    return scoord('CONTAINS', IMAGE_REGION, 'POLYLINE', region, source);
  } catch (err) {
    throw new TemplateViolation('TID 1410', 'row 7 (Image Region)', `${where}: ${(err as Error).message}`);
  }
}
