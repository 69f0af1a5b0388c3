import path from 'node:path';
import { Command, Option } from 'commander';
import { audited, auditReport } from '../../audit';
import type { IngestOptions } from '../../workflows/types';
import { CliError, EXIT, EXIT_HELP } from '../exit-codes';
import { watchIngest, type IngestReport } from '../watch-ingest';
import { webUiUrl } from '../ingest-id';
import { priorityOption } from '../job-priority';
import { positiveInt } from '../options';
import type { WorkPriority } from '../../priority';
import type { Client } from '@temporalio/client';
import type { PipelineConfig } from '../../config';
import { ingestInput } from '../ingests';
import { startLinkedIngest } from '../linked-ingest';
import { InputFileError, type StartedIngest, startOrAttachIngest } from '../start-ingest';
import { withClient } from '../with-client';

export { EXIT };

/** ingest outlives a Temporal outage (bounded by --temporal-wait / CXR_TEMPORAL_WAIT_S). */
const WAIT = { waitForTemporal: true } as const;

export function ingestCommand(): Command {
  return new Command('ingest')
    .description(
      'Start (or attach to) the ingest of one or more zips of DICOM files, show progress, print the accounting',
    )
    .argument('<zip...>', 'zip files of DICOM instances')
    .option('--no-wait', 'start and return at once (prints the ingest IDs)')
    .option('--json', 'print the final accounting as JSON (one object per zip, as an array); no progress bar')
    .option(
      '--again',
      'the zip was ingested before: run it again as a new ingest linked to that one (<ingest>-again-<n>) instead of attaching',
    )
    .addOption(new Option('--window <n>', 'children in flight at once').argParser(positiveInt))
    .addOption(new Option('--continue-as-new-every <n>', 'entries per workflow run').argParser(positiveInt))
    .addOption(
      priorityOption(
        'routine',
        'urgent (ahead of everything, e.g. an emergency study), routine, or backfill (a bulk import: behind live images and other ingests)',
      ),
    )
    .addHelpText(
      'after',
      `
The ingest ID is ingest-<sha256 of the zip>: submitting the same zip again attaches to the running or
finished ingest instead of doing the work twice (and says when it finished). To run it again on purpose
(e.g. the PACS lost data), use --again: a new ingest <ingest>-again-<n>, linked to the first
(CxrRetryOf), that re-uploads every entry; what Orthanc still holds answers AlreadyStored and is not
stored twice. \`cxr verify <zip>\` checks what is missing first and \`--repair\` re-runs only that.
Once the first ingest's history has passed the namespace retention (\`cxr doctor\` shows it), the same
zip simply starts a new ingest under the same ID. Progress goes to stderr (a bar on a terminal, a line
every 5 s otherwise); the final table (or JSON) goes to stdout. Ctrl-C only stops watching: the ingest
goes on in the workers; follow it again with \`cxr watch\`.

Examples:
  $ cxr ingest study.zip                 start, show a live progress bar, print the table
  $ cxr ingest a.zip b.zip --json        machine-readable results
  $ cxr ingest big.zip --no-wait         start and return; follow with \`cxr watch big.zip\`
  $ cxr ingest study.zip --again         ingest a zip that was ingested before, once more
  $ cxr ingest er-study.zip --priority urgent    served before every routine and backfill job
  $ cxr ingest archive-2019.zip --priority backfill   a bulk import that must not delay live images

${EXIT_HELP}`,
    )
    .action(
      async (
        zips: string[],
        opts: {
          wait: boolean;
          json?: boolean;
          again?: boolean;
          window?: number;
          continueAsNewEvery?: number;
          priority: WorkPriority;
        },
      ) => {
        await withClient(async (client, config, wait) => {
          const options: IngestOptions = {
            window: opts.window,
            continueAsNewEvery: opts.continueAsNewEvery,
            priority: opts.priority,
          };
          const reports: (IngestReport | { ingestId: string; zipPath: string; started: boolean; webUi: string })[] = [];
          let exit: number = EXIT.ok;
          for (const zip of zips) {
            const action = opts.again ? 'ingest-again' : 'ingest';
            try {
              const e = await audited(config, action, { zipPath: path.resolve(zip) }, async (a) => {
                let started = await wait.call(`starting the ingest of ${zip}`, () =>
                  startOrAttachIngest(client, config, zip, options),
                );
                const attached = started;
                if (opts.again && !attached.started)
                  started = await wait.call(`starting the re-run of ${zip}`, () =>
                    startAgain(client, config, attached, options),
                  );
                Object.assign(a.what, {
                  ingestId: started.ingestId,
                  zipSha256: started.zipSha256,
                  started: started.started,
                });
                a.outcome = 'success';
                const webUi = webUiUrl(config.webUiUrl, config.temporal.namespace, started.ingestId);
                if (started.started) {
                  if (!opts.json)
                    console.error(`started ingest ${started.ingestId} for ${started.zipPath}\n  Web UI: ${webUi}`);
                } else {
                  console.error(attachMessage(started, zip) + `\n  Web UI: ${webUi}`);
                }
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
                const followed = await watchIngest(client, started.ingestId, { json: opts.json, zipName: zip, wait });
                reports.push(followed.report);
                auditReport(a, followed);
                return followed.exit;
              });
              exit = Math.max(exit, e);
            } catch (err) {
              if (err instanceof InputFileError) {
                console.error(`cxr: ${err.message}`);
                exit = Math.max(exit, EXIT.usage);
                continue;
              }
              if (err instanceof CliError) {
                console.error(`cxr: ${err.message}`);
                exit = Math.max(exit, err.exitCode);
                continue;
              }
              throw err;
            }
          }
          if (opts.json) console.log(JSON.stringify(reports, null, 2));
          process.exitCode = exit;
        }, WAIT);
      },
    );
}

