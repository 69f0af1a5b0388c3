/**
 * Sending images to Orthanc the way modalities and other systems do: DICOM C-STORE with dcmtk's storescu to the DICOM
 * port, and DICOMweb STOW-RS to /dicom-web/studies. Plus the checks the follow/reprocess tests share.
 */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { deriveReportUids } from '../../src/dicom/uids';
import type { OrthancClient } from '../../src/orthanc/client';
import type { ModelRef } from '../../src/workflows/types';

const execFileP = promisify(execFile);

/** The AE title orthanc.json accepts C-STORE from on this machine (DicomModalities "local-sender"). */
export const LOCAL_SENDER_AET = 'CXRLOCAL';

/** C-STORE files with storescu (dcmtk). Resolves true when every file was stored, false when storescu failed. */
export async function storescu(port: number, files: string[]): Promise<boolean> {
  try {
    await execFileP(
      'storescu',
      ['-aet', LOCAL_SENDER_AET, '-aec', 'CXRPIPE', '-to', '10', '127.0.0.1', String(port), ...files],
      {
        timeout: 60_000,
      },
    );
    return true;
  } catch {
    return false;
  }
}

/** STOW-RS one or more Part-10 files to Orthanc's DICOMweb endpoint. */
export async function stowRs(orthancUrl: string, auth: { username?: string; password?: string }, files: Buffer[]) {
  const boundary = `cxr-${crypto.randomBytes(8).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const f of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), f, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  const res = await fetch(`${orthancUrl}/dicom-web/studies`, {
    method: 'POST',
    headers: {
      'Content-Type': `multipart/related; type="application/dicom"; boundary=${boundary}`,
      Accept: 'application/dicom+json',
      Authorization: `Basic ${Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64')}`,
    },
    body: Buffer.concat(parts),
  });
  if (!res.ok) throw new Error(`STOW-RS answered HTTP ${res.status}: ${await res.text()}`);
}

export function writeFiles(dir: string, files: { name: string; data: Buffer }[]): string[] {
  fs.mkdirSync(dir, { recursive: true });
  return files.map((f) => {
    const p = path.join(dir, f.name);
    fs.writeFileSync(p, f.data);
    return p;
  });
}

/** How many SRs of `model` Orthanc holds for this source image (0 or 1: the SR UID is derived). */
export async function srCount(orthanc: OrthancClient, sourceSopUid: string, model: ModelRef): Promise<number> {
  const { sopInstanceUid } = deriveReportUids(sourceSopUid, model.id, model.version);
  return (await orthanc.lookup(sopInstanceUid, 'Instance')).length;
}

/** SR instances (of any model) in a study. */
export async function studySrs(orthanc: OrthancClient, studyUid: string): Promise<string[]> {
  return orthanc.find('Instance', { StudyInstanceUID: studyUid, Modality: 'SR' });
}

export async function waitFor(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await check().catch(() => false)) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
