import { Client, Connection, defaultGrpcRetryOptions, makeGrpcRetryInterceptor } from '@temporalio/client';
import { payloadCodecFrom } from '../codec/encryption';
import { type PipelineConfig, temporalConnectionOptions } from '../config';

/**
 * A Temporal client for the CLI, connected as the configuration says (address, namespace, TLS / mTLS and API key,
 * as the `temporal` CLI reads them). With payload keys configured, payloads are encrypted and decrypted as the
 * worker does. `quickFailure`: give up on an unreachable server after 3 quick gRPC attempts (≈ 0.5 s) instead of the
 * SDK's 10 (≈ 20 s), so that the caller's TemporalWait (temporal-wait.ts) tells the operator at once and backs off.
 */
export async function connectClient(
  config: PipelineConfig,
  identity?: string,
  opts: { quickFailure?: boolean } = {},
): Promise<Client> {
  const connection = await Connection.connect({
    ...temporalConnectionOptions(config.temporal),
    connectTimeout: '10 seconds',
    ...(opts.quickFailure
      ? { interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 3 }))] }
      : {}),
  });
  const codec = payloadCodecFrom(config.payloadKeys);
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    // The operator (src/audit): Temporal records it in the start and signal events of the workflows.
    ...(identity ? { identity } : {}),
    dataConverter: codec ? { payloadCodecs: [codec] } : undefined,
  });
}
