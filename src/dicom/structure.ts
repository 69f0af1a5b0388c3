/**
 * Structural checks of an image before anything decodes it, and before Orthanc stores it (the upload activity runs
 * them on the bytes it read from the zip): the header must describe the Pixel Data it carries, so that no decoder
 * (ours, Orthanc's, a viewer's) computes a buffer size from one field and reads another. Refused:
 *  - Rows / Columns / Bits Allocated / Bits Stored / High Bit / Samples per Pixel / Pixel Representation with a VR
 *    other than US, or more or fewer than one value; zero Rows or Columns over Pixel Data;
 *  - Rows x Columns above the ceiling (CXR_MAX_IMAGE_PIXELS): ImageTooLargeError;
 *  - native Pixel Data shorter than Rows x Columns x Samples x Bits Allocated x Number of Frames, or longer by a
 *    whole frame or more (the header understates what is there); encapsulated Pixel Data with fewer fragments than
 *    frames or a Basic Offset Table that does not fit them;
 *  - LUT Descriptors (Modality LUT, VOI LUT, Palette Color) whose entry count or bit depth does not fit their LUT
 *    Data (what the palette heap overflows of Orthanc <= 1.12.10 fed on).
 * Everything else refused is UnsafeImageStructureError: non-retryable, the file is not stored. Pure.
 */
import { ImageTooLargeError, UnsafeImageStructureError } from '../errors';
import { KNOWN_VRS, type LutItem, type ParsedDicom } from './dataset';
import { tagString } from './tags';

/** Default ceiling of Rows x Columns: 8192 x 8192 (the largest radiographs are about 4300 x 3500). */
export const DEFAULT_MAX_IMAGE_PIXELS = 8192 * 8192;

export interface StructureLimits {
  /** Rows x Columns above this are refused (ImageTooLargeError). */
  maxImagePixels: number;
}

function unsafe(message: string): UnsafeImageStructureError {
  return new UnsafeImageStructureError(`${message}; the file was not stored or decoded`);
}

/** One US value of a kept attribute, after checking its VR and multiplicity. */
function us(p: ParsedDicom, keyword: string): number | undefined {
  const fact = p.facts[keyword];
  if (fact === undefined) return undefined;
  if (fact.vr !== undefined && !(KNOWN_VRS.get(keyword) ?? []).includes(fact.vr))
    throw unsafe(`${keyword} is encoded as ${fact.vr}; DICOM defines it as ${KNOWN_VRS.get(keyword)?.join('/')}`);
  if (fact.length !== 2) throw unsafe(`${keyword} holds ${fact.length} bytes; it must be one 16-bit value`);
  return Number(p.tags[keyword]);
}

function checkVr(p: ParsedDicom, keyword: string): void {
  const fact = p.facts[keyword];
  if (fact?.vr !== undefined && !(KNOWN_VRS.get(keyword) ?? []).includes(fact.vr))
    throw unsafe(`${keyword} is encoded as ${fact.vr}; DICOM defines it as ${KNOWN_VRS.get(keyword)?.join('/')}`);
}

/** Entries and bits of a LUT Descriptor (3 values; 0 entries means 65536), checked against its data's length. */
function checkLut(
  what: string,
  descriptor: string | undefined,
  data: Buffer | undefined,
  bits: readonly number[],
  eightBitPacking: 'words' | 'bytes-or-words',
): void {
  const values = (descriptor ?? '').split('\\').filter((v) => v !== '');
  if (values.length !== 3) throw unsafe(`The ${what} LUT Descriptor has ${values.length} values; it must have 3`);
  const [n, , b] = values.map(Number);
  const entries = n === 0 ? 65536 : n;
  if (!bits.includes(b))
    throw unsafe(`The ${what} LUT Descriptor declares ${b} bits per entry (${bits.join(', ')} allowed)`);
  if (data === undefined) throw unsafe(`The ${what} LUT has a descriptor but no LUT Data`);
  const fits =
    data.length === entries * 2 ||
    (b === 8 && eightBitPacking === 'bytes-or-words' && (data.length === entries || data.length === entries + 1));
  if (!fits)
    throw unsafe(
      `The ${what} LUT Descriptor declares ${entries} entries of ${b} bits, but its LUT Data holds ${data.length} bytes`,
    );
}

function checkLutItem(what: string, item: LutItem | undefined): void {
  if (item === undefined) return;
  const vr = item.facts.LUTDescriptor?.vr;
  if (vr !== undefined && vr !== 'US' && vr !== 'SS') throw unsafe(`The ${what} LUT Descriptor is encoded as ${vr}`);
  checkLut(
    what,
    tagString(item.tags, 'LUTDescriptor'),
    item.data,
    [8, 9, 10, 11, 12, 13, 14, 15, 16],
    'bytes-or-words',
  );
}

/**
 * Check the image structure of a parsed file (see the top of this file). Objects without Pixel Data and without
 * image dimensions (SR, documents) pass; an image header without Pixel Data passes too (it fails as NoPixelData
 * when classified, after being stored).
 */
