import { Client, Connection } from '@temporalio/client';
import { payloadCodecFromEnv } from '../codec';
import { type TemporalConfig, temporalConnectionOptions } from '../config';

/**
 * A Temporal client for the CLI (TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, as the temporal CLI uses). With
 * CXR_PAYLOAD_KEY / CXR_PAYLOAD_KEY_FILE set, payloads are encrypted and decrypted as the worker does.
 */
export async function connectClient(config: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: '10 seconds' });
  const codec = payloadCodecFromEnv();
  return new Client({
    connection,
    namespace: config.namespace,
    dataConverter: codec ? { payloadCodecs: [codec] } : undefined,
  });
}
