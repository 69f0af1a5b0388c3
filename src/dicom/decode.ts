/**
 * The first frame of a parsed file (src/dicom/dataset.ts), decoded here, in the worker, for every transfer syntax
 * the pipeline reads: no pipeline input goes through Orthanc's decoders (docs/security.md, Orthanc <= 1.12.10's
 * CVE-2026-5437 ... 5445), and the bytes come from the stored file in one request.
 *
 *  | transfer syntax                                   | decoder                                                    |
 *  | ------------------------------------------------- | ---------------------------------------------------------- |
 *  | implicit / explicit VR little endian, deflated    | none: a view of the stored words (no copy)                 |
 *  | explicit VR big endian                            | byte swap (one copy)                                       |
 *  | RLE Lossless                                      | PackBits segments, PS3.5 G (below)                         |
 *  | JPEG Baseline / Extended (8-bit)                  | libjpeg-turbo (WebAssembly, @cornerstonejs/codec-libjpeg-turbo-8bit) |
 *  | JPEG Lossless (process 14, SV1 or any predictor)  | jpeg-lossless-decoder-js (the decoder of Cornerstone's DICOM image loader) |
 *  | JPEG 2000 (lossless or lossy)                     | OpenJPEG (WebAssembly, src/dicom/jpeg2000.ts)              |
 *
 * Anything else (JPEG-LS, 12-bit JPEG Extended, HTJ2K, MPEG) is refused as UnsupportedPixelDataError, with what to
 * re-export it as. Every decoder's output is checked against the header (dimensions, samples, bytes) before it is
 * read. Pure apart from loading the WebAssembly modules once per thread.
 */
import factory, { type JpegTurboModule } from '@cornerstonejs/codec-libjpeg-turbo-8bit/decodewasmjs';
import { Decoder as LosslessDecoder } from 'jpeg-lossless-decoder-js';
import { UnsupportedPixelDataError } from '../errors';
import { DEFLATED_EXPLICIT_VR_LE, EXPLICIT_VR_BE, EXPLICIT_VR_LE, IMPLICIT_VR_LE, type ParsedDicom } from './dataset';
import { decodeJpeg2000, JPEG2000_SYNTAXES } from './jpeg2000';
import { frameFromRawLE, type PixelModule, type StoredFrame } from './pixels';

export const RLE_LOSSLESS = '1.2.840.10008.1.2.5';
export const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
export const JPEG_EXTENDED = '1.2.840.10008.1.2.4.51';
export const JPEG_LOSSLESS_SYNTAXES: ReadonlySet<string> = new Set([
  '1.2.840.10008.1.2.4.57',
  '1.2.840.10008.1.2.4.70',
]);
const NATIVE_LE: ReadonlySet<string> = new Set([IMPLICIT_VR_LE, EXPLICIT_VR_LE, DEFLATED_EXPLICIT_VR_LE]);

/** Who decoded the frame (recorded with the classification). */
export type DecodeRoute = 'raw' | 'big-endian' | 'rle' | 'libjpeg-turbo' | 'jpeg-lossless' | 'openjpeg';

/** One frame's bytes as stored: the native words, or the compressed stream (fragments joined). */
export interface EncodedFrame {
  transferSyntax: string;
  encapsulated: boolean;
  data: Uint8Array;
}

function frameBytes(pm: PixelModule): number {
  return pm.rows * pm.columns * (pm.bitsAllocated / 8);
}

