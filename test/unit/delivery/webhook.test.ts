import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { signWebhook, verifyWebhook, webhookBody } from '../../../src/delivery';
import { SUMMARY } from './fixtures';

describe('webhook signature', { timeout: 10_000 }, () => {
  const body = webhookBody('abc', SUMMARY);
  const t = 1_796_000_000;

  it('is HMAC-SHA256 over "<t>.<body>", as the operator guide tells receivers', () => {
    const expected = crypto.createHmac('sha256', 's3cret').update(`${t}.${body}`).digest('hex');
    assert.equal(signWebhook('s3cret', t, body), `t=${t},v1=${expected}`);
  });

  it('verifies, and refuses a changed body, another secret, an old timestamp, a malformed header', () => {
    const h = signWebhook('s3cret', t, body);
    assert.deepEqual(verifyWebhook('s3cret', h, body, t + 10), { ok: true, timestamp: t });
    assert.equal(verifyWebhook('s3cret', h, body.replace('Cardiomegaly', 'Cardiomegalx'), t).ok, false);
    assert.equal(verifyWebhook('other', h, body, t).ok, false);
    assert.deepEqual(verifyWebhook('s3cret', h, body, t + 301), {
      ok: false,
      why: 'timestamp outside the 300 s tolerance',
    });
    assert.equal(verifyWebhook('s3cret', 'v1=zz', body, t).ok, false);
    assert.equal(verifyWebhook('s3cret', undefined, body, t).ok, false);
    assert.throws(() => signWebhook('', t, body), /empty/);
  });

  it('the body is the same bytes on every retry and carries the message id', () => {
    assert.equal(webhookBody('abc', SUMMARY), body);
    const parsed = JSON.parse(body) as { messageId: string; summary: { studyInstanceUid: string } };
    assert.equal(parsed.messageId, 'abc');
    assert.equal(parsed.summary.studyInstanceUid, SUMMARY.studyInstanceUid);
  });
});
