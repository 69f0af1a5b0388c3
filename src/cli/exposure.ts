/**
 * `cxr doctor`'s security check: is the local Orthanc reachable from the network while its configuration accepts
 * anyone there? Reads the runtime configuration scripts/services wrote (<data dir>/orthanc/orthanc.runtime.json) and
 * tries a TCP connection to the DICOM and HTTP ports on each of this machine's non-loopback addresses.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export interface ExposureCheck {
  name: string;
  ok: boolean;
  /** A risk worth an operator's attention that does not make the environment unusable. */
  warn?: boolean;
  detail: string;
}

interface OrthancRuntimeConfig {
  HttpPort?: number;
  DicomPort?: number;
  RemoteAccessAllowed?: boolean;
  SslEnabled?: boolean;
  DicomAlwaysAllowStore?: boolean;
  DicomModalities?: Record<string, unknown>;
}

/** This machine's non-loopback addresses. */
export function networkAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((l) => l ?? [])
    .filter((a) => !a.internal && !a.address.startsWith('fe80:'))
    .map((a) => a.address);
}

function answers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Pure verdict, given the configuration and where each port answers. */
export function exposureVerdict(
  cfg: OrthancRuntimeConfig,
  dicomOn: string[],
  httpOn: string[],
): Omit<ExposureCheck, 'name'> {
  // Orthanc's own default is true: C-STORE from any AE title (orthanc.json sets false, docs/security.md).
  const dicomPermissive = cfg.DicomAlwaysAllowStore !== false;
  const httpOpen = cfg.RemoteAccessAllowed === true && cfg.SslEnabled !== true;
  const risks: string[] = [];
  if (dicomPermissive && dicomOn.length > 0)
    risks.push(
      `DICOM port ${cfg.DicomPort} answers on ${dicomOn.join(', ')} and accepts C-STORE from any AE title: set DicomAlwaysAllowStore false (orthanc.json does) and list the senders in ORTHANC_DICOM_MODALITIES`,
    );
  if (httpOpen && httpOn.length > 0)
    risks.push(
      `REST API port ${cfg.HttpPort} answers remote clients on ${httpOn.join(', ')} without TLS: put TLS in front of it, or unset ORTHANC_REMOTE_ACCESS`,
    );
  if (risks.length > 0) return { ok: true, warn: true, detail: risks.join('; ') };
  const dicom = dicomPermissive
    ? 'C-STORE from any AE title, but the DICOM port answers on loopback only'
    : `C-STORE only from ${Object.keys(cfg.DicomModalities ?? {}).length} configured AE title(s) at their hosts`;
  const http = cfg.RemoteAccessAllowed === true ? 'REST API open to remote clients' : 'REST API for local clients only';
  return { ok: true, detail: `${dicom}; ${http}` };
}

export async function exposureCheck(dataDir: string): Promise<ExposureCheck> {
  const name = 'Orthanc not open to the network';
  const file = path.join(dataDir, 'orthanc', 'orthanc.runtime.json');
  let cfg: OrthancRuntimeConfig;
  try {
    cfg = JSON.parse(fs.readFileSync(file, 'utf8')) as OrthancRuntimeConfig;
  } catch {
    return { name, ok: true, detail: `no ${file}: Orthanc is not run by scripts/services here, not checked` };
  }
  const addrs = networkAddresses();
  const on = async (port: number | undefined): Promise<string[]> => {
    if (!port) return [];
    const res = await Promise.all(addrs.map(async (a) => ((await answers(a, port)) ? a : '')));
    return res.filter(Boolean);
  };
  const [dicomOn, httpOn] = await Promise.all([on(cfg.DicomPort), on(cfg.HttpPort)]);
  return { name, ...exposureVerdict(cfg, dicomOn, httpOn) };
}
