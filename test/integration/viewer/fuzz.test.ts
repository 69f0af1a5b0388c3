/**
 * The viewer process (node dist/src/viewer.js, as scripts/services starts it, in front of the real Orthanc) survives
 * hostile request targets: 1,200 of them, logged in and not, raw over TCP (no client normalises them): NUL bytes,
 * segments over 255 bytes, over-long paths, percent-encodings good and broken, overlong UTF-8, traversal in every
 * spelling, control characters, repeated frame lists, `_method`, odd methods. After each batch the process is still
 * running, and at the end it still serves the login page and a logged-in DICOMweb search. Before the fix, `GET /%00`
 * alone ended the process (fs.statSync threw in the request handler).
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../../src/config';
import { TEST_OUTPUT } from '../../helpers/pipeline';
import { testViewerPassword, viewerLogin } from '../../helpers/viewer';

const VIEWER = path.join(PROJECT_ROOT, 'dist', 'src', 'viewer.js');

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** One raw HTTP/1.1 request; resolves with the status code (0: the connection closed without a status line). */
function raw(port: number, method: string, target: Buffer | string, cookie?: string): Promise<number> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let data = '';
    const done = () => {
      s.destroy();
      resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0));
    };
    s.setTimeout(10_000, done);
    s.on('data', (d: Buffer) => {
      data += d.toString('latin1');
      if (/^HTTP\/1\.1 \d{3}/.test(data) && data.includes('\r\n\r\n')) done();
    });
    s.on('error', done);
    s.on('close', done);
    s.on('connect', () => {
      const head = Buffer.concat([
        Buffer.from(`${method} `),
        Buffer.isBuffer(target) ? target : Buffer.from(target, 'utf8'),
        Buffer.from(
          ` HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n${cookie ? `Cookie: ${cookie}\r\n` : ''}Connection: close\r\n\r\n`,
        ),
      ]);
      s.write(head); // not end(): a half-closed client may lose an answer that is still streaming
    });
  });
}

/** Deterministic PRNG (mulberry32), so a failure names a reproducible input. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const UID = '1.2.826.0.1.3680043.8.498.1';
const INSTANCE = `/dicom-web/studies/${UID}/series/${UID}/instances/${UID}`;

/** The fixed hostile targets (the issue's own first), then random combinations up to `total`. */
function hostileTargets(total: number): (string | Buffer)[] {
  const fixed: (string | Buffer)[] = [
    '/%00',
    '/a%00b',
    '/%00.js',
    '/index.html%00.png',
    '/dicom-web/%00',
    `/${'a'.repeat(256)}`,
    `/${'a'.repeat(256)}.js`,
    `/${'a'.repeat(255)}`,
    `/x/${'b'.repeat(1000)}/y.css`,
    `/${'c/'.repeat(2000)}`,
    '/'.repeat(6000),
    `/${'%41'.repeat(2000)}`,
    `/${'d'.repeat(7000)}.js`,
    '/%',
    '/%zz',
    '/%e0%a4%a',
    '/%ff%fe',
    '/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd',
    '/%252e%252e/%252e%252e/package.json',
    '/../../../../etc/passwd',
    '/..%2f..%2f..%2fetc%2fpasswd',
    '/%2e%2e/%2e%2e/package.json',
    '/..\\..\\package.json',
    '/%5c..%5c..%5cpackage.json',
    '/dicom-web/../../system',
    '/dicom-web/%2e%2e/tools/execute-script',
    '/dicom-web/studies/../../instances',
    `${INSTANCE}/frames/${Array.from({ length: 3000 }, () => 1).join(',')}`,
    `${INSTANCE}/frames/0`,
    `${INSTANCE}/frames/99999999999999999999`,
    `${INSTANCE}/rendered`,
    '/dicom-web/studies?_method=DELETE',
    `/dicom-web/studies/${UID}?_method=DELETE`,
    `/dicom-web/studies?${'x=1&'.repeat(1500)}`,
    Buffer.from('/\x01\x02\x7f'),
    Buffer.from([0x2f, 0xff, 0xfe, 0x00]),
    Buffer.from('/caf\u00e9/\u2603.js', 'utf8'),
    '*',
    'http://evil.example/dicom-web/studies',
    '//evil.example/',
    '?',
    '/?next=//evil',
    '/login?next=%0d%0aSet-Cookie:x=1',
  ];
  const pieces = [
    '%00',
    '%2e',
    '%2E%2E',
    '..',
    '.',
    '%2f',
    '%5c',
    '\\',
    '%25',
    '%',
    '%c0%af',
    '%ff',
    '%u002e',
    '~',
    'index.html',
    'app-config.js',
    'dicom-web',
    'studies',
    UID,
    'series',
    'instances',
    'frames',
    '1,1,1',
    'rendered',
    'bulk',
    '7fe00010',
    'metadata',
    'a'.repeat(300),
    'b'.repeat(64),
    '%20',
    '+',
    ';',
    '&',
    '=',
    '?_method=PUT',
    '#',
    '@',
    '%0d%0a',
    '\u00e9',
    '\u{1f600}',
    'CON',
    'nul',
    '.git',
    'node_modules',
    '%252e%252e',
  ];
  const rnd = prng(20261202);
  const out = [...fixed];
  while (out.length < total) {
    const n = 1 + Math.floor(rnd() * 8);
    let p = rnd() < 0.4 ? '/dicom-web' : '';
    for (let i = 0; i < n; i++) p += (rnd() < 0.8 ? '/' : '') + pieces[Math.floor(rnd() * pieces.length)];
    out.push(rnd() < 0.1 ? Buffer.from(p.replace(/%00/g, '\x00')) : p);
  }
  return out;
}

