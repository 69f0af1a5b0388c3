/**
 * The heatmap of one positive finding as a DICOM Segmentation (SEG, 1.2.840.10008.5.1.4.1.1.66.4) over the source
 * image, which OHIF 3.13 overlays on the image (stack viewports included) and lists in its segmentation panel.
 *
 * Why SEG and not a Parametric Map: OHIF 3.13 renders Parametric Maps only over a volume ("stack viewport PMAP is not
 * supported yet" in its pmap extension), and a single radiograph is never a volume; its SEG loader rejects FRACTIONAL
 * segmentations ("Fractional segmentations are not yet supported"). So the map is quantised into three BINARY
 * segments, disjoint bands of the class activation map relative to its maximum (25-50 %, 50-75 %, 75-100 %), coloured
 * blue, yellow, red: a heatmap a reader can switch on and off. The exact numbers stay in the SR (the finding) and the
 * coarse map is recomputable from the model.
 *
 * One SEG per positive finding, each in a series of its own (OHIF shows one segmentation per series), described
 * by the finding's label. UIDs are derived from the source SOP Instance UID + model id/version + label, like the SR's,
 * so a retried activity rebuilds the same object and Orthanc answers AlreadyStored. Pure: same input, same bytes.
 */
import zlib from 'node:zlib';
import dcmjs from 'dcmjs';
import { codeForLabel } from './codes';
import { copiedPatientAndStudy, type SourceImage } from './sr/source-image';
import { deriveUid, IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME, isValidUid } from './uids';

export const SEG_SOP_CLASS = '1.2.840.10008.5.1.4.1.1.66.4';
export const HEATMAP_SERIES_NUMBER = 9002;
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
export const DEFLATED_EXPLICIT_VR_LE = '1.2.840.10008.1.2.1.99';

/** The bands: [from, to) of the map relative to its maximum (the last band includes 1), and their display colour. */
export const HEATMAP_BANDS: readonly { from: number; to: number; name: string; rgb: [number, number, number] }[] = [
  { from: 0.25, to: 0.5, name: 'CAM 25-50%', rgb: [40, 90, 255] },
  { from: 0.5, to: 0.75, name: 'CAM 50-75%', rgb: [255, 220, 0] },
  { from: 0.75, to: 1.0001, name: 'CAM 75-100%', rgb: [255, 30, 0] },
];

export interface HeatmapInput {
  source: SourceImage;
  rows: number;
  columns: number;
  algorithm: { name: string; version: string; manufacturer: string; modelId: string; diagnostic: boolean };
  finding: { label: string; probability: number; threshold: number };
  /** The source's Image Orientation (Patient), when it has one. */
  imageOrientation?: number[];
  /**
   * The source's Pixel Spacing (row, column spacing in mm), or its Imager Pixel Spacing when it has only that (the
   * heatmap is for looking, not for measuring), when it has either.
   */
  pixelSpacing?: [number, number];
  /** The label's map on the source image grid, rows x columns, 0-255 (src/inference/cam.ts mapOntoImage). */
  levels: Uint8Array;
  createdAt: Date;
  /**
   * 'deflated' (the default): Deflated Explicit VR Little Endian, ~0.1-0.5 % of the native size for these masks;
   * 'explicit': Explicit VR Little Endian as before (1 bit per pixel per band: 1.92 MB for a 2500x2048 image).
   */
  transferSyntax?: 'deflated' | 'explicit';
}

/**
 * Which positive findings get a heatmap: those with a map, the `max` most probable (ties: the label order), returned
 * in the findings' own order. A random or noisy model calls half its labels positive; a reader needs the top few.
 */
export function heatmapFindings<F extends { label: string; probability: number; positive: boolean }>(
  findings: readonly F[],
  hasMap: (label: string) => boolean,
  max: number,
): F[] {
  const candidates = findings.filter((f) => f.positive && hasMap(f.label));
  const chosen = new Set(
    [...candidates]
      .sort((a, b) => b.probability - a.probability || a.label.localeCompare(b.label))
      .slice(0, Math.max(0, max)),
  );
  return candidates.filter((f) => chosen.has(f));
}

