/**
 * The webhook sink's message and signature (pure; the POST is in src/activities/deliver.ts).
 *
 * A receiver verifies a delivery like this (docs/operator-guide.md, "Result delivery"):
 *   Cxr-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *   Cxr-Delivery-Id: <stable message id>   (the same on every retry: deduplicate on it)
 * Recompute the HMAC over the exact bytes received, compare in constant time, and refuse a timestamp older than
 * the tolerance (5 minutes) so a captured request cannot be replayed later.
 */
import crypto from 'node:crypto';
import type { StudySummary } from '../contracts';

export const SIGNATURE_HEADER = 'cxr-signature';
export const DELIVERY_ID_HEADER = 'cxr-delivery-id';
export const DEFAULT_TOLERANCE_S = 300;

/** The JSON body: the summary as recorded, with the message id. Byte-identical on every retry. */
export function webhookBody(messageId: string, summary: StudySummary): string {
  return JSON.stringify({ type: 'cxr.study.result', version: 1, messageId, summary });
}

function hmac(secret: string, timestamp: number, body: string): string {
  return crypto.createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The Cxr-Signature header value for `body` at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  if (secret === '') throw new Error('the webhook secret is empty');
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

export type VerifyResult = { ok: true; timestamp: number } | { ok: false; why: string };

/** Check a received signature header against the raw body (what a receiver does). `now` in unix seconds. */
export function verifyWebhook(
  secret: string,
  header: string | undefined,
  body: string,
  now: number,
  toleranceS = DEFAULT_TOLERANCE_S,
): VerifyResult {
  if (!header) return { ok: false, why: 'no signature header' };
  const parts = new Map(
    header.split(',').map((p) => {
      const i = p.indexOf('=');
      return [p.slice(0, i).trim(), p.slice(i + 1).trim()] as const;
    }),
  );
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1))
    return { ok: false, why: 'malformed signature header' };
  if (Math.abs(now - t) > toleranceS) return { ok: false, why: `timestamp outside the ${toleranceS} s tolerance` };
  const expected = Buffer.from(hmac(secret, t, body), 'hex');
  if (!crypto.timingSafeEqual(expected, Buffer.from(v1, 'hex'))) return { ok: false, why: 'signature mismatch' };
  return { ok: true, timestamp: t };
}
