/**
 * WADO-RS frames of 1-bit multi-frame objects (the pipeline's heatmap SEGs, src/dicom/heatmap.ts), which Orthanc's
 * DICOMweb plugin refuses ("Bad file format", 400) and OHIF 3.13 cannot read from the whole instance either when a
 * frame is not a whole number of bytes (Rows x Columns not a multiple of 8: native 1-bit frames are packed back to
 * back, PS3.5 8.1.1). The viewer's proxy (server.ts) answers such frame requests itself from the instance: each frame
 * unpacked from its bit offset and packed again from bit 0 of its own bytes, the form DICOMweb returns frames in and
 * OHIF's segmentation loader unpacks. Pure.
 */
import dcmjs from 'dcmjs';

/** Native encodings dcmjs reads (deflated included: the heatmap SEGs are stored deflated, src/dicom/heatmap.ts). */
const NATIVE = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1', '1.2.840.10008.1.2.1.99']);

/** The frames route below the DICOMweb root: study, series, instance UIDs and the frame numbers (1-based). */
export function parseFramesPath(
  subPath: string,
): { study: string; series: string; instance: string; frames: number[] } | undefined {
  const m = /^\/studies\/([0-9.]+)\/series\/([0-9.]+)\/instances\/([0-9.]+)\/frames\/([0-9,]+)$/.exec(subPath);
  if (!m) return undefined;
  return { study: m[1], series: m[2], instance: m[3], frames: m[4].split(',').map(Number) };
}

/** The first part of a multipart/related body (WADO-RS), or the body itself when it is not multipart. */
export function firstPart(body: Buffer, contentType: string): Buffer {
  const b = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!/^multipart\//i.test(contentType) || b === undefined) return body;
  const start = body.indexOf(`--${b}`);
  if (start < 0) throw new RangeError('multipart body without its boundary');
  const headersEnd = body.indexOf('\r\n\r\n', start);
  if (headersEnd < 0) throw new RangeError('multipart part without headers');
  const end = body.indexOf(`\r\n--${b}`, headersEnd + 4);
  return body.subarray(headersEnd + 4, end < 0 ? body.length : end);
}

/**
 * The requested frames (1-based) of a native 1-bit Part-10 object, each packed from bit 0 of its own bytes
 * (ceil(Rows x Columns / 8) bytes, the last one zero-filled). Undefined when the object is not native 1-bit pixel data
 * (then the proxy passes Orthanc's answer on); RangeError for a frame it does not have.
 */
export function binaryFrames(part10: Buffer, frameNumbers: number[]): Uint8Array[] | undefined {
  const ab = part10.buffer.slice(part10.byteOffset, part10.byteOffset + part10.byteLength) as ArrayBuffer;
  const file = dcmjs.data.DicomMessage.readFile(ab);
  const meta = dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.meta) as { TransferSyntaxUID?: string };
  if (!NATIVE.has(meta.TransferSyntaxUID ?? '')) return undefined;
  const value = (tag: string): unknown => (file.dict[tag] as { Value?: unknown[] } | undefined)?.Value?.[0];
  const rows = Number(value('00280010'));
  const columns = Number(value('00280011'));
  const samples = Number(value('00280002') ?? 1);
  const count = Number(value('00280008') ?? 1);
  const pixels = value('7FE00010');
  if (Number(value('00280100')) !== 1 || !(pixels instanceof ArrayBuffer)) return undefined;
  const bitsPerFrame = rows * columns * samples;
  const data = new Uint8Array(pixels);
  if (!(bitsPerFrame > 0) || data.length * 8 < bitsPerFrame * count) {
    throw new RangeError(
      `1-bit pixel data of ${data.length} bytes is short of ${count} frames of ${bitsPerFrame} bits`,
    );
  }
  return frameNumbers.map((n) => {
    if (!Number.isInteger(n) || n < 1 || n > count) throw new RangeError(`no frame ${n} (the object has ${count})`);
    const out = new Uint8Array(Math.ceil(bitsPerFrame / 8));
    const offset = (n - 1) * bitsPerFrame;
    for (let i = 0; i < bitsPerFrame; i++) {
      const bit = offset + i;
      if (data[bit >> 3] & (1 << (bit & 7))) out[i >> 3] |= 1 << (i & 7);
    }
    return out;
  });
}

/** A WADO-RS frames answer: one application/octet-stream part per frame, Explicit VR Little Endian. */
export function framesResponse(frames: Uint8Array[], boundary: string): { contentType: string; body: Buffer } {
  const ts = '1.2.840.10008.1.2.1';
  const parts: Buffer[] = [];
  for (const f of frames) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Type: application/octet-stream; transfer-syntax=${ts}\r\n\r\n`),
      Buffer.from(f),
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return {
    contentType: `multipart/related; type="application/octet-stream"; transfer-syntax=${ts}; boundary=${boundary}`,
    body: Buffer.concat(parts),
  };
}
