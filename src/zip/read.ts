/**
 * Read one entry's bytes for an activity. The workflow only holds (zip path, index, name, size, crc); this
 * re-finds the entry through the per-process cache, checks it is still the same one, and inflates it with a
 * hard cap, so a forged or changed zip fails with a typed error rather than a wrong or unbounded read.
 */
import { ZipRejectedError } from '../errors';
import { readEntryData } from './archive';
import { type ArchiveCache, archiveCache } from './cache';
import { displayName, entryProblem, problemError } from './entry-checks';
import type { ZipLimits } from './limits';

export interface ExpectedEntry {
  /** The display name listEntries returned. */
  name: string;
  size: number;
  crc32: number;
}

/**
 * The bytes of file entry `index`, CRC- and size-verified. Throws ZipRejectedError when the zip no longer
 * holds that entry, the entry's failure error (UnsafeEntryName, EntryTooLarge, EntryUnreadable,
 * DuplicateEntryName, NestedArchive, ZeroByteEntry) when listEntries flagged it as failed, and
 * EntryUnreadableError when the bytes are damaged. Entries flagged as skipped (DICOMDIR, system files) are
 * returned: reading them is harmless, and the caller decides from the listing.
 */
export async function readEntry(
  zipPath: string,
  index: number,
  expected: ExpectedEntry,
  limits: ZipLimits,
  cache: ArchiveCache = archiveCache,
): Promise<Buffer> {
  return cache.use(zipPath, limits, async (archive) => {
    const entry = Number.isInteger(index) ? archive.entries[index] : undefined;
    if (
      !entry ||
      entry.isDirectory ||
      (displayName(entry.name) !== expected.name &&
        (entry.formerName === undefined || displayName(entry.formerName) !== expected.name)) ||
      entry.size !== expected.size ||
      entry.crc32 !== expected.crc32
    ) {
      throw new ZipRejectedError(
        `the zip changed since the ingest started: entry ${index} of ${zipPath} is no longer "${expected.name}"; ` +
          'submit the zip again as a new ingest',
      );
    }
    const problem = entryProblem(entry, limits, archive.centralDirectoryOffset);
    const error = problem && problemError(problem);
    if (error) throw error;
    return readEntryData(archive, entry);
  });
}
