/**
 * Structural checks before anything decodes or stores an image (src/dicom/dataset.ts, src/dicom/structure.ts), on
 * files crafted byte by byte: each lie a hostile or broken header can tell is refused with its typed, non-retryable
 * reason, and the honest file it was made from passes. A check that stopped refusing fails its case here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDicom } from '../../../src/dicom/dataset';
import { checkImageStructure, DEFAULT_MAX_IMAGE_PIXELS } from '../../../src/dicom/structure';
import { CorruptDicomError, ImageTooLargeError, UnsafeImageStructureError } from '../../../src/errors';
import { REASONS } from '../../../src/reasons';

type El = { tag: number; vr: string; value: Buffer };

const us = (...v: number[]) => Buffer.from(Uint16Array.from(v).buffer);
const str = (s: string) => Buffer.from(s.length % 2 ? `${s} ` : s, 'latin1');
const uid = (s: string) => Buffer.from(s.length % 2 ? `${s}\0` : s, 'latin1');
const ul = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const LONG = new Set(['OB', 'OW', 'SQ', 'UN', 'UT']);

function element({ tag, vr, value }: El): Buffer {
  const head = Buffer.alloc(LONG.has(vr) ? 12 : 8);
  head.writeUInt16LE(tag >>> 16, 0);
  head.writeUInt16LE(tag & 0xffff, 2);
  head.write(vr, 4, 'latin1');
  if (LONG.has(vr)) head.writeUInt32LE(value.length, 8);
  else head.writeUInt16LE(value.length, 6);
  return Buffer.concat([head, value]);
}

function item(elements: El[]): Buffer {
  const body = Buffer.concat(elements.map(element));
  const head = Buffer.alloc(8);
  head.writeUInt16LE(0xfffe, 0);
  head.writeUInt16LE(0xe000, 2);
  head.writeUInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

function file(dataset: El[], opts: { groupLength?: (actual: number) => number } = {}): Buffer {
  const meta = Buffer.concat(
    [
      { tag: 0x00020001, vr: 'OB', value: Buffer.from([0, 1]) },
      { tag: 0x00020002, vr: 'UI', value: uid('1.2.840.10008.5.1.4.1.1.1.1') },
      { tag: 0x00020003, vr: 'UI', value: uid('1.2.3.4') },
      { tag: 0x00020010, vr: 'UI', value: uid('1.2.840.10008.1.2.1') },
    ].map(element),
  );
  const groupLength = element({ tag: 0x00020000, vr: 'UL', value: ul((opts.groupLength ?? ((n) => n))(meta.length)) });
  return Buffer.concat([
    Buffer.alloc(128),
    Buffer.from('DICM'),
    groupLength,
    meta,
    ...[...dataset].sort((a, b) => a.tag - b.tag).map(element),
  ]);
}

/** A 4 x 3 image, 16 bits, one frame: 24 bytes of pixel data. */
function image(over: Partial<Record<string, El | null>> = {}): El[] {
  const base: Record<string, El> = {
    sop: { tag: 0x00080016, vr: 'UI', value: uid('1.2.840.10008.5.1.4.1.1.1.1') },
    samples: { tag: 0x00280002, vr: 'US', value: us(1) },
    photometric: { tag: 0x00280004, vr: 'CS', value: str('MONOCHROME2') },
    rows: { tag: 0x00280010, vr: 'US', value: us(3) },
    columns: { tag: 0x00280011, vr: 'US', value: us(4) },
    bitsAllocated: { tag: 0x00280100, vr: 'US', value: us(16) },
    bitsStored: { tag: 0x00280101, vr: 'US', value: us(12) },
    highBit: { tag: 0x00280102, vr: 'US', value: us(11) },
    representation: { tag: 0x00280103, vr: 'US', value: us(0) },
    pixels: { tag: 0x7fe00010, vr: 'OW', value: Buffer.alloc(24, 1) },
  };
  for (const [k, v] of Object.entries(over)) {
    if (v === null) delete base[k];
    else if (v !== undefined) base[k] = v;
  }
  return Object.values(base);
}

const limits = { maxImagePixels: DEFAULT_MAX_IMAGE_PIXELS };
const check = (bytes: Buffer, max = limits.maxImagePixels) =>
  checkImageStructure(parseDicom(bytes), { maxImagePixels: max });

