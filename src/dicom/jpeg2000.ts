/**
 * JPEG 2000 decoding in the worker, with OpenJPEG compiled to WebAssembly (@cornerstonejs/codec-openjpeg, the
 * decoder the Cornerstone DICOM viewers use). Why not Orthanc: 1.10.1's /numpy route has no JPEG 2000 decoder, and
 * its DICOMweb transcoder (GDCM plugin 1.5, GDCM 3.0.21) crashed the whole Orthanc process with a segfault in
 * libgdcmMSFF while transcoding a 1760x1760 JPEG 2000 CR during a CI run. Decoding here keeps the PACS up.
 */
import factory, { type OpenJpegModule } from '@cornerstonejs/codec-openjpeg/decodewasmjs';
import { UnsupportedPixelDataError } from '../errors';

export const JPEG2000_SYNTAXES: ReadonlySet<string> = new Set(['1.2.840.10008.1.2.4.90', '1.2.840.10008.1.2.4.91']);

export interface DecodedJ2k {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
  /** Samples, little endian, 1 byte each up to 8 bits, 2 bytes up to 16 bits. */
  data: Buffer;
}

let openjpeg: Promise<OpenJpegModule> | undefined;

/** Decode one JPEG 2000 codestream (the frame's bytes as Orthanc's /frames/N/raw returns them). */
export async function decodeJpeg2000(codestream: Buffer): Promise<DecodedJ2k> {
  openjpeg ??= factory({ print: () => {}, printErr: () => {} });
  const m = await openjpeg;
  const decoder = new m.J2KDecoder();
  try {
    decoder.getEncodedBuffer(codestream.length).set(codestream);
    decoder.decode();
    const info = decoder.getFrameInfo();
    // Copy out of the WebAssembly heap: the decoder's buffer is freed with it.
    return { ...info, data: Buffer.from(decoder.getDecodedBuffer()) };
  } catch (err) {
    throw new UnsupportedPixelDataError(
      `The worker cannot decode the JPEG 2000 pixel data (${err instanceof Error ? err.message : String(err)}); the file is probably damaged`,
    );
  } finally {
    decoder.delete();
  }
}
