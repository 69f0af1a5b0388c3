import { Command, Option } from 'commander';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { loadConfig } from '../../config';
import type { IngestOptions, IngestResult } from '../../workflows/types';
import { resultTable, watchProgress } from '../render';
import { InputFileError, startOrAttachIngest } from '../start-ingest';
import { connectClient } from '../temporal-client';

export const EXIT = { ok: 0, failures: 2, rejected: 3, usage: 64 } as const;

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`expected a positive integer, got ${v}`);
  return n;
}

export function ingestCommand(): Command {
  return new Command('ingest')
    .description('Start (or attach to) the ingest of one or more zips of DICOM files, show progress, print the accounting')
    .argument('<zip...>', 'zip files of DICOM instances')
    .option('--no-wait', 'start and return at once (prints the ingest IDs)')
    .option('--json', 'print the final accounting as JSON (one object per zip, as an array)')
    .addOption(new Option('--window <n>', 'children in flight at once').argParser(positiveInt))
    .addOption(new Option('--continue-as-new-every <n>', 'entries per workflow run').argParser(positiveInt))
    .addHelpText('after', `
Examples:
  $ cxr ingest study.zip                 start, show a live progress bar, print the table
  $ cxr ingest a.zip b.zip --json        machine-readable results
  $ cxr ingest big.zip --no-wait         start and return; follow with \`cxr watch <id>\`

Exit code: 0 all entries done or skipped, 2 some entries failed, 3 a zip was rejected.`)
    .action(async (zips: string[], opts: { wait: boolean; json?: boolean; window?: number; continueAsNewEvery?: number }) => {
      const config = loadConfig();
      const client = await connectClient(config.temporal);
      const options: IngestOptions = { window: opts.window, continueAsNewEvery: opts.continueAsNewEvery };
      const results: (IngestResult | { ingestId: string; zipName: string; state: 'rejected'; reason: { type: string; message: string } })[] = [];
      let exit: number = EXIT.ok;
      for (const zip of zips) {
        let started;
        try {
          started = await startOrAttachIngest(client, config, zip, options);
        } catch (err) {
          if (err instanceof InputFileError) {
            console.error(`cxr: ${err.message}`);
            exit = EXIT.usage;
            continue;
          }
          throw err;
        }
        const verb = started.started ? 'started' : 'attached to existing';
        if (!opts.json) console.error(`${verb} ingest ${started.ingestId} for ${started.zipPath}`);
        if (!opts.wait) {
          if (opts.json) results.push({ ingestId: started.ingestId } as IngestResult);
          else console.log(started.ingestId);
          continue;
        }
        if (!opts.json) await watchProgress(started.handle, process.stderr);
        try {
          const result = await started.handle.result();
          results.push(result);
          if (result.counts.failed > 0) exit = Math.max(exit, EXIT.failures);
          if (!opts.json) console.log(resultTable(result) + '\n');
        } catch (err) {
          if (err instanceof WorkflowFailedError && err.cause instanceof ApplicationFailure) {
            const reason = { type: err.cause.type ?? 'Error', message: err.cause.message };
            results.push({ ingestId: started.ingestId, zipName: zip, state: 'rejected', reason });
            exit = Math.max(exit, EXIT.rejected);
            if (!opts.json) console.log(`Ingest ${started.ingestId} (${zip}) was rejected: [${reason.type}] ${reason.message}\n`);
          } else throw err;
        }
      }
      if (opts.json) console.log(JSON.stringify(results, null, 2));
      await client.connection.close();
      process.exitCode = exit;
    });
}
