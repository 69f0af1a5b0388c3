/**
 * The Orthanc side of reading pixels: one request for the stored file (`/instances/{id}/file`, the bytes as
 * uploaded), parsed and decoded in the worker (src/dicom/dataset.ts, structure.ts, decode.ts). Orthanc's own
 * decoders (`/numpy`, `/rendered`, its DICOMweb transcoder) never see pipeline input: Orthanc <= 1.12.10 has heap
 * overflows in exactly those (docs/security.md), and 1.10.1's GDCM transcoder has crashed the whole server on a
 * JPEG 2000 CR. The pure pixel pipeline (header -> transforms -> grey image) is src/dicom/pixels.ts.
 */
import { parseDicom } from '../dicom/dataset';
import { decodeFrame, type DecodeRoute, type EncodedFrame, firstEncodedFrame } from '../dicom/decode';
import {
  type ModalityPolicy,
  type PixelModule,
  readPixelModule,
  type StoredFrame,
  type VoiPolicy,
} from '../dicom/pixels';
import { checkImageStructure, DEFAULT_MAX_IMAGE_PIXELS, type StructureLimits } from '../dicom/structure';
import { NoPixelDataError } from '../errors';
import type { OrthancClient } from '../orthanc/client';

export type { DecodeRoute };

export interface EncodedImage {
  pixelModule: PixelModule;
  /** The first frame as stored (a view of the file's buffer for native data). */
  encoded: EncodedFrame;
  transferSyntax: string;
}

export interface FetchedFrame {
  pixelModule: PixelModule;
  frame: StoredFrame;
  /** Which decoder read the pixels (all of them run in the worker). */
  route: DecodeRoute;
  transferSyntax: string | null;
}

export interface FrameOptions {
  voiPolicy?: VoiPolicy;
  modalityPolicy?: ModalityPolicy;
  limits?: StructureLimits;
}

/**
 * The pixel module and first frame of a DICOM file's bytes, after the structural checks. No Pixel Data ->
 * NoPixelDataError; a header that does not describe its data -> UnsafeImageStructureError / ImageTooLargeError;
 * an encoding the worker cannot read -> UnsupportedPixelDataError (all non-retryable).
 */
export function encodedImageOf(bytes: Buffer, opts: FrameOptions = {}): EncodedImage {
  const parsed = parseDicom(bytes);
  checkImageStructure(parsed, opts.limits ?? { maxImagePixels: DEFAULT_MAX_IMAGE_PIXELS });
  const pm = readPixelModule(
    parsed.tags,
    { modality: parsed.modalityLut?.data, voi: parsed.voiLut?.data },
    opts.voiPolicy ?? 'dicom-first',
    opts.modalityPolicy ?? 'apply',
  );
  if (parsed.pixelData === undefined)
    throw new NoPixelDataError('The instance has image attributes but no Pixel Data: there is nothing to classify');
  return { pixelModule: pm, encoded: firstEncodedFrame(parsed, pm), transferSyntax: parsed.transferSyntax };
}

/** The stored file of an Orthanc instance, read as encodedImageOf reads bytes. Orthanc down -> retryable. */
export async function fetchEncodedImage(
  orthanc: OrthancClient,
  id: string,
  opts: FrameOptions = {},
): Promise<EncodedImage> {
  return encodedImageOf(await orthanc.getInstanceFile(id), opts);
}

/** Read the header and decode the first frame of an Orthanc instance, here in the worker. */
export async function fetchFirstFrame(
  orthanc: OrthancClient,
  id: string,
  voiPolicy: VoiPolicy = 'dicom-first',
  modalityPolicy: ModalityPolicy = 'apply',
  limits?: StructureLimits,
): Promise<FetchedFrame> {
  const img = await fetchEncodedImage(orthanc, id, { voiPolicy, modalityPolicy, limits });
  const { frame, route } = await decodeFrame(img.encoded, img.pixelModule);
  return { pixelModule: img.pixelModule, frame, route, transferSyntax: img.transferSyntax };
}
