/** Which published Orthanc CVEs a version carries (src/orthanc/advisories.ts): pure. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { advisoriesFor, describeOrthancVersion } from '../../../src/orthanc/advisories';

describe('Orthanc advisories', { timeout: 10_000 }, () => {
  it('names CVE-2026-5437 ... 5445 for every version before 1.12.11', () => {
    for (const v of ['1.10.1', '1.12.7', '1.12.10', '1.9.7'])
      assert.deepEqual(
        advisoriesFor(v)?.[0].cves,
        [5437, 5438, 5439, 5440, 5441, 5442, 5443, 5444, 5445].map((n) => `CVE-2026-${n}`),
        v,
      );
    const d = describeOrthancVersion('1.10.1');
    assert.equal(d.vulnerable, true);
    assert.match(d.text, /^Orthanc 1\.10\.1 carries CVE-2026-5437 \.\.\. 5445 \(.*fixed in 1\.12\.11\)/);
  });
  it('none for 1.12.11 and later; unknown versions are said to be unchecked', () => {
    for (const v of ['1.12.11', '1.13.0', '2.0']) assert.deepEqual(advisoriesFor(v), [], v);
    assert.equal(describeOrthancVersion('1.12.11').vulnerable, false);
    assert.equal(describeOrthancVersion('mainline').vulnerable, undefined);
  });
});