describe('the viewer survives hostile paths', { timeout: 300_000 }, () => {
  let child: ChildProcess;
  let port: number;
  let stderr = '';
  const password = testViewerPassword();
  const dist = path.join(TEST_OUTPUT, `fuzz-dist-${process.pid}`);

  before(async () => {
    assert.ok(fs.existsSync(VIEWER), `${VIEWER} missing: npm run build`);
    fs.mkdirSync(path.join(dist, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>fuzz</title>');
    fs.writeFileSync(path.join(dist, 'assets', 'app.js'), 'console.log(1);');
    port = await freePort();
    child = spawn(process.execPath, [VIEWER], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        CXR_VIEWER_PORT: String(port),
        CXR_VIEWER_HOST: '127.0.0.1',
        CXR_VIEWER_DIST: dist,
        CXR_VIEWER_PASSWORD: password,
        CXR_AUDIT_LOG: path.join(dist, 'audit.jsonl'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    const deadline = Date.now() + 30_000;
    while (!/viewer listening/.test(stdout)) {
      assert.equal(child.exitCode, null, `the viewer exited: ${stderr}`);
      assert.ok(Date.now() < deadline, `the viewer did not start: ${stdout}${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  after(() => {
    child?.kill('SIGTERM');
    fs.rmSync(dist, { recursive: true, force: true });
  });

  it('answers 1,200 hostile requests, logged in and not, and still serves afterwards', async () => {
    const base = `http://127.0.0.1:${port}`;
    const login = await viewerLogin(base, 'viewer', password);
    assert.equal(login.status, 303);
    // The issue's own reproducers first, each followed by a check that the process is alive.
    for (const t of ['/%00', `/${'a'.repeat(256)}`]) {
      assert.equal(await raw(port, 'GET', t, login.cookie), 404, t);
      assert.equal(child.exitCode, null, `${t} ended the viewer: ${stderr}`);
    }
    const targets = hostileTargets(1200);
    assert.ok(targets.length >= 1000);
    const methods = ['GET', 'GET', 'GET', 'HEAD', 'POST', 'DELETE', 'OPTIONS', 'PROPFIND', 'TRACE'];
    const statuses = new Map<number, number>();
    const unanswered: string[] = [];
    for (let i = 0; i < targets.length; i += 20) {
      const batch = targets.slice(i, i + 20);
      const got = await Promise.all(
        batch.map((t, j) =>
          raw(port, methods[(i + j) % methods.length], t, (i + j) % 3 === 0 ? undefined : login.cookie),
        ),
      );
      got.forEach((st, j) => {
        statuses.set(st, (statuses.get(st) ?? 0) + 1);
        if (st === 0) unanswered.push(`${methods[(i + j) % methods.length]} ${String(batch[j]).slice(0, 60)}`);
      });
      assert.equal(child.exitCode, null, `the viewer exited after batch ${i / 20}: ${stderr}`);
    }
    console.log(`[fuzz] ${targets.length} hostile requests, statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
    if (unanswered.length > 0)
      console.log(`[fuzz] closed without an answer: ${JSON.stringify(unanswered.slice(0, 20))}`);
    assert.equal(statuses.get(500) ?? 0, 0, `no request hit an internal error: ${stderr}`);
    // Still alive, still serving: the login page, the app, and a logged-in search through Orthanc.
    assert.equal(child.exitCode, null);
    assert.equal((await fetch(`${base}/login`)).status, 200);
    assert.equal((await fetch(`${base}/assets/app.js`, { headers: { cookie: login.cookie } })).status, 200);
    const studies = await fetch(`${base}/dicom-web/studies?limit=1`, { headers: { cookie: login.cookie } });
    assert.equal(studies.status, 200, await studies.clone().text());
    assert.doesNotMatch(stderr, /Uncaught|ERR_INVALID_ARG_VALUE|ENAMETOOLONG/);
  });
});
