import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { temporalServerVersionCheck } from '../../../src/cli/commands/doctor';
import { parseVersion, vulnerabilitiesOf } from '../../../src/cli/known-vulnerabilities';

describe('known vulnerabilities by version', { timeout: 10_000 }, () => {
  it('parses server version strings', () => {
    assert.deepEqual(parseVersion('1.32.0'), [1, 32, 0]);
    assert.deepEqual(parseVersion('v1.29.1'), [1, 29, 1]);
    assert.deepEqual(parseVersion('1.30.0-rc.1'), [1, 30, 0]);
    assert.equal(parseVersion('dev'), undefined);
  });

  it('CVE-2025-14986: Temporal server 1.24.0 through 1.29.1, fixed in 1.29.2', () => {
    for (const v of ['1.24.0', '1.25.2', '1.29.0', '1.29.1'])
      assert.deepEqual(
        vulnerabilitiesOf('temporal-server', v).map((k) => k.id),
        ['CVE-2025-14986'],
        v,
      );
    for (const v of ['1.23.9', '1.29.2', '1.30.0', '1.32.0', '1.32.1', 'garbage'])
      assert.deepEqual(vulnerabilitiesOf('temporal-server', v), [], v);
  });

  it('cxr doctor warns on a vulnerable server and names the CVE, not on a fixed one', () => {
    const old = temporalServerVersionCheck('1.29.1');
    assert.equal(old.warn, true);
    assert.match(old.detail, /CVE-2025-14986.*1\.29\.2/);
    const now = temporalServerVersionCheck('1.32.0');
    assert.equal(now.warn, false);
    assert.match(now.detail, /^1\.32\.0: no known vulnerability/);
    assert.equal(temporalServerVersionCheck('').warn, true);
  });
});
