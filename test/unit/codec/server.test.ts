/**
 * The Web UI codec server over real HTTP: /decode turns ciphertext into the original payloads, /encode the
 * reverse, CORS preflight answers for the UI's origin only, garbage gets a 400.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import { AesGcmPayloadCodec, createCodecServer, payloadKey } from '../../../src/codec';

const codec = new AesGcmPayloadCodec(payloadKey(crypto.randomBytes(32).toString('base64')));
const b64 = (u: Uint8Array | null | undefined) => Buffer.from(u ?? []).toString('base64');

describe('codec server', { timeout: 60_000 }, () => {
  const server = createCodecServer(codec, { corsOrigin: 'http://127.0.0.1:8233' });
  let base: string;
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => server.close());

  it('decodes what the workers encrypted, and encodes back', async () => {
    const value = { zipName: 'ward-7.zip' };
    const [enc] = await codec.encode([defaultPayloadConverter.toPayload(value)]);
    const body = {
      payloads: [
        {
          metadata: Object.fromEntries(Object.entries(enc.metadata!).map(([k, v]) => [k, b64(v)])),
          data: b64(enc.data),
        },
      ],
    };
    const res = await fetch(`${base}/decode`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Namespace': 'default' },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://127.0.0.1:8233');
    const out = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    assert.equal(Buffer.from(out.payloads[0].metadata.encoding, 'base64').toString(), 'json/plain');
    assert.deepEqual(JSON.parse(Buffer.from(out.payloads[0].data, 'base64').toString()), value);

    const back = await fetch(`${base}/encode`, { method: 'POST', body: JSON.stringify(out) });
    const encoded = (await back.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    assert.equal(Buffer.from(encoded.payloads[0].metadata.encoding, 'base64').toString(), 'binary/encrypted');
  });

  it('answers CORS preflight, 404 elsewhere, 400 on garbage', async () => {
    const pre = await fetch(`${base}/decode`, { method: 'OPTIONS' });
    assert.equal(pre.status, 204);
    assert.match(pre.headers.get('access-control-allow-headers') ?? '', /X-Namespace/);
    assert.equal((await fetch(`${base}/other`, { method: 'POST', body: '{}' })).status, 404);
    assert.equal((await fetch(`${base}/decode`, { method: 'POST', body: 'not json' })).status, 400);
  });
});
