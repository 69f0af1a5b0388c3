/**
 * A random-access view of one zip file: the central directory parsed once (records decoded by zip-format.ts),
 * entries read one at a time from an open file descriptor and inflated with node's zlib.
 *
 * Memory is the central directory (about 100 bytes per entry) plus the entry being read; the archive itself
 * is never loaded, so a 50 GB zip costs the same as a 5 MB one. Whole-archive problems (not a zip,
 * truncated, encrypted, split, empty, too many entries) throw ZipRejectedError here, so every caller
 * (inspect, list, read) enforces them.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { EntryUnreadableError, ZipMissingError, ZipRejectedError } from '../errors';
import type { ZipLimits } from './limits';
import { FLAG_UTF8, Zip, crc32, decodeCentralHeader, decodeEndRecord, decodeName, type EndRecord } from './zip-format';

/** One record of the central directory, files and folders alike. */
export interface CentralEntry {
  /** Position in the central directory: the entry's identity for the whole pipeline. */
  readonly index: number;
  /** Name as its archiver meant it: UTF-8 when flagged, else CP437 unless valid UTF-8 (zip-format's decodeName). */
  readonly name: string;
  /**
   * The name as readers before CP437 decoding showed it (UTF-8 with U+FFFD), only where that differs: the name an
   * ingest started by an older worker recorded, which readEntry still accepts for that entry.
   */
  readonly formerName?: string;
  readonly isDirectory: boolean;
  readonly flags: number;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
  /** Index of an earlier entry with byte-identical name, when this is a repeat. */
  readonly duplicateOf?: number;
  /** Set when the entry is a symbolic link stored as a link (Unix mode S_IFLNK, `zip -y`): its data is a path. */
  readonly symlink?: SymbolicLink;
}

/** Where a link stored in the zip points, resolved against the zip's own names (links are never followed). */
export interface SymbolicLink {
  /** The target path as stored; undefined when it could not be read. */
  readonly target?: string;
  /** in-zip: a file or folder of this zip; outside: absolute or climbing out of it; missing: not in the zip. */
  readonly resolves: 'in-zip' | 'outside' | 'missing' | 'unreadable';
}

/** Where the file stood when it was opened; any change means a different archive. */
export interface FileIdentity {
  readonly path: string;
  readonly sizeBytes: number;
  readonly mtimeMs: number;
  readonly ino: number;
}

export interface ZipArchive {
  readonly identity: FileIdentity;
  /** All central-directory records in order. */
  readonly entries: readonly CentralEntry[];
  /** File records only (no folders), in central-directory order. */
  readonly files: readonly CentralEntry[];
  readonly directoryCount: number;
  readonly totalUncompressedBytes: number;
  /** First byte of the central directory: entry data must end before it. */
  readonly centralDirectoryOffset: number;
  /** Estimated heap cost of keeping this archive open, for the cache's byte budget. */
  readonly memoryBytes: number;
  readonly handle: fs.FileHandle;
}

/** Bytes fed to zlib per read: large enough for throughput, small enough to stop a bomb early. */
const READ_CHUNK_BYTES = 1024 * 1024;
/** Output chunk of the inflater: the most a bomb can overshoot the cap by before we stop it. */
export const INFLATE_CHUNK_BYTES = 256 * 1024;
const ENCRYPTION_FLAGS = 0x0001 | 0x0040; // traditional ZipCrypto/AES, and PKWARE strong encryption
/** The compression method WinZip writes for AES-encrypted entries. */
const METHOD_WINZIP_AES = 99;
/** Host systems whose external attributes carry a Unix st_mode (3: Unix, 19: OS X). */
const UNIX_HOSTS = new Set([3, 19]);
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
/** A link target longer than this is not a path: the entry is treated as unreadable. */
const MAX_LINK_TARGET_BYTES = 4096;
const LOCAL_SIGNATURE = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/** What the reader has done, for tests and the benchmark; counts only, no file names. */
export const readerStats = {
  archivesParsed: 0,
  /** Largest number of inflated bytes held at once by one readEntry (checks the bomb cap). */
  peakInflatedBytes: 0,
};

function label(zipPath: string): string {
  return path.basename(zipPath);
}

