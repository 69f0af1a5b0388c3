/**
 * Secure by default, on a real Orthanc started by scripts/services in a fresh data folder (own ports):
 *  1. No ORTHANC_PASSWORD given: a random password is generated once (owner-only file), Orthanc takes it, the
 *     orthanc.json placeholder and the old demo password are refused, a restart keeps the same password.
 *  2. Who may send images, with dcmtk's storescu: by default C-STORE only from orthanc.json's configured AE title
 *     (CXRLOCAL) at loopback: any other AE title, from loopback too, is refused at association, and CXRLOCAL from
 *     this machine's network address too; with ORTHANC_DICOM_MODALITIES only the configured AE titles from their
 *     configured hosts are accepted (another AE, or the right AE from another address, is refused).
 *  3. `cxr doctor`'s exposure check: quiet for that default; warns for the same live ports accepting any AE title.
 *  4. The data folder (and what the services write in it) is owner-only: 0700, whatever the umask.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { exposureCheck } from '../../../src/cli/exposure';
import { PROJECT_ROOT } from '../../../src/config';
import { OLD_DEMO_PASSWORD } from '../../helpers/payload-scan';
import { TEST_OUTPUT } from '../../helpers/pipeline';
import { LOCAL_SENDER_AET } from '../../helpers/arrivals';
import { syntheticCr } from '../../helpers/synthetic-dicom';

const execFileP = promisify(execFile);
const SERVICES = path.join(PROJECT_ROOT, 'scripts', 'services');

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise((r) => srv.close(r));
  return port;
}

/** This machine's first non-loopback IPv4 address: connecting to it makes Orthanc see a non-loopback peer. */
function networkAddress(): string {
  for (const list of Object.values(os.networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  throw new Error('this test needs a non-loopback IPv4 interface (to send from a non-loopback address)');
}

describe('secure defaults of a fresh installation', { timeout: 180_000 }, () => {
  const dataDir = path.join(TEST_OUTPUT, `secure-${Date.now()}`);
  const filesDir = `${dataDir}-files`;
  let env: NodeJS.ProcessEnv;
  let httpPort: number;
  let dicomPort: number;
  const files: string[] = [];

  const services = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    execFileP(SERVICES, args, { env: { ...env, ...extra }, timeout: 90_000 });
  const password = (): string => fs.readFileSync(path.join(dataDir, 'secrets', 'orthanc-password'), 'utf8');
  const status = async (user: string, pass: string, p = '/system'): Promise<number> =>
    (
      await fetch(`http://127.0.0.1:${httpPort}${p}`, {
        headers: { Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` },
      })
    ).status;
  const count = async (): Promise<number> => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/statistics`, {
      headers: { Authorization: `Basic ${Buffer.from(`cxr:${password()}`).toString('base64')}` },
    });
    return ((await res.json()) as { CountInstances: number }).CountInstances;
  };
  /** storescu exit code (0: the SCP answered success). */
  const storescu = async (aet: string, host: string, file: string): Promise<number> => {
    try {
      await execFileP('storescu', ['-aet', aet, '-aec', 'CXRPIPE', host, String(dicomPort), file], { timeout: 30_000 });
      return 0;
    } catch (err) {
      return (err as { code?: number }).code ?? -1;
    }
  };

  before(async () => {
    httpPort = await freePort();
    dicomPort = await freePort();
    fs.mkdirSync(filesDir, { recursive: true });
    env = { ...process.env, CXR_DATA_DIR: dataDir, ORTHANC_HTTP_PORT: String(httpPort) };
    env.ORTHANC_DICOM_PORT = String(dicomPort);
    for (const k of ['ORTHANC_PASSWORD', 'ORTHANC_USERNAME', 'ORTHANC_URL', 'ORTHANC_DICOM_MODALITIES']) delete env[k];
    for (let i = 0; i < 4; i++) {
      const f = path.join(filesDir, `img${i}.dcm`);
      fs.writeFileSync(f, syntheticCr({ seed: `secure-${Date.now()}`, index: i }));
      files.push(f);
    }
  });
  after(async () => {
    await services(['stop', 'orthanc']).catch(() => undefined);
    fs.rmSync(dataDir, { recursive: true, force: true });
    fs.rmSync(filesDir, { recursive: true, force: true });
  });

  it('generates the Orthanc password once, owner-only, and Orthanc accepts only it', async () => {
    await services(['start', 'orthanc']);
    const secret = password();
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/, '32 random bytes, base64url');
    assert.equal(fs.statSync(path.join(dataDir, 'secrets')).mode & 0o777, 0o700);
    assert.equal(fs.statSync(path.join(dataDir, 'secrets', 'orthanc-password')).mode & 0o777, 0o600);
    assert.equal(fs.readFileSync(path.join(dataDir, 'orthanc-credentials'), 'utf8'), `cxr:${secret}`);
    assert.equal(fs.statSync(path.join(dataDir, 'orthanc-credentials')).mode & 0o777, 0o600);
    const shipped = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'orthanc.json'), 'utf8')) as {
      RegisteredUsers: Record<string, string>;
    };
    assert.equal(await status('cxr', secret), 200);
    for (const [u, p] of Object.entries(shipped.RegisteredUsers)) assert.equal(await status(u, p), 401, 'placeholder');
    assert.equal(await status('cxr', OLD_DEMO_PASSWORD), 401, 'the old demo password');
    await services(['restart', 'orthanc']);
    assert.equal(password(), secret, 'generated once');
    assert.equal(await status('cxr', secret), 200);
  });

  it('creates the data folder owner-only (0700), and what the services write in it', () => {
    // Created by scripts/services itself (the test made only the files' folder): no umask leaks into it.
    assert.equal(fs.statSync(dataDir).mode & 0o777, 0o700);
    for (const sub of ['orthanc', 'orthanc/db', 'logs', 'run'])
      assert.equal(fs.statSync(path.join(dataDir, sub)).mode & 0o077, 0, `${sub} readable by others`);
    const stored = fs.readdirSync(path.join(dataDir, 'logs')).map((f) => path.join(dataDir, 'logs', f));
    for (const f of stored) assert.equal(fs.statSync(f).mode & 0o077, 0, `${f} readable by others`);
    // An existing folder with looser permissions is tightened at the next start.
    fs.chmodSync(dataDir, 0o755);
  });

  it('by default stores C-STORE only from the configured AE title at loopback', async () => {
    await services(['restart', 'orthanc']);
    assert.equal(fs.statSync(dataDir).mode & 0o777, 0o700, 'tightened again');
    const before = await count();
    assert.notEqual(await storescu('ANYONE', '127.0.0.1', files[0]), 0, 'an unknown AE title from loopback: refused');
    assert.notEqual(await storescu('STORESCU', '127.0.0.1', files[0]), 0, "storescu's default AE title: refused");
    assert.equal(await count(), before, 'nothing stored');
    assert.equal(await storescu(LOCAL_SENDER_AET, '127.0.0.1', files[0]), 0, 'the configured AE title: stored');
    assert.equal(await count(), before + 1);
    assert.notEqual(await storescu(LOCAL_SENDER_AET, networkAddress(), files[1]), 0, 'from a network address: refused');
    assert.equal(await count(), before + 1);
  });

  it('cxr doctor: no warning for the default; a warning when the same reachable port would take C-STORE from anyone', async () => {
    const ok = await exposureCheck(dataDir);
    assert.equal(ok.warn, undefined, ok.detail);
    assert.match(
      ok.detail,
      /C-STORE only from 1 configured AE title\(s\) at their hosts; REST API for local clients only/,
    );
    // The same live ports, described by a configuration without the filter (as a hand-started Orthanc would run).
    const other = path.join(dataDir, 'permissive');
    fs.mkdirSync(path.join(other, 'orthanc'), { recursive: true });
    const cfg = JSON.parse(fs.readFileSync(path.join(dataDir, 'orthanc', 'orthanc.runtime.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    cfg.DicomAlwaysAllowStore = true;
    fs.writeFileSync(path.join(other, 'orthanc', 'orthanc.runtime.json'), JSON.stringify(cfg));
    const warn = await exposureCheck(other);
    assert.equal(warn.warn, true);
    assert.match(
      warn.detail,
      new RegExp(`DICOM port ${dicomPort} answers on .*${networkAddress().replace(/\./g, '\\.')}`),
    );
  });

  it('with ORTHANC_DICOM_MODALITIES accepts only the configured AE title from its host', async () => {
    const ip = networkAddress();
    const modalities = {
      xr1: { AET: 'XR1', Host: '127.0.0.1', Port: 104 },
      xr2: { AET: 'XR2', Host: ip, Port: 104 },
    };
    await services(['restart', 'orthanc'], { ORTHANC_DICOM_MODALITIES: JSON.stringify(modalities) });
    const before = await count();
    assert.notEqual(await storescu('STRANGER', '127.0.0.1', files[2]), 0, 'unknown AE refused');
    assert.notEqual(await storescu('XR1', ip, files[2]), 0, 'XR1 from the wrong host refused');
    assert.notEqual(await storescu('XR2', '127.0.0.1', files[2]), 0, 'XR2 from the wrong host refused');
    assert.equal(await count(), before);
    assert.equal(await storescu('XR1', '127.0.0.1', files[2]), 0, 'XR1 from its host accepted');
    assert.equal(await storescu('XR2', ip, files[3]), 0, 'XR2 from its host accepted');
    assert.equal(await count(), before + 2);
  });
});
