import { Command, Option } from 'commander';
import { EXIT_HELP } from '../exit-codes';
import { listIngests, q } from '../ingests';
import { positiveInt } from '../options';
import { ingestListTable } from '../render';
import { withClient } from '../with-client';

export function listCommand(): Command {
  return new Command('list')
    .description('List recent ingests (newest first) with their state and counts, from Temporal visibility')
    .addOption(new Option('--limit <n>', 'at most this many').argParser(positiveInt).default(20))
    .option('--zip <name>', 'only ingests of a zip with this file name (CxrZipName)')
    .option('--state <state>', 'only ingests in this state: listing | running | completed | rejected (CxrState)')
    .option('--retries-of <ingest-id>', 'only the retries of this ingest (CxrRetryOf)')
    .option('--query <visibility-query>', 'any extra visibility filter, ANDed (e.g. "CxrFailed > 0")')
    .option('--json', 'print the rows as JSON')
    .addHelpText(
      'after',
      `
Counts come from the search attributes the workflow publishes (CxrTotal, CxrDone, CxrFailed; skipped
is shown once an ingest completed). Needs no worker.

Examples:
  $ cxr list
  $ cxr list --zip study.zip --json
  $ cxr list --query "CxrFailed > 0" --limit 50

${EXIT_HELP}`,
    )
    .action(
      async (opts: {
        limit: number;
        zip?: string;
        state?: string;
        retriesOf?: string;
        query?: string;
        json?: boolean;
      }) => {
        const filters: string[] = [];
        if (opts.zip) filters.push(`CxrZipName = ${q(opts.zip)}`);
        if (opts.state) filters.push(`CxrState = ${q(opts.state)}`);
        if (opts.retriesOf) filters.push(`CxrRetryOf = ${q(opts.retriesOf)}`);
        if (opts.query) filters.push(`(${opts.query})`);
        await withClient(async (client) => {
          const rows = await listIngests(client, { limit: opts.limit, filter: filters.join(' AND ') || undefined });
          console.log(opts.json ? JSON.stringify(rows, null, 2) : ingestListTable(rows));
        });
      },
    );
}
