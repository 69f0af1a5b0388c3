import { Command } from 'commander';
import { CliError, EXIT, EXIT_HELP } from '../exit-codes';
import { watchIngest } from '../watch-ingest';
import { resolveIngestRef, webUiUrl } from '../ingest-id';
import { getIngest, type IngestView } from '../ingests';
import { resultTable } from '../render';
import { withClient } from '../with-client';

/** status and watch outlive a Temporal outage (bounded by --temporal-wait / CXR_TEMPORAL_WAIT_S). */
const WAIT = { waitForTemporal: true } as const;

const REF_HELP = "an ingest ID (ingest-<sha256>[-retry-<n>]), the zip's SHA-256, or the zip file itself";

export function exitFor(view: IngestView): number {
  switch (view.kind) {
    case 'not-found':
      return EXIT.notFound;
    case 'running':
      return EXIT.running;
    case 'rejected':
      return EXIT.rejected;
    case 'completed':
      return view.result.counts.failed > 0 ? EXIT.failures : EXIT.ok;
  }
}

export function describeView(view: IngestView, webUi: string): string {
  switch (view.kind) {
    case 'not-found':
      return `No ingest ${view.ingestId}.`;
    case 'running': {
      const note =
        view.source === 'search-attributes'
          ? '\n  (no worker answered the progress query: counts are the last ones the workflow published; is a worker running? `cxr doctor`)'
          : `\n  ${view.progress.inFlight} entries in flight, run ${view.progress.runs}`;
      return `${resultTable(view.progress)}${note}\n  Web UI: ${webUi}`;
    }
    case 'completed':
      return `${resultTable(view.result)}\n  Web UI: ${webUi}`;
    case 'rejected':
      return `Ingest ${view.ingestId}${view.progress?.zipName ? ` (${view.progress.zipName})` : ''}: rejected [${view.reason.type}] ${view.reason.message}\n  Web UI: ${webUi}`;
  }
}

export function statusCommand(): Command {
  return new Command('status')
    .description(
      'Show where an ingest stands: state, counts, latest problems (live while running, from the result once done)',
    )
    .argument('<ingest>', REF_HELP)
    .option('--json', 'print the state as JSON')
    .addHelpText(
      'after',
      `
Works whenever: while the ingest runs (answered by the workflow's progress query, or from its search
attributes when no worker is up) and after it finished (from the workflow result), from any shell.

Examples:
  $ cxr status study.zip
  $ cxr status ingest-3f1c...e9 --json | jq .counts

${EXIT_HELP}`,
    )
    .action(async (ref: string, opts: { json?: boolean }) => {
      const { ingestId } = await resolveIngestRef(ref);
      await withClient(async (client, config, wait) => {
        const view = await wait.call(`reading ${ingestId}`, () => getIngest(client, ingestId));
        const webUi = webUiUrl(config.webUiUrl, config.temporal.namespace, ingestId);
        if (opts.json) console.log(JSON.stringify({ ...view, webUi }, null, 2));
        else if (view.kind === 'not-found') console.error(`cxr: ${describeView(view, webUi)}`);
        else console.log(describeView(view, webUi));
        process.exitCode = exitFor(view);
      }, WAIT);
    });
}

export function watchCommand(): Command {
  return new Command('watch')
    .description('Follow a running ingest with a live progress bar until it finishes, then print the table')
    .argument('<ingest>', REF_HELP)
    .option('--json', 'no progress; print the final accounting as JSON when it finishes')
    .addHelpText(
      'after',
      `
Attaches to an ingest started by any process (e.g. \`cxr ingest --no-wait\`, or a CLI that was
stopped): the workflow, not the CLI, holds the progress. A finished ingest prints its table at once.

Examples:
  $ cxr watch big.zip
  $ cxr watch ingest-3f1c...e9-retry-1 --json

${EXIT_HELP}`,
    )
    .action(async (ref: string, opts: { json?: boolean }) => {
      const { ingestId } = await resolveIngestRef(ref);
      await withClient(async (client, config, wait) => {
        const view = await wait.call(`reading ${ingestId}`, () => getIngest(client, ingestId));
        if (view.kind === 'not-found') throw new CliError(`No ingest ${ingestId}`, EXIT.notFound);
        if (!opts.json)
          console.error(
            `watching ingest ${ingestId}\n  Web UI: ${webUiUrl(config.webUiUrl, config.temporal.namespace, ingestId)}`,
          );
        const { report, exit } = await watchIngest(client, ingestId, { json: opts.json, wait });
        if (opts.json) console.log(JSON.stringify(report, null, 2));
        process.exitCode = exit;
      }, WAIT);
    });
}
