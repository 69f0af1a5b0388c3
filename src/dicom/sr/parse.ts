/**
 * Reading our AI result SRs back (TID 1500 as written by document.ts next door): proves the round trip, and lets the CLI
 * and tests list what a study holds. It reads by concept codes, not by position, so content item order may
 * change without breaking it; it refuses SRs of other makers with NotAnAiReportError.
 */
import dcmjs from 'dcmjs';
import {
  ALGORITHM_NAME,
  ALGORITHM_VERSION,
  CERTAINTY_OF_FINDING,
  COMMENT,
  FINDING,
  IMAGE_LIBRARY,
  IMAGE_LIBRARY_GROUP,
  IMAGING_MEASUREMENT_REPORT,
  IMAGING_MEASUREMENTS,
  MEASUREMENT_GROUP,
  PRESENT,
  QUALITATIVE_EVALUATIONS,
  THRESHOLD_VALUE,
  TRACKING_IDENTIFIER,
  type Code,
} from '../codes';
import { SOP_CLASS } from '../uids';
import type { Finding, ModelIdentity } from '../../contracts';

export interface ReportSummary {
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  sourceSopInstanceUid: string;
  algorithm: Pick<ModelIdentity, 'name' | 'version'>;
  diagnostic: boolean;
  findings: Finding[];
  /** Content date/time of the SR (ISO 8601, no zone) when present: when the model reported. */
  createdAt?: string;
  /** The report's statement of which rules of the model's intended input admitted the image (absent in older SRs). */
  eligibility?: string;
}

/** The object is not an SR of the kind this pipeline writes (another maker's SR, or not an SR at all). */
export class NotAnAiReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotAnAiReportError';
  }
}

interface CodeSeqItem {
  CodeValue?: string;
  CodingSchemeDesignator?: string;
  CodeMeaning?: string;
}

interface Item {
  ValueType?: string;
  ConceptNameCodeSequence?: CodeSeqItem[] | CodeSeqItem;
  ConceptCodeSequence?: CodeSeqItem[] | CodeSeqItem;
  TextValue?: string;
  MeasuredValueSequence?: { NumericValue?: string | number; FloatingPointValue?: number }[];
  ReferencedSOPSequence?: { ReferencedSOPInstanceUID?: string }[];
  ContentSequence?: Item[];
}

function first<T>(v: T[] | T | undefined): T | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function is(c: CodeSeqItem | undefined, code: Pick<Code, 'value' | 'scheme'>): boolean {
  return c !== undefined && c.CodeValue === code.value && c.CodingSchemeDesignator === code.scheme;
}

function named(item: Item, code: Code): boolean {
  return is(first(item.ConceptNameCodeSequence), code);
}

function children(item: Item | undefined): Item[] {
  return item?.ContentSequence ?? [];
}

function child(item: Item | undefined, code: Code): Item | undefined {
  return children(item).find((c) => named(c, code));
}

function numValue(item: Item | undefined, what: string): number {
  const mv = item?.MeasuredValueSequence?.[0];
  const v = typeof mv?.FloatingPointValue === 'number' ? mv.FloatingPointValue : Number(mv?.NumericValue);
  if (mv === undefined || !Number.isFinite(v)) throw new NotAnAiReportError(`measurement group has no numeric ${what}`);
  return v;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : Array.isArray(v) && typeof v[0] === 'string' ? v[0] : '';
}

function parseGroup(group: Item): { finding: Finding; algorithm: { name: string; version: string } } {
  const label = child(group, TRACKING_IDENTIFIER)?.TextValue;
  if (label === undefined) throw new NotAnAiReportError('measurement group without Tracking Identifier');
  const concept = first(child(group, FINDING)?.ConceptCodeSequence);
  // The Present/Absent item is the CODE named after the finding concept itself.
  const findingCode = { value: concept?.CodeValue ?? '', scheme: concept?.CodingSchemeDesignator ?? '' };
  const decision = children(group).find(
    (c) => c.ValueType === 'CODE' && is(first(c.ConceptNameCodeSequence), findingCode),
  );
  if (concept === undefined || decision === undefined) {
    throw new NotAnAiReportError(`measurement group '${label}' has no Present/Absent result`);
  }
  return {
    finding: {
      label,
      probability: numValue(child(group, CERTAINTY_OF_FINDING), 'Certainty of Finding'),
      threshold: numValue(child(group, THRESHOLD_VALUE), 'Threshold Value'),
      positive: is(first(decision.ConceptCodeSequence), PRESENT),
    },
    algorithm: {
      name: child(group, ALGORITHM_NAME)?.TextValue ?? '',
      version: child(group, ALGORITHM_VERSION)?.TextValue ?? '',
    },
  };
}

/** DICOM DA + TM -> `YYYY-MM-DDTHH:MM:SS` (undefined without a date). */
function contentDateTime(da: string, tm: string): string | undefined {
  if (!/^\d{8}$/.test(da)) return undefined;
  const t = (tm.replace(/[^0-9.]/g, '') + '000000').slice(0, 6);
  return `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6, 8)}T${t.slice(0, 2)}:${t.slice(2, 4)}:${t.slice(4, 6)}`;
}

export function parseReport(bytes: Buffer): ReportSummary {
  const { DicomMessage, DicomMetaDictionary } = dcmjs.data;
  let ds: Record<string, unknown>;
  try {
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    ds = DicomMetaDictionary.naturalizeDataset(DicomMessage.readFile(ab).dict) as Record<string, unknown>;
  } catch (err) {
    throw new NotAnAiReportError(`not a readable DICOM file (${(err as Error).message})`);
  }
  const sopClass = str(ds.SOPClassUID);
  if (sopClass !== SOP_CLASS.comprehensive3dSr && sopClass !== SOP_CLASS.comprehensiveSr) {
    throw new NotAnAiReportError(`SOP class ${sopClass} is not a Comprehensive (3D) SR`);
  }
  const root = ds as Item;
  if (!named(root, IMAGING_MEASUREMENT_REPORT)) {
    throw new NotAnAiReportError('document title is not Imaging Measurement Report (TID 1500)');
  }
  const groups = children(child(root, IMAGING_MEASUREMENTS)).filter((g) => named(g, MEASUREMENT_GROUP));
  if (groups.length === 0) throw new NotAnAiReportError('no measurement groups');
  const parsed = groups.map(parseGroup);
  const library = child(child(root, IMAGE_LIBRARY), IMAGE_LIBRARY_GROUP);
  const libraryImage = children(library).find((c) => c.ValueType === 'IMAGE');
  const sourceSopInstanceUid = libraryImage?.ReferencedSOPSequence?.[0]?.ReferencedSOPInstanceUID ?? '';
  const statements = children(child(root, QUALITATIVE_EVALUATIONS))
    .filter((c) => named(c, COMMENT))
    .map((c) => c.TextValue ?? '');
  const eligibility = statements.find((s) => s.startsWith('Eligibility:'));
  return {
    sopInstanceUid: str(ds.SOPInstanceUID),
    seriesInstanceUid: str(ds.SeriesInstanceUID),
    studyInstanceUid: str(ds.StudyInstanceUID),
    sourceSopInstanceUid,
    algorithm: parsed[0].algorithm,
    diagnostic: !statements.some((s) => s.startsWith('NOT DIAGNOSTIC')),
    findings: parsed.map((p) => p.finding),
    createdAt: contentDateTime(str(ds.ContentDate), str(ds.ContentTime)),
    ...(eligibility !== undefined ? { eligibility } : {}),
  };
}
