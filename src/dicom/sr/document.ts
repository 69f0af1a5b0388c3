/**
 * buildReport: the whole SR document (IOD modules + TID 1500 content tree) as Part-10 bytes.
 *
 * SOP class: Comprehensive 3D SR (1.2.840.10008.5.1.4.1.1.88.34), because IHE AI Results (AIR) requires its
 * Evidence Creators to encode results in that IOD; the TID 1500 tree we write uses no 3D coordinates, so switching
 * to Comprehensive SR (88.33) for an archive that does not accept 88.34 is a one-constant change (SOP_CLASS).
 *
 * The output is a pure function of the input (no clock, no random UIDs), so the same input gives the same bytes:
 * retried activities are idempotent in Orthanc, and test/fixtures/sr/expected pins the output.
 */
import dcmjs from 'dcmjs';
import { ReportBuildError } from '../../errors';
import { LOCAL_SCHEME } from '../codes';
import { VIEW_SOURCE_NAMES } from '../eligibility';
import {
  deriveDeviceObserverUid,
  deriveReportUids,
  deriveTrackingUid,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  SOP_CLASS,
  TRANSFER_SYNTAX_EXPLICIT_VR_LITTLE_ENDIAN,
} from '../uids';
import { TemplateViolation, type ContentItem } from './content';
import { vrProblem, type StringVr } from '../vr';

import { copiedPatientAndStudy, type SourceImage } from './source-image';
import type { Admission, Finding, ModelIdentity } from '../../contracts';
import { planarRoiMeasurementGroup, type ImageOutline } from './tid1410-planar-roi';
import { measurementGroup } from './tid1501-measurement-group';
import { measurementReport } from './tid1500-measurement-report';

export interface BuildReportInput {
  source: SourceImage;
  /** The model, as its manifest names it (ModelIdentity, as the classify activity returns it). */
  algorithm: ModelIdentity;
  findings: Finding[];
  createdAt: Date;
  /**
   * All labels the model can report (its manifest). When given and some are missing from `findings`, the
   * document says CompletionFlag PARTIAL; otherwise COMPLETE.
   */
  expectedLabels?: readonly string[];
  /**
   * The part of the source image the model analysed (its input crop), as a closed outline in pixel coordinates.
   * When given, every label's group is a TID 1410 planar ROI group with this region (or the label's own region
   * below): OHIF 3.13 draws only measurement groups that have an image region, and shows nothing at all for the
   * report if one group lacks it (docs/viewer.md).
   */
  analysedArea?: ImageOutline;
  /** Per label, a narrower region (the hot area of its class activation map), used instead of analysedArea. */
  regions?: Readonly<Record<string, ImageOutline>>;
  /** Which rules of the model's intended input admitted the image (src/dicom/eligibility.ts); stated in the report. */
  admission?: Admission;
}

/** SR series number: fixed and high so AI series sort after acquired ones in viewers. */
export const REPORT_SERIES_NUMBER = 9001;
const SERIES_DESCRIPTION_MAX = 64;
const NOT_DIAGNOSTIC = 'NOT DIAGNOSTIC';

export function seriesDescription(algorithm: Pick<ModelIdentity, 'name' | 'version' | 'diagnostic'>): string {
  const suffix = algorithm.diagnostic ? '' : ` ${NOT_DIAGNOSTIC}`;
  const body = `AI ${algorithm.name} ${algorithm.version}`;
  // Truncate the model name, never the NOT DIAGNOSTIC warning.
  return body.slice(0, SERIES_DESCRIPTION_MAX - suffix.length).trimEnd() + suffix;
}

/** The statement saying why the image was classified, so a reader can check it against the image header. */
export function admissionStatement(a: Admission): string {
  const view =
    a.view.from === 'missing'
      ? 'an image without a recorded view (the model accepts unrecorded views)'
      : `a ${a.view.value} view (from ${VIEW_SOURCE_NAMES[a.view.from]}${a.view.text !== undefined ? ` ${JSON.stringify(a.view.text)}` : ''})`;
  return `Eligibility: classified as ${view}; the image meets the model's intended input: ${a.rules.join('; ')}.`;
}

