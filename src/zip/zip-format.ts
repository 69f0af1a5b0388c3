/**
 * The zip records this reader needs, decoded from small Buffers (PKWARE APPNOTE.TXT 6.3: 4.3.7 local file header,
 * 4.3.12 central directory header, 4.3.14-16 zip64 end record and locator, 4.3.16 end of central directory, 4.5.3
 * zip64 extended information). Pure: no I/O; archive.ts reads the bytes with positional reads.
 */
import zlib from 'node:zlib';

/** Record sizes, signatures and field offsets used by the reader. */
export const Zip = {
  LOCHDR: 30,
  LOCNAM: 26,
  LOCEXT: 28,
  CENHDR: 46,
  CENSIG: 0x02014b50,
  ENDHDR: 22,
  ENDSIG: 0x06054b50,
  /** zip64 end-of-central-directory locator: signature, disk, 8-byte offset of the zip64 record, disk count. */
  END64HDR: 20,
  END64SIG: 0x07064b50,
  END64OFF: 8,
  /** zip64 end-of-central-directory record (fixed part). */
  ZIP64HDR: 56,
  ZIP64SIG: 0x06064b50,
  STORED: 0,
  DEFLATED: 8,
} as const;

/** The end of central directory, classic or zip64: where the table of contents is and how many records it holds. */
export interface EndRecord {
  /** Entries on this disk; differs from totalEntries only in a split (multi-volume) zip. */
  readonly diskEntries: number;
  readonly totalEntries: number;
  /** Bytes of the central directory. */
  readonly size: number;
  /** Offset of the central directory from the start of the zip (not counting a prepended stub). */
  readonly offset: number;
}

function uint64(buf: Buffer, at: number): number {
  return Number(buf.readBigUInt64LE(at));
}

/** Decode an end record: 22 bytes starting with PK\5\6, or the 56-byte zip64 record starting with PK\6\6. */
export function decodeEndRecord(record: Buffer): EndRecord {
  const signature = record.length >= 4 ? record.readUInt32LE(0) : 0;
  if (signature === Zip.ENDSIG && record.length === Zip.ENDHDR) {
    return {
      diskEntries: record.readUInt16LE(8),
      totalEntries: record.readUInt16LE(10),
      size: record.readUInt32LE(12),
      offset: record.readUInt32LE(16),
    };
  }
  if (signature === Zip.ZIP64SIG && record.length >= Zip.ZIP64HDR) {
    return {
      diskEntries: uint64(record, 24),
      totalEntries: uint64(record, 32),
      size: uint64(record, 40),
      offset: uint64(record, 48),
    };
  }
  throw new Error('invalid end of central directory record');
}

/** One central directory record's fixed fields, with the zip64 values applied. */
export interface CentralHeader {
  /** Version made by: the high byte is the host system (3: Unix), whose external attributes hold a file mode. */
  readonly made: number;
  readonly flags: number;
  readonly method: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly fileNameLength: number;
  readonly extraLength: number;
  readonly commentLength: number;
  readonly diskNumStart: number;
  /** External file attributes (on Unix hosts the st_mode in the high 16 bits). */
  readonly attr: number;
  /** Offset of the entry's local header. */
  readonly offset: number;
  /** The whole record: fixed part, name, extra field and comment. */
  readonly centralHeaderSize: number;
}

const ZIP64_EXTRA_ID = 0x0001;
const MAX_32 = 0xffffffff;
const MAX_16 = 0xffff;

/**
 * Decode the central directory record at `at` (the caller checked its signature and that 46 bytes are there).
 * The zip64 extended information extra field holds, in this order, only the values whose 32-bit (or 16-bit) field
 * is saturated: uncompressed size, compressed size, local header offset, disk number.
 */
export function decodeCentralHeader(cd: Buffer, at: number): CentralHeader {
  const fileNameLength = cd.readUInt16LE(at + 28);
  const extraLength = cd.readUInt16LE(at + 30);
  const commentLength = cd.readUInt16LE(at + 32);
  let size = cd.readUInt32LE(at + 24);
  let compressedSize = cd.readUInt32LE(at + 20);
  let offset = cd.readUInt32LE(at + 42);
  let diskNumStart = cd.readUInt16LE(at + 34);
  const extraStart = at + Zip.CENHDR + fileNameLength;
  const extra = cd.subarray(extraStart, Math.min(cd.length, extraStart + extraLength));
  for (let p = 0; p + 4 <= extra.length;) {
    const id = extra.readUInt16LE(p);
    const length = extra.readUInt16LE(p + 2);
    const data = extra.subarray(p + 4, p + 4 + length);
    p += 4 + length;
    if (id !== ZIP64_EXTRA_ID) continue;
    let q = 0;
    const next64 = (current: number): number => {
      if (current !== MAX_32 || q + 8 > data.length) return current;
      q += 8;
      return uint64(data, q - 8);
    };
    size = next64(size);
    compressedSize = next64(compressedSize);
    offset = next64(offset);
    if (diskNumStart === MAX_16 && q + 4 <= data.length) diskNumStart = data.readUInt32LE(q);
    break;
  }
  return {
    made: cd.readUInt16LE(at + 4),
    flags: cd.readUInt16LE(at + 8),
    method: cd.readUInt16LE(at + 10),
    crc: cd.readUInt32LE(at + 16),
    compressedSize,
    size,
    fileNameLength,
    extraLength,
    commentLength,
    diskNumStart,
    attr: cd.readUInt32LE(at + 38),
    offset,
    centralHeaderSize: Zip.CENHDR + fileNameLength + extraLength + commentLength,
  };
}

/** General-purpose bit 11 (EFS): the name is UTF-8. */
export const FLAG_UTF8 = 0x0800;
/** The DOS code page (IBM437) from 0x80 to 0xFF: what APPNOTE says an unflagged name is written in. */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀' +
  'αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/**
 * An entry name as its archiver meant it. Flagged UTF-8 (bit 11) is decoded as UTF-8 (invalid bytes become U+FFFD).
 * An unflagged name is CP437 by the zip specification (old Windows archivers: "RÖNTGEN" as 0x99), unless its bytes
 * are valid UTF-8: many archivers write UTF-8 without setting the flag, and CP437 text is almost never valid UTF-8.
 * ASCII names are the same either way.
 */
export function decodeName(raw: Buffer, flags: number): string {
  if (flags & FLAG_UTF8) return raw.toString('utf8');
  try {
    return utf8Strict.decode(raw);
  } catch {
    let out = '';
    for (const b of raw) out += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80];
    return out;
  }
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE, as zip stores it) in plain JS, for node versions before 20.15 that lack zlib.crc32. */
function crc32Js(data: Buffer, previous = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (const b of data) crc = crcTable[(crc ^ b) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * CRC-32 of one buffer, or continued from the CRC of the bytes before it (`previous`): node's zlib.crc32 where it
 * exists (node >= 20.15), else the table above.
 */
export const crc32: (data: Buffer, previous?: number) => number =
  typeof zlib.crc32 === 'function' ? (data, previous) => zlib.crc32(data, previous ?? 0) : crc32Js;

/** Exposed for the unit test that holds the fallback against zlib.crc32. */
export const crc32Fallback = crc32Js;
