/**
 * Limits that keep one hostile or broken zip from exhausting a worker. Every value can be set from the
 * environment (CXR_ZIP_*); the defaults are chosen for chest X-ray studies, with room to spare.
 *
 * Why these defaults:
 * - maxEntries 100 000: a large multi-patient export is a few thousand instances; the central directory of
 *   100 000 entries is ~10 MB in memory. More entries than that is a mistake or an attack.
 * - maxEntryBytes 512 MiB: every entry is read into memory in one piece (it is uploaded to Orthanc as one
 *   POST), so this bounds memory per activity. A 16-bit 3000x3000 radiograph is ~18 MB; even multi-frame
 *   tomosynthesis rarely passes a few hundred MB. Several activities run at once, so this is not 2 GiB.
 * - maxTotalUncompressedBytes 1 TiB: nothing is ever extracted to disk, so the total only guards Orthanc's
 *   storage against a zip of many entries that each stay under the per-entry limits.
 * - maxCompressionRatio 200: deflate tops out near 1032:1 on zeros; real DICOM compresses 1.5-10:1 (black
 *   borders and 8-bit images in 16-bit words reach ~30:1). Entries below COMPRESSION_RATIO_MIN_BYTES are
 *   never judged by ratio: a small file of zeros is harmless.
 * - maxZipBytes 64 GiB: the reader never loads the archive (it reads the central directory and one entry at
 *   a time from a file descriptor), so the size only bounds the time to hash it (~1.5 GB/s).
 */
import type { ZipLimitOverrides } from '../contracts';

export interface ZipLimits {
  /** Most records (files and folders) in the central directory. */
  maxEntries: number;
  /** Largest uncompressed entry; also the hard cap while inflating. */
  maxEntryBytes: number;
  /** Largest sum of the declared uncompressed sizes of all entries. */
  maxTotalUncompressedBytes: number;
  /** Largest uncompressed/compressed ratio before an entry counts as a zip bomb. */
  maxCompressionRatio: number;
  /** Largest zip file accepted at all. */
  maxZipBytes: number;
}

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** Entries smaller than this are never flagged for their compression ratio. */
export const COMPRESSION_RATIO_MIN_BYTES = 1 * MiB;

/**
 * The limits one ingest runs with: the workflow input may lower the worker's configured limits (tests use small
 * ones), never raise them. Anyone who can start a workflow controls its input, so the worker's configuration
 * (CXR_ZIP_MAX_*) is the ceiling; a value that is not a positive number is ignored.
 */
export function effectiveLimits(base: ZipLimits, overrides: ZipLimitOverrides | undefined): ZipLimits {
  const out: ZipLimits = { ...base };
  for (const key of Object.keys(base) as (keyof ZipLimits)[]) {
    const v = (overrides as Partial<Record<keyof ZipLimits, unknown>> | undefined)?.[key];
    if (typeof v === 'number' && Number.isFinite(v) && v > 0) out[key] = Math.min(v, base[key]);
  }
  return out;
}

export const DEFAULT_ZIP_LIMITS: Readonly<ZipLimits> = Object.freeze({
  maxEntries: 100_000,
  maxEntryBytes: 512 * MiB,
  maxTotalUncompressedBytes: 1024 * GiB,
  maxCompressionRatio: 200,
  maxZipBytes: 64 * GiB,
});

/** Environment variable for each limit, so the names are documented in one place. */
export const ZIP_LIMIT_ENV: Readonly<Record<keyof ZipLimits, string>> = Object.freeze({
  maxEntries: 'CXR_ZIP_MAX_ENTRIES',
  maxEntryBytes: 'CXR_ZIP_MAX_ENTRY_BYTES',
  maxTotalUncompressedBytes: 'CXR_ZIP_MAX_TOTAL_UNCOMPRESSED_BYTES',
  maxCompressionRatio: 'CXR_ZIP_MAX_COMPRESSION_RATIO',
  maxZipBytes: 'CXR_ZIP_MAX_ZIP_BYTES',
});

/**
 * Parse a positive number; accepts plain numbers and binary suffixes (512MiB, 2GiB, 1TiB, also K/M/G/T)
 * because byte limits written as raw integers are easy to get wrong by a factor of 1000.
 */
export function parseLimitValue(name: string, text: string): number {
  const match = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(text);
  if (!match) throw new Error(`${name}=${JSON.stringify(text)} is not a number (examples: 1000, 512MiB, 2GiB)`);
  const scale: Record<string, number> = { '': 1, K: 1024, M: MiB, G: GiB, T: 1024 * GiB };
  const value = Number(match[1]) * scale[(match[2] ?? '').toUpperCase()]!;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name}=${JSON.stringify(text)} must be above zero`);
  return value;
}

/** The defaults, overridden by any CXR_ZIP_* variable that is set. Throws on an unreadable value. */
export function zipLimitsFromEnv(env: Record<string, string | undefined>): ZipLimits {
  const limits: ZipLimits = { ...DEFAULT_ZIP_LIMITS };
  for (const key of Object.keys(ZIP_LIMIT_ENV) as (keyof ZipLimits)[]) {
    const name = ZIP_LIMIT_ENV[key];
    const text = env[name];
    if (text !== undefined && text !== '') limits[key] = parseLimitValue(name, text);
  }
  return limits;
}
