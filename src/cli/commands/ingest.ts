import path from 'node:path';
import { Command, Option } from 'commander';
import { audited } from '../../audit';
import type { IngestOptions } from '../../workflows/types';
import { EXIT, EXIT_HELP } from '../exit-codes';
import { followIngest, type IngestReport } from '../follow';
import { webUiUrl } from '../ingest-id';
import { positiveInt } from '../options';
import { InputFileError, startOrAttachIngest } from '../start-ingest';
import { withClient } from '../with-client';

export { EXIT };

export function ingestCommand(): Command {
  return new Command('ingest')
    .description(
      'Start (or attach to) the ingest of one or more zips of DICOM files, show progress, print the accounting',
    )
    .argument('<zip...>', 'zip files of DICOM instances')
    .option('--no-wait', 'start and return at once (prints the ingest IDs)')
    .option('--json', 'print the final accounting as JSON (one object per zip, as an array); no progress bar')
    .addOption(new Option('--window <n>', 'children in flight at once').argParser(positiveInt))
    .addOption(new Option('--continue-as-new-every <n>', 'entries per workflow run').argParser(positiveInt))
    .addHelpText(
      'after',
      `
The ingest ID is ingest-<sha256 of the zip>: submitting the same zip again attaches to the running or
finished ingest instead of doing the work twice. Progress goes to stderr (a bar on a terminal, a line
every 5 s otherwise); the final table (or JSON) goes to stdout. Ctrl-C only stops watching: the ingest
goes on in the workers; follow it again with \`cxr watch\`.

Examples:
  $ cxr ingest study.zip                 start, show a live progress bar, print the table
  $ cxr ingest a.zip b.zip --json        machine-readable results
  $ cxr ingest big.zip --no-wait         start and return; follow with \`cxr watch big.zip\`

${EXIT_HELP}`,
    )
    .action(
      async (zips: string[], opts: { wait: boolean; json?: boolean; window?: number; continueAsNewEvery?: number }) => {
        await withClient(async (client, config) => {
          const options: IngestOptions = { window: opts.window, continueAsNewEvery: opts.continueAsNewEvery };
          const reports: (IngestReport | { ingestId: string; zipPath: string; started: boolean; webUi: string })[] = [];
          let exit: number = EXIT.ok;
          for (const zip of zips) {
            try {
              exit = Math.max(
                exit,
                await audited(config, 'ingest', { zipPath: path.resolve(zip) }, async (a) => {
                  const started = await startOrAttachIngest(client, config, zip, options);
                  Object.assign(a.what, {
                    ingestId: started.ingestId,
                    zipSha256: started.zipSha256,
                    started: started.started,
                  });
                  a.outcome = 'success';
                  const verb = started.started ? 'started' : 'attached to existing';
                  const webUi = webUiUrl(config.temporal.namespace, started.ingestId);
                  if (!opts.json)
                    console.error(`${verb} ingest ${started.ingestId} for ${started.zipPath}\n  Web UI: ${webUi}`);
                  if (!opts.wait) {
                    if (opts.json)
                      reports.push({
                        ingestId: started.ingestId,
                        zipPath: started.zipPath,
                        started: started.started,
                        webUi,
                      });
                    else console.log(started.ingestId);
                    return EXIT.ok;
                  }
                  const { report, exit: e } = await followIngest(client, started.ingestId, {
                    json: opts.json,
                    zipName: zip,
                  });
                  reports.push(report);
                  if ('counts' in report) a.what.counts = { ...report.counts };
                  if (e === EXIT.failures) a.outcome = 'minor-failure';
                  if ('reason' in report) {
                    a.outcome = 'serious-failure';
                    a.message = `rejected: [${report.reason.type}] ${report.reason.message}`;
                  }
                  return e;
                }),
              );
            } catch (err) {
              if (err instanceof InputFileError) {
                console.error(`cxr: ${err.message}`);
                exit = Math.max(exit, EXIT.usage);
                continue;
              }
              throw err;
            }
          }
          if (opts.json) console.log(JSON.stringify(reports, null, 2));
          process.exitCode = exit;
        });
      },
    );
}
