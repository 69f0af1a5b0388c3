/**
 * Per-process cache of open archives. Activities for one zip run hundreds of times in the same worker;
 * parsing the central directory once (instead of per activity) is what makes readEntry cost only the
 * entry's own bytes.
 *
 * Keyed by resolved path + size + mtime + inode, so a zip replaced or modified in place is a different key
 * (and readEntry then notices that the entry it was asked for changed). Bounded by the estimated memory of
 * the parsed directories (LRU) and by the number of open file descriptors. An archive in use is never closed
 * under a reader: eviction waits until its last user is done.
 */
import { type FileIdentity, type ZipArchive, checkArchiveLimits, openArchive, statZip } from './archive';
import type { ZipLimits } from './limits';
import { parseLimitValue } from './limits';

export interface ArchiveCacheOptions {
  /** Budget for the parsed central directories, in bytes (CXR_ZIP_CACHE_MAX_BYTES, default 256 MiB). */
  maxBytes: number;
  /** Most zips kept open at once (CXR_ZIP_CACHE_MAX_OPEN, default 32). */
  maxOpen: number;
}

export interface ArchiveCacheStats {
  /** Archives opened and parsed (a miss). */
  opens: number;
  hits: number;
  evictions: number;
  open: number;
  bytes: number;
}

interface Slot {
  readonly key: string;
  readonly archive: ZipArchive;
  users: number;
  evicted: boolean;
}

export function archiveCacheOptionsFromEnv(env: Record<string, string | undefined>): ArchiveCacheOptions {
  const read = (name: string, fallback: number) => {
    const text = env[name];
    return text === undefined || text === '' ? fallback : parseLimitValue(name, text);
  };
  return { maxBytes: read('CXR_ZIP_CACHE_MAX_BYTES', 256 * 1024 * 1024), maxOpen: read('CXR_ZIP_CACHE_MAX_OPEN', 32) };
}

function keyOf(id: FileIdentity): string {
  return `${id.path}\u0000${id.sizeBytes}\u0000${id.mtimeMs}\u0000${id.ino}`;
}

export class ArchiveCache {
  /** Map order is recency: the first slot is the least recently used. */
  private readonly slots = new Map<string, Slot>();
  /** Opens in flight, so concurrent first readers of one zip share a single parse. */
  private readonly opening = new Map<string, Promise<Slot>>();
  private counters = { opens: 0, hits: 0, evictions: 0 };

  constructor(private options: ArchiveCacheOptions) {}

  configure(options: Partial<ArchiveCacheOptions>): void {
    this.options = { ...this.options, ...options };
    void this.evictOverBudget();
  }

  stats(): ArchiveCacheStats {
    let bytes = 0;
    for (const slot of this.slots.values()) bytes += slot.archive.memoryBytes;
    return { ...this.counters, open: this.slots.size, bytes };
  }

  /** Run `fn` with the archive at `zipPath`, opening it if this process has not yet (or it changed). */
  async use<T>(zipPath: string, limits: ZipLimits, fn: (archive: ZipArchive) => Promise<T>): Promise<T> {
    const identity = await statZip(zipPath);
    const slot = await this.acquire(identity, limits);
    try {
      checkArchiveLimits(slot.archive, limits);
      return await fn(slot.archive);
    } finally {
      slot.users--;
      if (slot.evicted && slot.users === 0) await this.close(slot);
    }
  }

  /** Close every archive not in use and forget the counters (tests, worker shutdown). */
  async clear(): Promise<void> {
    for (const slot of [...this.slots.values()]) await this.evict(slot);
    this.counters = { opens: 0, hits: 0, evictions: 0 };
  }

  private async acquire(identity: FileIdentity, limits: ZipLimits): Promise<Slot> {
    const key = keyOf(identity);
    const cached = this.slots.get(key);
    if (cached) {
      this.counters.hits++;
      this.slots.delete(key);
      this.slots.set(key, cached);
      cached.users++;
      return cached;
    }
    let pending = this.opening.get(key);
    if (!pending) {
      pending = this.openSlot(key, identity, limits);
      this.opening.set(key, pending);
      pending.finally(() => this.opening.delete(key)).catch(() => undefined);
    } else {
      this.counters.hits++;
    }
    const slot = await pending;
    // Another open may have evicted it while we waited for our turn; then open it again.
    if (slot.evicted) return this.acquire(identity, limits);
    slot.users++;
    return slot;
  }

  private async openSlot(key: string, identity: FileIdentity, limits: ZipLimits): Promise<Slot> {
    // The same path with another size/mtime is an older version of the file: drop it.
    for (const slot of [...this.slots.values()]) {
      if (slot.archive.identity.path === identity.path) await this.evict(slot);
    }
    const archive = await openArchive(identity, limits);
    this.counters.opens++;
    const slot: Slot = { key, archive, users: 0, evicted: false };
    this.slots.set(key, slot);
    // Count the new slot as in use while evicting, so it is never the one dropped.
    slot.users++;
    await this.evictOverBudget();
    slot.users--;
    return slot;
  }

  private async evictOverBudget(): Promise<void> {
    let bytes = 0;
    for (const slot of this.slots.values()) bytes += slot.archive.memoryBytes;
    for (const slot of [...this.slots.values()]) {
      if (bytes <= this.options.maxBytes && this.slots.size <= this.options.maxOpen) break;
      if (slot.users > 0) continue;
      bytes -= slot.archive.memoryBytes;
      await this.evict(slot);
    }
  }

  private async evict(slot: Slot): Promise<void> {
    if (slot.evicted) return;
    slot.evicted = true;
    this.slots.delete(slot.key);
    this.counters.evictions++;
    if (slot.users === 0) await this.close(slot);
  }

  private async close(slot: Slot): Promise<void> {
    await slot.archive.handle.close().catch(() => undefined);
  }
}

/** The worker's one cache. */
/**
 * The default cache, with the default bounds, for code that opens zips outside a worker (the CLI, tests, the bench).
 * A worker builds its own from PipelineConfig.archiveCache and injects it into the activities.
 */
export const archiveCache = new ArchiveCache(archiveCacheOptionsFromEnv({}));