/** The first frame's stored bytes (views where it can; joined fragments otherwise). */
export function firstEncodedFrame(p: ParsedDicom, pm: PixelModule): EncodedFrame {
  const pd = p.pixelData;
  if (pd === undefined) throw new UnsupportedPixelDataError('The file has no Pixel Data');
  if (pd.kind === 'native') {
    if (pm.bitsAllocated % 8 !== 0)
      throw new UnsupportedPixelDataError(`Native pixel data of ${pm.bitsAllocated} bits allocated is not read`);
    const n = frameBytes(pm);
    if (pd.length < n)
      throw new UnsupportedPixelDataError(`The Pixel Data holds ${pd.length} bytes; one frame needs ${n}`);
    return {
      transferSyntax: p.transferSyntax,
      encapsulated: false,
      data: p.bytes.subarray(pd.offset, pd.offset + n),
    };
  }
  const { fragments } = pd;
  if (fragments.length === 0) throw new UnsupportedPixelDataError('The encapsulated Pixel Data has no fragment');
  let count: number;
  if (pm.numberOfFrames <= 1) count = fragments.length;
  else if (pd.offsetTable.length >= 8) {
    // The second frame starts at offsetTable[1], counted from the first fragment's item tag.
    const next = p.littleEndian ? pd.offsetTable.readUInt32LE(4) : pd.offsetTable.readUInt32BE(4);
    let at = 0;
    count = 0;
    while (count < fragments.length && at < next) at += fragments[count++].length + 8;
  } else if (fragments.length === pm.numberOfFrames) count = 1;
  else {
    // No offset table and more fragments than frames: the first frame ends with the first JPEG EOI marker.
    count = fragments.findIndex((f) => {
      const b = p.bytes;
      const end = f.offset + f.length;
      return (
        f.length >= 2 && ((b[end - 2] === 0xff && b[end - 1] === 0xd9) || (b[end - 3] === 0xff && b[end - 2] === 0xd9))
      );
    });
    count = count < 0 ? fragments.length : count + 1;
  }
  const parts = fragments.slice(0, Math.max(1, count)).map((f) => p.bytes.subarray(f.offset, f.offset + f.length));
  return {
    transferSyntax: p.transferSyntax,
    encapsulated: true,
    data: parts.length === 1 ? parts[0] : Buffer.concat(parts),
  };
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** Decode one frame to stored values (packed words for 8/16 bits, as frameFromRawLE makes them). */
export async function decodeFrame(
  f: EncodedFrame,
  pm: PixelModule,
): Promise<{ frame: StoredFrame; route: DecodeRoute }> {
  const ts = f.transferSyntax;
  if (!f.encapsulated) {
    if (NATIVE_LE.has(ts)) return { frame: frameFromRawLE(asBuffer(f.data), pm), route: 'raw' };
    if (ts === EXPLICIT_VR_BE) {
      const copy = Buffer.from(f.data);
      if (pm.bitsAllocated === 16) copy.swap16();
      else if (pm.bitsAllocated === 32) copy.swap32();
      return { frame: frameFromRawLE(copy, pm), route: 'big-endian' };
    }
    throw new UnsupportedPixelDataError(`Native pixel data in transfer syntax ${ts} is not read`);
  }
  if (ts === RLE_LOSSLESS) return { frame: frameFromRawLE(decodeRle(asBuffer(f.data), pm), pm), route: 'rle' };
  if (JPEG2000_SYNTAXES.has(ts)) {
    const j2k = await decodeJpeg2000(asBuffer(f.data));
    checkDecoded('JPEG 2000', j2k, pm);
    return { frame: frameFromRawLE(j2k.data, pm), route: 'openjpeg' };
  }
  if (ts === JPEG_BASELINE || (ts === JPEG_EXTENDED && pm.bitsStored <= 8)) {
    const d = await decodeJpegBaseline(f.data);
    checkDecoded('JPEG', d, pm);
    return { frame: frameFromRawLE(d.data, pm), route: 'libjpeg-turbo' };
  }
  if (JPEG_LOSSLESS_SYNTAXES.has(ts)) {
    const d = decodeJpegLossless(f.data, pm);
    return { frame: frameFromRawLE(d, pm), route: 'jpeg-lossless' };
  }
  throw new UnsupportedPixelDataError(
    `The pixel data is in transfer syntax ${ts}, which the pipeline does not decode; re-export it uncompressed or as JPEG / JPEG Lossless / JPEG 2000 / RLE`,
  );
}

interface Decoded {
  width: number;
  height: number;
  componentCount: number;
  bitsPerSample: number;
  data: Buffer;
}

function checkDecoded(what: string, d: Decoded, pm: PixelModule): void {
  if (d.width !== pm.columns || d.height !== pm.rows || d.componentCount !== 1 || d.data.length !== frameBytes(pm)) {
    throw new UnsupportedPixelDataError(
      `The ${what} stream holds ${d.width}x${d.height}x${d.componentCount} samples of ${d.bitsPerSample} bits; the header says ${pm.columns}x${pm.rows}, 1 sample of ${pm.bitsAllocated} bits: it cannot decode as this image`,
    );
  }
}

let jpegTurbo: Promise<JpegTurboModule> | undefined;

/** JPEG Baseline (8-bit) with libjpeg-turbo. */
async function decodeJpegBaseline(stream: Uint8Array): Promise<Decoded> {
  jpegTurbo ??= factory({ print: () => {}, printErr: () => {} });
  const m = await jpegTurbo;
  const decoder = new m.JPEGDecoder();
  try {
    decoder.getEncodedBuffer(stream.length).set(stream);
    decoder.decode();
    const info = decoder.getFrameInfo();
    return { ...info, data: Buffer.from(decoder.getDecodedBuffer()) };
  } catch (err) {
    throw new UnsupportedPixelDataError(
      `The worker cannot decode the JPEG pixel data (${err instanceof Error ? err.message : String(err)}); the file is probably damaged`,
    );
  } finally {
    decoder.delete();
  }
}

/** JPEG Lossless (ITU T.81 process 14) to little-endian words of Bits Allocated. */
function decodeJpegLossless(stream: Uint8Array, pm: PixelModule): Buffer {
  const bytesPerSample = pm.bitsAllocated / 8;
  if (bytesPerSample !== 1 && bytesPerSample !== 2)
    throw new UnsupportedPixelDataError(`JPEG Lossless with ${pm.bitsAllocated} bits allocated is not read`);
  const decoder = new LosslessDecoder();
  let out: Uint8Array | Uint16Array;
  try {
    // The decoder reads its input through a DataView of the whole buffer: give it a buffer of its own.
    const own = new Uint8Array(stream);
    out = decoder.decode(own.buffer, 0, own.byteLength, bytesPerSample);
  } catch (err) {
    throw new UnsupportedPixelDataError(
      `The worker cannot decode the JPEG Lossless pixel data (${err instanceof Error ? err.message : String(err)}); the file is probably damaged`,
    );
  }
  // The decoder reads past the end of a cut stream as zeros instead of failing, and writes whatever its Huffman
  // tables make of noise: a stream it over-read, or a sample above the frame's precision, is damaged.
  const read = decoder.stream;
  const precision = decoder.precision ?? 16;
  if (read !== null && read.index > read.buffer.length)
    throw new UnsupportedPixelDataError(
      `The worker cannot decode the JPEG Lossless pixel data (the stream ends ${read.index - read.buffer.length} bytes early); the file is probably damaged`,
    );
  const limit = 2 ** precision - 1;
  for (let i = 0; i < out.length; i++) {
    if (out[i] > limit)
      throw new UnsupportedPixelDataError(
        `The worker cannot decode the JPEG Lossless pixel data (sample ${i} is ${out[i]}, above the stream's ${precision}-bit precision); the file is probably damaged`,
      );
  }
  const d: Decoded = {
    width: decoder.xDim,
    height: decoder.yDim,
    componentCount: decoder.numComp,
    bitsPerSample: decoder.precision ?? 0,
    data: Buffer.from(out.buffer, out.byteOffset, out.byteLength),
  };
  checkDecoded('JPEG Lossless', d, pm);
  return d.data;
}

/**
 * RLE Lossless (PS3.5 Annex G): a 64-byte header (segment count, up to 15 offsets), then one PackBits segment per
 * byte plane, most significant first. Returns little-endian words of Bits Allocated.
 */
export function decodeRle(frame: Buffer, pm: PixelModule): Buffer {
  const damaged = (why: string) =>
    new UnsupportedPixelDataError(`The worker cannot decode the RLE pixel data (${why}); the file is probably damaged`);
  const planes = pm.bitsAllocated / 8;
  if (planes !== 1 && planes !== 2 && planes !== 4) throw damaged(`${pm.bitsAllocated} bits allocated`);
  if (frame.length < 64) throw damaged('no RLE header');
  const segments = frame.readUInt32LE(0);
  if (segments !== planes) throw damaged(`${segments} segments for ${planes} byte plane(s)`);
  const n = pm.rows * pm.columns;
  const out = Buffer.alloc(n * planes);
  for (let s = 0; s < segments; s++) {
    const start = frame.readUInt32LE(4 + 4 * s);
    const end = s + 1 < segments ? frame.readUInt32LE(8 + 4 * s) : frame.length;
    if (start < 64 || end > frame.length || end < start) throw damaged(`segment ${s + 1} lies outside the fragment`);
    // Most significant byte plane first: plane s holds byte (planes - 1 - s) of each little-endian word.
    const byte = planes - 1 - s;
    let o = 0;
    let i = start;
    while (o < n && i < end) {
      const h = frame[i++];
      if (h < 128) {
        const count = h + 1;
        if (i + count > end) throw damaged(`a literal run overruns segment ${s + 1}`);
        const m = Math.min(count, n - o); // a run past the frame's last sample is cut (never written beyond it)
        for (let k = 0; k < m; k++) out[(o + k) * planes + byte] = frame[i + k];
        i += count;
        o += m;
      } else if (h > 128) {
        const count = 257 - h;
        if (i >= end) throw damaged(`a repeat run overruns segment ${s + 1}`);
        const v = frame[i++];
        const m = Math.min(count, n - o);
        for (let k = 0; k < m; k++) out[(o + k) * planes + byte] = v;
        o += m;
      }
    }
    if (o < n) throw damaged(`segment ${s + 1} holds ${o} of ${n} samples`);
  }
  return out;
}
