import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** SHA-256 of a file, streamed (a 2 GB zip never sits in memory). */
export async function sha256File(file: string): Promise<string> {
  const hash = crypto.createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Deterministic ingest workflow ID: the same zip content always maps to the same ingest. */
export function ingestWorkflowId(zipSha256: string): string {
  return `ingest-${zipSha256}`;
}

export function displayName(zipPath: string): string {
  return path.basename(zipPath);
}

/** Kinds of ingest linked to an earlier one (CxrRetryOf): retry-failed, verify --repair, ingest --again. */
export type LinkedKind = 'retry' | 'repair' | 'again';
export const LINKED_SUFFIX = /(-(retry|repair|again)-\d+)+$/;

/** Ingest workflow IDs look like this; linked ingests add `-retry-<n>`, `-repair-<n>` or `-again-<n>`. */
const INGEST_ID = /^ingest-[0-9a-f]{64}(-(retry|repair|again)-\d+)*$/;

export function looksLikeIngestId(s: string): boolean {
  return INGEST_ID.test(s);
}

/**
 * What an operator may type to name an ingest: its workflow ID, the zip's SHA-256, or the zip file
 * itself (hashed to the ID, so `cxr status study.zip` works without remembering anything).
 */
export async function resolveIngestRef(ref: string): Promise<{ ingestId: string; zipPath?: string }> {
  if (/^[0-9a-f]{64}$/i.test(ref)) return { ingestId: ingestWorkflowId(ref.toLowerCase()) };
  let isFile = false;
  try {
    isFile = fs.statSync(ref).isFile();
  } catch {
    // not a file: an ID
  }
  if (isFile) {
    const zipPath = path.resolve(ref);
    return { ingestId: ingestWorkflowId(await sha256File(zipPath)), zipPath };
  }
  return { ingestId: ref };
}

/** The Web UI page of a workflow under `base` (PipelineConfig.webUiUrl). */
export function webUiUrl(base: string, namespace: string, workflowId?: string): string {
  const ns = `${base}/namespaces/${encodeURIComponent(namespace)}/workflows`;
  return workflowId === undefined ? ns : `${ns}/${encodeURIComponent(workflowId)}`;
}