/** Stat the zip, mapping "not there" to the retryable ZipMissing (a share may not be mounted yet). */
export async function statZip(zipPath: string): Promise<FileIdentity> {
  let st;
  try {
    st = await fs.stat(zipPath);
  } catch (err) {
    throw openError(zipPath, err);
  }
  if (!st.isFile()) throw new ZipRejectedError(`${zipPath} is not a file (is it a folder?); give the path of the .zip`);
  return { path: path.resolve(zipPath), sizeBytes: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
}

function openError(zipPath: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new ZipMissingError(`${zipPath} does not exist (yet); check the path, or that the share is mounted`, {
      cause: err,
    });
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new ZipRejectedError(`${zipPath} cannot be read: permission denied for the worker's user`, { cause: err });
  }
  return new ZipRejectedError(`${zipPath} cannot be read (${code ?? String(err)})`, { cause: err });
}

async function readAt(handle: fs.FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buf : buf.subarray(0, done);
}

/** Limits that can be checked from counts alone; rerun on every cache hit since callers may pass other limits. */
export function checkArchiveLimits(archive: ZipArchive, limits: ZipLimits): void {
  const name = label(archive.identity.path);
  if (archive.identity.sizeBytes > limits.maxZipBytes) {
    throw new ZipRejectedError(
      `${name} is ${formatBytes(archive.identity.sizeBytes)}, above this worker's limit of ${formatBytes(limits.maxZipBytes)}` +
        ' (CXR_ZIP_MAX_ZIP_BYTES); split the study into smaller zips',
    );
  }
  if (archive.entries.length > limits.maxEntries) throw tooManyEntries(name, archive.entries.length, limits);
  if (archive.totalUncompressedBytes > limits.maxTotalUncompressedBytes) {
    throw new ZipRejectedError(
      `${name} declares ${formatBytes(archive.totalUncompressedBytes)} of content, above the limit of ` +
        `${formatBytes(limits.maxTotalUncompressedBytes)} (CXR_ZIP_MAX_TOTAL_UNCOMPRESSED_BYTES); split it or check it is not a zip bomb`,
    );
  }
}

function tooManyEntries(name: string, count: number, limits: ZipLimits): ZipRejectedError {
  return new ZipRejectedError(
    `${name} holds ${count} entries, above the limit of ${limits.maxEntries} (CXR_ZIP_MAX_ENTRIES); split it into smaller zips`,
  );
}

export function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${n} bytes` : `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

/** Locate and decode the end of central directory (classic or zip64). */
async function readMainHeader(
  handle: fs.FileHandle,
  identity: FileIdentity,
): Promise<{ main: EndRecord; endOfCentralDirectory: number; zip64: boolean }> {
  const name = label(identity.path);
  const size = identity.sizeBytes;
  if (size === 0) throw new ZipRejectedError(`${name} is an empty file (0 bytes), not a zip; copy it again`);
  const tailLength = Math.min(size, Zip.ENDHDR + 0xffff);
  const tailStart = size - tailLength;
  const tail = await readAt(handle, tailStart, tailLength);
  let eocd = -1;
  for (let i = tail.length - Zip.ENDHDR; i >= 0; i--) {
    if (
      tail[i] === 0x50 &&
      tail.readUInt32LE(i) === Zip.ENDSIG &&
      i + Zip.ENDHDR + tail.readUInt16LE(i + 20) <= tail.length
    ) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) {
    const head = await readAt(handle, 0, 4);
    if (head.equals(LOCAL_SIGNATURE)) {
      throw new ZipRejectedError(
        `${name} is truncated: it starts like a zip but its end (the central directory) is missing; ` +
          'the copy or download was probably cut short, copy it again',
      );
    }
    throw new ZipRejectedError(`${name} is not a zip archive (no zip structure found); export the study as a .zip`);
  }
  let main = decodeEndRecord(tail.subarray(eocd, eocd + Zip.ENDHDR));
  let endOfCentralDirectory = tailStart + eocd;
  // zip64: the classic record holds 0xFFFF/0xFFFFFFFF and a locator right before it points at the real one.
  if (eocd >= Zip.END64HDR && tail.readUInt32LE(eocd - Zip.END64HDR) === Zip.END64SIG) {
    const locator = tail.subarray(eocd - Zip.END64HDR, eocd);
    const zip64Offset = Number(locator.readBigUInt64LE(Zip.END64OFF));
    const record =
      zip64Offset + Zip.ZIP64HDR <= size ? await readAt(handle, zip64Offset, Zip.ZIP64HDR) : Buffer.alloc(0);
    if (record.length !== Zip.ZIP64HDR || record.readUInt32LE(0) !== Zip.ZIP64SIG) {
      throw new ZipRejectedError(`${name} is damaged: its zip64 end record is missing or unreadable; copy it again`);
    }
    main = decodeEndRecord(record);
    endOfCentralDirectory = zip64Offset;
  }
  if (main.diskEntries !== main.totalEntries) {
    throw new ZipRejectedError(`${name} is one part of a split (multi-volume) zip; join the parts into one zip first`);
  }
  if (main.offset + main.size > endOfCentralDirectory) {
    throw new ZipRejectedError(
      `${name} is truncated or damaged: its table of contents points past the end of the file; copy it again`,
    );
  }
  return { main, endOfCentralDirectory, zip64: endOfCentralDirectory !== tailStart + eocd };
}

