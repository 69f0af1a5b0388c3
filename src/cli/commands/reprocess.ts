import path from 'node:path';
import { Command, Option } from 'commander';
import { audited, auditReport } from '../../audit';
import { CliError, EXIT, EXIT_HELP } from '../exit-codes';
import { watchIngest } from '../watch-ingest';
import { webUiUrl } from '../ingest-id';
import { priorityOption } from '../job-priority';
import { positiveInt } from '../options';
import type { WorkPriority } from '../../priority';
import { modelOf, modelPollers, noWorkerWarning, scopeKey, startReprocess } from '../stored-runs';
import { withClient } from '../with-client';
import type { IngestResult, ReprocessScope } from '../../workflows/types';

/** YYYY-MM-DD or YYYYMMDD -> YYYYMMDD (a DICOM DA). */
export function parseDate(v: string): string {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(v);
  if (!m) throw new CliError(`--since expects a date YYYY-MM-DD, got ${v}`, EXIT.usage);
  return `${m[1]}${m[2]}${m[3]}`;
}

export function reprocessCommand(): Command {
  return new Command('reprocess')
    .description('Classify the images already in Orthanc with a model, where that model version has no SR yet')
    .option('--model-dir <dir>', 'the model to run (default CXR_MODEL_DIR / models/demo-cxr)')
    .option('--study <uid>', 'only this study (Study Instance UID)')
    .option('--since <date>', 'only studies dated on or after this day (YYYY-MM-DD)')
    .option('--all', 'every instance in Orthanc')
    .option('--dry-run', 'count what would be processed and what is already current; change nothing')
    .addOption(new Option('--window <n>', 'children in flight at once (default 8)').argParser(positiveInt))
    .addOption(priorityOption('backfill', 'backfill (default: behind live images and ingests), routine or urgent'))
    .option('--no-wait', 'start and return at once (prints the workflow ID)')
    .option('--json', 'print the accounting as JSON; no progress bar')
    .addHelpText(
      'after',
      `
A durable workflow (reprocess-<model id>@<version>-<scope>) pages through the instances in scope, skips
our own SRs and non-chest images, looks up the SR UID derived from the image and the model version,
and classifies only where it is missing. The classify steps go to the model's own task queue: run a
worker with that model (CXR_MODEL_DIR=<dir>; CXR_WORKER_ROLE=model next to the current one). Running it
again stores nothing; re-running the command while it runs attaches to it.

Examples:
  $ cxr reprocess --model-dir models/demo-cxr-v2 --all --dry-run
  $ cxr reprocess --model-dir models/demo-cxr-v2 --all
  $ cxr reprocess --study 1.2.826.0.1.3680043.8.498.1234
  $ cxr reprocess --since 2026-11-01 --no-wait

${EXIT_HELP}`,
    )
    .action(
      async (opts: {
        modelDir?: string;
        study?: string;
        since?: string;
        all?: boolean;
        dryRun?: boolean;
        window?: number;
        priority: WorkPriority;
        wait: boolean;
        json?: boolean;
      }) => {
        const chosen = [opts.study, opts.since, opts.all].filter((v) => v !== undefined && v !== false);
        if (chosen.length !== 1) throw new CliError('name exactly one of --study UID, --since DATE, --all', EXIT.usage);
        const scope: ReprocessScope = opts.study
          ? { study: opts.study }
          : opts.since
            ? { since: parseDate(opts.since) }
            : { all: true };
        await withClient(async (client, config) => {
          // --model-dir after the command name lands here; before it, in the global flags (config.modelDir).
          const modelDir = opts.modelDir ? path.resolve(opts.modelDir) : config.modelDir;
          const model = modelOf(modelDir);
          const what = {
            model: `${model.id}@${model.version}`,
            scope: scopeKey(scope),
            studyInstanceUid: scope.study,
            dryRun: Boolean(opts.dryRun),
          };
          await audited(config, 'reprocess', what, async (a) => {
            if (!opts.dryRun && (await modelPollers(client, config, model)) === 0)
              console.error(`cxr: warning: ${noWorkerWarning(config, model, modelDir)}`);
            const id = await startReprocess(client, config, {
              model,
              scope,
              dryRun: opts.dryRun,
              options: opts.window ? { window: opts.window } : undefined,
              priority: opts.priority,
            });
            a.what.workflowId = id;
            if (!opts.json) console.error(`reprocess ${id}\n  Web UI: ${webUiUrl(config.temporal.namespace, id)}`);
            if (!opts.wait) {
              console.log(opts.json ? JSON.stringify({ workflowId: id }) : id);
              return;
            }
            const followed = await watchIngest(client, id, { json: opts.json });
            auditReport(a, followed);
            const r = followed.report as IngestResult;
            if (opts.json) console.log(JSON.stringify(followed.report, null, 2));
            else if (opts.dryRun)
              console.log(
                `dry run: ${r.pending ?? 0} instance(s) would be processed with ${model.id}@${model.version}, ${r.current ?? 0} already current, ${r.counts.skipped - (r.current ?? 0)} not eligible`,
              );
            process.exitCode = followed.exit;
          });
        });
      },
    );
}
