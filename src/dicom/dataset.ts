/**
 * A bounded reader of DICOM Part 10 files (and bare datasets without preamble or file meta) for the image module:
 * the pipeline reads pixels from the file bytes itself, so no pipeline input goes through Orthanc's decoders
 * (docs/security.md). It walks every data element once without copying values (nested sequences and encapsulated
 * pixel data included, to a fixed depth), keeps the Image Pixel / Modality LUT / VOI LUT / Palette attributes the
 * pixel pipeline needs in the same shape as Orthanc's simplified tags, and records where the Pixel Data lies (the
 * native value, or the encapsulated fragments). Pure: no I/O.
 *
 * What it refuses, with the error the pipeline reports:
 *  - an element that runs past the end of the file, a broken item structure: CorruptDicomError (damaged / truncated);
 *  - a file meta group whose (0002,0000) group length disagrees with the elements it holds, nesting deeper than
 *    MAX_DEPTH, a deflated dataset that inflates past its bound: UnsafeImageStructureError.
 * The image-level checks (dimensions against the Pixel Data length, VRs, LUT descriptors, the size ceiling) are in
 * src/dicom/structure.ts, on what this returns.
 */
import zlib from 'node:zlib';
import { CorruptDicomError, UnsafeImageStructureError } from '../errors';
import type { SimplifiedTags } from './tags';

export const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
export const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
export const DEFLATED_EXPLICIT_VR_LE = '1.2.840.10008.1.2.1.99';
export const EXPLICIT_VR_BE = '1.2.840.10008.1.2.2';

/** Sequences and items nested deeper than this are refused (a crafted file could nest until a stack overflows). */
export const MAX_DEPTH = 16;
/** A deflated dataset may inflate to at most this many bytes (a deflate bomb otherwise). */
export const MAX_INFLATED_BYTES = 1024 * 1024 * 1024;

const UNDEFINED = 0xffffffff;
const ITEM = 0xfffee000;
const ITEM_END = 0xfffee00d;
const SEQUENCE_END = 0xfffee0dd;
const PIXEL_DATA = 0x7fe00010;

/** Explicit VRs with a 2-byte reserved field and a 4-byte length (PS3.5 7.1.2). */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
const VR_PATTERN = /^[A-Z]{2}$/;

type ValueKind = 'us' | 'string' | 'bytes' | 'sequence';
interface Known {
  keyword: string;
  kind: ValueKind;
  /** The VRs the standard allows for it (checked by structure.ts in explicit VR files). */
  vrs: readonly string[];
}

/** The attributes kept at the top level (tag -> keyword, as Orthanc's simplified tags name them). */
const TOP: ReadonlyMap<number, Known> = new Map<number, Known>([
  [0x00080016, { keyword: 'SOPClassUID', kind: 'string', vrs: ['UI'] }],
  [0x00280002, { keyword: 'SamplesPerPixel', kind: 'us', vrs: ['US'] }],
  [0x00280004, { keyword: 'PhotometricInterpretation', kind: 'string', vrs: ['CS'] }],
  [0x00280006, { keyword: 'PlanarConfiguration', kind: 'us', vrs: ['US'] }],
  [0x00280008, { keyword: 'NumberOfFrames', kind: 'string', vrs: ['IS'] }],
  [0x00280010, { keyword: 'Rows', kind: 'us', vrs: ['US'] }],
  [0x00280011, { keyword: 'Columns', kind: 'us', vrs: ['US'] }],
  [0x00280100, { keyword: 'BitsAllocated', kind: 'us', vrs: ['US'] }],
  [0x00280101, { keyword: 'BitsStored', kind: 'us', vrs: ['US'] }],
  [0x00280102, { keyword: 'HighBit', kind: 'us', vrs: ['US'] }],
  [0x00280103, { keyword: 'PixelRepresentation', kind: 'us', vrs: ['US'] }],
  [0x00281050, { keyword: 'WindowCenter', kind: 'string', vrs: ['DS'] }],
  [0x00281051, { keyword: 'WindowWidth', kind: 'string', vrs: ['DS'] }],
  [0x00281052, { keyword: 'RescaleIntercept', kind: 'string', vrs: ['DS'] }],
  [0x00281053, { keyword: 'RescaleSlope', kind: 'string', vrs: ['DS'] }],
  [0x00281056, { keyword: 'VOILUTFunction', kind: 'string', vrs: ['CS'] }],
  [0x00281101, { keyword: 'RedPaletteColorLookupTableDescriptor', kind: 'us', vrs: ['US', 'SS'] }],
  [0x00281102, { keyword: 'GreenPaletteColorLookupTableDescriptor', kind: 'us', vrs: ['US', 'SS'] }],
  [0x00281103, { keyword: 'BluePaletteColorLookupTableDescriptor', kind: 'us', vrs: ['US', 'SS'] }],
  [0x00281201, { keyword: 'RedPaletteColorLookupTableData', kind: 'bytes', vrs: ['OW'] }],
  [0x00281202, { keyword: 'GreenPaletteColorLookupTableData', kind: 'bytes', vrs: ['OW'] }],
  [0x00281203, { keyword: 'BluePaletteColorLookupTableData', kind: 'bytes', vrs: ['OW'] }],
  [0x00283000, { keyword: 'ModalityLUTSequence', kind: 'sequence', vrs: ['SQ'] }],
  [0x00283010, { keyword: 'VOILUTSequence', kind: 'sequence', vrs: ['SQ'] }],
]);
/** The attributes kept inside the first item of the LUT sequences. */
const LUT_ITEM: ReadonlyMap<number, Known> = new Map<number, Known>([
  [0x00283002, { keyword: 'LUTDescriptor', kind: 'us', vrs: ['US', 'SS'] }],
  [0x00283006, { keyword: 'LUTData', kind: 'bytes', vrs: ['US', 'OW', 'SS'] }],
]);

