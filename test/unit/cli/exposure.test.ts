/** `cxr doctor`'s network exposure verdict: pure, from the Orthanc runtime configuration and where ports answer. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exposureVerdict } from '../../../src/cli/exposure';

describe('Orthanc exposure verdict', { timeout: 10_000 }, () => {
  const base = { HttpPort: 8042, DicomPort: 4242, RemoteAccessAllowed: false };
  it('warns when anyone may C-STORE and the DICOM port answers on a network address', () => {
    const v = exposureVerdict({ ...base, DicomAlwaysAllowStore: true }, ['10.0.0.5'], []);
    assert.equal(v.warn, true);
    assert.match(v.detail, /DICOM port 4242 answers on 10\.0\.0\.5 and accepts C-STORE from any AE title/);
  });
  it('warns too when the setting is missing (Orthanc defaults to accepting any AE title)', () => {
    assert.equal(exposureVerdict(base, ['10.0.0.5'], []).warn, true);
  });
  it('does not warn with configured AE titles, or no network answer', () => {
    const mods = { ...base, DicomAlwaysAllowStore: false, DicomModalities: { a: {}, b: {} } };
    assert.equal(exposureVerdict(mods, ['10.0.0.5'], ['10.0.0.5']).warn, undefined);
    assert.match(exposureVerdict(mods, ['10.0.0.5'], []).detail, /only from 2 configured AE title\(s\) at their hosts/);
    assert.equal(exposureVerdict({ ...base, DicomAlwaysAllowStore: true }, [], []).warn, undefined);
  });
  it('warns when the REST API takes remote clients without TLS on a network address', () => {
    const open = { ...base, RemoteAccessAllowed: true, DicomAlwaysAllowStore: false };
    assert.match(exposureVerdict(open, [], ['10.0.0.5']).detail, /REST API port 8042 answers remote clients/);
    assert.equal(exposureVerdict({ ...open, SslEnabled: true }, [], ['10.0.0.5']).warn, undefined);
  });
});
