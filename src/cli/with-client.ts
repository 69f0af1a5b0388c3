import type { Client } from '@temporalio/client';
import { operatorOf } from '../audit';
import type { PipelineConfig } from '../config';
import { cliConfig } from './cli-config';
import { CliError, EXIT } from './exit-codes';
import { connectClient } from './temporal-client';
import { TemporalWait } from './temporal-wait';

/**
 * Connect to Temporal, run, close. By default a Temporal that does not answer ends the command at once (exit 69,
 * one clear line). With `waitForTemporal` (ingest, watch, status, verify) the connection and every call made
 * through the TemporalWait handed to `fn` wait for it with backoff, up to config.temporal.unreachableWaitMs.
 */
export async function withClient<T>(
  fn: (client: Client, config: PipelineConfig, wait: TemporalWait) => Promise<T>,
  opts: { waitForTemporal?: boolean } = {},
): Promise<T> {
  const config = cliConfig();
  const wait = new TemporalWait(config.temporal.address, opts.waitForTemporal ? config.temporal.unreachableWaitMs : 0);
  const identity = operatorOf(config.audit).temporalIdentity;
  let client: Client;
  try {
    client = opts.waitForTemporal
      ? await wait.call('connecting', () => connectClient(config, identity, { quickFailure: true }))
      : await connectClient(config, identity);
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(
      `cannot reach Temporal at ${config.temporal.address} (${(err as Error).message}); set --address / TEMPORAL_ADDRESS or start it (scripts/services start)`,
      EXIT.unavailable,
    );
  }
  try {
    return await fn(client, config, wait);
  } finally {
    await client.connection.close();
  }
}
