/**
 * The Orthanc side of reading pixels: which route fetches the first frame of an instance (stored bytes, OpenJPEG
 * here, Orthanc's /numpy decoder, or DICOMweb transcoding), and the LUT Data bytes simplified-tags leaves out. The
 * pure pixel pipeline (header -> transforms -> grey image) is src/dicom/pixels.ts.
 */
import { decodeJpeg2000, JPEG2000_SYNTAXES } from '../dicom/jpeg2000';
import { parseNpy } from '../dicom/npy';
import {
  frameFromRawLE,
  type LutBytes,
  type ModalityPolicy,
  packedFromRawLE,
  type PixelModule,
  readPixelModule,
  type StoredFrame,
  type VoiPolicy,
} from '../dicom/pixels';
import { type SimplifiedTags, tagItem, tagString as str } from '../dicom/tags';
import { NoPixelDataError, UnsupportedPixelDataError } from '../errors';
import type { OrthancClient } from '../orthanc/client';

export interface FetchedFrame {
  pixelModule: PixelModule;
  frame: StoredFrame;
  /** How the pixels came: stored bytes (/raw, uncompressed LE), OpenJPEG here (JPEG 2000), the /numpy route (built-in decoder) or DICOMweb transcoding (GDCM plugin). */
  route: 'raw' | 'openjpeg' | 'numpy' | 'dicomweb';
  transferSyntax: string | null;
}

/** Implicit and Explicit VR Little Endian: the frame's stored bytes are the pixel values. */
const UNCOMPRESSED_LE: ReadonlySet<string> = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1']);

async function lutBytes(
  orthanc: OrthancClient,
  id: string,
  tags: SimplifiedTags,
  modalityPolicy: ModalityPolicy,
): Promise<LutBytes> {
  const out: LutBytes = {};
  // 0028-3000 Modality LUT Sequence, 0028-3010 VOI LUT Sequence, 0028-3006 LUT Data
  if (modalityPolicy === 'apply' && tagItem(tags, 'ModalityLUTSequence'))
    out.modality = (await orthanc.getInstanceContent(id, '0028-3000/0/0028-3006')) ?? undefined;
  if (tagItem(tags, 'VOILUTSequence'))
    out.voi = (await orthanc.getInstanceContent(id, '0028-3010/0/0028-3006')) ?? undefined;
  return out;
}

/**
 * Read the header and decode the first frame of an Orthanc instance. Undecodable or absent pixel data ->
 * UnsupportedPixelDataError / NoPixelDataError (non-retryable); Orthanc unreachable -> OrthancUnavailableError (retryable).
 */
export async function fetchFirstFrame(
  orthanc: OrthancClient,
  id: string,
  voiPolicy: VoiPolicy = 'dicom-first',
  modalityPolicy: ModalityPolicy = 'apply',
): Promise<FetchedFrame> {
  const tags = await orthanc.getInstanceTags(id);
  const pm = readPixelModule(tags, await lutBytes(orthanc, id, tags, modalityPolicy), voiPolicy, modalityPolicy);
  const transferSyntax = await orthanc.getInstanceMetadata(id, 'TransferSyntax');
  const syntax = transferSyntax ?? 'an unknown transfer syntax';

  // Uncompressed little endian: take the stored bytes as they are (measured on a 2500x2048 16-bit image:
  // /raw ~10 MB vs /numpy's float32 ~20 MB plus Orthanc's conversion).
  if (
    transferSyntax !== null &&
    UNCOMPRESSED_LE.has(transferSyntax) &&
    (pm.bitsAllocated === 8 || pm.bitsAllocated === 16)
  ) {
    const raw = await orthanc.tryGetFrameRaw(id, 0);
    if (raw.ok && raw.data.length >= pm.rows * pm.columns * (pm.bitsAllocated / 8)) {
      return { pixelModule: pm, frame: packedFromRawLE(raw.data, pm), route: 'raw', transferSyntax };
    }
  }
  // JPEG 2000: decoded here (see jpeg2000.ts: Orthanc 1.10.1 cannot, or crashes trying).
  if (transferSyntax !== null && JPEG2000_SYNTAXES.has(transferSyntax)) {
    const raw = await orthanc.tryGetFrameRaw(id, 0);
    if (!raw.ok)
      throw new UnsupportedPixelDataError(
        `Orthanc cannot read the JPEG 2000 frame (${raw.orthancError}${raw.details ? `: ${raw.details}` : ''})`,
      );
    const j2k = await decodeJpeg2000(raw.data);
    if (
      j2k.width !== pm.columns ||
      j2k.height !== pm.rows ||
      j2k.componentCount !== 1 ||
      j2k.data.length !== pm.rows * pm.columns * (pm.bitsAllocated / 8)
    ) {
      throw new UnsupportedPixelDataError(
        `The JPEG 2000 stream holds ${j2k.width}x${j2k.height}x${j2k.componentCount} samples of ${j2k.bitsPerSample} bits; the header says ${pm.columns}x${pm.rows}, 1 sample of ${pm.bitsAllocated} bits`,
      );
    }
    return { pixelModule: pm, frame: frameFromRawLE(j2k.data, pm), route: 'openjpeg', transferSyntax };
  }
  const numpy = await orthanc.tryGetFrameNumpy(id, 0);
  if (numpy.ok) {
    const arr = parseNpy(numpy.data);
    const [r, c, s = 1] = arr.shape;
    if (arr.shape.length < 2 || arr.shape.length > 3 || s !== 1 || r !== pm.rows || c !== pm.columns) {
      throw new UnsupportedPixelDataError(
        `Orthanc decoded a frame of shape (${arr.shape.join(', ')}) for a ${pm.rows}x${pm.columns} greyscale image`,
      );
    }
    return { pixelModule: pm, frame: { rows: r, columns: c, values: arr.values }, route: 'numpy', transferSyntax };
  }
  if (numpy.httpStatus === 400) {
    // Orthanc records where the pixel data starts (since 1.9.1); no offset means there is no Pixel Data element.
    const offset = await orthanc.getInstanceMetadata(id, 'PixelDataOffset');
    if (offset === null)
      throw new NoPixelDataError('The instance has image attributes but no Pixel Data: there is nothing to classify');
    throw new UnsupportedPixelDataError(
      `Orthanc cannot decode the pixel data (${numpy.orthancError}${numpy.details ? `: ${numpy.details}` : ''}); the file in ${syntax} is probably damaged`,
    );
  }
  // Orthanc 1.10.1's /numpy route knows only DCMTK's codecs; its transcoder (used by DICOMweb) also has GDCM's.
  const uids = {
    study: str(tags, 'StudyInstanceUID'),
    series: str(tags, 'SeriesInstanceUID'),
    instance: str(tags, 'SOPInstanceUID'),
  };
  if (uids.study !== undefined && uids.series !== undefined && uids.instance !== undefined) {
    const raw = await orthanc.tryGetFrameUncompressed(
      { study: uids.study, series: uids.series, instance: uids.instance },
      0,
    );
    if (raw.ok) return { pixelModule: pm, frame: frameFromRawLE(raw.data, pm), route: 'dicomweb', transferSyntax };
  }
  throw new UnsupportedPixelDataError(
    `Orthanc cannot decode this image's pixel data (${syntax}: ${numpy.details ?? numpy.orthancError}); re-export it uncompressed or as JPEG/JPEG 2000 lossless`,
  );
}