function refused(bytes: Buffer, type: typeof UnsafeImageStructureError | typeof CorruptDicomError, re: RegExp) {
  assert.throws(
    () => check(bytes),
    (err: unknown) => {
      assert.ok(err instanceof type, `${String(err)} is not a ${type.name}`);
      assert.equal((err as UnsafeImageStructureError).retryable, false);
      assert.match((err as Error).message, re);
      return true;
    },
  );
}

test('the reasons are declared once, as non-retryable failures', { timeout: 10_000 }, () => {
  assert.deepEqual([REASONS.UnsafeImageStructure.outcome, REASONS.UnsafeImageStructure.retryable], ['failed', false]);
  assert.deepEqual([REASONS.ImageTooLarge.outcome, REASONS.ImageTooLarge.retryable], ['failed', false]);
});

test('an honest image passes and is read as it is', { timeout: 10_000 }, () => {
  const p = parseDicom(file(image()));
  checkImageStructure(p, limits);
  assert.equal(p.tags.Rows, '3');
  assert.equal(p.tags.Columns, '4');
  assert.equal(p.transferSyntax, '1.2.840.10008.1.2.1');
  assert.deepEqual(p.pixelData && p.pixelData.kind === 'native' ? p.pixelData.length : -1, 24);
});

test('dimensions x bits x samples x frames against the Pixel Data length', { timeout: 10_000 }, () => {
  // The huge-dimensions corpus case in small: a header that declares far more than it carries.
  refused(
    file(image({ rows: { tag: 0x00280010, vr: 'US', value: us(60000) } })),
    UnsafeImageStructureError,
    /Pixel Data holds 24/,
  );
  refused(
    file(image({ bitsAllocated: { tag: 0x00280100, vr: 'US', value: us(32) } })),
    UnsafeImageStructureError,
    /48 bytes/,
  );
  refused(file(image({ samples: { tag: 0x00280002, vr: 'US', value: us(3) } })), UnsafeImageStructureError, /3 sample/);
  refused(file([...image(), { tag: 0x00280008, vr: 'IS', value: str('2') }]), UnsafeImageStructureError, /2 frame/);
  // More data than frames: the header understates what is there.
  refused(
    file(image({ pixels: { tag: 0x7fe00010, vr: 'OW', value: Buffer.alloc(48) } })),
    UnsafeImageStructureError,
    /one frame more/,
  );
  refused(
    file([...image(), { tag: 0x00280008, vr: 'IS', value: str('-1') }]),
    UnsafeImageStructureError,
    /Number of Frames/,
  );
  refused(
    file(image({ rows: { tag: 0x00280010, vr: 'US', value: us(0) } })),
    UnsafeImageStructureError,
    /Rows x Columns is 0/,
  );
});

test('Rows, Columns and the bit fields must be US with one value', { timeout: 10_000 }, () => {
  refused(
    file(image({ rows: { tag: 0x00280010, vr: 'UL', value: ul(3) } })),
    UnsafeImageStructureError,
    /Rows is encoded as UL/,
  );
  refused(
    file(image({ columns: { tag: 0x00280011, vr: 'US', value: us(4, 4) } })),
    UnsafeImageStructureError,
    /Columns holds 4 bytes/,
  );
  refused(
    file(image({ bitsStored: { tag: 0x00280101, vr: 'US', value: us(17) } })),
    UnsafeImageStructureError,
    /Bits Stored is 17/,
  );
  refused(
    file(image({ highBit: { tag: 0x00280102, vr: 'US', value: us(16) } })),
    UnsafeImageStructureError,
    /High Bit is 16/,
  );
  refused(
    file(image({ bitsAllocated: { tag: 0x00280100, vr: 'US', value: us(12) } })),
    UnsafeImageStructureError,
    /Bits Allocated is 12/,
  );
});

