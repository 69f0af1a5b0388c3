/**
 * TID 1501 Measurement and Qualitative Evaluation Group: one per classifier label, about the whole image. The rows
 * (TID 1410, tid1410-planar-roi.ts, has the same ones plus an Image Region):
 *   row 2  Tracking Identifier = the label exactly as the model's manifest spells it (read back by parse.ts)
 *   row 3  Tracking Unique Identifier
 *   row 5  Finding = the label's concept (codes.ts)
 *   row 6  TID 4019 Algorithm Identification, with the decision threshold as a parameter
 *   row 10 TID 300 Measurement: Certainty of Finding = probability, INFERRED FROM the source image;
 *          Threshold Value = the model's decision threshold for this label
 *   row 11 Qualitative evaluation: <finding concept> = Present / Absent (CID 241), the thresholded decision
 */
import {
  ABSENT,
  CERTAINTY_OF_FINDING,
  codeForLabel,
  FINDING,
  MEASUREMENT_GROUP,
  PRESENT,
  SOURCE_OF_MEASUREMENT,
  THRESHOLD_VALUE,
  TRACKING_IDENTIFIER,
  TRACKING_UNIQUE_IDENTIFIER,
  UNIT_PROBABILITY,
  type Code,
} from '../codes';
import {
  codeValue,
  container,
  formatDecimalString,
  image,
  num,
  TemplateViolation,
  text,
  uidref,
  type ContentItem,
} from './content';
import { algorithmIdentification, type AlgorithmIdentification } from './tid4019-algorithm';
import type { ImageReference } from './tid1600-image-library';
import type { Finding } from '../../contracts';

function checkUnitInterval(row: string, what: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new TemplateViolation('TID 1501', row, `${what} must be a number from 0 to 1, got ${String(v)}`);
  }
}

export interface MeasurementGroupInput {
  finding: Finding;
  trackingUid: string;
  algorithm: AlgorithmIdentification;
  source: ImageReference;
}

/** The TID 1501 group of one label. */
export function measurementGroup(input: MeasurementGroupInput): ContentItem {
  return container('CONTAINS', MEASUREMENT_GROUP, measurementGroupRows(input), '1501');
}

/**
 * The checked rows of a measurement group. `regionRows` (TID 1410's Image Region) is called once the finding has
 * been checked and its rows go right after the Finding row.
 */
export function measurementGroupRows(
  input: MeasurementGroupInput,
  regionRows?: (where: string) => ContentItem[],
): ContentItem[] {
  const { finding, trackingUid, algorithm, source } = input;
  if (finding.label.trim() === '') {
    throw new TemplateViolation('TID 1501', 'row 2 (Tracking Identifier)', 'the label is empty');
  }
  const where = `for label '${finding.label}'`;
  checkUnitInterval('row 10 (Measurement)', `the probability ${where}`, finding.probability);
  checkUnitInterval('row 10 (Measurement)', `the decision threshold ${where}`, finding.threshold);
  if (typeof finding.positive !== 'boolean') {
    const problem = `the positive/negative result ${where} is missing`;
    throw new TemplateViolation('TID 1501', 'row 11 (Qualitative Evaluation)', problem);
  }
  // A decision that contradicts its own probability and threshold would mislead a reader: refuse it.
  // Equality is accepted either way (models differ on >= versus >).
  const { positive, probability, threshold } = finding;
  if ((positive && probability < threshold) || (!positive && probability > threshold)) {
    throw new TemplateViolation(
      'TID 1501',
      'row 11 (Qualitative Evaluation)',
      `${where} the result is ${positive ? 'positive' : 'negative'} but the probability ${probability} is ` +
        `${positive ? 'below' : 'above'} the threshold ${threshold}`,
    );
  }
  let concept: Code;
  try {
    concept = codeForLabel(finding.label);
  } catch (err) {
    throw new TemplateViolation('TID 1501', 'row 5 (Finding)', (err as Error).message);
  }
  const params = [...(algorithm.parameters ?? []), `decision threshold=${formatDecimalString(finding.threshold)}`];
  return [
    text('HAS OBS CONTEXT', TRACKING_IDENTIFIER, finding.label),
    uidref('HAS OBS CONTEXT', TRACKING_UNIQUE_IDENTIFIER, trackingUid),
    codeValue('CONTAINS', FINDING, concept),
    ...(regionRows ? regionRows(where) : []),
    ...algorithmIdentification({ ...algorithm, parameters: params }),
    num('CONTAINS', CERTAINTY_OF_FINDING, finding.probability, UNIT_PROBABILITY, [
      image('INFERRED FROM', SOURCE_OF_MEASUREMENT, source.sopClassUid, source.sopInstanceUid, source.frame),
    ]),
    num('CONTAINS', THRESHOLD_VALUE, finding.threshold, UNIT_PROBABILITY),
    codeValue('CONTAINS', concept, finding.positive ? PRESENT : ABSENT),
  ];
}