/** The report's TEXT statements (TID 1500 Qualitative Evaluations). */
export function reportStatements(algorithm: ModelIdentity, admission?: Admission): string[] {
  const out = [
    `Machine-generated result of the algorithm ${algorithm.name} version ${algorithm.version} ` +
      `(${algorithm.manufacturer}, model id ${algorithm.id}). It has not been reviewed by a person.`,
  ];
  if (!algorithm.diagnostic) {
    out.push(
      `${NOT_DIAGNOSTIC}: this model is not approved for diagnostic use. Do not use this result for patient care.`,
    );
  }
  out.push(`Intended use: ${algorithm.intendedUse}`);
  if (admission !== undefined) out.push(admissionStatement(admission));
  return out;
}

function dicomDate(d: Date): string {
  return d.toISOString().slice(0, 10).replace(/-/g, '');
}
function dicomTime(d: Date): string {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ
  return `${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}.${iso.slice(20, 23)}`;
}

function usesLocalScheme(item: ContentItem): boolean {
  const codes = [...(item.ConceptNameCodeSequence ?? []), ...(item.ConceptCodeSequence ?? [])];
  if (codes.some((c) => c.CodingSchemeDesignator === LOCAL_SCHEME.designator)) return true;
  return (item.ContentSequence ?? []).some(usesLocalScheme);
}

function hasNonAscii(values: string[]): boolean {
  return values.some((v) => /[^\x20-\x7e]/.test(v));
}

function validateInput(input: BuildReportInput): void {
  const { algorithm, findings, createdAt } = input;
  if (!(createdAt instanceof Date) || Number.isNaN(createdAt.getTime())) {
    throw new TemplateViolation('SR Document General module', 'Content Date/Time', 'createdAt is not a valid date');
  }
  const rows = {
    name: ['TID 4019', 'row 1 (Algorithm Name)'],
    version: ['TID 4019', 'row 2 (Algorithm Version)'],
    id: ['TID 4019', 'row 3 (Algorithm Parameters)'],
    manufacturer: ['TID 1004', 'row 3 (Device Observer Manufacturer)'],
    intendedUse: ['TID 1500', 'row 12 (Qualitative Evaluations)'],
  } as const;
  for (const [field, [template, row]] of Object.entries(rows) as [keyof typeof rows, readonly [string, string]][]) {
    if (typeof algorithm[field] !== 'string' || algorithm[field].trim() === '') {
      throw new TemplateViolation(template, row, `the model manifest's ${field} is empty`);
    }
  }
  if (typeof algorithm.diagnostic !== 'boolean') {
    const problem = 'the manifest does not say whether the model is diagnostic';
    throw new TemplateViolation('TID 1500', 'row 12 (Qualitative Evaluations)', problem);
  }
  if (input.regions !== undefined && input.analysedArea === undefined) {
    // A report with some groups drawn and some not is what OHIF 3.13 cannot display at all.
    throw new TemplateViolation('TID 1410', 'row 7 (Image Region)', 'label regions need the analysed area too');
  }
  const seen = new Set<string>();
  for (const f of findings) {
    if (seen.has(f.label)) {
      throw new TemplateViolation('TID 1501', 'row 2 (Tracking Identifier)', `label '${f.label}' is reported twice`);
    }
    seen.add(f.label);
  }
}

/**
 * The attributes whose values come from the model manifest or the source image, with their VR and module. Each is
 * checked before the report is written: a value that does not fit its VR refuses the report with a message naming
 * the attribute (the manifest is checked at worker start too, so a model's texts fail there first).
 */
const CHECKED_ATTRIBUTES: [keyword: string, vr: StringVr, module: string][] = [
  ['PatientName', 'PN', 'Patient module'],
  ['PatientID', 'LO', 'Patient module'],
  ['IssuerOfPatientID', 'LO', 'Patient module'],
  ['PatientBirthDate', 'DA', 'Patient module'],
  ['PatientSex', 'CS', 'Patient module'],
  ['StudyInstanceUID', 'UI', 'General Study module'],
  ['StudyDate', 'DA', 'General Study module'],
  ['StudyTime', 'TM', 'General Study module'],
  ['ReferringPhysicianName', 'PN', 'General Study module'],
  ['StudyID', 'SH', 'General Study module'],
  ['AccessionNumber', 'SH', 'General Study module'],
  ['StudyDescription', 'LO', 'General Study module'],
  ['SeriesDescription', 'LO', 'SR Document Series module'],
  ['Manufacturer', 'LO', 'General Equipment module'],
  ['ManufacturerModelName', 'LO', 'General Equipment module'],
  ['SoftwareVersions', 'LO', 'General Equipment module'],
];