export const KNOWN_VRS: ReadonlyMap<string, readonly string[]> = new Map(
  [...TOP.values(), ...LUT_ITEM.values()].map((k) => [k.keyword, k.vrs]),
);

/** One element's value as found: where, how long, which VR the file gave it (explicit VR only). */
export interface ElementFact {
  vr?: string;
  length: number;
}

export interface LutItem {
  tags: SimplifiedTags;
  facts: Record<string, ElementFact>;
  /** LUT Data as little-endian bytes (a view for little-endian files). */
  data?: Buffer;
}

export type PixelDataLocation =
  | { kind: 'native'; offset: number; length: number; vr?: string }
  | { kind: 'encapsulated'; offsetTable: Buffer; fragments: { offset: number; length: number }[] };

export interface ParsedDicom {
  /** From the file meta; for a bare dataset, the encoding it was read in. */
  transferSyntax: string;
  hasMeta: boolean;
  explicitVr: boolean;
  littleEndian: boolean;
  /** The buffer the offsets below point into: the file itself, or the inflated dataset of a deflated file. */
  bytes: Buffer;
  /** The kept attributes, as Orthanc's simplified tags (keyword -> string; sequences -> items). */
  tags: SimplifiedTags;
  /** VR and length of every kept top-level attribute. */
  facts: Record<string, ElementFact>;
  modalityLut?: LutItem;
  voiLut?: LutItem;
  /** Palette colour LUT data (little-endian bytes), by keyword. */
  palette: Record<string, Buffer>;
  pixelData?: PixelDataLocation;
}

interface Reader {
  buf: Buffer;
  explicit: boolean;
  le: boolean;
}

function u16(r: Reader, at: number): number {
  return r.le ? r.buf.readUInt16LE(at) : r.buf.readUInt16BE(at);
}
function u32(r: Reader, at: number): number {
  return r.le ? r.buf.readUInt32LE(at) : r.buf.readUInt32BE(at);
}

interface Header {
  tag: number;
  vr?: string;
  length: number;
  valueAt: number;
}

function truncated(what: string): CorruptDicomError {
  return new CorruptDicomError(`The file is truncated or damaged: ${what}`);
}

function hex(tag: number): string {
  const s = tag.toString(16).toUpperCase().padStart(8, '0');
  return `(${s.slice(0, 4)},${s.slice(4)})`;
}