/**
 * Open and parse a zip. The caller owns the returned handle (the cache closes it). Throws ZipMissing /
 * ZipRejected for whole-archive problems; per-entry problems are left to `entryProblem`.
 */
export async function openArchive(identity: FileIdentity, limits: ZipLimits): Promise<ZipArchive> {
  const name = label(identity.path);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(identity.path, 'r');
  } catch (err) {
    throw openError(identity.path, err);
  }
  try {
    const archive = await parseArchive(handle, identity, limits);
    readerStats.archivesParsed++;
    return archive;
  } catch (err) {
    await handle.close();
    if (err instanceof ZipRejectedError || err instanceof ZipMissingError) throw err;
    // A record that does not decode (a plain Error from zip-format.ts or a read past a Buffer): the zip is damaged.
    throw new ZipRejectedError(
      `${name} is damaged and cannot be read as a zip (${(err as Error).message}); copy it again`,
      {
        cause: err,
      },
    );
  }
}

async function parseArchive(handle: fs.FileHandle, identity: FileIdentity, limits: ZipLimits): Promise<ZipArchive> {
  const name = label(identity.path);
  if (identity.sizeBytes > limits.maxZipBytes) {
    throw new ZipRejectedError(
      `${name} is ${formatBytes(identity.sizeBytes)}, above this worker's limit of ${formatBytes(limits.maxZipBytes)}` +
        ' (CXR_ZIP_MAX_ZIP_BYTES); split the study into smaller zips',
    );
  }
  const { main, endOfCentralDirectory, zip64 } = await readMainHeader(handle, identity);
  if (main.totalEntries === 0) throw new ZipRejectedError(`${name} is an empty zip (it holds no files)`);
  // Check the declared count before reading the directory, so a forged count cannot make us allocate.
  if (main.totalEntries > limits.maxEntries) throw tooManyEntries(name, main.totalEntries, limits);
  if (main.size < main.totalEntries * Zip.CENHDR) {
    throw new ZipRejectedError(
      `${name} is damaged: its table of contents is shorter than its entry count; copy it again`,
    );
  }
  const shift = zip64 ? 0 : await prefixShift(handle, main, endOfCentralDirectory);
  const cdOffset = main.offset + shift;
  const cd = await readAt(handle, cdOffset, main.size);
  if (cd.length !== main.size)
    throw new ZipRejectedError(`${name} is truncated (table of contents cut short); copy it again`);

  const entries: Mutable<CentralEntry>[] = [];
  const files: Mutable<CentralEntry>[] = [];
  const firstByName = new Map<string, number>();
  let directoryCount = 0;
  let totalUncompressedBytes = 0;
  let encryptedCount = 0;
  let p = 0;
  for (let index = 0; index < main.totalEntries; index++) {
    if (p + Zip.CENHDR > cd.length || cd.readUInt32LE(p) !== Zip.CENSIG) {
      throw new ZipRejectedError(
        `${name} is damaged: entry ${index} of its table of contents is unreadable; copy it again`,
      );
    }
    const h = decodeCentralHeader(cd, p);
    const nameStart = p + Zip.CENHDR;
    const extraStart = nameStart + h.fileNameLength;
    const recordEnd = p + h.centralHeaderSize;
    if (recordEnd > cd.length) {
      throw new ZipRejectedError(`${name} is damaged: entry ${index} runs past the table of contents; copy it again`);
    }
    const rawName = cd.subarray(nameStart, extraStart);
    const entryName = decodeName(rawName, h.flags);
    const formerName = decodeName(rawName, FLAG_UTF8);
    const last = rawName.length > 0 ? rawName[rawName.length - 1] : undefined;
    const isDirectory = last === 0x2f || last === 0x5c;
    const nameKey = rawName.toString('latin1');
    const duplicateOf = firstByName.get(nameKey);
    if (duplicateOf === undefined) firstByName.set(nameKey, index);
    const entry: Mutable<CentralEntry> = {
      index,
      name: entryName,
      isDirectory,
      flags: h.flags,
      method: h.method,
      crc32: h.crc,
      compressedSize: h.compressedSize,
      size: h.size,
      localHeaderOffset: h.offset + shift,
      ...(duplicateOf === undefined ? {} : { duplicateOf }),
      ...(formerName === entryName ? {} : { formerName }),
    };
    if (!isDirectory && UNIX_HOSTS.has(h.made >> 8) && ((h.attr >>> 16) & S_IFMT) === S_IFLNK) {
      entry.symlink = { resolves: 'unreadable' };
    }
    entries.push(entry);
    if (isDirectory) {
      directoryCount++;
    } else {
      files.push(entry);
      totalUncompressedBytes += entry.size;
      if (entry.flags & ENCRYPTION_FLAGS) encryptedCount++;
    }
    p = recordEnd;
  }
  if (encryptedCount > 0) {
    const aes = files.some((e) => e.method === METHOD_WINZIP_AES) ? ', WinZip AES' : '';
    throw new ZipRejectedError(
      `${name} is password-protected (${encryptedCount} of ${files.length} files are encrypted${aes}); ` +
        'the pipeline cannot read encrypted zips: re-create the zip without a password',
    );
  }
  if (files.length === 0) {
    throw new ZipRejectedError(
      `${name} contains only folders (${directoryCount}) and no files; zip the files themselves`,
    );
  }
  const archive: ZipArchive = {
    identity,
    entries,
    files,
    directoryCount,
    totalUncompressedBytes,
    centralDirectoryOffset: cdOffset,
    // The parsed records (~10 fields and a name string each) cost about the directory's size again.
    memoryBytes: cd.length + entries.length * 120,
    handle,
  };
  checkArchiveLimits(archive, limits);
  await resolveLinks(archive, files);
  return archive;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Bytes before the zip itself (a self-extractor's program stub) that the offsets do not count, as when a stub is
 * simply concatenated in front of a zip: the table of contents then sits `shift` bytes after where the end record
 * says. 0 when the offsets are right (a plain zip, or `zip -A`). What Info-ZIP's unzip and Python's zipfile do.
 */
async function prefixShift(handle: fs.FileHandle, main: EndRecord, endOfCentralDirectory: number): Promise<number> {
  const at = async (offset: number) => {
    const sig = await readAt(handle, offset, 4);
    return sig.length === 4 && sig.readUInt32LE(0) === Zip.CENSIG;
  };
  if (main.totalEntries === 0 || (await at(main.offset))) return 0;
  const actual = endOfCentralDirectory - main.size;
  return actual > main.offset && (await at(actual)) ? actual - main.offset : 0;
}

/**
 * Read each link's target (a short path) and resolve it against the zip's names, so the entry check can say
 * whether the file it points to is in the zip. Links are never followed: the target is only compared.
 */
async function resolveLinks(archive: ZipArchive, files: Mutable<CentralEntry>[]): Promise<void> {
  const links = files.filter((e) => e.symlink);
  if (links.length === 0) return;
  const names = new Set(archive.entries.map((e) => e.name.replace(/\/$/, '')));
  const folders = new Set(
    archive.entries.flatMap((e) =>
      e.name
        .split('/')
        .slice(0, -1)
        .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
    ),
  );
  for (const link of links) {
    let target: string;
    try {
      if (link.size > MAX_LINK_TARGET_BYTES || link.flags & ENCRYPTION_FLAGS) continue;
      target = (await readEntryData(archive, link)).toString('utf8');
    } catch {
      continue; // stays 'unreadable'
    }
    link.symlink = { target, resolves: resolveLink(link.name, target, names, folders) };
  }
}

function resolveLink(
  linkName: string,
  target: string,
  names: ReadonlySet<string>,
  folders: ReadonlySet<string>,
): SymbolicLink['resolves'] {
  if (target === '' || target.startsWith('/') || target.startsWith('\\') || /^[A-Za-z]:/.test(target)) return 'outside';
  const parts = linkName.split('/').slice(0, -1);
  for (const segment of target.split(/[/\\]/)) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (parts.length === 0) return 'outside';
      parts.pop();
    } else {
      parts.push(segment);
    }
  }
  const resolved = parts.join('/');
  if (resolved === linkName) return 'missing';
  return names.has(resolved) || folders.has(resolved) ? 'in-zip' : 'missing';
}

