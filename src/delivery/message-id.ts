/** Stable delivery message ids: the same study, completion and sink always give the same id. */
import crypto from 'node:crypto';
import type { SinkKind } from './types';

/**
 * 20 hex characters of SHA-256(`<study UID>|<completion>|<sink>`): fits HL7's MSH-10 (ST, 20 characters), and is
 * the webhook's Cxr-Delivery-Id and the FHIR DiagnosticReport identifier. 80 bits: no collision in any archive.
 */
export function deliveryMessageId(studyInstanceUid: string, completion: number, sink: SinkKind): string {
  if (!Number.isInteger(completion) || completion < 1) throw new Error(`completion must be >= 1 (got ${completion})`);
  return crypto.createHash('sha256').update(`${studyInstanceUid}|${completion}|${sink}`).digest('hex').slice(0, 20);
}

/** A UUID (version-5 shaped) derived from a name: FHIR fullUrls that are the same on every retry. */
export function stableUuid(name: string): string {
  const h = crypto.createHash('sha256').update(name).digest();
  h[6] = (h[6] & 0x0f) | 0x50;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
