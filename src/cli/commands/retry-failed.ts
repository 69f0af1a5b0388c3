import { Command, Option } from 'commander';
import { audited, auditReport } from '../../audit';
import { CliError, EXIT, EXIT_HELP } from '../exit-codes';
import { watchIngest } from '../watch-ingest';
import { resolveIngestRef, webUiUrl } from '../ingest-id';
import { getIngest, listProblems } from '../ingests';
import { startLinkedIngest, zipOfIngest } from '../linked-ingest';
import { positiveInt } from '../options';
import { retryStoredRun } from '../stored-runs';
import { withClient } from '../with-client';

export function retryFailedCommand(): Command {
  return new Command('retry-failed')
    .description('Re-run only the failed entries of a finished ingest, as a new ingest linked to it')
    .argument('<ingest>', "an ingest ID, the zip's SHA-256, or the zip file")
    .option('--include-skipped', 'also re-run the skipped entries')
    .option('--zip <path>', 'the zip moved: read it from here (must be the same content, checked by SHA-256)')
    .option('--no-wait', 'start and return at once (prints the new ingest ID)')
    .option('--json', "print the retry's accounting as JSON; no progress bar")
    .addOption(new Option('--window <n>', 'children in flight at once').argParser(positiveInt))
    .addHelpText(
      'after',
      `
The retry is an ingest workflow <ingest>-retry-<n> (n = next free number) over the same zip, limited
to the failed entries' indexes; its CxrRetryOf search attribute and its result's retryOf name the
original. Entries that were already stored are not stored twice (Orthanc answers AlreadyStored; the
report UID is deterministic). Fix the cause first (e.g. Orthanc's storage, the model, the worker's
limits); a corrupt file will simply fail again.

Examples:
  $ cxr retry-failed study.zip
  $ cxr retry-failed ingest-3f1c...e9 --include-skipped --json
  $ cxr list --retries-of ingest-3f1c...e9

${EXIT_HELP}`,
    )
    .action(
      async (
        ref: string,
        opts: { includeSkipped?: boolean; zip?: string; wait: boolean; json?: boolean; window?: number },
      ) => {
        const { ingestId } = await resolveIngestRef(ref);
        await withClient((client, config) =>
          audited(config, 'retry-failed', { retryOf: ingestId }, async (a) => {
            const view = await getIngest(client, ingestId);
            if (view.kind === 'not-found') throw new CliError(`No ingest ${ingestId}`, EXIT.notFound);
            const kind =
              view.kind === 'completed' ? view.result.kind : view.kind === 'running' ? view.progress.kind : '';
            if (kind === 'follow' || kind === 'reprocess') {
              // A follower or reprocess run (running or not): re-run its failed instances as a reprocess.
              const retry = await retryStoredRun(client, config, ingestId, opts);
              a.what.counts = { retried: retry?.instances.length ?? 0 };
              if (!retry) {
                console.log(opts.json ? JSON.stringify({ ingestId, retried: 0 }) : `Nothing to retry in ${ingestId}.`);
                return;
              }
              a.what.workflowId = retry.workflowId;
              if (!opts.json)
                console.error(`started ${retry.workflowId}: re-running ${retry.instances.length} instance(s)`);
              if (!opts.wait) {
                console.log(opts.json ? JSON.stringify(retry) : retry.workflowId);
                return;
              }
              const followed = await watchIngest(client, retry.workflowId, { json: opts.json });
              auditReport(a, followed, { retried: retry.instances.length });
              if (opts.json) console.log(JSON.stringify(followed.report, null, 2));
              process.exitCode = followed.exit;
              return;
            }
            if (view.kind === 'running')
              throw new CliError(
                `Ingest ${ingestId} is still running: wait for it (cxr watch ${ingestId})`,
                EXIT.running,
              );
            if (view.kind === 'rejected') {
              throw new CliError(
                `Ingest ${ingestId} was rejected as a whole ([${view.reason.type}] ${view.reason.message}): fix the zip and ingest it again`,
                EXIT.rejected,
              );
            }
            const { problems } = await listProblems(client, ingestId, {
              includeSkipped: Boolean(opts.includeSkipped),
              parentProblems: view.result.recentProblems,
            });
            if (problems.length === 0) {
              a.what.counts = { retried: 0 };
              if (opts.json) console.log(JSON.stringify({ ingestId, retried: 0 }, null, 2));
              else
                console.log(
                  `Nothing to retry: ingest ${ingestId} has no failed${opts.includeSkipped ? ' or skipped' : ''} entries.`,
                );
              return;
            }
            const { orig, zipPath } = await zipOfIngest(client, ingestId, opts.zip);
            const indexes = problems.map((p) => p.index);
            const retryId = await startLinkedIngest(client, config, {
              kind: 'retry',
              of: ingestId,
              orig,
              zipPath,
              options: { window: opts.window ?? orig.options?.window, onlyEntries: indexes },
              summary: (n) =>
                `Retry ${n} of ${orig.zipName}: ${problems.length} ${opts.includeSkipped ? 'failed/skipped' : 'failed'} entries`,
              details: `Entries ${summariseIndexes(indexes)}.`,
            });
            Object.assign(a.what, {
              ingestId: retryId,
              zipSha256: orig.zipSha256,
              counts: { retried: problems.length },
            });
            if (!opts.json) {
              console.error(
                `started ${retryId}: re-running ${problems.length} entries of ${ingestId}\n  Web UI: ${webUiUrl(config.webUiUrl, config.temporal.namespace, retryId)}`,
              );
            }
            if (!opts.wait) {
              if (opts.json)
                console.log(
                  JSON.stringify(
                    { ingestId: retryId, retryOf: ingestId, entries: problems.map((p) => p.index) },
                    null,
                    2,
                  ),
                );
              else console.log(retryId);
              return;
            }
            const followed = await watchIngest(client, retryId, { json: opts.json, zipName: orig.zipName });
            auditReport(a, followed, { retried: problems.length });
            if (opts.json) console.log(JSON.stringify(followed.report, null, 2));
            process.exitCode = followed.exit;
          }),
        );
      },
    );
}

/** "1-4, 9, 12" */
export function summariseIndexes(indexes: number[]): string {
  const s = [...indexes].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
    parts.push(j > i ? `${s[i]}-${s[j]}` : `${s[i]}`);
    i = j + 1;
  }
  const text = parts.join(', ');
  return text.length > 300 ? text.slice(0, 297) + '...' : text;
}
