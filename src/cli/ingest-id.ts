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
