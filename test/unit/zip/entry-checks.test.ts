import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_ZIP_LIMITS,
  MAX_DISPLAY_NAME_CHARS,
  displayName,
  unsafeNameReason,
  zipLimitsFromEnv,
} from '../../../src/zip';

describe('entry names', { timeout: 60_000 }, () => {
  it('flags zip-slip, absolute, drive-letter and control-character names', () => {
    for (const name of [
      '../x.dcm',
      'a/../../x.dcm',
      '..\\x.dcm',
      '/etc/x.dcm',
      '\\\\server\\x.dcm',
      'C:\\x.dcm',
      'c:x.dcm',
      'a\u0000b.dcm',
      'a\u001fb',
      '',
    ]) {
      assert.ok(unsafeNameReason(name), `${JSON.stringify(name)} should be unsafe`);
    }
    for (const name of [
      'x.dcm',
      'study/series/IM0001',
      'a..b.dcm',
      '..hidden/x.dcm',
      'Ünïcödé 胸部.dcm',
      ' spaced .dcm',
    ]) {
      assert.equal(unsafeNameReason(name), undefined, `${JSON.stringify(name)} should be safe`);
    }
  });

  it('shortens absurd names for display, keeping start and extension, and shows control characters', () => {
    const long = 'a'.repeat(1000) + '.dcm';
    const shown = displayName(long);
    assert.equal(Array.from(shown).length, MAX_DISPLAY_NAME_CHARS);
    assert.ok(shown.startsWith('aaa') && shown.endsWith('.dcm') && shown.includes('…'));
    assert.equal(displayName('a\u0000b'), 'a\\x00b');
    assert.equal(displayName('short.dcm'), 'short.dcm');
    const emoji = '👍'.repeat(300);
    assert.doesNotMatch(displayName(emoji), /[\ud800-\udbff](?![\udc00-\udfff])/, 'no surrogate pair cut in half');
  });
});

describe('zip limits from the environment', { timeout: 60_000 }, () => {
  it('uses the defaults when nothing is set', () => {
    assert.deepEqual(zipLimitsFromEnv({}), { ...DEFAULT_ZIP_LIMITS });
  });
  it('reads plain numbers and binary suffixes', () => {
    const limits = zipLimitsFromEnv({
      CXR_ZIP_MAX_ENTRIES: '500',
      CXR_ZIP_MAX_ENTRY_BYTES: '64MiB',
      CXR_ZIP_MAX_ZIP_BYTES: '2G',
    });
    assert.equal(limits.maxEntries, 500);
    assert.equal(limits.maxEntryBytes, 64 * 1024 * 1024);
    assert.equal(limits.maxZipBytes, 2 * 1024 ** 3);
    assert.equal(limits.maxCompressionRatio, DEFAULT_ZIP_LIMITS.maxCompressionRatio);
  });
  it('refuses unreadable values with the variable name', () => {
    assert.throws(() => zipLimitsFromEnv({ CXR_ZIP_MAX_ENTRIES: 'lots' }), /CXR_ZIP_MAX_ENTRIES/);
    assert.throws(() => zipLimitsFromEnv({ CXR_ZIP_MAX_COMPRESSION_RATIO: '0' }), /above zero/);
  });
});
