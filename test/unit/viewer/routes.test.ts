/** The viewer proxy's allowlist (src/viewer/routes.ts): what OHIF needs passes, nothing else does. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideDicomwebRoute, forwardedSearch, MAX_FRAMES_PER_REQUEST } from '../../../src/viewer/routes';

const ST = '1.2.826.0.1.3680043.8.498.1';
const SE = '1.2.3.4';
const IN = '2.25.123456789';

describe('viewer proxy routes', { timeout: 10_000 }, () => {
  it('forwards the read-only routes OHIF uses', () => {
    for (const p of [
      '/studies',
      `/studies/${ST}/series`,
      `/studies/${ST}/metadata`,
      `/studies/${ST}/series/${SE}/metadata`,
      `/studies/${ST}/series/${SE}/instances`,
      `/studies/${ST}/series/${SE}/instances/${IN}`,
      `/studies/${ST}/series/${SE}/instances/${IN}/metadata`,
      `/studies/${ST}/series/${SE}/instances/${IN}/frames/1`,
      `/studies/${ST}/series/${SE}/instances/${IN}/frames/1,2,3`,
      `/studies/${ST}/series/${SE}/instances/${IN}/bulk/7fe00010`,
      `/studies/${ST}/series/${SE}/instances/${IN}/bulk/00400275/1/0040a730`,
    ]) {
      assert.deepEqual(decideDicomwebRoute('GET', p), { forward: true }, p);
      assert.deepEqual(decideDicomwebRoute('HEAD', p), { forward: true }, p);
    }
  });

  it('refuses writes on DICOMweb routes (STOW, DELETE)', () => {
    assert.equal(decideDicomwebRoute('POST', '/studies').forward, false);
    assert.deepEqual(decideDicomwebRoute('POST', `/studies/${ST}`), {
      forward: false,
      status: 404,
      reason: 'not a DICOMweb route the viewer uses',
    });
    const del = decideDicomwebRoute('DELETE', `/studies/${ST}/series/${SE}/instances/${IN}`);
    assert.equal(del.forward, false);
    assert.equal(!del.forward && del.status, 405);
  });

  it('refuses anything that is not one of those routes', () => {
    for (const p of [
      '',
      '/',
      '/servers',
      '/servers/peer/stow',
      '/../system',
      '/%2e%2e/system',
      '/studies/../../tools/execute-script',
      `/studies/${ST}/series/${SE}/instances/${IN}/frames/0`,
      `/studies/${ST}/series/${SE}/instances/${IN}/frames/1/../../../..`,
      `/studies/${ST}x/series`,
      `/studies/01.2/series`,
      `/studies/${ST}/series/${SE}/instances/${IN}/bulk/7fe00010/../..`,
      '/studies//series',
      // Rendered images run Orthanc's own decoders (CVE-2026-5437 ... 5445): never forwarded.
      `/studies/${ST}/series/${SE}/instances/${IN}/rendered`,
      `/studies/${ST}/series/${SE}/instances/${IN}/frames/2/rendered`,
      `/studies/${ST}/series/${SE}/rendered`,
    ]) {
      assert.equal(decideDicomwebRoute('GET', p).forward, false, p);
    }
    assert.equal(decideDicomwebRoute('GET', `/studies/1.${'2'.repeat(70)}/series`).forward, false);
  });

  it('names each frame once, and at most MAX_FRAMES_PER_REQUEST of them', () => {
    const frames = (list: number[]) => `/studies/${ST}/series/${SE}/instances/${IN}/frames/${list.join(',')}`;
    const upTo = Array.from({ length: MAX_FRAMES_PER_REQUEST }, (_, i) => i + 1);
    assert.deepEqual(decideDicomwebRoute('GET', frames(upTo)), { forward: true });
    assert.deepEqual(decideDicomwebRoute('GET', frames([...upTo, 65])), {
      forward: false,
      status: 400,
      reason: `more than ${MAX_FRAMES_PER_REQUEST} frames in one request`,
    });
    assert.equal(decideDicomwebRoute('GET', frames([1, 2, 1])).forward, false);
    assert.equal(decideDicomwebRoute('GET', frames(Array.from({ length: 3000 }, () => 1))).forward, false);
    assert.equal(decideDicomwebRoute('GET', frames([1234567])).forward, false, 'frame numbers of at most 6 digits');
  });

  it('drops _method (any case or encoding) from the forwarded query, and keeps the rest as sent', () => {
    assert.equal(forwardedSearch(''), '');
    assert.equal(forwardedSearch('?'), '');
    assert.equal(forwardedSearch('?a=1&_method=DELETE&b=%20x'), '?a=1&b=%20x');
    assert.equal(forwardedSearch('?_METHOD=PUT'), '');
    assert.equal(forwardedSearch('?%5Fmethod=DELETE&%5f%4D%45THOD=x&c'), '?c');
    assert.equal(forwardedSearch('?_method'), '');
    assert.equal(forwardedSearch('?+_method+=x&d=1'), '?d=1');
    assert.equal(forwardedSearch('?%E0%A4%A=1&e=2'), '?e=2', 'an undecodable key is dropped');
  });
});