export function deriveHeatmapUids(
  sourceSopInstanceUid: string,
  modelId: string,
  modelVersion: string,
  label: string,
): { sopInstanceUid: string; seriesInstanceUid: string } {
  if (!isValidUid(sourceSopInstanceUid)) throw new TypeError(`invalid source UID '${sourceSopInstanceUid}'`);
  return {
    sopInstanceUid: deriveUid('heatmap-instance', sourceSopInstanceUid, modelId, modelVersion, label),
    seriesInstanceUid: deriveUid('heatmap-series', sourceSopInstanceUid, modelId, modelVersion, label),
  };
}

/** SeriesDescription (LO, 64): the finding first (what a thumbnail shows), the model, NOT DIAGNOSTIC never cut off. */
export function heatmapSeriesDescription(
  a: Pick<HeatmapInput['algorithm'], 'name' | 'version' | 'diagnostic'>,
  label: string,
): string {
  const suffix = a.diagnostic ? '' : ' NOT DIAGNOSTIC';
  const version = ` ${a.version}`;
  const head = `AI heatmap ${label}: `;
  const room = 64 - suffix.length - version.length - head.length;
  return (
    `${head.slice(0, 64 - suffix.length)}${room > 0 ? a.name.slice(0, room).trimEnd() + version : ''}`.trimEnd() +
    suffix
  );
}

/** The finding in a few words, for SegmentLabel / ContentDescription (LO, 64, with room for the band name). */
export function findingCaption(f: HeatmapInput['finding']): string {
  const head = `p=${f.probability.toFixed(2)} Present`;
  return `${f.label.slice(0, 48 - head.length - 1)} ${head}`;
}

/** CIELab (D65) scaled to DICOM's 0-65535 (PS3.3 C.10.7.1.1), from 8-bit sRGB. */
export function rgbToDicomLab([r, g, b]: [number, number, number]): [number, number, number] {
  const lin = (c: number) => {
    const v = c / 255;
    return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  };
  const [R, G, B] = [lin(r), lin(g), lin(b)];
  const X = (0.4124 * R + 0.3576 * G + 0.1805 * B) / 0.95047;
  const Y = 0.2126 * R + 0.7152 * G + 0.0722 * B;
  const Z = (0.0193 * R + 0.1192 * G + 0.9505 * B) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : (841 / 108) * t + 4 / 29);
  const L = 116 * f(Y) - 16;
  const a = 500 * (f(X) - f(Y));
  const bb = 200 * (f(Y) - f(Z));
  return [Math.round((L / 100) * 65535), Math.round(((a + 128) / 255) * 65535), Math.round(((bb + 128) / 255) * 65535)];
}

function dicomDate(d: Date): string {
  return d.toISOString().slice(0, 10).replace(/-/g, '');
}
function dicomTime(d: Date): string {
  const iso = d.toISOString();
  return `${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}.${iso.slice(20, 23)}`;
}

/**
 * The bands of `levels` as BINARY frames, one per band, in one pass: one bit per pixel, frames back to back, first
 * pixel in the lowest bit (PS3.5 8.1.1), padded to even length. Band b holds the pixels with lo_b <= level < hi_b.
 */
export function packBands(levels: Uint8Array): ArrayBuffer {
  const n = levels.length;
  const bounds = HEATMAP_BANDS.map(({ from, to }) => [Math.round(from * 255), to > 1 ? 256 : Math.round(to * 255)]);
  // Level -> band index (-1: none), so the pixel loop is one lookup.
  const bandOf = new Int8Array(256).fill(-1);
  bounds.forEach(([lo, hi], b) => bandOf.fill(b, lo, Math.min(hi, 256)));
  const bytes = new Uint8Array(Math.ceil(Math.ceil((n * HEATMAP_BANDS.length) / 8) / 2) * 2);
  for (let i = 0; i < n; i++) {
    const b = bandOf[levels[i]];
    if (b < 0) continue;
    const bit = b * n + i;
    bytes[bit >>> 3] |= 1 << (bit & 7);
  }
  return bytes.buffer;
}

