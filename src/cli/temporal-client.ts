import { Client, Connection } from '@temporalio/client';
import type { TemporalConfig } from '../config';

/** A Temporal client for the CLI (TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, as the temporal CLI uses). */
export async function connectClient(config: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect({ address: config.address, connectTimeout: '10 seconds' });
  return new Client({ connection, namespace: config.namespace });
}
