import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { payloadCodecFromEnv } from '../codec';
import type { TemporalConfig } from '../config';

/**
 * A Temporal client for the CLI (TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, as the temporal CLI uses). With
 * CXR_PAYLOAD_KEY / CXR_PAYLOAD_KEY_FILE set, payloads are encrypted and decrypted as the worker does.
 * `quickFailure`: give up on an unreachable server after 3 quick gRPC attempts (≈ 0.5 s) instead of the SDK's 10
 * (≈ 20 s), so that the caller's TemporalWait tells the operator at once and backs off itself.
 */
export async function connectClient(config: TemporalConfig, opts: { quickFailure?: boolean } = {}): Promise<Client> {
  const connection = await Connection.connect({
    address: config.address,
    connectTimeout: '10 seconds',
    interceptors: opts.quickFailure
      ? [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 3 }))]
      : undefined,
  });
  const codec = payloadCodecFromEnv();
  return new Client({
    connection,
    namespace: config.namespace,
    dataConverter: codec ? { payloadCodecs: [codec] } : undefined,
  });
}