/** Part-10 bytes of the heatmap SEG. Throws RangeError on input it cannot encode. */
export function buildHeatmap(input: HeatmapInput): Buffer {
  const { source, rows, columns, algorithm, finding, levels, createdAt } = input;
  if (!Number.isInteger(rows) || !Number.isInteger(columns) || rows < 1 || columns < 1 || rows > 65535) {
    throw new RangeError(`heatmap size ${rows}x${columns} is not an image size`);
  }
  if (levels.length !== rows * columns) throw new RangeError('heatmap levels do not cover the image');
  const uids = deriveHeatmapUids(source.instance.sopInstanceUid, algorithm.modelId, algorithm.version, finding.label);
  const concept = codeForLabel(finding.label);
  const date = dicomDate(createdAt);
  const time = dicomTime(createdAt);
  const caption = findingCaption(finding);

  const frames = HEATMAP_BANDS;
  const dimensionOrganizationUid = deriveUid('heatmap-dimensions', uids.sopInstanceUid);
  const sourceRef = {
    ReferencedSOPClassUID: source.instance.sopClassUid,
    ReferencedSOPInstanceUID: source.instance.sopInstanceUid,
  };
  const ds: Record<string, unknown> = {
    SOPClassUID: SEG_SOP_CLASS,
    SOPInstanceUID: uids.sopInstanceUid,
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    // Patient and General Study: copied, so the heatmap files with its image
    ...copiedPatientAndStudy(source),
    // General Series / Segmentation Series
    Modality: 'SEG',
    SeriesInstanceUID: uids.seriesInstanceUid,
    SeriesNumber: HEATMAP_SERIES_NUMBER,
    SeriesDate: date,
    SeriesTime: time,
    SeriesDescription: heatmapSeriesDescription(algorithm, finding.label),
    // General Equipment + Enhanced General Equipment: the algorithm made this object
    Manufacturer: algorithm.manufacturer,
    ManufacturerModelName: algorithm.name,
    DeviceSerialNumber: algorithm.modelId,
    SoftwareVersions: [algorithm.version, IMPLEMENTATION_VERSION_NAME],
    // General Image / Segmentation Image
    InstanceNumber: 1,
    PatientOrientation: '', // Type 2C: no Plane Orientation (a radiograph has no patient frame here)
    ContentDate: date,
    ContentTime: time,
    ImageType: ['DERIVED', 'PRIMARY'],
    ContentLabel: 'AI_HEATMAP',
    ContentDescription: caption,
    ContentCreatorName: '',
    LossyImageCompression: '00',
    BurnedInAnnotation: 'NO',
    // Image Pixel
    SamplesPerPixel: 1,
    PhotometricInterpretation: 'MONOCHROME2',
    Rows: rows,
    Columns: columns,
    BitsAllocated: 1,
    BitsStored: 1,
    HighBit: 0,
    PixelRepresentation: 0,
    SegmentationType: 'BINARY',
    SegmentSequence: HEATMAP_BANDS.map((band, i) => ({
      SegmentNumber: i + 1,
      SegmentLabel: `${caption}, ${band.name}`.slice(0, 64),
      SegmentDescription: `${caption}; class activation map ${band.name} of its maximum`.slice(0, 64),
      SegmentedPropertyCategoryCodeSequence: [
        { CodeValue: '49755003', CodingSchemeDesignator: 'SCT', CodeMeaning: 'Morphologically Altered Structure' },
      ],
      SegmentedPropertyTypeCodeSequence: [
        { CodeValue: concept.value, CodingSchemeDesignator: concept.scheme, CodeMeaning: concept.meaning },
      ],
      SegmentAlgorithmType: 'AUTOMATIC',
      SegmentAlgorithmName: `${algorithm.name} ${algorithm.version}`.slice(0, 64),
      RecommendedDisplayCIELabValue: rgbToDicomLab(band.rgb),
    })),
    // Multi-frame Functional Groups + Dimensions: one frame per segment, all derived from the source image
    NumberOfFrames: frames.length,
    SharedFunctionalGroupsSequence: [
      {
        // Pixel Measures: the source's spacing when it has one. OHIF 3.13's SEG viewport needs this group with a
        // value in it, so a heatmap over a radiograph without any spacing is valid DICOM that OHIF cannot open.
        ...(input.pixelSpacing ? { PixelMeasuresSequence: [{ PixelSpacing: [...input.pixelSpacing] }] } : {}),
        // Plane Orientation: the source's when it has one; otherwise the image's own row and column axes, which is
        // what viewers assume for a radiograph without one (OHIF's SEG loader needs the group to place the frames).
        PlaneOrientationSequence: [{ ImageOrientationPatient: [...(input.imageOrientation ?? [1, 0, 0, 0, 1, 0])] }],
      },
    ],
    // Derivation Image per frame: OHIF's SEG loader looks for it there to find each frame's source image.
    PerFrameFunctionalGroupsSequence: frames.map((_, i) => ({
      DerivationImageSequence: [
        {
          SourceImageSequence: [
            {
              ...sourceRef,
              PurposeOfReferenceCodeSequence: [
                {
                  CodeValue: '121322',
                  CodingSchemeDesignator: 'DCM',
                  CodeMeaning: 'Source image for image processing operation',
                },
              ],
            },
          ],
          DerivationCodeSequence: [{ CodeValue: '113076', CodingSchemeDesignator: 'DCM', CodeMeaning: 'Segmentation' }],
        },
      ],
      FrameContentSequence: [{ DimensionIndexValues: [i + 1] }],
      SegmentIdentificationSequence: [{ ReferencedSegmentNumber: i + 1 }],
    })),
    DimensionOrganizationSequence: [{ DimensionOrganizationUID: dimensionOrganizationUid }],
    DimensionIndexSequence: [
      {
        DimensionOrganizationUID: dimensionOrganizationUid,
        DimensionIndexPointer: 0x0062000b,
        FunctionalGroupPointer: 0x0062000a,
        DimensionDescriptionLabel: 'Segment Number',
      },
    ],
    // Common Instance Reference
    ReferencedSeriesSequence: [
      { SeriesInstanceUID: source.series.instanceUid, ReferencedInstanceSequence: [sourceRef] },
    ],
    PixelData: [packBands(levels)],
    _vrMap: { PixelData: 'OB' },
  };
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: SEG_SOP_CLASS,
    MediaStorageSOPInstanceUID: uids.sopInstanceUid,
    TransferSyntaxUID: EXPLICIT_VR_LE,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(ds);
  const explicit = Buffer.from(dict.write());
  if (input.transferSyntax === 'explicit') return explicit;
  // Deflated Explicit VR Little Endian (PS3.5 A.5): the same dataset, raw-deflated after a file meta that says so.
  // The bands are a few smooth blobs, so a 2500x2048 SEG of 1.92 MB deflates to a few KB (docs/viewer.md).
  const metaEnd = 132 + 12 + explicit.readUInt32LE(140);
  const deflatedMeta = new DicomDict(
    DicomMetaDictionary.denaturalizeDataset({ ...meta, TransferSyntaxUID: DEFLATED_EXPLICIT_VR_LE }),
  );
  deflatedMeta.dict = {};
  return Buffer.concat([Buffer.from(deflatedMeta.write()), zlib.deflateRawSync(explicit.subarray(metaEnd))]);
}
