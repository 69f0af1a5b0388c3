/**
 * From stored pixel values to presentation intensities: the greyscale pipeline of DICOM PS3.3 C.11
 * (stored values -> Modality LUT -> VOI LUT -> photometric inversion), done once here so the model sees what a
 * radiologist's viewer would show by default.
 *
 * Policy (documented because every choice changes the model's input):
 *  - Frame: the first frame only (index 0). Radiographs are single-frame; a multi-frame object is classified on its
 *    first frame and the frame count is reported so the caller can note it.
 *  - Modality transform: Modality LUT Sequence when present (it supersedes Rescale Slope/Intercept, PS3.3 C.11.1),
 *    else Rescale Slope/Intercept (defaults 1/0).
 *    A manifest may say 'ignore' (ModalityPolicy) to reproduce torchxrayvision's reader, which feeds stored values
 *    to its models.
 *  - VOI ('dicom-first', the default): the first item of the VOI LUT Sequence when present (pydicom's default
 *    `prefer_lut=True`), else the first Window Center/Width pair with VOI LUT Function LINEAR / LINEAR_EXACT / SIGMOID.
 *    The first pair is the one the modality marks as default; later pairs are alternatives (e.g. "bone"). Training
 *    images of public CXR models (NIH ChestX-ray14, CheXpert, MIMIC-CXR JPGs) were exported after such windowing, so
 *    applying it brings raw CR/DX data closest to that distribution. Without any VOI, the whole range the modality
 *    transform can produce is used: the stored range from Bits Stored and Pixel Representation through the rescale,
 *    as torchxrayvision's read_xray_dcm does (maxval = 2**BitsStored), or the smallest to largest Modality LUT entry. 'full-range' forces that behaviour even when a VOI is present.
 *  - MONOCHROME1 is inverted after VOI (where DICOM places the inversion), so 1 is always white. Presentation LUT
 *    Shape INVERSE is MONOCHROME1's own marker in DX objects and is not applied a second time.
 *  - Colour (RGB, YBR_*, PALETTE COLOR) and multi-sample images are refused: the models read one grey channel and
 *    silently converting a colour secondary capture would hide that it is probably not a radiograph.
 */
import { NoPixelDataError, UnsupportedPixelDataError } from '../errors';
import { type SimplifiedTags, tagItem, tagNumbers, tagString as str } from './tags';

export type VoiPolicy = 'dicom-first' | 'full-range';
/**
 * 'apply' (the default): the modality transform of the header (Modality LUT Sequence, else Rescale Slope/Intercept).
 * 'ignore': stored values as they are, as torchxrayvision's `read_xray_dcm` reads them (it never applies Rescale
 * Slope/Intercept nor a Modality LUT); the full range is then the stored range of Bits Stored.
 */
export type ModalityPolicy = 'apply' | 'ignore';

export interface Lut {
  /** First stored (or modality) value mapped by entry 0; smaller inputs use entry 0, larger ones the last entry. */
  firstMapped: number;
  /** Bits per output entry (LUT Descriptor value 3); outputs lie in [0, 2^bits - 1]. */
  bits: number;
  data: Float64Array;
}

