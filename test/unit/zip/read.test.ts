/** readEntry and the per-process archive cache: open once, evict by size, safe under concurrency, bomb-safe. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import AdmZip from 'adm-zip';
import { EntryTooLargeError, EntryUnreadableError, ZipMissingError, ZipRejectedError } from '../../../src/errors';
import {
  DEFAULT_ZIP_LIMITS,
  INFLATE_CHUNK_BYTES,
  type ZipLimits,
  archiveCache,
  archiveCacheOptionsFromEnv,
  inspectZip,
  listEntries,
  readEntry,
  readerStats,
} from '../../../src/zip';
import { BAD_DIR, tmpDir } from './helpers';

const limits = DEFAULT_ZIP_LIMITS;
const dir = tmpDir('cxr-zip-read-');

/** A zip of `count` distinct entries written with adm-zip (deflated); returns its path. */
function makeZip(name: string, count: number, bytesEach = 2000, seed = 0): string {
  const zip = new AdmZip();
  for (let i = 0; i < count; i++) {
    const data = Buffer.alloc(bytesEach, (i + seed) % 251);
    data.writeUInt32LE(i, 0);
    zip.addFile(`series/img-${String(i).padStart(4, '0')}.dcm`, data);
  }
  const file = path.join(dir, name);
  zip.writeZip(file);
  return file;
}

