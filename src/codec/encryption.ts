/**
 * Optional encryption of Temporal payloads (workflow/activity inputs and results, queries, memo, failures'
 * details) with AES-256-GCM, so the Temporal server and its database only ever hold ciphertext.
 *
 * Configuration (never in code): CXR_PAYLOAD_KEY = a base64 32-byte key, and/or CXR_PAYLOAD_KEY_FILE = a file
 * with one key per line (`base64` or `keyId:base64`; blank lines and `#` comments ignored). The first key
 * found (CXR_PAYLOAD_KEY, then the file's lines in order) encrypts; every key decrypts. Each encrypted
 * payload names its key in metadata (`encryption-key-id`), so keys rotate without re-encrypting history:
 * put the new key first, keep the old one below it until no open workflow needs it.
 *
 * Wire format of an encrypted payload: metadata { encoding: "binary/encrypted", encryption-key-id }, data =
 * 12-byte IV | ciphertext | 16-byte GCM tag, over the JSON {m: metadata (base64 values), d: data (base64)} of
 * the original payload; the key id is bound as additional authenticated data.
 * Payloads that are not encrypted are passed through on decode (histories from before encryption was on).
 * Not encrypted by any codec, by Temporal's design: search attributes (CxrZipName, CxrEntryName, ...),
 * workflow IDs, activity/workflow type names, task queues, and failure messages (see docs/security.md).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Payload, PayloadCodec } from '@temporalio/common';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const AAD_PREFIX = 'cxr-payload-v1:';
const enc = new TextEncoder();
const dec = new TextDecoder();

export interface PayloadKey {
  id: string;
  key: Buffer;
}

export class PayloadKeyError extends Error {}

/** A key from its base64 text; the id defaults to a fingerprint (sha256 of the key, 16 hex digits). */
export function payloadKey(base64: string, id?: string): PayloadKey {
  const key = Buffer.from(base64.trim(), 'base64');
  if (key.length !== 32)
    throw new PayloadKeyError(
      `A payload key must be 32 bytes in base64 (got ${key.length} bytes); make one with: openssl rand -base64 32`,
    );
  return { id: id ?? `k-${crypto.createHash('sha256').update(key).digest('hex').slice(0, 16)}`, key };
}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly byId: Map<string, Buffer>;

  constructor(
    readonly active: PayloadKey,
    decryptOnly: PayloadKey[] = [],
  ) {
    this.byId = new Map([active, ...decryptOnly].map((k) => [k.id, k.key]));
  }

  get keyIds(): string[] {
    return [...this.byId.keys()];
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const plain = enc.encode(
        JSON.stringify({
          m: Object.fromEntries(
            Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
          ),
          d: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
        }),
      );
      const iv = crypto.randomBytes(12);
      const cipher = crypto.createCipheriv('aes-256-gcm', this.active.key, iv);
      cipher.setAAD(Buffer.from(AAD_PREFIX + this.active.id));
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return {
        metadata: { encoding: enc.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: enc.encode(this.active.id) },
        data: Buffer.concat([iv, body, cipher.getAuthTag()]),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => {
      const encoding = p.metadata?.encoding ? dec.decode(p.metadata.encoding) : undefined;
      if (encoding !== ENCRYPTED_ENCODING) return p;
      const keyId = p.metadata?.[KEY_ID_METADATA] ? dec.decode(p.metadata[KEY_ID_METADATA]) : '';
      const key = this.byId.get(keyId);
      if (!key) {
        throw new PayloadKeyError(
          `A payload is encrypted with key "${keyId}", which this process does not hold (it has ${this.keyIds.join(', ')}): ` +
            'add that key to CXR_PAYLOAD_KEY_FILE',
        );
      }
      const data = Buffer.from(p.data ?? new Uint8Array());
      if (data.length < 28) throw new PayloadKeyError('An encrypted payload is truncated');
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, data.subarray(0, 12));
      decipher.setAAD(Buffer.from(AAD_PREFIX + keyId));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const plain = Buffer.concat([decipher.update(data.subarray(12, data.length - 16)), decipher.final()]);
      const inner = JSON.parse(plain.toString('utf8')) as { m: Record<string, string>; d: string };
      return {
        metadata: Object.fromEntries(
          Object.entries(inner.m).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
        ),
        data: new Uint8Array(Buffer.from(inner.d, 'base64')),
      };
    });
  }
}

function keysFromFile(file: string): PayloadKey[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new PayloadKeyError(`Cannot read CXR_PAYLOAD_KEY_FILE ${file}: ${(err as Error).message}`);
  }
  const keys: PayloadKey[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const sep = line.indexOf(':');
    keys.push(sep > 0 ? payloadKey(line.slice(sep + 1), line.slice(0, sep)) : payloadKey(line));
  }
  if (keys.length === 0) throw new PayloadKeyError(`CXR_PAYLOAD_KEY_FILE ${file} holds no key`);
  return keys;
}

/** Where the payload keys come from (PipelineConfig.payloadKeys: CXR_PAYLOAD_KEY, _KEY_ID, _KEY_FILE). */
export interface PayloadKeySettings {
  /** Base64 of a 32-byte key. */
  key?: string;
  keyId?: string;
  /** A file of keys, one a line (`id:base64` or `base64`); the first is the active one. */
  keyFile?: string;
}

/** The codec for these key settings, or undefined when no key is configured. */
export function payloadCodecFrom(settings: PayloadKeySettings): AesGcmPayloadCodec | undefined {
  const keys: PayloadKey[] = [];
  if (settings.key) keys.push(payloadKey(settings.key, settings.keyId || undefined));
  if (settings.keyFile) keys.push(...keysFromFile(settings.keyFile));
  if (keys.length === 0) return undefined;
  return new AesGcmPayloadCodec(keys[0], keys.slice(1));
}

/** The codec configured by CXR_PAYLOAD_KEY / CXR_PAYLOAD_KEY_FILE in `env`, or undefined when neither is set. */
export function payloadCodecFromEnv(env: Record<string, string | undefined>): AesGcmPayloadCodec | undefined {
  return payloadCodecFrom({
    key: env.CXR_PAYLOAD_KEY,
    keyId: env.CXR_PAYLOAD_KEY_ID,
    keyFile: env.CXR_PAYLOAD_KEY_FILE,
  });
}