/**
 * Read and inflate one file entry. `cap` is the declared size: zlib's output is cut off one byte past it, so
 * an entry that lies about its size (or a bomb) can never make us hold more than cap + one output chunk.
 * Callers check the declared size against maxEntryBytes first.
 */
export async function readEntryData(archive: ZipArchive, entry: CentralEntry): Promise<Buffer> {
  const where = `"${entry.name}" in ${label(archive.identity.path)}`;
  const local = await readAt(archive.handle, entry.localHeaderOffset, Zip.LOCHDR);
  if (local.length !== Zip.LOCHDR || !local.subarray(0, 4).equals(LOCAL_SIGNATURE)) {
    throw new EntryUnreadableError(`${where} cannot be read: its local header is missing or damaged`);
  }
  const dataStart =
    entry.localHeaderOffset + Zip.LOCHDR + local.readUInt16LE(Zip.LOCNAM) + local.readUInt16LE(Zip.LOCEXT);
  if (dataStart + entry.compressedSize > archive.centralDirectoryOffset) {
    throw new EntryUnreadableError(
      `${where} cannot be read: its data runs past the end of the zip's content (damaged)`,
    );
  }
  let data: Buffer;
  let actualCrc: number;
  if (entry.method === Zip.STORED) {
    if (entry.compressedSize !== entry.size) {
      throw new EntryUnreadableError(
        `${where} cannot be read: stored uncompressed but its two declared sizes differ (${entry.compressedSize} vs ${entry.size})`,
      );
    }
    data = await readAt(archive.handle, dataStart, entry.size);
    readerStats.peakInflatedBytes = Math.max(readerStats.peakInflatedBytes, data.length);
    actualCrc = await crcInSlices(data);
  } else if (entry.method === Zip.DEFLATED) {
    ({ data, crc: actualCrc } = await inflateBounded(
      archive.handle,
      dataStart,
      entry.compressedSize,
      entry.size,
      where,
    ));
  } else {
    throw new EntryUnreadableError(
      `${where} uses compression method ${entry.method}, which is not supported; re-zip with standard deflate`,
    );
  }
  if (data.length !== entry.size) {
    throw new EntryUnreadableError(
      `${where} is damaged: it holds ${data.length} bytes but its header declares ${entry.size}`,
    );
  }
  if (actualCrc !== entry.crc32) {
    throw new EntryUnreadableError(`${where} is damaged: its checksum (CRC-32) does not match; copy the zip again`);
  }
  return data;
}

