/**
 * Whole-archive inspection and the entry listing the ingest workflow starts from. Both go through the
 * per-process archive cache, so inspecting, listing and then reading entries parse the zip's directory once.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ZipRejectedError } from '../errors';
import { statZip, type CentralEntry, type ZipArchive } from './archive';
import { type ArchiveCache, archiveCache } from './cache';
import { displayName, entryProblem, type EntryProblem } from './entry-checks';
import type { ZipLimits } from './limits';

export interface ZipInspection {
  zipPath: string;
  /** SHA-256 of the whole file, hex: the ingest's identity (same bytes, same ingest). */
  sha256: string;
  sizeBytes: number;
  fileEntryCount: number;
  directoryCount: number;
}

/** One file entry, small enough to sit in Temporal history by the thousand. */
export interface ZipEntryInfo {
  /** Position in the zip's central directory: the entry's identity. */
  index: number;
  /** Display form of the name (control characters escaped, very long names shortened). */
  name: string;
  size: number;
  compressedSize: number;
  crc32: number;
  /** Set when the entry will not be processed: failed (with an error type) or skipped (with a reason). */
  problem?: EntryProblem;
}

/**
 * Check that the file is a zip this pipeline can read and hash it. Throws ZipMissingError (retryable) when the
 * path does not exist, ZipRejectedError with the reason otherwise.
 */
export async function inspectZip(
  zipPath: string,
  limits: ZipLimits,
  cache: ArchiveCache = archiveCache,
): Promise<ZipInspection> {
  return cache.use(zipPath, limits, async (archive) => {
    const hash = createHash('sha256');
    await pipeline(createReadStream(archive.identity.path, { highWaterMark: 1024 * 1024 }), hash);
    const after = await statZip(zipPath);
    if (after.sizeBytes !== archive.identity.sizeBytes || after.mtimeMs !== archive.identity.mtimeMs) {
      throw new ZipRejectedError(
        `${zipPath} changed while it was being checked (still being copied?); wait until the copy is complete and submit it again`,
      );
    }
    return {
      zipPath,
      sha256: hash.digest('hex'),
      sizeBytes: archive.identity.sizeBytes,
      fileEntryCount: archive.files.length,
      directoryCount: archive.directoryCount,
    };
  });
}

/** File entries `offset` to `offset + limit - 1` in central-directory order, each with any problem pre-flagged. */
export async function listEntries(
  zipPath: string,
  offset: number,
  limit: number,
  limits: ZipLimits,
  cache: ArchiveCache = archiveCache,
): Promise<ZipEntryInfo[]> {
  if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(limit) || limit < 0) {
    throw new RangeError(`listEntries: offset and limit must be non-negative integers (got ${offset}, ${limit})`);
  }
  return cache.use(zipPath, limits, async (archive) =>
    archive.files.slice(offset, offset + limit).map((e) => describeEntry(archive, e, limits)),
  );
}

/** The file entries with these central-directory indexes (retry of failed entries), in the order given. */
export async function listEntriesByIndex(
  zipPath: string,
  indexes: readonly number[],
  limits: ZipLimits,
  cache: ArchiveCache = archiveCache,
): Promise<ZipEntryInfo[]> {
  return cache.use(zipPath, limits, async (archive) => {
    const byIndex = new Map(archive.files.map((e) => [e.index, e]));
    return indexes.map((i) => {
      const entry = byIndex.get(i);
      if (!entry)
        throw new ZipRejectedError(`The zip has no file entry #${i} any more: it changed since the ingest started`);
      return describeEntry(archive, entry, limits);
    });
  });
}

function describeEntry(archive: ZipArchive, entry: CentralEntry, limits: ZipLimits): ZipEntryInfo {
  const info: ZipEntryInfo = {
    index: entry.index,
    name: displayName(entry.name),
    size: entry.size,
    compressedSize: entry.compressedSize,
    crc32: entry.crc32,
  };
  const problem = entryProblem(entry, limits, archive.centralDirectoryOffset);
  if (problem) info.problem = problem;
  return info;
}
