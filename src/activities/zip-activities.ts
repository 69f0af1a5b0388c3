/**
 * Zip listing activities. Idempotent: they only read the archive (same input -> same answer; tested in
 * test/integration/durability/idempotency.test.ts). inspectZip hashes the whole file: it heartbeats throughout.
 */
import { asTemporalFailure, ZipRejectedError } from '../errors';
import { inspectZip as inspect, listEntries, listEntriesByIndex, type ZipLimits } from '../zip';
import type { ZipEntryRef, ZipLimitOverrides, ZipListing } from '../contracts';
import type { ActivityDeps } from './deps';
import { heartbeat, keepAlive } from './keep-alive';

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

export function makeZipActivities(deps: ActivityDeps) {
  return {
    /** Validate the archive as a whole and check it is the zip the ingest was started for. */
    async inspectZip(input: {
      zipPath: string;
      expectedSha256: string;
      limits?: ZipLimitOverrides;
    }): Promise<ZipListing> {
      return keepAlive(() =>
        asTemporalFailure(async () => {
          heartbeat('inspecting');
          const z = await inspect(input.zipPath, effectiveLimits(deps.zipLimits, input.limits), deps.archives);
          if (z.sha256 !== input.expectedSha256) {
            throw new ZipRejectedError(
              `The file at ${input.zipPath} is not the zip this ingest was started for (its content changed: sha256 ${z.sha256.slice(0, 12)}… instead of ${input.expectedSha256.slice(0, 12)}…). Start a new ingest for the new file.`,
            );
          }
          return {
            zipSha256: z.sha256,
            fileEntryCount: z.fileEntryCount,
            directoryCount: z.directoryCount,
            sizeBytes: z.sizeBytes,
          };
        }),
      );
    },

    /** One page of file entries, or the entries at the given indexes (retry of failures). */
    async listZipEntries(input: {
      zipPath: string;
      zipSha256: string;
      limits?: ZipLimitOverrides;
      offset: number;
      limit: number;
      indexes?: number[];
    }): Promise<ZipEntryRef[]> {
      return asTemporalFailure(async () => {
        const limits = effectiveLimits(deps.zipLimits, input.limits);
        // `indexes` are central-directory indexes (entry identities); offset/limit page over file entries.
        const infos = input.indexes
          ? await listEntriesByIndex(input.zipPath, input.indexes, limits, deps.archives)
          : await listEntries(input.zipPath, input.offset, input.limit, limits, deps.archives);
        return infos.map((e) => ({ zipPath: input.zipPath, zipSha256: input.zipSha256, ...e }));
      });
    },
  };
}
