/**
 * Cheap first look at an entry's bytes: is this plausibly DICOM? Runs before any parsing or upload, so a
 * PDF, photo or text file in the zip fails fast as NotDicom with a reason the operator recognises.
 *
 * Accepts a Part 10 file ('DICM' at byte 128) and also a bare dataset with no preamble or file meta
 * (old modalities and some archives write those: fodicom's CR-MONO1-10-chest_nometa), recognised by a first
 * data element in group 0x0002 or 0x0008 followed by a second one in ascending order, in implicit or
 * explicit VR little endian. Big-endian bare datasets are not recognised (none seen in practice).
 */

export type SniffResult = { ok: true; hasPreamble: boolean } | { ok: false; reason: string };

const PREAMBLE_BYTES = 128;
const MAGIC = Buffer.from('DICM', 'latin1');

const VRS = new Set([
  'AE',
  'AS',
  'AT',
  'CS',
  'DA',
  'DS',
  'DT',
  'FD',
  'FL',
  'IS',
  'LO',
  'LT',
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'PN',
  'SH',
  'SL',
  'SQ',
  'SS',
  'ST',
  'SV',
  'TM',
  'UC',
  'UI',
  'UL',
  'UN',
  'UR',
  'US',
  'UT',
  'UV',
]);
/** Explicit VRs with a 2-byte reserved field and a 4-byte length. */
const LONG_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'SQ', 'UC', 'UN', 'UR', 'UT', 'SV', 'UV']);
const UNDEFINED_LENGTH = 0xffffffff;

interface Element {
  group: number;
  element: number;
  /** Offset of the next element, or undefined for an undefined length (sequence) we do not walk. */
  next?: number;
}

function readElement(bytes: Buffer, at: number, explicit: boolean): Element | undefined {
  if (at + 8 > bytes.length) return undefined;
  const group = bytes.readUInt16LE(at);
  const element = bytes.readUInt16LE(at + 2);
  if (explicit) {
    const vr = bytes.toString('latin1', at + 4, at + 6);
    if (!VRS.has(vr)) return undefined;
    if (LONG_VRS.has(vr)) {
      if (at + 12 > bytes.length) return undefined;
      const length = bytes.readUInt32LE(at + 8);
      return { group, element, next: length === UNDEFINED_LENGTH ? undefined : at + 12 + length };
    }
    return { group, element, next: at + 8 + bytes.readUInt16LE(at + 6) };
  }
  const length = bytes.readUInt32LE(at + 4);
  return { group, element, next: length === UNDEFINED_LENGTH ? undefined : at + 8 + length };
}

/** A bare dataset: first element in group 2 or 8 with a sane length, and the next one (if visible) after it. */
function looksLikeBareDataset(bytes: Buffer, explicit: boolean): boolean {
  const first = readElement(bytes, 0, explicit);
  if (!first || (first.group !== 0x0002 && first.group !== 0x0008)) return false;
  if (first.next === undefined) return true;
  if (first.next > bytes.length) return false;
  if (first.next + 8 > bytes.length) return first.next === bytes.length;
  const second = readElement(bytes, first.next, explicit);
  if (!second) return false;
  const firstTag = first.group * 0x10000 + first.element;
  const secondTag = second.group * 0x10000 + second.element;
  return secondTag > firstTag;
}

/** Name the format of a non-DICOM file when it is a common one, so the message says what was found. */
function describeOther(bytes: Buffer): string {
  const starts = (sig: string | number[]) => {
    const b = typeof sig === 'string' ? Buffer.from(sig, 'latin1') : Buffer.from(sig);
    return bytes.length >= b.length && bytes.subarray(0, b.length).equals(b);
  };
  if (starts('%PDF')) return 'a PDF document';
  if (starts([0x89, 0x50, 0x4e, 0x47])) return 'a PNG image';
  if (starts([0xff, 0xd8, 0xff])) return 'a JPEG image';
  if (starts('GIF8')) return 'a GIF image';
  if (starts('II*\u0000') || starts('MM\u0000*')) return 'a TIFF image';
  if (starts('PK\u0003\u0004') || starts('PK\u0005\u0006')) return 'a zip archive';
  if (starts([0x1f, 0x8b])) return 'a gzip archive';
  if (starts('<?xml') || starts('<!DOCTYPE') || starts('<html')) return 'an XML/HTML document';
  const sample = bytes.subarray(0, 512);
  // eslint-disable-next-line no-control-regex
  if (sample.length > 0 && !/[\u0000-\u0008\u000e-\u001f]/.test(sample.toString('latin1'))) return 'a text file';
  return 'an unknown binary file';
}

