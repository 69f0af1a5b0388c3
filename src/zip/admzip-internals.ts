/**
 * Typed access to the parts of adm-zip 0.6.1 that parse zip headers without loading the archive.
 *
 * Why not `new AdmZip(path)`: it reads the whole file into one Buffer (a 2 GB zip = 2 GB of RAM per worker)
 * and refuses archives with duplicate names outright. adm-zip's own header classes parse a central
 * directory record (EntryHeader), an end-of-central-directory record including zip64 (MainHeader) and the
 * zip64 extra field (ZipEntry.extra), from small Buffers we read ourselves with positional reads. So the
 * zip format logic stays adm-zip's, and only the byte I/O and inflating (node's zlib) are ours.
 * adm-zip's package.json has no "exports" map, so these deep requires are part of its reachable surface;
 * the version is pinned in package.json and test/unit/zip covers every use here.
 */

/** The fields of adm-zip's EntryHeader this reader uses. */
export interface AdmEntryHeader {
  readonly flags: number;
  readonly method: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly fileNameLength: number;
  readonly extraLength: number;
  readonly commentLength: number;
  readonly diskNumStart: number;
  readonly offset: number;
  readonly encrypted: boolean;
  readonly centralHeaderSize: number;
  /** Version made by: the high byte is the host system (3: Unix), whose external attributes hold a file mode. */
  readonly made: number;
  /** External file attributes (on Unix hosts the st_mode in the high 16 bits). */
  readonly attr: number;
}

/** adm-zip's ZipEntry, used only as a parser: set header (46 bytes), name and extra, then read `header`. */
export interface AdmZipEntry {
  get header(): AdmEntryHeader;
  set header(cen: Buffer);
  set entryName(raw: Buffer);
  set extra(raw: Buffer);
}

export interface AdmMainHeader {
  readonly diskEntries: number;
  readonly totalEntries: number;
  readonly size: number;
  readonly offset: number;
  readonly commentLength: number;
  loadFromBinary(data: Buffer): void;
}

export interface AdmConstants {
  readonly LOCHDR: number;
  readonly LOCSIG: number;
  readonly LOCNAM: number;
  readonly LOCEXT: number;
  readonly CENHDR: number;
  readonly CENSIG: number;
  readonly ENDHDR: number;
  readonly ENDSIG: number;
  readonly END64HDR: number;
  readonly END64SIG: number;
  readonly END64OFF: number;
  readonly ZIP64SIG: number;
  readonly ZIP64HDR: number;
  readonly STORED: number;
  readonly DEFLATED: number;
  readonly FLG_ENC: number;
  readonly EF_ZIP64_OR_16: number;
  readonly EF_ZIP64_OR_32: number;
}

interface AdmUtils {
  Constants: AdmConstants;
  decoder: { encode(text: string): Buffer; decode(data: Buffer): string };
  crc32(data: Buffer): number;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const utils = require('adm-zip/util') as AdmUtils;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const headers = require('adm-zip/headers') as { MainHeader: new () => AdmMainHeader };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ZipEntryCtor = require('adm-zip/zipEntry') as new (options: object) => AdmZipEntry;

export const Zip: AdmConstants = utils.Constants;

export function newMainHeader(): AdmMainHeader {
  return new headers.MainHeader();
}

/** A ZipEntry configured like AdmZip does by default (UTF-8 names), with no archive buffer behind it. */
export function newEntryParser(): AdmZipEntry {
  return new ZipEntryCtor({ decoder: utils.decoder });
}

/** General-purpose bit 11 (EFS): the name is UTF-8. */
export const FLAG_UTF8 = 0x0800;
/** The DOS code page (IBM437) from 0x80 to 0xFF: what APPNOTE says an unflagged name is written in. */
const CP437_HIGH =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀' +
  'αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';
const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/**
 * An entry name as its archiver meant it. Flagged UTF-8 (bit 11) is decoded as UTF-8 (adm-zip's decoder). An
 * unflagged name is CP437 by the zip specification (old Windows archivers: "RÖNTGEN" as 0x99), unless its bytes are
 * valid UTF-8: many archivers write UTF-8 without setting the flag, and CP437 text is almost never valid UTF-8.
 * ASCII names are the same either way.
 */
export function decodeName(raw: Buffer, flags: number): string {
  if (flags & FLAG_UTF8) return utils.decoder.decode(raw);
  try {
    return utf8Strict.decode(raw);
  } catch {
    let out = '';
    for (const b of raw) out += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80];
    return out;
  }
}

/** adm-zip's CRC-32, used only where node's zlib.crc32 (node >= 20.15) is missing. */
export function admCrc32(data: Buffer): number {
  return utils.crc32(data);
}
