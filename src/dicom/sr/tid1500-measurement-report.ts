/**
 * TID 1500 Measurement Report, the root of the document, shaped as IHE AI Results (AIR) asks:
 *   row 1   CONTAINER Imaging Measurement Report (126000, DCM)
 *   row 2   TID 1204 Language of Content Item and Descendants
 *   row 3   TID 1001 Observation Context: the algorithm as a device observer
 *   row 4   Procedure reported: the imaging procedure (plain chest X-ray), not the algorithm
 *   row 6   TID 1600 Image Library: the analysed image
 *   row 8   Imaging Measurements: one TID 1501 group per label
 *   row 12  Qualitative Evaluations: TEXT statements that a machine made this, whether it is diagnostic,
 *           and the manifest's intended use (every viewer that renders SR text shows them first-hand)
 */
import {
  COMMENT,
  IMAGING_MEASUREMENT_REPORT,
  IMAGING_MEASUREMENTS,
  PLAIN_CHEST_XRAY,
  PROCEDURE_REPORTED,
  QUALITATIVE_EVALUATIONS,
} from '../codes';
import { codeValue, container, TemplateViolation, text, type ContentItem } from './content';
import { languageOfContent } from './tid1204-language';
import { observerContext, type DeviceObserver } from './tid1001-observer-context';
import { imageLibrary, type ImageReference } from './tid1600-image-library';

export interface MeasurementReportInput {
  device: DeviceObserver;
  source: ImageReference;
  groups: ContentItem[];
  statements: string[];
}

export function measurementReport(input: MeasurementReportInput): ContentItem {
  if (input.groups.length === 0) {
    throw new TemplateViolation('TID 1500', 'row 8 (Imaging Measurements)', 'the model produced no findings to report');
  }
  return container(
    undefined,
    IMAGING_MEASUREMENT_REPORT,
    [
      languageOfContent(),
      ...observerContext(input.device),
      codeValue('HAS CONCEPT MOD', PROCEDURE_REPORTED, PLAIN_CHEST_XRAY),
      imageLibrary([input.source]),
      container('CONTAINS', IMAGING_MEASUREMENTS, input.groups),
      container(
        'CONTAINS',
        QUALITATIVE_EVALUATIONS,
        input.statements.map((s) => text('CONTAINS', COMMENT, s)),
      ),
    ],
    '1500',
  );
}
