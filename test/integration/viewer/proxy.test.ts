/**
 * The viewer server (src/viewer/server.ts) in front of the real Orthanc (scripts/services): OHIF's files and the
 * generated app-config.js are served; DICOMweb reads reach Orthanc with the proxy's credentials (the browser sends
 * none, and never gets a WWW-Authenticate back); writes and non-DICOMweb Orthanc routes never reach Orthanc.
 * Needs OHIF's build (.tools/ohif/dist, from scripts/setup).
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../../src/config';
import { OrthancClient } from '../../../src/orthanc/client';
import { buildHeatmap, deriveHeatmapUids } from '../../../src/dicom/heatmap';
import { sourceImageFromTags } from '../../../src/dicom/sr';
import { binaryFrames, firstPart } from '../../../src/viewer/binary-frames';
import { createViewerServer, listen } from '../../../src/viewer/server';
import { syntheticCr, uidFrom } from '../../helpers/synthetic-dicom';

const config = loadConfig();

describe('viewer server and DICOMweb proxy', { timeout: 60_000 }, () => {
  let server: http.Server;
  let base: string;
  const proxied: { method: string; path: string; status: number }[] = [];
  const orthanc = new OrthancClient(config.orthanc);
  let study: string;

  before(async () => {
    server = createViewerServer({ viewer: config.viewer, orthanc: config.orthanc, onProxy: (e) => proxied.push(e) });
    base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
    const seed = `viewer-proxy-${Date.now()}`;
    const up = await orthanc.uploadInstance(syntheticCr({ seed, index: 0, rows: 32, columns: 32, studyKey: seed }));
    study = uidFrom(`${seed}/study/${seed}`);
    assert.ok(up.id);
  });
  after(async () => {
    await new Promise<void>((r) => server?.close(() => r()));
  });

  it('serves OHIF and a generated app-config.js pointing at the same-origin proxy', async () => {
    const index = await fetch(`${base}/`);
    assert.equal(index.status, 200);
    assert.match(await index.text(), /OHIF Viewer/);
    const spa = await fetch(`${base}/viewer?StudyInstanceUIDs=${study}`);
    assert.equal(spa.status, 200);
    assert.match(spa.headers.get('content-type') ?? '', /text\/html/);
    const cfg = await (await fetch(`${base}/app-config.js`)).text();
    assert.match(cfg, /window\.location\.origin \+ '\/dicom-web'/);
    assert.doesNotMatch(cfg, new RegExp(config.orthanc.password ?? 'no-password-configured'));
    assert.equal((await fetch(`${base}/no-such-bundle.js`)).status, 404);
    // fetch() would normalise these paths away: send them raw.
    for (const p of ['/%2e%2e/%2e%2e/package.json', '/../../package.json', '/..%2f..%2fpackage.json']) {
      const r = await rawGet(base, p);
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(r.body, /"dependencies"/, p);
    }
  });

  it('answers QIDO and WADO-RS metadata through Orthanc with the server-side credentials', async () => {
    const res = await fetch(`${base}/dicom-web/studies?StudyInstanceUID=${study}`, {
      headers: { accept: 'application/dicom+json', authorization: 'Basic ' + Buffer.from('x:y').toString('base64') },
    });
    assert.equal(res.status, 200, await res.clone().text());
    const studies = (await res.json()) as Record<string, { Value?: string[] }>[];
    assert.equal(studies.length, 1);
    assert.equal(studies[0]['0020000D'].Value?.[0], study);
    const series = (await (await fetch(`${base}/dicom-web/studies/${study}/series`)).json()) as Record<
      string,
      { Value?: string[] }
    >[];
    const seriesUid = series[0]['0020000E'].Value?.[0];
    const meta = await fetch(`${base}/dicom-web/studies/${study}/series/${seriesUid}/metadata`);
    assert.equal(meta.status, 200);
    const text = await meta.text();
    // Bulk data URIs that Orthanc writes point back at the proxy (it passes the browser's Host on).
    for (const uri of text.match(/"BulkDataURI"\s*:\s*"[^"]+"/g) ?? []) assert.ok(uri.includes(base), uri);
    assert.equal(meta.headers.get('www-authenticate'), null);
  });

  it('refuses writes and every Orthanc route that is not DICOMweb, before Orthanc sees them', async () => {
    const before = proxied.length;
    const stow = await fetch(`${base}/dicom-web/studies`, { method: 'POST', body: 'x' });
    assert.equal(stow.status, 405);
    const del = await fetch(`${base}/dicom-web/studies/${study}`, { method: 'DELETE' });
    assert.equal(del.status, 404);
    assert.equal((await fetch(`${base}/dicom-web/servers`)).status, 404);
    assert.equal((await rawGet(base, '/dicom-web/%2e%2e/system')).status, 404);
    assert.equal((await rawGet(base, '/dicom-web/../system')).status, 404);
    // Orthanc's own REST API is not under the proxy at all: the app shell answers, never Orthanc's JSON.
    const sys = await fetch(`${base}/system`);
    assert.doesNotMatch(await sys.text(), /"DicomAet"/);
    assert.deepEqual(
      proxied.slice(before).map((e) => e.status),
      [405, 404, 404, 404, 404],
    );
    // The study is still there.
    assert.equal((await fetch(`${base}/dicom-web/studies?StudyInstanceUID=${study}`)).status, 200);
  });

  it('says so when the proxy credentials are wrong, without asking the browser for any', async () => {
    const bad = createViewerServer({
      viewer: config.viewer,
      orthanc: { ...config.orthanc, password: 'wrong-password' },
    });
    const port = await listen(bad, 0, '127.0.0.1');
    try {
      const res = await fetch(`http://127.0.0.1:${port}/dicom-web/studies`);
      assert.equal(res.status, 502);
      assert.equal(res.headers.get('www-authenticate'), null);
      assert.match(await res.text(), /credentials/);
    } finally {
      await new Promise<void>((r) => bad.close(() => r()));
    }
  });

  it('answers the 1-bit frames of a heatmap SEG that Orthanc refuses, cut from the instance', async () => {
    // 13 x 7 pixels: frames of 91 bits, packed back to back (not byte-aligned), as OHIF 3.13 cannot read them.
    const seed = `viewer-proxy-seg-${Date.now()}`;
    const rows = 13;
    const columns = 7;
    const source = sourceImageFromTags({
      PatientName: 'Proxy^Seg',
      PatientID: seed,
      StudyInstanceUID: uidFrom(`${seed}/study`),
      StudyDate: '20260101',
      StudyTime: '120000',
      SeriesInstanceUID: uidFrom(`${seed}/series`),
      Modality: 'DX',
      SOPClassUID: '1.2.840.10008.5.1.4.1.1.1.1',
      SOPInstanceUID: uidFrom(`${seed}/instance`),
    });
    const levels = Uint8Array.from({ length: rows * columns }, (_, i) => (i * 37) % 256);
    const bytes = buildHeatmap({
      source,
      rows,
      columns,
      levels,
      pixelSpacing: [0.5, 0.5],
      createdAt: new Date('2026-01-01T12:00:00Z'),
      algorithm: { name: 'proxy test', version: '1', manufacturer: 'test', modelId: 'proxy-test', diagnostic: false },
      finding: { label: 'Effusion', probability: 0.9, threshold: 0.5 },
    });
    await orthanc.uploadInstance(bytes);
    const uids = deriveHeatmapUids(source.instance.sopInstanceUid, 'proxy-test', '1', 'Effusion');
    const path = `/studies/${source.study.instanceUid}/series/${uids.seriesInstanceUid}/instances/${uids.sopInstanceUid}/frames/2`;
    const accept = { accept: 'multipart/related; type=application/octet-stream; transfer-syntax=*' };
    const direct = await fetch(`${config.orthanc.url}/dicom-web${path}`, {
      headers: {
        ...accept,
        authorization:
          'Basic ' + Buffer.from(`${config.orthanc.username}:${config.orthanc.password}`).toString('base64'),
      },
    });
    assert.equal(direct.status, 400, 'Orthanc still refuses 1-bit frames (else the proxy fallback can go)');
    const res = await fetch(`${base}/dicom-web${path}`, { headers: accept });
    assert.equal(res.status, 200, await res.clone().text());
    const body = Buffer.from(await res.arrayBuffer());
    const frame = firstPart(body, res.headers.get('content-type') ?? '');
    assert.deepEqual(new Uint8Array(frame), binaryFrames(bytes, [2])?.[0]);
    assert.equal(frame.length, Math.ceil((rows * columns) / 8));
    assert.equal((await fetch(`${base}/dicom-web${path.replace(/2$/, '4')}`, { headers: accept })).status, 400);
  });
});

/** A GET with the path exactly as given (no URL normalisation). */
function rawGet(base: string, rawPath: string): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
