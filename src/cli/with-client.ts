import type { Client } from '@temporalio/client';
import { operatorOf } from '../audit';
import type { PipelineConfig } from '../config';
import { cliConfig } from './cli-config';
import { CliError, EXIT } from './exit-codes';
import { connectClient } from './temporal-client';

/** Connect to Temporal (exit 69 with a clear message when it does not answer), run, close. */
export async function withClient<T>(fn: (client: Client, config: PipelineConfig) => Promise<T>): Promise<T> {
  const config = cliConfig();
  let client: Client;
  try {
    client = await connectClient(config, operatorOf(config.audit).temporalIdentity);
  } catch (err) {
    throw new CliError(
      `cannot reach Temporal at ${config.temporal.address} (${(err as Error).message}); set --address / TEMPORAL_ADDRESS or start it (scripts/services start)`,
      EXIT.unavailable,
    );
  }
  try {
    return await fn(client, config);
  } finally {
    await client.connection.close();
  }
}