function checkValue(module: string, keyword: string, vr: StringVr, value: unknown): void {
  for (const v of Array.isArray(value) ? value : [value]) {
    if (typeof v !== 'string') continue;
    const problem = vrProblem(vr, v);
    if (problem !== undefined) {
      throw new TemplateViolation(
        module,
        `${keyword} (${vr})`,
        `'${v.length > 80 ? v.slice(0, 77) + '...' : v}': ${problem}`,
      );
    }
  }
}

/** Every text, code and UID of the content tree against its VR (TextValue UT, CodeValue SH, CodeMeaning LO, UI). */
function checkContent(item: ContentItem, path: string): void {
  const module = `SR Document Content ${path}`;
  if (item.TextValue !== undefined) checkValue(module, 'TextValue', 'UT', item.TextValue);
  if (item.UID !== undefined) checkValue(module, 'UID', 'UI', item.UID);
  for (const c of [...(item.ConceptNameCodeSequence ?? []), ...(item.ConceptCodeSequence ?? [])]) {
    checkValue(module, 'CodeValue', 'SH', c.CodeValue);
    checkValue(module, 'CodingSchemeDesignator', 'SH', c.CodingSchemeDesignator);
    checkValue(module, 'CodeMeaning', 'LO', c.CodeMeaning);
  }
  for (const r of item.ReferencedSOPSequence ?? []) {
    checkValue(module, 'ReferencedSOPClassUID', 'UI', r.ReferencedSOPClassUID);
    checkValue(module, 'ReferencedSOPInstanceUID', 'UI', r.ReferencedSOPInstanceUID);
  }
  (item.ContentSequence ?? []).forEach((child, i) => checkContent(child, `${path}.${i + 1}`));
}

/**
 * The multi-frame SOP classes a chest radiograph arrives in: the multi-frame Secondary Capture classes (a digitised
 * film, an export). References to them name a frame; references to single-frame classes must not.
 */
const MULTI_FRAME_SOP_CLASSES: ReadonlySet<string> = new Set([
  '1.2.840.10008.5.1.4.1.1.7.1', // Multi-frame Single Bit Secondary Capture
  '1.2.840.10008.5.1.4.1.1.7.2', // Multi-frame Grayscale Byte Secondary Capture
  '1.2.840.10008.5.1.4.1.1.7.3', // Multi-frame Grayscale Word Secondary Capture
  '1.2.840.10008.5.1.4.1.1.7.4', // Multi-frame True Color Secondary Capture
]);

