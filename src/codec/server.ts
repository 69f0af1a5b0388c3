/**
 * A codec server for the Temporal Web UI (its "remote codec endpoint" protocol): POST /decode and POST /encode
 * take and return `{"payloads": [{"metadata": {k: base64}, "data": base64}]}`. With payload encryption on,
 * point the UI at it (`temporal server start-dev --ui-codec-endpoint http://127.0.0.1:8888`, or the UI's
 * Data Encoder setting) and the UI shows inputs and results in clear text again, in the browser only.
 *
 * It decrypts anything it is sent: it is a decryption oracle. It listens on 127.0.0.1 by default and answers
 * CORS only for the Web UI's origin; put it behind your own authentication before exposing it further.
 * Run: `node dist/src/codec/server.js` with CXR_PAYLOAD_KEY(_FILE), CXR_CODEC_PORT (8888), CXR_CODEC_HOST
 * (127.0.0.1), CXR_CODEC_CORS_ORIGIN (http://127.0.0.1:$TEMPORAL_UI_PORT, 8233).
 */
import http from 'node:http';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { loadConfig } from '../config';
import { payloadCodecFrom } from './encryption';

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

const MAX_BODY = 8 * 1024 * 1024;

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]),
    ),
    data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

export function createCodecServer(codec: PayloadCodec, opts: { corsOrigin?: string } = {}): http.Server {
  return http.createServer((req, res) => {
    if (opts.corsOrigin) {
      res.setHeader('Access-Control-Allow-Origin', opts.corsOrigin);
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS') return void res.writeHead(204).end();
    const route = (req.url ?? '').split('?')[0].replace(/\/+$/, '');
    if (req.method !== 'POST' || (!route.endsWith('/decode') && !route.endsWith('/encode'))) {
      return void res.writeHead(404, { 'Content-Type': 'text/plain' }).end('POST /decode or /encode\n');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => {
      void (async () => {
        try {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { payloads?: JsonPayload[] };
          const payloads = (body.payloads ?? []).map(fromJson);
          const out = route.endsWith('/decode') ? await codec.decode(payloads) : await codec.encode(payloads);
          res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ payloads: out.map(toJson) }));
        } catch (err) {
          res
            .writeHead(400, { 'Content-Type': 'text/plain' })
            .end(`${err instanceof Error ? err.message : String(err)}\n`);
        }
      })();
    });
  });
}

async function main(): Promise<void> {
  const config = loadConfig();
  const codec = payloadCodecFrom(config.payloadKeys);
  if (!codec) throw new Error('No payload key: set CXR_PAYLOAD_KEY or CXR_PAYLOAD_KEY_FILE (docs/security.md)');
  const { port, host, corsOrigin } = config.codecServer;
  const server = createCodecServer(codec, { corsOrigin });
  server.listen(port, host, () =>
    console.log(`codec server on http://${host}:${port} (keys ${codec.keyIds.join(', ')}; CORS ${corsOrigin})`),
  );
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => server.close());
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
