/**
 * Coded concepts used in the AI result Structured Reports, as named constants (highdicom style).
 *
 * Sources: DCM codes from DICOM PS3.16 Annex D; SNOMED CT (SCT) codes either listed in PS3.16 context groups
 * (checked against pydicom 3.0's copy of PS3.16: CID 6102/6104/6105 for chest findings, CID 240/241 for
 * Present/Absent, CID 7021 for the report title) or, where PS3.16 has no chest-radiograph finding, the SNOMED CT
 * International concept whose code we could confirm in at least two independent public sources. A label with no
 * confident standard concept gets a code in our local scheme (LOCAL_SCHEME below), described in every SR through
 * the CodingSchemeIdentificationSequence so a receiver can see exactly what it means.
 */

export interface Code {
  /** Code Value (SH, at most 16 characters). */
  readonly value: string;
  /** Coding Scheme Designator. */
  readonly scheme: string;
  /** Code Meaning (LO, at most 64 characters). */
  readonly meaning: string;
}

function code(value: string, scheme: string, meaning: string): Code {
  return Object.freeze({ value, scheme, meaning });
}

/** Private coding scheme for labels with no standard concept (PS3.3 8.1: private designators start with 99). */
export const LOCAL_SCHEME = Object.freeze({
  designator: '99CXRAI',
  name: 'CXR pipeline local codes for classifier labels without a standard concept',
  responsibleOrganization: 'cxr-pipeline project (see src/dicom/codes.ts)',
  version: '1',
});

// ---- Document structure (TID 1500, 1204, 1001/1004, 1600, 1501, 300, 4019) ----
export const IMAGING_MEASUREMENT_REPORT = code('126000', 'DCM', 'Imaging Measurement Report');
export const LANGUAGE_OF_CONTENT = code('121049', 'DCM', 'Language of Content Item and Descendants');
export const LANGUAGE_EN_US = code('en-US', 'RFC5646', 'English (United States)');
export const OBSERVER_TYPE = code('121005', 'DCM', 'Observer Type');
export const OBSERVER_TYPE_DEVICE = code('121007', 'DCM', 'Device');
export const DEVICE_OBSERVER_UID = code('121012', 'DCM', 'Device Observer UID');
export const DEVICE_OBSERVER_NAME = code('121013', 'DCM', 'Device Observer Name');
export const DEVICE_OBSERVER_MANUFACTURER = code('121014', 'DCM', 'Device Observer Manufacturer');
export const DEVICE_OBSERVER_MODEL_NAME = code('121015', 'DCM', 'Device Observer Model Name');
export const PROCEDURE_REPORTED = code('121058', 'DCM', 'Procedure reported');
/** The imaging procedure the report is about (not the algorithm). */
export const PLAIN_CHEST_XRAY = code('399208008', 'SCT', 'Plain chest X-ray');
export const IMAGE_LIBRARY = code('111028', 'DCM', 'Image Library');
export const IMAGE_LIBRARY_GROUP = code('126200', 'DCM', 'Image Library Group');
/** TID 1603 row 1 (Image Library Entry Descriptors for Projection Radiography): the view, a CID 4010 "DX View" code. */
export const IMAGE_VIEW = code('111031', 'DCM', 'Image View');
export const IMAGING_MEASUREMENTS = code('126010', 'DCM', 'Imaging Measurements');
export const QUALITATIVE_EVALUATIONS = code('C0034375', 'UMLS', 'Qualitative Evaluations');
export const MEASUREMENT_GROUP = code('125007', 'DCM', 'Measurement Group');
export const TRACKING_IDENTIFIER = code('112039', 'DCM', 'Tracking Identifier');
export const TRACKING_UNIQUE_IDENTIFIER = code('112040', 'DCM', 'Tracking Unique Identifier');
export const FINDING = code('121071', 'DCM', 'Finding');
export const SOURCE_OF_MEASUREMENT = code('121112', 'DCM', 'Source of Measurement');
/** TID 1410 row 7: the region a planar ROI measurement group is about. */
export const IMAGE_REGION = code('111030', 'DCM', 'Image Region');
export const ALGORITHM_NAME = code('111001', 'DCM', 'Algorithm Name');
export const ALGORITHM_VERSION = code('111003', 'DCM', 'Algorithm Version');
export const ALGORITHM_PARAMETERS = code('111002', 'DCM', 'Algorithm Parameters');
export const COMMENT = code('121106', 'DCM', 'Comment');

