/**
 * The worker's zip limits are a ceiling for what a workflow's input asks (src/activities/zip-activities.ts): anyone who
 * can start a workflow writes its input, so an input may lower a limit, never raise it. Pure.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { effectiveLimits } from '../../../src/activities/zip-activities';
import { DEFAULT_ZIP_LIMITS, type ZipLimits } from '../../../src/zip/limits';

const worker: ZipLimits = { ...DEFAULT_ZIP_LIMITS, maxEntryBytes: 1000, maxEntries: 10 };

describe('zip limits from workflow input', { timeout: 10_000 }, () => {
  it('may lower the worker limits', () => {
    assert.deepEqual(effectiveLimits(worker, { maxEntryBytes: 10 }), { ...worker, maxEntryBytes: 10 });
    assert.deepEqual(effectiveLimits(worker, undefined), worker);
  });

  it('never raises them beyond the worker configuration', () => {
    const asked = {
      maxEntries: 1e12,
      maxEntryBytes: 2 ** 40,
      maxTotalUncompressedBytes: Number.MAX_SAFE_INTEGER,
      maxCompressionRatio: 1e9,
      maxZipBytes: 2 ** 50,
    };
    assert.deepEqual(effectiveLimits(worker, asked), worker);
  });

  it('ignores values that are not positive numbers', () => {
    const junk = { maxEntries: -1, maxEntryBytes: 0, maxCompressionRatio: Number.NaN, maxZipBytes: Infinity };
    assert.deepEqual(effectiveLimits(worker, junk as never), worker);
    assert.deepEqual(effectiveLimits(worker, { maxEntries: '5' } as never), worker);
  });
});
