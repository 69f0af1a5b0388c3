/** Shared by `ingest`, `watch`, `retry-failed`, `reprocess` and `verify --repair`: watch an ingest to its end and report it. */
import type { Client } from '@temporalio/client';
import type { IngestResult } from '../workflows/types';
import { EXIT } from './exit-codes';
import { failureReason } from './ingests';
import { resultTable, watchProgress } from './render';
import type { TemporalWait } from './temporal-wait';

export type RejectedIngest = {
  ingestId: string;
  zipName: string;
  state: 'rejected';
  reason: { type: string; message: string };
};
export type IngestReport = IngestResult | RejectedIngest;

/**
 * Wait for the ingest to close (drawing progress on stderr unless `json`), then print its table.
 * Works for any ingest ID, started by this process or long before (the CLI may have restarted).
 */
export async function watchIngest(
  client: Client,
  ingestId: string,
  opts: { json?: boolean; zipName?: string; out?: NodeJS.WriteStream; wait?: TemporalWait } = {},
): Promise<{ report: IngestReport; exit: number }> {
  const handle = client.workflow.getHandle(ingestId);
  // With a TemporalWait the command outlives a Temporal outage (see temporal-wait.ts); without, it fails at once.
  const settled = opts.wait ? opts.wait.call(`following ${ingestId}`, () => handle.result()) : handle.result();
  settled.catch(() => undefined); // awaited below; the progress loop only watches it settle
  if (!opts.json) await watchProgress(handle, opts.out ?? process.stderr, { result: () => settled });
  try {
    const result = (await settled) as IngestResult;
    if (!opts.json) console.log(resultTable(result) + '\n');
    return { report: result, exit: result.counts.failed > 0 ? EXIT.failures : EXIT.ok };
  } catch (err) {
    const reason = failureReason(err);
    if (!reason) throw err; // a CliError from the wait (Temporal gone past the bound) ends the command with 69
    if (!opts.json)
      console.log(
        `Ingest ${ingestId}${opts.zipName ? ` (${opts.zipName})` : ''} was rejected: [${reason.type}] ${reason.message}\n`,
      );
    return { report: { ingestId, zipName: opts.zipName ?? '', state: 'rejected', reason }, exit: EXIT.rejected };
  }
}