export function sniffDicom(bytes: Buffer): SniffResult {
  if (bytes.length === 0) return { ok: false, reason: 'the file is empty (0 bytes), not DICOM' };
  if (
    bytes.length >= PREAMBLE_BYTES + MAGIC.length &&
    bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + 4).equals(MAGIC)
  ) {
    return { ok: true, hasPreamble: true };
  }
  if (looksLikeBareDataset(bytes, true) || looksLikeBareDataset(bytes, false)) return { ok: true, hasPreamble: false };
  return {
    ok: false,
    reason: `this is ${describeOther(bytes)}, not DICOM (no 'DICM' marker at byte 128 and no DICOM header at the start)`,
  };
}

// ------------------------------------------------------------------ file meta vs dataset encoding

type Encoding = 'Explicit VR Little Endian' | 'Implicit VR Little Endian' | 'Explicit VR Big Endian';
const ENCODINGS: readonly Encoding[] = [
  'Explicit VR Little Endian',
  'Implicit VR Little Endian',
  'Explicit VR Big Endian',
];
const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_BE = '1.2.840.10008.1.2.2';
const DEFLATED_LE = '1.2.840.10008.1.2.1.99';
/** Elements read after the file meta to judge an encoding: enough to tell the three apart, cheap. */
const ELEMENTS_CHECKED = 3;

/** How a transfer syntax writes the dataset: every syntax but two is explicit VR little endian (PS3.5 A.4). */
function encodingOf(transferSyntax: string): Encoding | undefined {
  if (transferSyntax === IMPLICIT_LE) return 'Implicit VR Little Endian';
  if (transferSyntax === EXPLICIT_BE) return 'Explicit VR Big Endian';
  if (transferSyntax === DEFLATED_LE || transferSyntax === '') return undefined; // deflated: not readable raw
  return 'Explicit VR Little Endian';
}

function readAs(bytes: Buffer, at: number, encoding: Encoding): Element | undefined {
  if (encoding !== 'Explicit VR Big Endian') return readElement(bytes, at, encoding === 'Explicit VR Little Endian');
  if (at + 8 > bytes.length) return undefined;
  const vr = bytes.toString('latin1', at + 4, at + 6);
  if (!VRS.has(vr)) return undefined;
  const group = bytes.readUInt16BE(at);
  const element = bytes.readUInt16BE(at + 2);
  if (!LONG_VRS.has(vr)) return { group, element, next: at + 8 + bytes.readUInt16BE(at + 6) };
  if (at + 12 > bytes.length) return undefined;
  const length = bytes.readUInt32BE(at + 8);
  return { group, element, next: length === UNDEFINED_LENGTH ? undefined : at + 12 + length };
}

/** The first elements of the dataset read sensibly in this encoding: groups after the meta, ascending, in bounds. */
function readsAs(bytes: Buffer, start: number, encoding: Encoding): boolean {
  let at = start;
  let previous = 0x0002ffff; // after the meta group (a DICOMDIR continues with group 0x0004)
  for (let i = 0; i < ELEMENTS_CHECKED && at < bytes.length; i++) {
    const e = readAs(bytes, at, encoding);
    if (!e) return false;
    const tag = e.group * 0x10000 + e.element;
    if (tag <= previous || e.group === 0xfffe) return false;
    if (e.next === undefined) return true; // a sequence or encapsulated pixel data: not walked
    if (e.next > bytes.length) return false;
    previous = tag;
    at = e.next;
  }
  return true;
}

/**
 * A Part 10 file whose file meta header names a transfer syntax its dataset is not written in (a misconfigured
 * exporter: "explicit VR" declared, implicit written, and the like): a sentence for the operator, or undefined
 * when the header and the data agree (or the file has no meta header, or a deflated dataset, to check).
 * Such a file is not stored: other DICOM software may read it wrongly, and the fix is a new export.
 */
export function encodingContradiction(bytes: Buffer): string | undefined {
  if (!bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + 4).equals(MAGIC)) return undefined;
  let at = PREAMBLE_BYTES + MAGIC.length;
  let transferSyntax = '';
  // The file meta group is always explicit VR little endian (PS3.10 7.1).
  for (;;) {
    const e = readElement(bytes, at, true);
    if (!e || e.group !== 0x0002 || e.next === undefined || e.next > bytes.length) break;
    if (e.element === 0x0010) transferSyntax = bytes.toString('latin1', at + 8, e.next).replace(/[\0 ]+$/, '');
    at = e.next;
  }
  const declared = encodingOf(transferSyntax);
  if (declared === undefined || at >= bytes.length || readsAs(bytes, at, declared)) return undefined;
  const actual = ENCODINGS.find((enc) => enc !== declared && readsAs(bytes, at, enc));
  const written = actual ? `written as ${actual}` : 'not readable that way';
  return (
    `has a header that says its data is written as ${declared} (transfer syntax ${transferSyntax}), but the data is ` +
    `${written}: the system that exported it wrote a broken file, which other DICOM software may misread. ` +
    'It was not stored; export it again from the source system'
  );
}