function readHeader(r: Reader, at: number, end: number): Header {
  if (at + 8 > end) throw truncated(`an element header at byte ${at} runs past the end of its data`);
  const tag = ((u16(r, at) << 16) | u16(r, at + 2)) >>> 0;
  // Items and delimiters have no VR in any encoding (PS3.5 7.5).
  if (tag === ITEM || tag === ITEM_END || tag === SEQUENCE_END || !r.explicit) {
    return { tag, length: u32(r, at + 4), valueAt: at + 8 };
  }
  const vr = r.buf.toString('latin1', at + 4, at + 6);
  if (!VR_PATTERN.test(vr)) throw truncated(`element ${hex(tag)} at byte ${at} has no valid VR`);
  if (LONG_VRS.has(vr)) {
    if (at + 12 > end) throw truncated(`the header of ${hex(tag)} runs past the end of its data`);
    return { tag, vr, length: u32(r, at + 8), valueAt: at + 12 };
  }
  return { tag, vr, length: u16(r, at + 6), valueAt: at + 8 };
}

function text(r: Reader, at: number, length: number): string {
  return r.buf
    .toString('latin1', at, at + length)
    .replace(/[\0 ]+$/, '')
    .replace(/^ +/, '');
}

function usValues(r: Reader, at: number, length: number): string {
  const out: number[] = [];
  for (let i = 0; i + 2 <= length; i += 2) out.push(u16(r, at + i));
  return out.join('\\');
}

/** A value's bytes as little endian 16-bit words (a view when the file is little endian). */
function wordsLE(r: Reader, at: number, length: number): Buffer {
  const view = r.buf.subarray(at, at + length);
  if (r.le) return view;
  const copy = Buffer.from(view);
  if (copy.length % 2 === 0) copy.swap16();
  return copy;
}

interface Scope {
  known: ReadonlyMap<number, Known>;
  tags: SimplifiedTags;
  facts: Record<string, ElementFact>;
  bytes: Record<string, Buffer>;
  /** For the top level: the sequences whose first item is kept, and the pixel data. */
  top?: ParsedDicom;
}

/**
 * Walk the elements in [at, end) (end undefined: up to an Item Delimitation Item, for an item of undefined length).
 * Returns the offset after the last element (after the delimiter when there is one).
 */
function walk(r: Reader, at: number, end: number, untilDelimiter: boolean, depth: number, scope?: Scope): number {
  if (depth > MAX_DEPTH)
    throw new UnsafeImageStructureError(`The file nests sequences deeper than ${MAX_DEPTH} levels`);
  while (at < end) {
    const h = readHeader(r, at, end);
    if (h.tag === ITEM_END) {
      if (!untilDelimiter) throw truncated(`an Item Delimitation Item at byte ${at} outside an item`);
      return h.valueAt;
    }
    if (h.tag === ITEM || h.tag === SEQUENCE_END) throw truncated(`a stray item tag at byte ${at}`);
    const known = scope?.known.get(h.tag);
    if (h.length === UNDEFINED) {
      const sequence = h.vr === undefined || h.vr === 'SQ' || h.vr === 'UN' || h.tag === PIXEL_DATA;
      if (!sequence) throw truncated(`element ${hex(h.tag)} (${h.vr}) has an undefined length`);
      if (h.tag === PIXEL_DATA) {
        // Fragments hold compressed bytes, not elements; only the top level's Pixel Data is the image.
        at = encapsulated(r, h.valueAt, end, depth === 0 ? scope?.top : undefined);
        continue;
      }
      // UN of undefined length is a sequence written in implicit VR little endian (PS3.5 6.2.2).
      const inner: Reader = h.vr === 'UN' ? { buf: r.buf, explicit: false, le: true } : r;
      at = items(inner, h.valueAt, end, undefined, depth + 1, known?.kind === 'sequence' ? scope : undefined, known);
      continue;
    }
    const next = h.valueAt + h.length;
    if (next > end) {
      throw truncated(
        `element ${hex(h.tag)} declares ${h.length} bytes at byte ${h.valueAt}, but only ${end - h.valueAt} remain`,
      );
    }
    if (h.tag === PIXEL_DATA && depth === 0 && scope?.top) {
      scope.top.pixelData = { kind: 'native', offset: h.valueAt, length: h.length, ...(h.vr ? { vr: h.vr } : {}) };
    } else if (known) {
      scope!.facts[known.keyword] = { ...(h.vr ? { vr: h.vr } : {}), length: h.length };
      if (known.kind === 'us') scope!.tags[known.keyword] = usValues(r, h.valueAt, h.length);
      else if (known.kind === 'string') scope!.tags[known.keyword] = text(r, h.valueAt, h.length);
      else if (known.kind === 'bytes') {
        scope!.tags[known.keyword] = null;
        scope!.bytes[known.keyword] = wordsLE(r, h.valueAt, h.length);
      } else if (h.vr === undefined || h.vr === 'SQ') {
        items(r, h.valueAt, next, next, depth + 1, scope, known);
      }
    } else if (h.vr === 'SQ') {
      // Walk nested items too: a damaged or hostile item structure is found here, not by a decoder later.
      items(r, h.valueAt, next, next, depth + 1, undefined, undefined);
    }
    at = next;
  }
  if (untilDelimiter) throw truncated('an item of undefined length has no Item Delimitation Item');
  return at;
}

