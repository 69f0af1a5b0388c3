import { Command, Option } from 'commander';
import { deliveriesTable, deliveryDetailText, listDeliveries, studyDeliveries } from '../deliveries';
import { CliError, EXIT, EXIT_HELP } from '../exit-codes';
import { positiveInt } from '../options';
import { withClient } from '../with-client';

export function deliveriesCommand(): Command {
  const cmd = new Command('deliveries')
    .description("Where each completed study's result went: per-sink state and the receiver's receipt")
    .addOption(new Option('--limit <n>', 'at most this many').argParser(positiveInt).default(20))
    .option('--study <study-instance-uid>', 'only the deliveries of this study')
    .option('--state <state>', 'delivering | delivered | partly-delivered | failed | no-sinks (CxrState)')
    .option('--sink <sink=state>', 'only deliveries with this sink state, e.g. fhir=failed (CxrDeliveries)')
    .option('--json', 'print the rows as JSON')
    .addHelpText(
      'after',
      `
A delivery is the workflow deliver/<study UID>/<completion>, started when a study completes: one message per
configured sink (webhook, hl7, fhir), each with a stable message id, retried for 24 hours while its receiver
is down. The list reads visibility only (CxrState, CxrDeliveries, the memo's receipts): no worker needed.

Examples:
  $ cxr deliveries
  $ cxr deliveries --sink fhir=failed
  $ cxr deliveries show 1.2.826.0.1.3680043.8.498.1

${EXIT_HELP}`,
    )
    .action(async (opts: { limit: number; study?: string; state?: string; sink?: string; json?: boolean }) => {
      await withClient(async (client) => {
        const rows = await listDeliveries(client, opts, opts.limit);
        console.log(opts.json ? JSON.stringify(rows, null, 2) : deliveriesTable(rows));
      });
    });
  cmd.addCommand(
    new Command('show')
      .description("One study's deliveries in full: message ids, receipts, attempts, the last error of a retrying sink")
      .argument('<study-instance-uid>')
      .option('--json', 'print them as JSON')
      .action(async (study: string, opts: { json?: boolean }) => {
        await withClient(async (client) => {
          const details = await studyDeliveries(client, study);
          if (details.length === 0 && !opts.json)
            throw new CliError(
              `no delivery of study ${study} (none completed yet, or retention expired)`,
              EXIT.notFound,
            );
          console.log(opts.json ? JSON.stringify(details, null, 2) : deliveryDetailText(details));
        });
      }),
  );
  return cmd;
}