/** The naturalized dataset (exported for tests that inspect attributes without re-parsing bytes). */
export function buildReportDataset(input: BuildReportInput): Record<string, unknown> {
  validateInput(input);
  const { source, algorithm, findings, createdAt } = input;
  const uids = deriveReportUids(source.instance.sopInstanceUid, algorithm.id, algorithm.version);
  // A multi-frame image is analysed on its first frame (src/dicom/pixels.ts): every reference to it says so, where
  // its SOP class is a multi-frame one. A single-frame class (CR, DX) carrying several frames cannot be referenced
  // by frame (PS3.3 C.17.3.2.1): the reference names the instance, as for any CR or DX.
  const frame = (source.instance.numberOfFrames ?? 1) > 1 && MULTI_FRAME_SOP_CLASSES.has(source.instance.sopClassUid);
  const sourceRef = {
    sopClassUid: source.instance.sopClassUid,
    sopInstanceUid: source.instance.sopInstanceUid,
    ...(frame ? { frame: 1 } : {}),
  };
  const parameters = [`model id=${algorithm.id}`];
  const algorithmId = { name: algorithm.name, version: algorithm.version, parameters };
  const groups = findings.map((finding) => {
    const trackingUid = deriveTrackingUid(uids.sopInstanceUid, finding.label);
    const region = input.regions?.[finding.label] ?? input.analysedArea;
    const group = { finding, trackingUid, algorithm: algorithmId, source: sourceRef };
    return region ? planarRoiMeasurementGroup({ ...group, region }) : measurementGroup(group);
  });
  const root = measurementReport({
    device: {
      uid: deriveDeviceObserverUid(algorithm.id, algorithm.version),
      name: `${algorithm.name} ${algorithm.version}`,
      manufacturer: algorithm.manufacturer,
      modelName: algorithm.name,
    },
    source: {
      ...sourceRef,
      ...(input.admission?.view.from !== 'missing' && input.admission?.view.code !== undefined
        ? { view: input.admission.view.code }
        : {}),
    },
    groups,
    statements: reportStatements(algorithm, input.admission),
  });
  const reported = new Set(findings.map((f) => f.label));
  const complete = (input.expectedLabels ?? []).every((l) => reported.has(l));
  const date = dicomDate(createdAt);
  const time = dicomTime(createdAt);
  const p = source.patient;
  const s = source.study;

  const ds: Record<string, unknown> = {
    // SOP Common
    SOPClassUID: SOP_CLASS.comprehensive3dSr,
    SOPInstanceUID: uids.sopInstanceUid,
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    TimezoneOffsetFromUTC: '+0000',
    // Patient and General Study (copied so the report files with the image)
    ...copiedPatientAndStudy(source),
    // SR Document Series (our own)
    Modality: 'SR',
    SeriesInstanceUID: uids.seriesInstanceUid,
    SeriesNumber: REPORT_SERIES_NUMBER,
    SeriesDate: date,
    SeriesTime: time,
    SeriesDescription: seriesDescription(algorithm),
    ReferencedPerformedProcedureStepSequence: [],
    // General Equipment: the algorithm is the equipment that made this object
    Manufacturer: algorithm.manufacturer,
    ManufacturerModelName: algorithm.name,
    SoftwareVersions: [algorithm.version, IMPLEMENTATION_VERSION_NAME],
    // SR Document General
    InstanceNumber: 1,
    ContentDate: date,
    ContentTime: time,
    CompletionFlag: complete ? 'COMPLETE' : 'PARTIAL',
    VerificationFlag: 'UNVERIFIED',
    PerformedProcedureCodeSequence: [],
    CurrentRequestedProcedureEvidenceSequence: [
      {
        StudyInstanceUID: s.instanceUid,
        ReferencedSeriesSequence: [
          {
            SeriesInstanceUID: source.series.instanceUid,
            ReferencedSOPSequence: [
              { ReferencedSOPClassUID: sourceRef.sopClassUid, ReferencedSOPInstanceUID: sourceRef.sopInstanceUid },
            ],
          },
        ],
      },
    ],
    // SR Document Content (root content item)
    ...root,
  };
  if (usesLocalScheme(root)) {
    ds.CodingSchemeIdentificationSequence = [
      {
        CodingSchemeDesignator: LOCAL_SCHEME.designator,
        CodingSchemeName: LOCAL_SCHEME.name,
        CodingSchemeVersion: LOCAL_SCHEME.version,
        CodingSchemeResponsibleOrganization: LOCAL_SCHEME.responsibleOrganization,
      },
    ];
  }
  const strings = [
    p.name,
    p.id,
    p.issuerOfPatientId ?? '',
    s.referringPhysicianName,
    s.description ?? '',
    s.id,
    s.accessionNumber,
    JSON.stringify(root),
  ];
  if (hasNonAscii(strings)) ds.SpecificCharacterSet = 'ISO_IR 192';
  for (const [keyword, vr, module] of CHECKED_ATTRIBUTES) checkValue(module, keyword, vr, ds[keyword]);
  checkContent(root, '1');
  return ds;
}

/** Part-10 bytes of the report. Throws ReportBuildError (non-retryable) naming the template row at fault. */
export function buildReport(input: BuildReportInput): Buffer {
  let ds: Record<string, unknown>;
  try {
    ds = buildReportDataset(input);
  } catch (err) {
    if (err instanceof TemplateViolation || err instanceof RangeError || err instanceof TypeError) {
      const image = input.source?.instance?.sopInstanceUid ?? '?';
      throw new ReportBuildError(`Cannot build the AI report for image ${image}: ${err.message}`, { cause: err });
    }
    throw err;
  }
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const meta = DicomMetaDictionary.denaturalizeDataset({
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: ds.SOPClassUID,
    MediaStorageSOPInstanceUID: ds.SOPInstanceUID,
    TransferSyntaxUID: TRANSFER_SYNTAX_EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  });
  const dict = new DicomDict(meta);
  dict.dict = DicomMetaDictionary.denaturalizeDataset(ds);
  return Buffer.from(dict.write());
}