export type ModalityTransform = { kind: 'rescale'; slope: number; intercept: number } | { kind: 'lut'; lut: Lut };
export type VoiTransform =
  | { kind: 'window'; center: number; width: number; fn: 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID' }
  | { kind: 'lut'; lut: Lut }
  | { kind: 'none' };

export interface PixelModule {
  rows: number;
  columns: number;
  photometric: 'MONOCHROME1' | 'MONOCHROME2';
  bitsAllocated: number;
  bitsStored: number;
  signed: boolean;
  numberOfFrames: number;
  modality: ModalityTransform;
  voi: VoiTransform;
}

/** One decoded frame, stored values (before any transform), row-major. */
export interface StoredFrame {
  rows: number;
  columns: number;
  /** Stored values; when `packed`, the raw BitsAllocated-wide words as stored (not yet masked or sign-extended). */
  values: Float64Array | Uint16Array | Uint8Array;
  packed?: boolean;
}

/** Presentation intensities in [0, 1], 1 = white, row-major. */
export interface GreyImage {
  rows: number;
  columns: number;
  values: Float64Array;
}

function int(tags: SimplifiedTags, key: string, fallback?: number): number {
  const v = tagNumbers(tags, key)?.[0] ?? fallback;
  if (v === undefined || !Number.isInteger(v)) {
    throw new UnsupportedPixelDataError(
      `The image header has no usable ${key} (found ${JSON.stringify(tags[key] ?? null)}); it cannot be read as a radiograph`,
    );
  }
  return v;
}

/** Raw LUT Data bytes for the sequences present in `tags` (simplified-tags shows LUT Data as null). */
export interface LutBytes {
  modality?: Buffer;
  voi?: Buffer;
}

export function parseLut(item: SimplifiedTags, bytes: Buffer | undefined, what: string): Lut {
  const desc = tagNumbers(item, 'LUTDescriptor');
  if (desc === undefined || desc.length !== 3)
    throw new UnsupportedPixelDataError(`The ${what} has no valid LUT Descriptor`);
  const entries = desc[0] === 0 ? 65536 : desc[0]; // PS3.3 C.11.1.1.1: 0 means 2^16 entries
  const [, firstMapped, bits] = desc;
  if (bytes === undefined) throw new UnsupportedPixelDataError(`The ${what} has no LUT Data`);
  const data = new Float64Array(entries);
  if (bytes.length === entries * 2) {
    for (let i = 0; i < entries; i++) data[i] = bytes.readUInt16LE(i * 2);
  } else if (bytes.length === entries || bytes.length === entries + 1) {
    for (let i = 0; i < entries; i++) data[i] = bytes[i]; // 8-bit entries packed two per word (padded to even)
  } else {
    throw new UnsupportedPixelDataError(
      `The ${what} declares ${entries} entries but holds ${bytes.length} bytes of LUT Data`,
    );
  }
  // The descriptor's first-mapped value is US or SS depending on the pixel data; 16-bit two's complement here.
  return { firstMapped: firstMapped > 32767 && firstMapped < 65536 ? firstMapped - 65536 : firstMapped, bits, data };
}

/** Validate the Image Pixel module and pick the transforms, per the policy at the top of this file. */
export function readPixelModule(
  tags: SimplifiedTags,
  luts: LutBytes = {},
  voiPolicy: VoiPolicy = 'dicom-first',
  modalityPolicy: ModalityPolicy = 'apply',
): PixelModule {
  const photometric = str(tags, 'PhotometricInterpretation');
  if (str(tags, 'Rows') === undefined || str(tags, 'Columns') === undefined || photometric === undefined) {
    throw new NoPixelDataError(
      'The instance has no image (Rows, Columns or Photometric Interpretation missing): it is not a radiograph',
    );
  }
  if (photometric !== 'MONOCHROME1' && photometric !== 'MONOCHROME2') {
    throw new UnsupportedPixelDataError(
      `The image is ${photometric} (colour); the chest X-ray model reads greyscale radiographs (MONOCHROME1/2) only`,
    );
  }
  const samples = int(tags, 'SamplesPerPixel', 1);
  if (samples !== 1)
    throw new UnsupportedPixelDataError(`The image has ${samples} samples per pixel; a greyscale radiograph has 1`);
  const bitsAllocated = int(tags, 'BitsAllocated');
  const bitsStored = int(tags, 'BitsStored', bitsAllocated);
  if (![8, 16, 32].includes(bitsAllocated) || bitsStored < 1 || bitsStored > bitsAllocated) {
    throw new UnsupportedPixelDataError(
      `The image has ${bitsStored} bits stored in ${bitsAllocated} allocated; supported are 1-32 bits in 8, 16 or 32`,
    );
  }
  const rows = int(tags, 'Rows');
  const columns = int(tags, 'Columns');
  if (rows < 1 || columns < 1)
    throw new NoPixelDataError(`The image is ${rows}x${columns} pixels: there is nothing to classify`);

  const modalityItem = tagItem(tags, 'ModalityLUTSequence');
  const modality: ModalityTransform =
    modalityPolicy === 'ignore'
      ? { kind: 'rescale', slope: 1, intercept: 0 }
      : modalityItem !== undefined
        ? { kind: 'lut', lut: parseLut(modalityItem, luts.modality, 'Modality LUT') }
        : {
            kind: 'rescale',
            slope: tagNumbers(tags, 'RescaleSlope')?.[0] ?? 1,
            intercept: tagNumbers(tags, 'RescaleIntercept')?.[0] ?? 0,
          };
  if (modality.kind === 'rescale' && modality.slope === 0)
    throw new UnsupportedPixelDataError('The image has Rescale Slope 0: every pixel would have the same value');

  let voi: VoiTransform = { kind: 'none' };
  if (voiPolicy === 'dicom-first') {
    const voiItem = tagItem(tags, 'VOILUTSequence');
    const center = tagNumbers(tags, 'WindowCenter')?.[0];
    const width = tagNumbers(tags, 'WindowWidth')?.[0];
    const fn = str(tags, 'VOILUTFunction') ?? 'LINEAR';
    if (voiItem !== undefined) {
      voi = { kind: 'lut', lut: parseLut(voiItem, luts.voi, 'VOI LUT') };
    } else if (center !== undefined && width !== undefined && width > 0) {
      if (fn !== 'LINEAR' && fn !== 'LINEAR_EXACT' && fn !== 'SIGMOID') {
        throw new UnsupportedPixelDataError(
          `The image asks for VOI LUT Function ${fn}, which this pipeline does not implement`,
        );
      }
      if (fn === 'LINEAR' && width < 1)
        throw new UnsupportedPixelDataError(`The image has Window Width ${width}; LINEAR needs at least 1`);
      voi = { kind: 'window', center, width, fn };
    }
  }
  const signed = int(tags, 'PixelRepresentation', 0) === 1;
  return {
    rows,
    columns,
    photometric,
    bitsAllocated,
    bitsStored,
    signed,
    numberOfFrames: int(tags, 'NumberOfFrames', 1),
    modality,
    voi,
  };
}

// ---------------------------------------------------------------------------------------------- transforms

function lookup(lut: Lut, x: number): number {
  const i = Math.round(x) - lut.firstMapped;
  return lut.data[i <= 0 ? 0 : i >= lut.data.length ? lut.data.length - 1 : i];
}

/** The interval the modality transform can output, from the stored value range. */
export function modalityRange(pm: PixelModule): [number, number] {
  if (pm.modality.kind === 'lut') {
    // What the LUT actually produces: descriptors often declare 16 bits for 10-bit content.
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of pm.modality.lut.data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
    return [lo, hi];
  }
  const lo = pm.signed ? -(2 ** (pm.bitsStored - 1)) : 0;
  const hi = pm.signed ? 2 ** (pm.bitsStored - 1) - 1 : 2 ** pm.bitsStored - 1;
  const a = lo * pm.modality.slope + pm.modality.intercept;
  const b = hi * pm.modality.slope + pm.modality.intercept;
  return a <= b ? [a, b] : [b, a];
}

/** Stored values -> presentation intensities in [0, 1], 1 = white (PS3.3 C.11.1, C.11.2.1.2, then MONOCHROME1 inversion). */
export function toGrey(frame: StoredFrame, pm: PixelModule): GreyImage {
  const n = frame.rows * frame.columns;
  if (frame.values.length !== n)
    throw new UnsupportedPixelDataError(
      `Decoded frame holds ${frame.values.length} values for ${frame.rows}x${frame.columns} pixels`,
    );
  const out = new Float64Array(n);
  if (frame.packed) {
    // One table over every possible stored word (256 or 65536 entries): mask, sign, modality, VOI and
    // inversion in a single lookup per pixel, straight from Orthanc's bytes.
    const words = frame.values;
    const table = packedGreyTable(words instanceof Uint8Array ? 8 : 16, pm);
    for (let i = 0; i < n; i++) out[i] = table[words[i]];
    return { rows: frame.rows, columns: frame.columns, values: out };
  }
  const grey = greyFunction(pm);
  const values = frame.values;
  // Stored values are integers of at most 16 (rarely 32) bits: map each distinct value once through a table
  // (the same function, so the same results) instead of once per pixel; a 5-megapixel radiograph has at most
  // a few thousand distinct values.
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (n > 0 && Number.isFinite(min) && Number.isInteger(min) && max - min <= 1 << 20) {
    const table = new Float64Array(max - min + 1);
    for (let v = min; v <= max; v++) table[v - min] = grey(v);
    for (let i = 0; i < n; i++) {
      // A fractional index reads undefined from a typed array: such (float) values take the direct route.
      const t = table[values[i] - min];
      out[i] = t === undefined ? grey(values[i]) : t;
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = grey(values[i]);
  }
  return { rows: frame.rows, columns: frame.columns, values: out };
}

/**
 * For a packed frame of 8- or 16-bit words: the presentation intensity of every possible word (mask, sign, modality,
 * VOI, inversion), so that `table[word]` is exactly what toGrey stores for that pixel.
 */
export function packedGreyTable(wordBits: 8 | 16, pm: PixelModule): Float64Array {
  const grey = greyFunction(pm);
  const table = new Float64Array(2 ** wordBits);
  for (let w = 0; w < table.length; w++) table[w] = grey(storedValue(w, pm));
  return table;
}

/** Stored value -> presentation intensity in [0, 1] (modality transform, VOI, MONOCHROME1 inversion). */
function greyFunction(pm: PixelModule): (s: number) => number {
  const mod = pm.modality;
  const voi = pm.voi;
  const [lo, hi] = modalityRange(pm);
  const invert = pm.photometric === 'MONOCHROME1';
  return (s: number): number => {
    const x = mod.kind === 'rescale' ? s * mod.slope + mod.intercept : lookup(mod.lut, s);
    let y: number;
    if (voi.kind === 'window') {
      const { center: c, width: w } = voi;
      if (voi.fn === 'LINEAR') {
        // PS3.3 C.11.2.1.2.1, with ymin = 0 and ymax = 1.
        y = x <= c - 0.5 - (w - 1) / 2 ? 0 : x > c - 0.5 + (w - 1) / 2 ? 1 : (x - (c - 0.5)) / (w - 1) + 0.5;
      } else if (voi.fn === 'LINEAR_EXACT') {
        y = x <= c - w / 2 ? 0 : x > c + w / 2 ? 1 : (x - c) / w + 0.5;
      } else {
        y = 1 / (1 + Math.exp((-4 * (x - c)) / w));
      }
    } else if (voi.kind === 'lut') {
      y = lookup(voi.lut, x) / (2 ** voi.lut.bits - 1);
    } else {
      y = hi > lo ? (x - lo) / (hi - lo) : 0;
      y = y < 0 ? 0 : y > 1 ? 1 : y;
    }
    return invert ? 1 - y : y;
  };
}

// ---------------------------------------------------------------------------------------------- raw frames

/** Uncompressed little-endian pixel bytes (BitsAllocated wide) -> stored values, masked to Bits Stored. */
export function storedFromRawLE(bytes: Buffer, pm: PixelModule): StoredFrame {
  const n = requireFrameBytes(bytes, pm);
  const size = pm.bitsAllocated / 8;
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    values[i] = storedValue(
      size === 1 ? bytes[i] : size === 2 ? bytes.readUInt16LE(i * 2) : bytes.readUInt32LE(i * 4),
      pm,
    );
  }
  return { rows: pm.rows, columns: pm.columns, values };
}

/** A raw word masked to Bits Stored and sign-extended when Pixel Representation is signed. */
function storedValue(word: number, pm: PixelModule): number {
  const bits = pm.bitsStored;
  const masked = bits >= 32 ? word : word % 2 ** bits; // arithmetic, not bitwise: 32-bit values overflow JS bit ops
  return pm.signed && masked >= 2 ** (bits - 1) ? masked - 2 ** bits : masked;
}

/**
 * Uncompressed little-endian pixel bytes as a packed frame: a zero-copy view of the 8- or 16-bit words (toGrey
 * masks and sign-extends them through its table). Only for BitsAllocated 8 or 16.
 */
export function packedFromRawLE(bytes: Buffer, pm: PixelModule): StoredFrame {
  if (pm.bitsAllocated !== 8 && pm.bitsAllocated !== 16)
    throw new UnsupportedPixelDataError(`Packed frames need 8 or 16 bits allocated, not ${pm.bitsAllocated}`);
  const n = requireFrameBytes(bytes, pm);
  const values = pm.bitsAllocated === 8 ? new Uint8Array(bytes.buffer, bytes.byteOffset, n) : u16View(bytes, n);
  return { rows: pm.rows, columns: pm.columns, values, packed: true };
}

/** Uncompressed little-endian pixel bytes as a frame: packed for 8 or 16 bits allocated, unpacked otherwise. */
export function frameFromRawLE(bytes: Buffer, pm: PixelModule): StoredFrame {
  return pm.bitsAllocated === 8 || pm.bitsAllocated === 16 ? packedFromRawLE(bytes, pm) : storedFromRawLE(bytes, pm);
}

/** The pixel count of one frame, after checking the bytes hold it. */
function requireFrameBytes(bytes: Buffer, pm: PixelModule): number {
  const n = pm.rows * pm.columns;
  const need = n * (pm.bitsAllocated / 8);
  if (bytes.length < need) {
    throw new UnsupportedPixelDataError(
      `The decoded frame has ${bytes.length} bytes; ${pm.rows}x${pm.columns} pixels of ${pm.bitsAllocated} bits need ${need}`,
    );
  }
  return n;
}

/** A Uint16Array over the bytes, copying only when the Buffer is not 2-byte aligned. */
function u16View(bytes: Buffer, n: number): Uint16Array {
  if (bytes.byteOffset % 2 === 0) return new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  return new Uint16Array(Uint8Array.prototype.slice.call(bytes, 0, n * 2).buffer);
}
