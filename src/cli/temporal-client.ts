import { Client, Connection } from '@temporalio/client';
import { payloadCodecFrom } from '../codec/encryption';
import { type PipelineConfig, temporalConnectionOptions } from '../config';

/**
 * A Temporal client for the CLI, connected as the configuration says (address, namespace, TLS / mTLS and API key,
 * as the `temporal` CLI reads them). With payload keys configured, payloads are encrypted and decrypted as the
 * worker does.
 */
export async function connectClient(config: PipelineConfig, identity?: string): Promise<Client> {
  const connection = await Connection.connect({
    ...temporalConnectionOptions(config.temporal),
    connectTimeout: '10 seconds',
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
