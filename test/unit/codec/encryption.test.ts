/**
 * The AES-256-GCM payload codec without a server: round trip, fresh IV per payload, tamper detection, key
 * rotation (key id in metadata), configuration from CXR_PAYLOAD_KEY / CXR_PAYLOAD_KEY_FILE.
 * The on-server behaviour is tested in test/integration/durability/security.test.ts.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultPayloadConverter } from '@temporalio/common';
import {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  payloadCodecFromEnv,
  payloadKey,
  PayloadKeyError,
} from '../../../src/codec';

const newKey = () => crypto.randomBytes(32).toString('base64');
const text = (b: Uint8Array | null | undefined) => Buffer.from(b ?? []).toString('utf8');

describe('AesGcmPayloadCodec', { timeout: 60_000 }, () => {
  const value = { zipName: 'secret-study.zip', counts: { done: 3 } };
  const payload = defaultPayloadConverter.toPayload(value);

  it('round-trips metadata and data, and the ciphertext shows nothing', async () => {
    const codec = new AesGcmPayloadCodec(payloadKey(newKey()));
    const [enc] = await codec.encode([payload]);
    assert.equal(text(enc.metadata?.encoding), ENCRYPTED_ENCODING);
    assert.equal(text(enc.metadata?.[KEY_ID_METADATA]), codec.active.id);
    assert.ok(!text(enc.data).includes('secret-study'));
    const [dec] = await codec.decode([enc]);
    assert.deepEqual(defaultPayloadConverter.fromPayload(dec), value);
    assert.equal(text(dec.metadata?.encoding), 'json/plain');
  });

  it('uses a fresh IV per payload and refuses tampered ciphertext', async () => {
    const codec = new AesGcmPayloadCodec(payloadKey(newKey()));
    const [a, b] = await codec.encode([payload, payload]);
    assert.notDeepEqual(Buffer.from(a.data!), Buffer.from(b.data!));
    const tampered = { ...a, data: Buffer.from(a.data!) };
    tampered.data[20] ^= 1;
    await assert.rejects(codec.decode([tampered]));
    const relabelled = { ...a, metadata: { ...a.metadata, [KEY_ID_METADATA]: new TextEncoder().encode('other') } };
    await assert.rejects(codec.decode([relabelled]), PayloadKeyError);
  });

  it('rotates keys: the new key encrypts, the old one still decrypts; an unknown key is named', async () => {
    const oldKey = payloadKey(newKey());
    const [old] = await new AesGcmPayloadCodec(oldKey).encode([payload]);
    const rotated = new AesGcmPayloadCodec(payloadKey(newKey()), [oldKey]);
    assert.deepEqual(defaultPayloadConverter.fromPayload((await rotated.decode([old]))[0]), value);
    const [fresh] = await rotated.encode([payload]);
    assert.equal(text(fresh.metadata?.[KEY_ID_METADATA]), rotated.active.id);
    await assert.rejects(new AesGcmPayloadCodec(payloadKey(newKey())).decode([old]), new RegExp(oldKey.id));
  });

  it('passes unencrypted payloads through on decode', async () => {
    const codec = new AesGcmPayloadCodec(payloadKey(newKey()));
    assert.deepEqual(await codec.decode([payload]), [payload]);
  });

  it('is configured from CXR_PAYLOAD_KEY or CXR_PAYLOAD_KEY_FILE, and off when neither is set', () => {
    assert.equal(payloadCodecFromEnv({}), undefined);
    const k1 = newKey();
    assert.equal(payloadCodecFromEnv({ CXR_PAYLOAD_KEY: k1 })?.active.id, payloadKey(k1).id);
    const file = path.join(os.tmpdir(), `cxr-keys-${process.pid}`);
    const k2 = newKey();
    fs.writeFileSync(file, `# active first\n2026-11:${k2}\n\n${k1}\n`, { mode: 0o600 });
    try {
      const codec = payloadCodecFromEnv({ CXR_PAYLOAD_KEY_FILE: file })!;
      assert.equal(codec.active.id, '2026-11');
      assert.deepEqual(codec.keyIds, ['2026-11', payloadKey(k1).id]);
    } finally {
      fs.rmSync(file, { force: true });
    }
    assert.throws(() => payloadCodecFromEnv({ CXR_PAYLOAD_KEY: Buffer.alloc(16).toString('base64') }), /32 bytes/);
  });
});
