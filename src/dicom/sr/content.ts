/**
 * SR content item primitives (PS3.3 C.17.3) as dcmjs naturalized datasets. Template builders compose these;
 * nothing here knows about templates. Each function checks what the IOD needs of its value type.
 */
import type { Code } from '../codes';
import { isValidUid } from '../uids';

export type RelationshipType =
  | 'CONTAINS'
  | 'HAS PROPERTIES'
  | 'HAS OBS CONTEXT'
  | 'HAS ACQ CONTEXT'
  | 'INFERRED FROM'
  | 'SELECTED FROM'
  | 'HAS CONCEPT MOD';

/** A code as it appears in a DICOM Code Sequence item. */
export interface CodeItem {
  CodeValue: string;
  CodingSchemeDesignator: string;
  CodeMeaning: string;
}

export interface MeasuredValue {
  NumericValue: string;
  FloatingPointValue: number;
  MeasurementUnitsCodeSequence: CodeItem[];
}

/** One content item (naturalized keywords). The root container has no RelationshipType. */
export interface ContentItem {
  RelationshipType?: RelationshipType;
  ValueType: 'CONTAINER' | 'TEXT' | 'CODE' | 'NUM' | 'UIDREF' | 'IMAGE' | 'SCOORD';
  /** Absent only on IMAGE items, where PS3.3 C.17.3.2 lets it be omitted (image library entries). */
  ConceptNameCodeSequence?: CodeItem[];
  ContinuityOfContent?: 'SEPARATE' | 'CONTINUOUS';
  ContentTemplateSequence?: { MappingResource: string; TemplateIdentifier: string }[];
  TextValue?: string;
  UID?: string;
  ConceptCodeSequence?: CodeItem[];
  MeasuredValueSequence?: MeasuredValue[];
  ReferencedSOPSequence?: {
    ReferencedSOPClassUID: string;
    ReferencedSOPInstanceUID: string;
    /** Which frame of a multi-frame image is meant (1-based); absent for single-frame images. */
    ReferencedFrameNumber?: number;
  }[];
  GraphicType?: 'POINT' | 'POLYLINE';
  /** SCOORD image coordinates (column, row pairs; 0,0 is the top left corner of the top left pixel). */
  GraphicData?: number[];
  ContentSequence?: ContentItem[];
}

/** Thrown by builders; the caller (buildReport) turns it into a ReportBuildError. */
export class TemplateViolation extends Error {
  constructor(template: string, row: string, problem: string) {
    super(`${template} ${row}: ${problem}`);
    this.name = 'TemplateViolation';
  }
}

export function codeItem(c: Code): CodeItem {
  if (c.value === '' || c.value.length > 16) throw new RangeError(`code value '${c.value}' must be 1-16 characters`);
  if (c.meaning === '' || c.meaning.length > 64) {
    throw new RangeError(`code meaning '${c.meaning}' must be 1-64 characters`);
  }
  return { CodeValue: c.value, CodingSchemeDesignator: c.scheme, CodeMeaning: c.meaning };
}

export function container(
  rel: RelationshipType | undefined,
  name: Code,
  children: ContentItem[],
  template?: string,
): ContentItem {
  const item: ContentItem = {
    ValueType: 'CONTAINER',
    ConceptNameCodeSequence: [codeItem(name)],
    ContinuityOfContent: 'SEPARATE',
    ContentSequence: children,
  };
  if (rel !== undefined) item.RelationshipType = rel;
  if (template !== undefined) {
    item.ContentTemplateSequence = [{ MappingResource: 'DCMR', TemplateIdentifier: template }];
  }
  if (children.length === 0) delete item.ContentSequence;
  return item;
}

export function text(rel: RelationshipType, name: Code, value: string, children: ContentItem[] = []): ContentItem {
  if (value.trim() === '') throw new RangeError(`TEXT '${name.meaning}' must not be empty`);
  return withChildren(
    { RelationshipType: rel, ValueType: 'TEXT', ConceptNameCodeSequence: [codeItem(name)], TextValue: value },
    children,
  );
}