test('a maximum Rows x Columns, refused as ImageTooLarge', { timeout: 10_000 }, () => {
  assert.throws(
    () => check(file(image()), 11),
    (err: unknown) => {
      assert.ok(err instanceof ImageTooLargeError);
      assert.equal(err.retryable, false);
      assert.match(err.message, /4 x 3 = 12 pixels, above the pipeline's ceiling of 11/);
      return true;
    },
  );
  check(file(image()), 12);
});

test('LUT descriptors must fit their LUT Data', { timeout: 10_000 }, () => {
  const lut = (descriptor: number[], data: Buffer) => ({
    tag: 0x00283010,
    vr: 'SQ',
    value: item([
      { tag: 0x00283002, vr: 'US', value: us(...descriptor) },
      { tag: 0x00283006, vr: 'OW', value: data },
    ]),
  });
  check(file([...image(), lut([4, 0, 12], us(0, 1, 2, 3))]));
  refused(
    file([...image(), lut([4096, 0, 12], us(0, 1, 2, 3))]),
    UnsafeImageStructureError,
    /4096 entries of 12 bits, but its LUT Data holds 8 bytes/,
  );
  refused(file([...image(), lut([0, 0, 16], us(0, 1))]), UnsafeImageStructureError, /65536 entries/);
  refused(file([...image(), lut([4, 0, 40], us(0, 1, 2, 3))]), UnsafeImageStructureError, /40 bits/);
  refused(file([...image(), lut([4, 0], us(0, 1, 2, 3))]), UnsafeImageStructureError, /2 values/);
  // PALETTE COLOR (the Orthanc <= 1.12.10 heap overflow): every channel's descriptor against its data.
  const palette = (entries: number, words: number): El[] =>
    ['Red', 'Green', 'Blue'].flatMap((_, i) => [
      { tag: 0x00281101 + i, vr: 'US', value: us(entries, 0, 16) },
      { tag: 0x00281201 + i, vr: 'OW', value: Buffer.alloc(words * 2) },
    ]);
  const paletteImage = (entries: number, words: number) =>
    file([
      ...image({
        photometric: { tag: 0x00280004, vr: 'CS', value: str('PALETTE COLOR') },
        bitsAllocated: { tag: 0x00280100, vr: 'US', value: us(8) },
        bitsStored: { tag: 0x00280101, vr: 'US', value: us(8) },
        highBit: { tag: 0x00280102, vr: 'US', value: us(7) },
        pixels: { tag: 0x7fe00010, vr: 'OB', value: Buffer.alloc(12) },
      }),
      ...palette(entries, words),
    ]);
  check(paletteImage(256, 256));
  refused(
    paletteImage(256, 16),
    UnsafeImageStructureError,
    /Red Palette Color LUT Descriptor declares 256 entries of 16 bits, but its LUT Data holds 32 bytes/,
  );
});

test('the file meta group length must match the meta elements', { timeout: 10_000 }, () => {
  refused(file(image(), { groupLength: (n) => n + 20 }), UnsafeImageStructureError, /group length/);
  refused(file(image(), { groupLength: (n) => n - 2 }), UnsafeImageStructureError, /group length/);
});

test('truncated and damaged element structures are CorruptDicom', { timeout: 10_000 }, () => {
  const whole = file(image());
  refused(whole.subarray(0, whole.length - 10), CorruptDicomError, /declares 24 bytes/);
  // A sequence of undefined length without its delimiter.
  const seq = Buffer.concat([
    file(image({ pixels: null })),
    Buffer.from([0x08, 0x00, 0x15, 0x11, 0x53, 0x51, 0, 0, 0xff, 0xff, 0xff, 0xff]),
  ]);
  refused(seq, CorruptDicomError, /no Sequence Delimitation Item/);
  // Nesting deeper than the reader goes: refused before a stack can overflow.
  let nested: El = { tag: 0x00081115, vr: 'SQ', value: Buffer.alloc(0) };
  for (let i = 0; i < 40; i++) nested = { tag: 0x00081115, vr: 'SQ', value: item([nested]) };
  refused(file([...image(), nested]), UnsafeImageStructureError, /deeper than/);
});

test('an image header without Pixel Data passes (it fails later as NoPixelData)', { timeout: 10_000 }, () => {
  check(file(image({ pixels: null })));
  // Objects without any image (an SR) pass too.
  check(file([{ tag: 0x00080016, vr: 'UI', value: uid('1.2.840.10008.5.1.4.1.1.88.33') }]));
});