export function checkImageStructure(p: ParsedDicom, limits: StructureLimits): void {
  const rows = us(p, 'Rows');
  const columns = us(p, 'Columns');
  for (const k of [
    'BitsAllocated',
    'BitsStored',
    'HighBit',
    'SamplesPerPixel',
    'PixelRepresentation',
    'PlanarConfiguration',
  ])
    us(p, k);
  for (const k of [
    'NumberOfFrames',
    'PhotometricInterpretation',
    'WindowCenter',
    'WindowWidth',
    'RescaleSlope',
    'RescaleIntercept',
  ])
    checkVr(p, k);
  if (rows !== undefined && columns !== undefined && rows * columns > limits.maxImagePixels) {
    throw new ImageTooLargeError(
      `The image is ${columns} x ${rows} = ${rows * columns} pixels, above the pipeline's ceiling of ${limits.maxImagePixels} (CXR_MAX_IMAGE_PIXELS); it was not stored or decoded`,
    );
  }
  checkLutItem('Modality', p.modalityLut);
  checkLutItem('VOI', p.voiLut);
  const photometric = tagString(p.tags, 'PhotometricInterpretation');
  const pd = p.pixelData;
  if (pd === undefined) return;

  if (rows === undefined || columns === undefined || rows < 1 || columns < 1)
    throw unsafe(`The file has Pixel Data but its Rows x Columns is ${rows ?? 'absent'} x ${columns ?? 'absent'}`);
  const bitsAllocated = us(p, 'BitsAllocated');
  if (bitsAllocated === undefined || ![1, 8, 16, 32, 64].includes(bitsAllocated))
    throw unsafe(`Bits Allocated is ${bitsAllocated ?? 'absent'}; images use 1, 8, 16, 32 or 64`);
  const bitsStored = us(p, 'BitsStored') ?? bitsAllocated;
  if (bitsStored < 1 || bitsStored > bitsAllocated)
    throw unsafe(`Bits Stored is ${bitsStored} in ${bitsAllocated} bits allocated`);
  const highBit = us(p, 'HighBit');
  if (highBit !== undefined && (highBit >= bitsAllocated || highBit + 1 < bitsStored))
    throw unsafe(`High Bit is ${highBit} for ${bitsStored} bits stored in ${bitsAllocated} allocated`);
  const samples = us(p, 'SamplesPerPixel') ?? 1;
  if (samples < 1 || samples > 4) throw unsafe(`Samples per Pixel is ${samples}`);
  const representation = us(p, 'PixelRepresentation') ?? 0;
  if (representation > 1) throw unsafe(`Pixel Representation is ${representation}; it must be 0 or 1`);
  const planar = us(p, 'PlanarConfiguration') ?? 0;
  if (planar > 1) throw unsafe(`Planar Configuration is ${planar}; it must be 0 or 1`);

  const framesText = tagString(p.tags, 'NumberOfFrames') ?? '1';
  if (!/^\+?\d{1,10}$/.test(framesText) || Number(framesText) < 1)
    throw unsafe(`Number of Frames is '${framesText}'; it must be a positive integer`);
  const frames = Number(framesText);

  if (photometric === 'PALETTE COLOR') {
    if (bitsStored > 16) throw unsafe(`A PALETTE COLOR image has ${bitsStored} bits stored`);
    for (const c of ['Red', 'Green', 'Blue']) {
      checkVr(p, `${c}PaletteColorLookupTableDescriptor`);
      checkLut(
        `${c} Palette Color`,
        tagString(p.tags, `${c}PaletteColorLookupTableDescriptor`),
        p.palette[`${c}PaletteColorLookupTableData`],
        [8, 16],
        'bytes-or-words',
      );
    }
  }

  if (pd.kind === 'native') {
    if (pd.vr !== undefined && pd.vr !== 'OB' && pd.vr !== 'OW')
      throw unsafe(`Pixel Data is encoded as ${pd.vr}; native Pixel Data is OB or OW`);
    const frameBits = BigInt(rows) * BigInt(columns) * BigInt(samples) * BigInt(bitsAllocated);
    const need = (frameBits * BigInt(frames) + 7n) / 8n;
    const frameBytes = (frameBits + 7n) / 8n;
    const have = BigInt(pd.length);
    if (have < need) {
      throw unsafe(
        `The header describes ${frames} frame(s) of ${columns} x ${rows} x ${samples} sample(s) of ${bitsAllocated} bits = ${need} bytes, but the Pixel Data holds ${have}`,
      );
    }
    if (have - need >= frameBytes && have - need > 1n) {
      throw unsafe(
        `The Pixel Data holds ${have} bytes, at least one frame more than the ${frames} frame(s) of ${need} bytes the header describes`,
      );
    }
    return;
  }
  if (pd.fragments.length < frames)
    throw unsafe(
      `The header describes ${frames} frames, but the encapsulated Pixel Data has ${pd.fragments.length} fragments`,
    );
  if (pd.offsetTable.length > 0) {
    if (pd.offsetTable.length !== 4 * frames)
      throw unsafe(`The Basic Offset Table has ${pd.offsetTable.length / 4} entries for ${frames} frames`);
    const total = pd.fragments.reduce((n, f) => n + f.length + 8, 0);
    let previous = -1;
    for (let i = 0; i < frames; i++) {
      const offset = p.littleEndian ? pd.offsetTable.readUInt32LE(i * 4) : pd.offsetTable.readUInt32BE(i * 4);
      if (offset <= previous || offset >= total)
        throw unsafe(`The Basic Offset Table entry ${i} (${offset}) does not point at a fragment of the Pixel Data`);
      previous = offset;
    }
  }
}