export function uidref(rel: RelationshipType, name: Code, uid: string): ContentItem {
  if (!isValidUid(uid)) throw new RangeError(`UIDREF '${name.meaning}' value '${uid}' is not a valid UID`);
  return { RelationshipType: rel, ValueType: 'UIDREF', ConceptNameCodeSequence: [codeItem(name)], UID: uid };
}

export function codeValue(rel: RelationshipType, name: Code, value: Code, children: ContentItem[] = []): ContentItem {
  return withChildren(
    {
      RelationshipType: rel,
      ValueType: 'CODE',
      ConceptNameCodeSequence: [codeItem(name)],
      ConceptCodeSequence: [codeItem(value)],
    },
    children,
  );
}

/**
 * DS holds at most 16 characters, so NumericValue carries the value rounded to 6 significant digits and
 * FloatingPointValue (FD, PS3.3 C.18.1) carries the exact double the model produced.
 */
export function formatDecimalString(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`numeric value ${value} is not finite`);
  const s = String(Number(value.toPrecision(6)));
  if (s.length > 16) throw new RangeError(`numeric value ${value} does not fit a DS`);
  return s;
}

export function num(
  rel: RelationshipType,
  name: Code,
  value: number,
  unit: Code,
  children: ContentItem[] = [],
): ContentItem {
  const measured: MeasuredValue = {
    NumericValue: formatDecimalString(value),
    FloatingPointValue: value,
    MeasurementUnitsCodeSequence: [codeItem(unit)],
  };
  return withChildren(
    {
      RelationshipType: rel,
      ValueType: 'NUM',
      ConceptNameCodeSequence: [codeItem(name)],
      MeasuredValueSequence: [measured],
    },
    children,
  );
}

export function image(
  rel: RelationshipType,
  name: Code | undefined,
  sopClassUid: string,
  sopInstanceUid: string,
  frame?: number,
): ContentItem {
  if (!isValidUid(sopClassUid) || !isValidUid(sopInstanceUid)) {
    throw new RangeError(`IMAGE '${name?.meaning ?? 'reference'}' needs valid SOP Class and Instance UIDs`);
  }
  const item: ContentItem = {
    RelationshipType: rel,
    ValueType: 'IMAGE',
    ReferencedSOPSequence: [
      {
        ReferencedSOPClassUID: sopClassUid,
        ReferencedSOPInstanceUID: sopInstanceUid,
        ...(frame === undefined ? {} : { ReferencedFrameNumber: frame }),
      },
    ],
  };
  if (name !== undefined) item.ConceptNameCodeSequence = [codeItem(name)];
  return item;
}

/**
 * A SCOORD on one image (PS3.3 C.18.6): a POINT, or a closed POLYLINE (first point repeated last), in image
 * coordinates, SELECTED FROM the image it is drawn on.
 */
export function scoord(
  rel: RelationshipType,
  name: Code,
  graphicType: 'POINT' | 'POLYLINE',
  points: readonly (readonly [number, number])[],
  on: { sopClassUid: string; sopInstanceUid: string; frame?: number },
): ContentItem {
  const need = graphicType === 'POINT' ? 'exactly one point' : 'a closed outline (4+ points, first repeated last)';
  const closed =
    points.length >= 4 &&
    points[0][0] === points[points.length - 1][0] &&
    points[0][1] === points[points.length - 1][1];
  if ((graphicType === 'POINT' && points.length !== 1) || (graphicType === 'POLYLINE' && !closed)) {
    throw new RangeError(`SCOORD '${name.meaning}' needs ${need}`);
  }
  if (!points.every(([x, y]) => Number.isFinite(x) && Number.isFinite(y))) {
    throw new RangeError(`SCOORD '${name.meaning}' has a coordinate that is not a finite number`);
  }
  return {
    RelationshipType: rel,
    ValueType: 'SCOORD',
    ConceptNameCodeSequence: [codeItem(name)],
    GraphicType: graphicType,
    GraphicData: points.flatMap(([x, y]) => [x, y]),
    ContentSequence: [image('SELECTED FROM', undefined, on.sopClassUid, on.sopInstanceUid, on.frame)],
  };
}

function withChildren(item: ContentItem, children: ContentItem[]): ContentItem {
  if (children.length > 0) item.ContentSequence = children;
  return item;
}