/**
 * The items of a sequence in [at, end) (end undefined: up to its Sequence Delimitation Item). With `scope` and a
 * known sequence, the first item's LUT attributes are kept in scope.top.
 */
function items(
  r: Reader,
  at: number,
  fileEnd: number,
  end: number | undefined,
  depth: number,
  scope: Scope | undefined,
  known: Known | undefined,
): number {
  const limit = end ?? fileEnd;
  const kept: SimplifiedTags[] = [];
  let first: LutItem | undefined;
  while (at < limit) {
    const h = readHeader(r, at, limit);
    if (h.tag === SEQUENCE_END) {
      if (end !== undefined)
        throw truncated(`a Sequence Delimitation Item at byte ${at} in a sequence of defined length`);
      return finish(h.valueAt);
    }
    if (h.tag !== ITEM) throw truncated(`element ${hex(h.tag)} at byte ${at} where a sequence item was expected`);
    const itemScope: Scope | undefined =
      scope && known && kept.length === 0 ? { known: LUT_ITEM, tags: {}, facts: {}, bytes: {} } : undefined;
    if (h.length === UNDEFINED) {
      at = walk(r, h.valueAt, limit, true, depth, itemScope);
    } else {
      const next = h.valueAt + h.length;
      if (next > limit) throw truncated(`a sequence item at byte ${at} runs past the end of its sequence`);
      walk(r, h.valueAt, next, false, depth, itemScope);
      at = next;
    }
    if (itemScope) first = { tags: itemScope.tags, facts: itemScope.facts, data: itemScope.bytes.LUTData };
    if (scope && known) kept.push(itemScope?.tags ?? {});
  }
  if (end === undefined) throw truncated('a sequence of undefined length has no Sequence Delimitation Item');
  return finish(at);

  function finish(after: number): number {
    if (scope && known) {
      scope.tags[known.keyword] = kept;
      if (scope.top && first) {
        if (known.keyword === 'ModalityLUTSequence') scope.top.modalityLut = first;
        if (known.keyword === 'VOILUTSequence') scope.top.voiLut = first;
      }
    }
    return after;
  }
}

/** Encapsulated Pixel Data (PS3.5 A.4): the Basic Offset Table item, then one item per fragment, then the delimiter. */
function encapsulated(r: Reader, at: number, end: number, top: ParsedDicom | undefined): number {
  const fragments: { offset: number; length: number }[] = [];
  let offsetTable: Buffer | undefined;
  while (at < end) {
    const h = readHeader(r, at, end);
    if (h.tag === SEQUENCE_END) {
      if (top) top.pixelData = { kind: 'encapsulated', offsetTable: offsetTable ?? Buffer.alloc(0), fragments };
      return h.valueAt;
    }
    if (h.tag !== ITEM || h.length === UNDEFINED)
      throw truncated(`the encapsulated Pixel Data holds ${hex(h.tag)} at byte ${at} instead of a fragment`);
    if (h.valueAt + h.length > end)
      throw truncated(`a Pixel Data fragment declares ${h.length} bytes, but only ${end - h.valueAt} remain`);
    if (offsetTable === undefined) offsetTable = r.buf.subarray(h.valueAt, h.valueAt + h.length);
    else fragments.push({ offset: h.valueAt, length: h.length });
    at = h.valueAt + h.length;
  }
  throw truncated('the encapsulated Pixel Data has no Sequence Delimitation Item');
}