/** What attaching means, in words: when the earlier ingest ran, and how to check or re-run it on purpose. */
export function attachMessage(s: StartedIngest, zipArg: string): string {
  const e = s.existing;
  if (e?.status === 'COMPLETED') {
    return (
      `attached to existing ingest ${s.ingestId} for ${s.zipPath}: it completed at ${e.closeTime?.toISOString() ?? '?'} ` +
      `(started ${e.startTime.toISOString()}); nothing was run again. Its accounting follows.\n` +
      `  Does Orthanc still hold its images and reports?  cxr verify ${zipArg}   (add --repair to re-run what is missing)\n` +
      `  Run the whole zip again anyway:                 cxr ingest --again ${zipArg}`
    );
  }
  const since = e ? ` (started ${e.startTime.toISOString()})` : '';
  return `attached to running ingest ${s.ingestId}${since} for ${s.zipPath}: following it`;
}

/** `--again`: a new ingest of the same zip, linked to the existing one (refused while that one still runs). */
async function startAgain(
  client: Client,
  config: PipelineConfig,
  s: StartedIngest,
  options: IngestOptions,
): Promise<StartedIngest> {
  if (s.existing?.status !== 'COMPLETED')
    throw new CliError(
      `ingest ${s.ingestId} of ${s.zipPath} is still running: follow it (cxr watch ${s.ingestId}) and use --again once it has finished`,
      EXIT.running,
    );
  const orig = await ingestInput(client, s.ingestId);
  const id = await startLinkedIngest(client, config, {
    kind: 'again',
    of: s.ingestId,
    orig,
    zipPath: s.zipPath,
    options: { window: options.window, continueAsNewEvery: options.continueAsNewEvery, priority: options.priority },
    summary: (n) => `Re-run ${n} of ${orig.zipName} (cxr ingest --again)`,
    details: `The operator asked for the zip to be ingested again (the first ingest completed at ${s.existing.closeTime?.toISOString() ?? '?'}).`,
  });
  return { ...s, handle: client.workflow.getHandle(id), ingestId: id, started: true, existing: undefined };
}
