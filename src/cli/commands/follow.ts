import { Command, Option } from 'commander';
import { audited } from '../../audit';
import { CliError, EXIT, EXIT_HELP } from '../exit-codes';
import { webUiUrl } from '../ingest-id';
import { getIngest } from '../ingests';
import { positiveInt } from '../options';
import { resultTable } from '../render';
import { followWorkflowId, modelOf, modelPollers, noWorkerWarning, startFollow, stopFollow } from '../stored-runs';
import { withClient } from '../with-client';
import { describeView, exitFor } from './status';

function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new CliError(`expected a sequence number >= 0, got ${v}`, EXIT.usage);
  return n;
}

const NAME_HELP = 'follower name (default: the Orthanc host:port; the workflow ID is follow-<name>)';

export function followCommand(): Command {
  const follow = new Command('follow').description(
    'Classify every chest X-ray that arrives in Orthanc (C-STORE, STOW-RS, uploads): one durable follower per server',
  );
  follow.addHelpText(
    'after',
    `
The follower reads Orthanc's change log (/changes) from a cursor kept in its workflow and runs the same
classify -> SR steps as an ingest for every new eligible instance, with the model named by --model-dir
(CXR_MODEL_DIR), routed to that model's own task queue. Our own SRs and non-chest images are never
classified; an image whose SR of this model exists is skipped. Progress: cxr follow status, or
cxr status / watch / failures follow-<host:port>.

Examples:
  $ cxr follow start
  $ cxr follow status
  $ cxr follow stop

${EXIT_HELP}`,
  );

  follow.addCommand(
    new Command('start')
      .description('Start following (resumes from where the last follower stopped; the first one starts now)')
      .option('--name <name>', NAME_HELP)
      .addOption(
        new Option('--from-seq <n>', 'read the change log after this sequence number').argParser(nonNegativeInt),
      )
      .option('--from-start', "read Orthanc's whole change log (everything already stored is considered too)")
      .addOption(new Option('--window <n>', 'children in flight at once (default 8)').argParser(positiveInt))
      .option('--json', 'print the outcome as JSON')
      .action(
        async (opts: { name?: string; fromSeq?: number; fromStart?: boolean; window?: number; json?: boolean }) => {
          await withClient(async (client, config) => {
            const model = modelOf(config.modelDir);
            const since = opts.fromStart ? 0 : opts.fromSeq;
            const workflowId = followWorkflowId(config, opts.name);
            const what = { workflowId, model: `${model.id}@${model.version}`, since: since ?? null };
            const res = await audited(config, 'follow-start', what, async (a) => {
              const r = await startFollow(client, config, {
                model,
                name: opts.name,
                since,
                options: opts.window ? { window: opts.window } : undefined,
              });
              if (r.started) a.what.since = r.since;
              else a.message = `already following (model ${r.model})`;
              return r;
            });
            const pollers = await modelPollers(client, config, model);
            if (opts.json) console.log(JSON.stringify({ ...res, modelWorkers: pollers }, null, 2));
            else if (res.started)
              console.log(
                `following: ${res.workflowId} reads ${config.orthanc.url}/changes after ${res.since} with model ${model.id}@${model.version}\n  Web UI: ${webUiUrl(config.temporal.namespace, res.workflowId)}`,
              );
            else console.log(`already following: ${res.workflowId} (model ${res.model})`);
            if (pollers === 0) console.error(`cxr: warning: ${noWorkerWarning(config, model, config.modelDir)}`);
          });
        },
      )
      .showHelpAfterError()
      .exitOverride(),
  );

  follow.addCommand(
    new Command('stop')
      .description('Stop following: in-flight images finish, the cursor is kept for the next start')
      .option('--name <name>', NAME_HELP)
      .option('--no-wait', 'signal and return at once')
      .option('--json', 'print the final accounting as JSON')
      .action(async (opts: { name?: string; wait: boolean; json?: boolean }) => {
        await withClient(async (client, config) => {
          const id = followWorkflowId(config, opts.name);
          const result = await audited(config, 'follow-stop', { workflowId: id }, async (a) => {
            const r = await stopFollow(client, id, opts.wait);
            if (r) Object.assign(a.what, { counts: { ...r.counts }, cursor: r.cursor ?? null });
            return r;
          });
          if (opts.json) console.log(JSON.stringify(result ?? { ingestId: id, state: 'stopping' }, null, 2));
          else if (result) console.log(`stopped ${id} at change ${result.cursor}\n${resultTable(result)}`);
          else console.log(`asked ${id} to stop`);
        });
      })
      .showHelpAfterError()
      .exitOverride(),
  );

  follow.addCommand(
    new Command('status')
      .description('Where the follower stands: cursor, counts, latest problems')
      .option('--name <name>', NAME_HELP)
      .option('--json', 'print the state as JSON')
      .action(async (opts: { name?: string; json?: boolean }) => {
        await withClient(async (client, config) => {
          const id = followWorkflowId(config, opts.name);
          const view = await getIngest(client, id);
          const webUi = webUiUrl(config.temporal.namespace, id);
          if (opts.json) console.log(JSON.stringify({ ...view, webUi }, null, 2));
          else if (view.kind === 'not-found') console.error(`cxr: no follower ${id} (cxr follow start)`);
          else console.log(describeView(view, webUi));
          process.exitCode = view.kind === 'running' ? EXIT.ok : exitFor(view);
        });
      })
      .showHelpAfterError()
      .exitOverride(),
  );
  return follow;
}