/** The file meta group (PS3.10 7.1, always explicit VR little endian); checks its group length. */
function readMeta(buf: Buffer): { transferSyntax: string; end: number } {
  const r: Reader = { buf, explicit: true, le: true };
  let at = 132;
  let transferSyntax = '';
  let declaredEnd: number | undefined;
  while (at + 8 <= buf.length && buf.readUInt16LE(at) === 0x0002) {
    const h = readHeader(r, at, buf.length);
    if (h.length === UNDEFINED || h.valueAt + h.length > buf.length)
      throw truncated(`the file meta element ${hex(h.tag)} runs past the end of the file`);
    if (h.tag === 0x00020000) {
      if (h.length !== 4 || h.vr !== 'UL')
        throw new UnsafeImageStructureError(
          `The file meta information group length (0002,0000) is ${h.vr} of ${h.length} bytes; it must be UL (4 bytes)`,
        );
      declaredEnd = h.valueAt + 4 + buf.readUInt32LE(h.valueAt);
    }
    if (h.tag === 0x00020010) transferSyntax = text(r, h.valueAt, h.length);
    at = h.valueAt + h.length;
  }
  if (declaredEnd !== undefined && declaredEnd !== at) {
    throw new UnsafeImageStructureError(
      `The file meta information group length (0002,0000) says the header ends at byte ${declaredEnd}, but its elements end at byte ${at}: a reader that trusts one of them misreads the file`,
    );
  }
  if (transferSyntax === '') throw truncated('the file meta information has no Transfer Syntax UID');
  return { transferSyntax, end: at };
}

/** The encoding of a bare dataset (no preamble): explicit VR if the first element carries a plausible VR. */
function bareEncoding(buf: Buffer): { explicit: boolean } {
  const vr = buf.toString('latin1', 4, 6);
  return { explicit: VR_PATTERN.test(vr) && buf.readUInt16LE(0) !== 0xfffe };
}

/** Parse a DICOM file's bytes (see the top of this file). */
export function parseDicom(bytes: Buffer): ParsedDicom {
  const hasMeta = bytes.length >= 132 && bytes.toString('latin1', 128, 132) === 'DICM';
  let transferSyntax: string;
  let start: number;
  let buf = bytes;
  let explicitVr: boolean;
  let littleEndian = true;
  if (hasMeta) {
    const meta = readMeta(bytes);
    transferSyntax = meta.transferSyntax;
    start = meta.end;
    explicitVr = transferSyntax !== IMPLICIT_VR_LE;
    littleEndian = transferSyntax !== EXPLICIT_VR_BE;
    if (transferSyntax === DEFLATED_EXPLICIT_VR_LE) {
      try {
        buf = zlib.inflateRawSync(bytes.subarray(start), { maxOutputLength: MAX_INFLATED_BYTES });
      } catch (err) {
        if (err instanceof RangeError)
          throw new UnsafeImageStructureError(`The deflated dataset inflates past ${MAX_INFLATED_BYTES} bytes`);
        throw truncated(`the deflated dataset cannot be inflated (${(err as Error).message})`);
      }
      start = 0;
    }
  } else {
    explicitVr = bareEncoding(bytes).explicit;
    transferSyntax = explicitVr ? EXPLICIT_VR_LE : IMPLICIT_VR_LE;
    start = 0;
  }
  const parsed: ParsedDicom = {
    transferSyntax,
    hasMeta,
    explicitVr,
    littleEndian,
    bytes: buf,
    tags: {},
    facts: {},
    palette: {},
  };
  const scope: Scope = { known: TOP, tags: parsed.tags, facts: parsed.facts, bytes: {}, top: parsed };
  walk({ buf, explicit: explicitVr, le: littleEndian }, start, buf.length, false, 0, scope);
  for (const [k, v] of Object.entries(scope.bytes)) parsed.palette[k] = v;
  return parsed;
}

/** The native Pixel Data value (a view), when the file has one. */
export function nativePixelData(p: ParsedDicom): Buffer | undefined {
  const pd = p.pixelData;
  return pd?.kind === 'native' ? p.bytes.subarray(pd.offset, pd.offset + pd.length) : undefined;
}
