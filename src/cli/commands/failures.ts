import { Command } from 'commander';
import { CliError, EXIT, EXIT_HELP } from '../exit-codes';
import { resolveIngestRef } from '../ingest-id';
import { getIngest, listProblems } from '../ingests';
import { reasonsHelp } from '../reason-docs';
import { problemsTable } from '../render';
import { withClient } from '../with-client';

export function failuresCommand(): Command {
  return new Command('failures')
    .description(
      'List every failed and skipped entry of an ingest with its reason (the complete list, from the child workflows)',
    )
    .argument('<ingest>', "an ingest ID, the zip's SHA-256, or the zip file")
    .option('--failed-only', 'leave out skipped entries')
    .option('--json', 'print the entries as JSON')
    .addHelpText(
      'after',
      `
The ingest's own result keeps only the latest 200 problems; this reads the child workflows
(WorkflowId STARTS_WITH '<ingest>/' with CxrState failed/skipped) and each child's failure, so
nothing is left out.

${reasonsHelp()}

Examples:
  $ cxr failures study.zip
  $ cxr failures ingest-3f1c...e9 --json | jq -r '.problems[] | [.index, .reason.type] | @tsv'
  $ cxr retry-failed study.zip          # re-run them once the cause is fixed

${EXIT_HELP}`,
    )
    .action(async (ref: string, opts: { failedOnly?: boolean; json?: boolean }) => {
      const { ingestId } = await resolveIngestRef(ref);
      await withClient(async (client) => {
        const view = await getIngest(client, ingestId);
        if (view.kind === 'not-found') throw new CliError(`No ingest ${ingestId}`, EXIT.notFound);
        const parentProblems =
          view.kind === 'completed'
            ? view.result.recentProblems
            : view.kind === 'running'
              ? view.progress.recentProblems
              : [];
        const all = (await listProblems(client, ingestId, { includeSkipped: true, parentProblems })).problems;
        const failed = all.filter((p) => p.status === 'failed').length;
        const skipped = all.length - failed;
        const problems = opts.failedOnly ? all.filter((p) => p.status === 'failed') : all;
        if (opts.json) {
          console.log(JSON.stringify({ ingestId, state: view.kind, failed, skipped, problems }, null, 2));
          return;
        }
        if (view.kind === 'running') console.log(`Ingest ${ingestId} is still running: entries so far.`);
        if (view.kind === 'rejected')
          console.log(`Ingest ${ingestId} was rejected as a whole: [${view.reason.type}] ${view.reason.message}`);
        console.log(`${failed} failed, ${skipped} skipped${opts.failedOnly ? ' (skipped not listed)' : ''}`);
        if (problems.length > 0) console.log(problemsTable(problems));
      });
    });
}