// ---- Per-label values ----
/** The model's output for a finding: DICOM's CAD concept for "how likely the finding is real" (CID 6048). */
export const CERTAINTY_OF_FINDING = code('111012', 'DCM', 'Certainty of Finding');
/** The model's decision threshold for the label. */
export const THRESHOLD_VALUE = code('122411', 'DCM', 'Threshold Value');
/** UCUM annotation unit (dimensionless, value in [0, 1]); self-describing where "1" would not be. */
export const UNIT_PROBABILITY = code('{probability}', 'UCUM', 'probability');
/** CID 241 "Present/Absent Only": the thresholded decision, as the value of a CODE named after the finding. */
// ---- CID 4010 DX View (the views src/dicom/eligibility.ts names; View Position term where there is one) ----
export const VIEW_POSTERO_ANTERIOR = code('272479007', 'SCT', 'postero-anterior');
export const VIEW_ANTERO_POSTERIOR = code('399348003', 'SCT', 'antero-posterior');
export const VIEW_FRONTAL = code('399033003', 'SCT', 'frontal');
export const VIEW_LEFT_LATERAL = code('399173006', 'SCT', 'left lateral');
export const VIEW_RIGHT_LATERAL = code('399198007', 'SCT', 'right lateral');
export const VIEW_LATERAL = code('399067008', 'SCT', 'lateral');
// ---- CID 7454 Animal Taxonomic Rank Value: the human patient (Patient Species Code Sequence, src/dicom/eligibility.ts) ----
export const SPECIES_HOMO_SAPIENS = code('337915000', 'SCT', 'Homo sapiens');

export const PRESENT = code('52101004', 'SCT', 'Present');
export const ABSENT = code('272519000', 'SCT', 'Absent');

/**
 * The 18 torchxrayvision labels. SCT/DCM where a concept is known for sure (see the file comment), local otherwise:
 * - Infiltration and Lung Opacity: DICOM's own chest CAD concepts (CID 6104 Abnormal Opacity), not SNOMED guesses.
 * - Pleural_Thickening, Hernia (in NIH ChestX-ray14 mostly hiatal, but not only), Lung Lesion (an umbrella term)
 *   and Enlarged Cardiomediastinum (a radiographic sign with no SNOMED CT concept): local scheme.
 */
export const LABEL_CODES: Readonly<Record<string, Code>> = Object.freeze({
  Atelectasis: code('46621007', 'SCT', 'Atelectasis'),
  Consolidation: code('95436008', 'SCT', 'Lung consolidation'),
  Infiltration: code('112121', 'DCM', 'Infiltrate'),
  Pneumothorax: code('36118008', 'SCT', 'Pneumothorax'),
  Edema: code('19242006', 'SCT', 'Pulmonary edema'),
  Emphysema: code('87433001', 'SCT', 'Pulmonary emphysema'),
  Fibrosis: code('51615001', 'SCT', 'Pulmonary fibrosis'),
  Effusion: code('60046008', 'SCT', 'Pleural effusion'),
  Pneumonia: code('233604007', 'SCT', 'Pneumonia'),
  Pleural_Thickening: code('PLEURAL_THICK', LOCAL_SCHEME.designator, 'Pleural thickening'),
  Cardiomegaly: code('8186001', 'SCT', 'Cardiomegaly'),
  Nodule: code('27925004', 'SCT', 'Nodule'),
  Mass: code('4147007', 'SCT', 'Mass'),
  Hernia: code('HERNIA', LOCAL_SCHEME.designator, 'Hernia'),
  'Lung Lesion': code('LUNG_LESION', LOCAL_SCHEME.designator, 'Lung lesion'),
  Fracture: code('125605004', 'SCT', 'Fracture of bone'),
  'Lung Opacity': code('112001', 'DCM', 'Opacity'),
  'Enlarged Cardiomediastinum': code('ENLARGED_CM', LOCAL_SCHEME.designator, 'Enlarged cardiomediastinum'),
});

/**
 * The concept for a classifier label. Labels outside the table (another model's manifest) get a local code
 * made from the label itself, so any manifest works and the label survives a round trip through the SR.
 */
export function codeForLabel(label: string): Code {
  const known = LABEL_CODES[label];
  if (known !== undefined) return known;
  const value = label
    .toUpperCase()
    .replace(/[^A-Z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
  if (value === '' || value.length > 16 || label.length > 64) {
    throw new RangeError(
      `label '${label}' has no standard code and cannot be a local code ` +
        '(1-16 letters/digits, meaning at most 64 characters)',
    );
  }
  return code(value, LOCAL_SCHEME.designator, label);
}

/** Reverse lookup used when reading reports back: the label a finding concept stands for. */
export function labelForCode(c: { value: string; scheme: string; meaning: string }): string {
  for (const [label, known] of Object.entries(LABEL_CODES)) {
    if (known.value === c.value && known.scheme === c.scheme) return label;
  }
  return c.meaning;
}
