/**
 * The viewer server (src/viewer/server.ts) in front of the real Orthanc (scripts/services): OHIF's files and the
 * generated app-config.js are served; DICOMweb reads reach Orthanc with the proxy's credentials (the browser sends
 * none, and never gets a WWW-Authenticate back); writes and non-DICOMweb Orthanc routes never reach Orthanc.
 * Needs OHIF's build (.tools/ohif/dist, from scripts/setup).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readAuditLog, verifyAuditLog } from '../../../src/audit';
import { loadConfig } from '../../../src/config';
import { OrthancClient } from '../../../src/orthanc/client';
import { buildHeatmap, deriveHeatmapUids } from '../../../src/dicom/heatmap';
import { sourceImageFromTags } from '../../../src/dicom/sr';
import { binaryFrames, firstPart } from '../../../src/viewer/binary-frames';
import { createViewerServer, listen } from '../../../src/viewer/server';
import { TEST_OUTPUT } from '../../helpers/pipeline';
import { syntheticCr, uidFrom } from '../../helpers/synthetic-dicom';
import { rawRequest, testViewerPassword, viewerLogin } from '../../helpers/viewer';

const config = loadConfig();

describe('viewer server and DICOMweb proxy', { timeout: 60_000 }, () => {
  let server: http.Server;
  let base: string;
  const proxied: { method: string; path: string; status: number; search?: string }[] = [];
  const orthanc = new OrthancClient(config.orthanc);
  let study: string;
  const password = testViewerPassword();
  const auditLog = path.join(TEST_OUTPUT, `viewer-proxy-audit-${process.pid}.jsonl`);
  let cookie = '';
  const get = (url: string, init: RequestInit = {}) =>
    fetch(url, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), cookie } });
  const rawGet = (b: string, p: string) => rawRequest(b, p, { cookie });

  before(async () => {
    fs.mkdirSync(TEST_OUTPUT, { recursive: true });
    fs.rmSync(auditLog, { force: true });
    server = createViewerServer({
      viewer: config.viewer,
      password,
      audit: { logFile: auditLog },
      orthanc: config.orthanc,
      onProxy: (e) => proxied.push(e),
    });
    base = `http://127.0.0.1:${await listen(server, 0, '127.0.0.1')}`;
    const login = await viewerLogin(base, config.viewer.username, password);
    assert.equal(login.status, 303);
    cookie = login.cookie;
    const seed = `viewer-proxy-${Date.now()}`;
    const up = await orthanc.uploadInstance(syntheticCr({ seed, index: 0, rows: 32, columns: 32, studyKey: seed }));
    study = uidFrom(`${seed}/study/${seed}`);
    assert.ok(up.id);
  });
  after(async () => {
    await new Promise<void>((r) => server?.close(() => r()));
  });

  it('serves OHIF and a generated app-config.js pointing at the same-origin proxy', async () => {
    const index = await get(`${base}/`);
    assert.equal(index.status, 200);
    assert.match(await index.text(), /OHIF Viewer/);
    const spa = await get(`${base}/viewer?StudyInstanceUIDs=${study}`);
    assert.equal(spa.status, 200);
    assert.match(spa.headers.get('content-type') ?? '', /text\/html/);
    const cfg = await (await get(`${base}/app-config.js`)).text();
    assert.match(cfg, /window\.location\.origin \+ '\/dicom-web'/);
    assert.doesNotMatch(cfg, new RegExp(config.orthanc.password ?? 'no-password-configured'));
    assert.equal((await get(`${base}/no-such-bundle.js`)).status, 404);
    // fetch() would normalise these paths away: send them raw.
    for (const p of ['/%2e%2e/%2e%2e/package.json', '/../../package.json', '/..%2f..%2fpackage.json']) {
      const r = await rawGet(base, p);
      assert.equal(r.status, 404, p);
      assert.doesNotMatch(r.body, /"dependencies"/, p);
    }
  });

  it('answers QIDO and WADO-RS metadata through Orthanc with the server-side credentials', async () => {
    const res = await get(`${base}/dicom-web/studies?StudyInstanceUID=${study}`, {
      headers: { accept: 'application/dicom+json', authorization: 'Basic ' + Buffer.from('x:y').toString('base64') },
    });
    assert.equal(res.status, 200, await res.clone().text());
    const studies = (await res.json()) as Record<string, { Value?: string[] }>[];
    assert.equal(studies.length, 1);
    assert.equal(studies[0]['0020000D'].Value?.[0], study);
    const series = (await (await get(`${base}/dicom-web/studies/${study}/series`)).json()) as Record<
      string,
      { Value?: string[] }
    >[];
    const seriesUid = series[0]['0020000E'].Value?.[0];
    const meta = await get(`${base}/dicom-web/studies/${study}/series/${seriesUid}/metadata`);
    assert.equal(meta.status, 200);
    const text = await meta.text();
    // Bulk data URIs that Orthanc writes point back at the proxy (it passes the browser's Host on).
    for (const uri of text.match(/"BulkDataURI"\s*:\s*"[^"]+"/g) ?? []) assert.ok(uri.includes(base), uri);
    assert.equal(meta.headers.get('www-authenticate'), null);
  });

  it('refuses writes and every Orthanc route that is not DICOMweb, before Orthanc sees them', async () => {
    const before = proxied.length;
    const stow = await get(`${base}/dicom-web/studies`, { method: 'POST', body: 'x' });
    assert.equal(stow.status, 405);
    const del = await get(`${base}/dicom-web/studies/${study}`, { method: 'DELETE' });
    assert.equal(del.status, 404);
    assert.equal((await get(`${base}/dicom-web/servers`)).status, 404);
    assert.equal((await rawGet(base, '/dicom-web/%2e%2e/system')).status, 404);
    assert.equal((await rawGet(base, '/dicom-web/../system')).status, 404);
    // Orthanc's own REST API is not under the proxy at all: the app shell answers, never Orthanc's JSON.
    const sys = await get(`${base}/system`);
    assert.doesNotMatch(await sys.text(), /"DicomAet"/);
    assert.deepEqual(
      proxied.slice(before).map((e) => e.status),
      [405, 404, 404, 404, 404],
    );
    // The study is still there.
    assert.equal((await get(`${base}/dicom-web/studies?StudyInstanceUID=${study}`)).status, 200);
  });

  it('says so when the proxy credentials are wrong, without asking the browser for any', async () => {
    const bad = createViewerServer({
      viewer: config.viewer,
      password,
      audit: { logFile: auditLog },
      orthanc: { ...config.orthanc, password: 'wrong-password' },
    });
    const port = await listen(bad, 0, '127.0.0.1');
    try {
      const login = await viewerLogin(`http://127.0.0.1:${port}`, config.viewer.username, password);
      const res = await fetch(`http://127.0.0.1:${port}/dicom-web/studies`, { headers: { cookie: login.cookie } });
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
    const framesPath = `/studies/${source.study.instanceUid}/series/${uids.seriesInstanceUid}/instances/${uids.sopInstanceUid}/frames/2`;
    const accept = { accept: 'multipart/related; type=application/octet-stream; transfer-syntax=*' };
    const direct = await fetch(`${config.orthanc.url}/dicom-web${framesPath}`, {
      headers: {
        ...accept,
        authorization:
          'Basic ' + Buffer.from(`${config.orthanc.username}:${config.orthanc.password}`).toString('base64'),
      },
    });
    // 400 "Bad file format" for a native 1-bit object, 500 since the SEGs are stored deflated (src/dicom/heatmap.ts).
    assert.ok(
      direct.status === 400 || direct.status === 500,
      `Orthanc still refuses 1-bit frames (else the proxy fallback can go): HTTP ${direct.status}`,
    );
    const res = await get(`${base}/dicom-web${framesPath}`, { headers: accept });
    assert.equal(res.status, 200, await res.clone().text());
    const body = Buffer.from(await res.arrayBuffer());
    const frame = firstPart(body, res.headers.get('content-type') ?? '');
    assert.deepEqual(new Uint8Array(frame), binaryFrames(bytes, [2])?.[0]);
    assert.equal(frame.length, Math.ceil((rows * columns) / 8));
    assert.equal((await get(`${base}/dicom-web${framesPath.replace(/2$/, '4')}`, { headers: accept })).status, 400);
    // The fallback reads the whole instance: never one larger than CXR_VIEWER_MAX_INSTANCE_BYTES.
    const capped = createViewerServer({
      viewer: { ...config.viewer, maxInstanceBytes: 1000 },
      password,
      audit: { logFile: auditLog },
      orthanc: config.orthanc,
    });
    try {
      const b = `http://127.0.0.1:${await listen(capped, 0, '127.0.0.1')}`;
      const login = await viewerLogin(b, config.viewer.username, password);
      const big = await fetch(`${b}/dicom-web${framesPath}`, { headers: { ...accept, cookie: login.cookie } });
      assert.equal(big.status, 413);
      assert.match(await big.text(), /larger than CXR_VIEWER_MAX_INSTANCE_BYTES \(1000 bytes\)/);
    } finally {
      await new Promise<void>((r) => capped.close(() => r()));
    }
  });

  it('asks for its own login: no session, no study; a wrong password is refused and audited', async () => {
    const page = await fetch(`${base}/viewer?StudyInstanceUIDs=${study}`, {
      redirect: 'manual',
      headers: { accept: 'text/html' },
    });
    assert.equal(page.status, 303);
    assert.equal(
      page.headers.get('location'),
      `/login?next=${encodeURIComponent(`/viewer?StudyInstanceUIDs=${study}`)}`,
    );
    const anon = await fetch(`${base}/dicom-web/studies?StudyInstanceUID=${study}`);
    assert.equal(anon.status, 401);
    assert.equal(anon.headers.get('www-authenticate'), null, 'no browser password dialog');
    assert.doesNotMatch(await anon.text(), new RegExp(study));
    assert.equal((await fetch(`${base}/app-config.js`)).status, 401);
    assert.match(await (await fetch(`${base}/login`)).text(), /<form method="post" action="\/login">/);
    // Orthanc's own credentials are not the viewer's.
    const wrong = await viewerLogin(base, config.orthanc.username ?? 'cxr', config.orthanc.password ?? 'x');
    assert.equal(wrong.status, 401);
    assert.equal(wrong.setCookie, '');
    const ok = await viewerLogin(base, config.viewer.username, password);
    assert.equal(ok.status, 303);
    assert.match(
      ok.setCookie,
      /^cxr_viewer_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+; Secure$/,
    );
    assert.equal((await fetch(`${base}/app-config.js`, { headers: { cookie: ok.cookie } })).status, 200);
    // A login form posted from another site is refused.
    const cross = await fetch(`${base}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
      body: new URLSearchParams({ username: config.viewer.username, password }).toString(),
    });
    assert.equal(cross.status, 403);
    // Logout ends the session.
    const out = await fetch(`${base}/logout`, { method: 'POST', redirect: 'manual', headers: { cookie: ok.cookie } });
    assert.equal(out.status, 303);
    assert.equal((await fetch(`${base}/app-config.js`, { headers: { cookie: ok.cookie } })).status, 401);
    const logins = readAuditLog(auditLog).filter((r) => r.action === 'viewer-login');
    assert.deepEqual(
      logins.slice(-2).map((r) => [r.who, r.outcome, r.client]),
      [
        [config.orthanc.username ?? 'cxr', 'minor-failure', '127.0.0.1'],
        [config.viewer.username, 'success', '127.0.0.1'],
      ],
    );
  });

  it('answers only for its own host names (DNS rebinding)', async () => {
    const port = new URL(base).port;
    for (const host of [`evil.example:${port}`, 'evil.example', `127.0.0.1.evil.example:${port}`, 'a b']) {
      const r = await rawRequest(base, '/dicom-web/studies', { cookie, host });
      assert.ok(r.status === 421 || r.status === 400, `${host}: ${r.status}`);
      assert.doesNotMatch(r.body, /0020000D/);
    }
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `LOCALHOST:${port}`])
      assert.equal((await rawRequest(base, '/app-config.js', { cookie, host })).status, 200, host);
  });

  it('records every study it serves in the audit trail: who, which study', async () => {
    const before = readAuditLog(auditLog).length;
    assert.equal((await get(`${base}/dicom-web/studies/${study}/metadata`)).status, 200);
    assert.equal((await get(`${base}/dicom-web/studies/${study}/series`)).status, 200, 'same study: one record');
    assert.equal((await get(`${base}/dicom-web/studies?PatientID=x`)).status, 200);
    const recs = readAuditLog(auditLog);
    // The earlier tests' many requests on this study (metadata, series, frames) made one record: who, which study.
    const ofStudy = recs.filter((r) => r.action === 'viewer-study' && r.what.studyInstanceUid === study);
    assert.deepEqual(
      ofStudy.map((r) => [r.who, r.whoSource, r.client]),
      [[config.viewer.username, 'viewer-login', '127.0.0.1']],
    );
    assert.equal(ofStudy[0].asserted, undefined, 'a password login is not asserted');
    assert.deepEqual(
      recs.slice(before).map((r) => [r.action, r.who, r.what.query]),
      [['viewer-study', config.viewer.username, 'PatientID=x']],
      'a study search is recorded with its query',
    );
    // A new study is recorded as soon as it is served.
    const seed = `viewer-audit-${Date.now()}`;
    await orthanc.uploadInstance(syntheticCr({ seed, index: 0, rows: 16, columns: 16, studyKey: seed }));
    const other = uidFrom(`${seed}/study/${seed}`);
    assert.equal((await get(`${base}/dicom-web/studies/${other}/series`)).status, 200);
    assert.equal(readAuditLog(auditLog).at(-1)?.what.studyInstanceUid, other);
    assert.equal(verifyAuditLog(auditLog).ok, true, 'chained');
  });

  it('believes a user header only from a configured proxy (off by default)', async () => {
    const forged = await rawRequest(base, '/dicom-web/studies', { 'x-forwarded-user': 'mallory' });
    assert.equal(forged.status, 401, 'off by default');
    const withProxy = (proxies: string[]) =>
      createViewerServer({
        viewer: { ...config.viewer, trustedUserHeader: 'X-Forwarded-User', trustedProxies: proxies },
        password,
        audit: { logFile: auditLog },
        orthanc: config.orthanc,
      });
    const elsewhere = withProxy(['10.254.254.254']);
    const trusted = withProxy(['127.0.0.1']);
    try {
      const b1 = `http://127.0.0.1:${await listen(elsewhere, 0, '127.0.0.1')}`;
      const b2 = `http://127.0.0.1:${await listen(trusted, 0, '127.0.0.1')}`;
      const path = `/dicom-web/studies/${study}/series`;
      assert.equal((await rawRequest(b1, path, { 'x-forwarded-user': 'mallory' })).status, 401, 'not from that proxy');
      assert.equal((await rawRequest(b2, path, { 'x-forwarded-user': 'dr.sso' })).status, 200);
      assert.equal((await rawRequest(b2, path)).status, 401, 'the proxy sent no user');
      const last = readAuditLog(auditLog).at(-1);
      assert.equal(last?.who, 'dr.sso');
      assert.equal(last?.whoSource, 'trusted-proxy');
      assert.deepEqual(last?.asserted, ['who'], "the proxy's word, flagged");
    } finally {
      await new Promise<void>((r) => elsewhere.close(() => r()));
      await new Promise<void>((r) => trusted.close(() => r()));
    }
  });

  it('strips _method, does not expose /rendered, and refuses repeated or too many frames', async () => {
    const seen = proxied.length;
    const r = await get(`${base}/dicom-web/studies?StudyInstanceUID=${study}&_method=DELETE&%5FMETHOD=PUT`);
    assert.equal(r.status, 200);
    assert.equal(proxied[seen].search, `?StudyInstanceUID=${study}`);
    const series = (await (await get(`${base}/dicom-web/studies/${study}/series`)).json()) as Record<
      string,
      { Value?: string[] }
    >[];
    const se = series[0]['0020000E'].Value?.[0] ?? '';
    const inst = `${base}/dicom-web/studies/${study}/series/${se}/instances/1.2.3`;
    for (const p of [
      `${inst}/rendered`,
      `${inst}/frames/1/rendered`,
      `${base}/dicom-web/studies/${study}/series/${se}/rendered`,
    ])
      assert.equal((await get(p)).status, 404, p);
    assert.equal((await get(`${inst}/frames/1,1`)).status, 400);
    assert.equal((await get(`${inst}/frames/${Array.from({ length: 65 }, (_, i) => i + 1).join(',')}`)).status, 400);
    assert.equal((await get(`${inst}/frames/${Array.from({ length: 3000 }, () => 1).join(',')}`)).status, 400);
  });
});
