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

/** adm-zip decodes every name as UTF-8 (CP437 names turn into U+FFFD); we display them the same way. */
export function decodeName(raw: Buffer): string {
  return utils.decoder.decode(raw);
}

/** adm-zip's CRC-32, used only where node's zlib.crc32 (node >= 20.15) is missing. */
export function admCrc32(data: Buffer): number {
  return utils.crc32(data);
}