describe('readEntry and the archive cache', { timeout: 60_000 }, () => {
  let small: string;
  before(() => {
    small = makeZip('small.zip', 20);
  });
  afterEach(async () => {
    archiveCache.configure(archiveCacheOptionsFromEnv({}));
    await archiveCache.clear();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('opens each zip once for inspect, list and many reads', async () => {
    await archiveCache.clear();
    await inspectZip(small, limits);
    const entries = await listEntries(small, 0, 100, limits);
    assert.equal(entries.length, 20);
    for (const e of entries) {
      const bytes = await readEntry(small, e.index, e, limits);
      assert.equal(bytes.readUInt32LE(0), Number(e.name.slice(-8, -4)));
    }
    assert.equal(archiveCache.stats().opens, 1);
    assert.ok(archiveCache.stats().hits >= 20);
  });

  it('pages the listing in central-directory order', async () => {
    const all = await listEntries(small, 0, 100, limits);
    const pages = [
      ...(await listEntries(small, 0, 7, limits)),
      ...(await listEntries(small, 7, 7, limits)),
      ...(await listEntries(small, 14, 7, limits)),
    ];
    assert.deepEqual(pages, all);
    assert.deepEqual(await listEntries(small, 20, 5, limits), []);
  });

  it('serves concurrent reads of a cold zip with one open and correct bytes', async () => {
    await archiveCache.clear();
    const entries = await listEntries(small, 0, 100, limits);
    await archiveCache.clear();
    const reads = Array.from({ length: 60 }, (_, i) => entries[i % entries.length]!);
    const results = await Promise.all(reads.map((e) => readEntry(small, e.index, e, limits)));
    results.forEach((bytes, i) => assert.equal(bytes.readUInt32LE(0), i % entries.length));
    assert.equal(archiveCache.stats().opens, 1);
  });

  it('evicts least recently used archives beyond its byte budget, and reopens them on demand', async () => {
    const a = makeZip('a.zip', 50);
    const b = makeZip('b.zip', 50, 2000, 1);
    await listEntries(a, 0, 1, limits);
    const oneArchive = archiveCache.stats().bytes;
    archiveCache.configure({ maxBytes: Math.floor(oneArchive * 1.5) });
    await listEntries(b, 0, 1, limits);
    const stats = archiveCache.stats();
    assert.equal(stats.open, 1, 'a.zip should have been evicted');
    assert.equal(stats.evictions, 1);
    await listEntries(a, 0, 1, limits);
    assert.equal(archiveCache.stats().opens, 3);
  });

  it('bounds the number of open zips', async () => {
    archiveCache.configure({ maxOpen: 2 });
    for (let i = 0; i < 4; i++) await listEntries(makeZip(`n${i}.zip`, 3, 100, i), 0, 1, limits);
    assert.equal(archiveCache.stats().open, 2);
  });

  it('keeps an archive open while reads are in flight, even when evicted meanwhile', async () => {
    const zipPath = makeZip('busy.zip', 30, 50_000);
    const entries = await listEntries(zipPath, 0, 100, limits);
    archiveCache.configure({ maxOpen: 1 });
    const reads = entries.map((e) => readEntry(zipPath, e.index, e, limits));
    const other = listEntries(makeZip('other.zip', 2), 0, 1, limits);
    const results = await Promise.all(reads);
    await other;
    results.forEach((bytes, i) => assert.equal(bytes.length, entries[i]!.size));
  });

  it('refuses an entry that no longer matches what was listed', async () => {
    const entries = await listEntries(small, 0, 2, limits);
    const e = entries[0]!;
    await assert.rejects(
      readEntry(small, e.index, { ...e, name: 'other.dcm' }, limits),
      /changed since the ingest started/,
    );
    await assert.rejects(readEntry(small, e.index, { ...e, crc32: e.crc32 ^ 1 }, limits), ZipRejectedError);
    await assert.rejects(readEntry(small, 9999, e, limits), ZipRejectedError);
  });

  it('notices a zip replaced on disk since it was listed', async () => {
    const zipPath = makeZip('replaced.zip', 5);
    const entries = await listEntries(zipPath, 0, 5, limits);
    const replacement = new AdmZip();
    replacement.addFile('series/img-0000.dcm', Buffer.from('different content'));
    replacement.writeZip(zipPath);
    const later = new Date(Date.now() + 5000);
    fs.utimesSync(zipPath, later, later);
    await assert.rejects(
      readEntry(zipPath, entries[0]!.index, entries[0]!, limits),
      /zip changed since the ingest started/,
    );
  });

  it('reports a missing zip as retryable ZipMissing, a folder as ZipRejected', async () => {
    await assert.rejects(inspectZip(path.join(dir, 'not-there.zip'), limits), (err: unknown) => {
      assert.ok(err instanceof ZipMissingError);
      assert.equal(err.retryable, true);
      return true;
    });
    await assert.rejects(inspectZip(dir, limits), ZipRejectedError);
  });

  it('applies the entry-count, zip-size and total-size limits', async () => {
    const with20: ZipLimits = { ...limits, maxEntries: 19 };
    await assert.rejects(inspectZip(small, with20), /holds 20 entries, above the limit of 19/);
    await assert.rejects(inspectZip(small, { ...limits, maxZipBytes: 1000 }), /above this worker's limit/);
    await assert.rejects(inspectZip(small, { ...limits, maxTotalUncompressedBytes: 39_999 }), /declares .* of content/);
    assert.equal((await inspectZip(small, limits)).fileEntryCount, 20);
  });

  it('flags and refuses entries over the size limit without reading them', async () => {
    const tight = { ...limits, maxEntryBytes: 1999 };
    const [e] = await listEntries(small, 0, 1, tight);
    assert.equal(e!.problem?.type, 'EntryTooLarge');
    await assert.rejects(readEntry(small, e!.index, e!, tight), EntryTooLargeError);
  });
});

describe('zip bombs', { timeout: 60_000 }, () => {
  after(() => archiveCache.clear());
  const bomb = path.join(BAD_DIR, 'zip-bomb.zip');
  const damaged = path.join(BAD_DIR, 'damaged-entries.zip');

  it('refuses an honest bomb from its headers, inflating nothing', async () => {
    const noRatioCheck = { ...limits, maxCompressionRatio: Number.MAX_SAFE_INTEGER, maxEntryBytes: 10 * 1024 * 1024 };
    const [e] = await listEntries(bomb, 0, 1, noRatioCheck);
    assert.equal(e!.size, 100 * 1024 * 1024);
    readerStats.peakInflatedBytes = 0;
    await assert.rejects(readEntry(bomb, e!.index, e!, noRatioCheck), EntryTooLargeError);
    assert.equal(readerStats.peakInflatedBytes, 0);
  });

  it('stops inflating a bomb that declares 1000 bytes one chunk past the declared size', async () => {
    const entries = await listEntries(damaged, 0, 10, limits);
    const e = entries.find((x) => x.name === 'bomb-declares-1000-bytes.dcm')!;
    assert.equal(e.problem, undefined, 'its headers look harmless, so only the inflate cap can catch it');
    readerStats.peakInflatedBytes = 0;
    const rssBefore = process.memoryUsage().rss;
    await assert.rejects(readEntry(damaged, e.index, e, limits), (err: unknown) => {
      assert.ok(err instanceof EntryUnreadableError);
      assert.match(err.message, /more data than its header declares/);
      return true;
    });
    assert.ok(readerStats.peakInflatedBytes > 1000, 'the cap was reached');
    assert.ok(
      readerStats.peakInflatedBytes <= 1001 + INFLATE_CHUNK_BYTES,
      `held ${readerStats.peakInflatedBytes} bytes`,
    );
    // 50 MiB of zeros were never materialised (loose bound: other tests share the process).
    assert.ok(process.memoryUsage().rss - rssBefore < 40 * 1024 * 1024);
  });
});

describe('CP437 names across an upgrade', { timeout: 60_000 }, () => {
  it('reads an entry under its CP437 name, and under the U+FFFD name an ingest started by an older worker recorded', async () => {
    const zip = path.join(BAD_DIR, 'cp437-names.zip');
    const [e] = await listEntries(zip, 0, 1, limits);
    assert.equal(e.name, 'RÖNTGEN THORAX.dcm');
    assert.ok((await readEntry(zip, e.index, e, limits)).length > 0);
    const former = { ...e, name: 'R\uFFFDNTGEN THORAX.dcm' };
    assert.ok((await readEntry(zip, e.index, former, limits)).length > 0);
    await assert.rejects(readEntry(zip, e.index, { ...e, name: 'RONTGEN THORAX.dcm' }, limits), ZipRejectedError);
  });
});