async function inflateBounded(
  handle: fs.FileHandle,
  start: number,
  compressedSize: number,
  declaredSize: number,
  where: string,
): Promise<{ data: Buffer; crc: number }> {
  const cap = declaredSize + 1;
  async function* compressed(): AsyncGenerator<Buffer> {
    for (let done = 0; done < compressedSize;) {
      const chunk = await readAt(handle, start + done, Math.min(READ_CHUNK_BYTES, compressedSize - done));
      if (chunk.length === 0) return;
      done += chunk.length;
      yield chunk;
    }
  }
  // Inflated straight into one buffer of the declared size (no list of chunks plus a concatenated copy: one 10 MB
  // buffer at a time), with the CRC-32 taken chunk by chunk as zlib's thread pool delivers them, so the event loop
  // never spends one long slice on it.
  const out = Buffer.allocUnsafe(declaredSize);
  let crc = 0;
  let total = 0;
  // A flag, not the thrown error: pipeline() reports a sink that throws as a generic AbortError.
  let capExceeded = false;
  try {
    await pipeline(
      Readable.from(compressed()),
      zlib.createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES }),
      async (inflated: AsyncIterable<Buffer>) => {
        for await (const chunk of inflated) {
          total += chunk.length;
          readerStats.peakInflatedBytes = Math.max(readerStats.peakInflatedBytes, total);
          if (total > cap || total > declaredSize) {
            capExceeded = true;
            throw new Error('inflate cap exceeded');
          }
          chunk.copy(out, total - chunk.length);
          crc = crc32(chunk, crc);
        }
      },
    );
  } catch (err) {
    if (capExceeded) {
      throw new EntryUnreadableError(
        `${where} holds more data than its header declares (${declaredSize} bytes): the zip is damaged or forged (zip bomb); ` +
          'reading stopped',
      );
    }
    throw new EntryUnreadableError(
      `${where} is damaged: its compressed data cannot be inflated (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
  return { data: total === declaredSize ? out : out.subarray(0, total), crc };
}

/** CRC-32 of a buffer read as stored, 1 MiB at a time with the event loop served in between. */
async function crcInSlices(data: Buffer): Promise<number> {
  let crc = 0;
  for (let at = 0; at < data.length; at += READ_CHUNK_BYTES) {
    crc = crc32(data.subarray(at, at + READ_CHUNK_BYTES), crc);
    if (at + READ_CHUNK_BYTES < data.length) await new Promise((r) => setImmediate(r));
  }
  return crc;
}
