/** Safe, bounded access to the zips the pipeline ingests. */
export {
  type ZipLimits,
  DEFAULT_ZIP_LIMITS,
  ZIP_LIMIT_ENV,
  COMPRESSION_RATIO_MIN_BYTES,
  effectiveLimits,
  zipLimitsFromEnv,
} from './limits';
export { type ZipInspection, type ZipEntryInfo, inspectZip, listEntries, listEntriesByIndex } from './inspect';
export { type ExpectedEntry, readEntry } from './read';
export {
  type EntryProblem,
  SKIP_DICOMDIR,
  SKIP_SYSTEM_FILE,
  SKIP_SYMBOLIC_LINK,
  MAX_DISPLAY_NAME_CHARS,
  displayName,
  unsafeNameReason,
  problemError,
} from './entry-checks';
export {
  type ArchiveCacheOptions,
  type ArchiveCacheStats,
  ArchiveCache,
  archiveCache,
  archiveCacheOptionsFromEnv,
} from './cache';
export { readerStats, INFLATE_CHUNK_BYTES } from './archive';
