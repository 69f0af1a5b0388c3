import fs from 'node:fs';
import { Command } from 'commander';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { CliError, EXIT, EXIT_HELP } from '../exit-codes';
import { historyFromJson, type ExportedHistory } from '../history-json';
import { q } from '../ingests';
import { withClient } from '../with-client';

/** Fetched from Temporal (decoded) or read from a file (proto-JSON, decoded by the SDK's replay). */
type History = temporal.api.history.v1.IHistory | ExportedHistory;

interface RunReplay {
  workflowId: string;
  runId: string;
  events: number;
  ok: boolean;
  nondeterminism: boolean;
  error?: string;
}

function quietRuntime(): void {
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // already installed
  }
}

export function replayCommand(): Command {
  return new Command('replay')
    .description(
      "Replay a workflow's history against the current workflow code to catch non-determinism before deploying",
    )
    .argument(
      '[workflow-id]',
      'workflow ID (an ingest or an entry like <ingest>/7); every run of a continue-as-new chain is replayed',
    )
    .option('--run-id <id>', 'replay only this run')
    .option('--history-file <file>', 'replay an exported history instead (JSON from `temporal workflow show -o json`)')
    .option('--json', 'print one result per run as JSON')
    .addHelpText(
      'after',
      `
Bundles the workflows from this build (src/workflows) and runs Worker.runReplayHistory over each
history: a workflow code change that would break running workflows fails here with a
DeterminismViolationError. Run it in CI against histories of real ingests before upgrading workers.

Examples:
  $ cxr replay ingest-3f1c...e9
  $ cxr replay ingest-3f1c...e9/12
  $ temporal workflow show -w ingest-3f1c...e9 -o json > h.json && cxr replay --history-file h.json

${EXIT_HELP}`,
    )
    .action(async (workflowId: string | undefined, opts: { runId?: string; historyFile?: string; json?: boolean }) => {
      const histories: { workflowId: string; runId: string; history: History }[] = [];
      if (opts.historyFile) {
        let raw: unknown;
        try {
          raw = JSON.parse(fs.readFileSync(opts.historyFile, 'utf8'));
        } catch (err) {
          throw new CliError(`Cannot read history file ${opts.historyFile}: ${(err as Error).message}`, EXIT.usage);
        }
        let history: ExportedHistory;
        try {
          history = historyFromJson(raw);
        } catch (err) {
          throw new CliError(`${opts.historyFile} is not a workflow history: ${(err as Error).message}`, EXIT.usage);
        }
        histories.push({ workflowId: workflowId ?? 'history-file', runId: opts.historyFile, history });
      } else {
        if (!workflowId) throw new CliError('Name a workflow ID or pass --history-file', EXIT.usage);
        await withClient(async (client) => {
          const runs: { runId: string; start: number }[] = [];
          if (opts.runId) runs.push({ runId: opts.runId, start: 0 });
          else
            for await (const w of client.workflow.list({ query: `WorkflowId = ${q(workflowId)}` }))
              runs.push({ runId: w.runId, start: w.startTime.getTime() });
          if (runs.length === 0) throw new CliError(`No workflow ${workflowId}`, EXIT.notFound);
          runs.sort((a, b) => a.start - b.start);
          for (const r of runs)
            histories.push({
              workflowId,
              runId: r.runId,
              history: await client.workflow.getHandle(workflowId, r.runId).fetchHistory(),
            });
        });
      }
      quietRuntime();
      const results: RunReplay[] = [];
      // One bundle of the current workflow code for every history (bundling takes a few seconds).
      const workflowBundle = await bundleWorkflowCode({
        workflowsPath: require.resolve('../../workflows'),
        logger: new DefaultLogger('ERROR'),
      });
      let i = 0;
      for await (const r of Worker.runReplayHistories(
        { workflowBundle, replayName: 'cxr-replay' },
        histories.map((h) => ({ workflowId: h.workflowId, history: h.history })),
      )) {
        const h = histories[i++];
        const base = { workflowId: h.workflowId, runId: h.runId || r.runId, events: h.history.events?.length ?? 0 };
        if (!r.error) results.push({ ...base, ok: true, nondeterminism: false });
        else
          results.push({
            ...base,
            ok: false,
            nondeterminism: r.error instanceof DeterminismViolationError,
            error: `${r.error.name}: ${r.error.message}`,
          });
      }
      if (opts.json) console.log(JSON.stringify(results, null, 2));
      else {
        for (const r of results) {
          console.log(
            `${r.ok ? 'ok  ' : 'FAIL'}  ${r.workflowId}  run ${r.runId}  (${r.events} events)${r.ok ? '' : `\n      ${r.nondeterminism ? 'NON-DETERMINISM: ' : ''}${r.error}`}`,
          );
        }
        const bad = results.filter((r) => !r.ok).length;
        console.log(
          bad === 0
            ? `All ${results.length} run(s) replay deterministically against the current workflow code.`
            : `${bad} of ${results.length} run(s) failed to replay.`,
        );
      }
      process.exitCode = results.every((r) => r.ok) ? EXIT.ok : EXIT.checkFailed;
    });
}
