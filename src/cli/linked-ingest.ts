/**
 * Ingests linked to an earlier one: `retry-failed` (<root>-retry-<n>), `verify --repair` (<root>-repair-<n>) and
 * `ingest --again` (<root>-again-<n>). Each is an ingest workflow of its own (its own Web UI page and history),
 * whose CxrRetryOf search attribute and result's `retryOf` name the ingest it came from.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { PipelineConfig } from '../config';
import { ingestZipWorkflow } from '../workflows';
import type { IngestInput, IngestOptions } from '../workflows/types';
import { CliError, EXIT } from './exit-codes';
import { LINKED_SUFFIX, type LinkedKind, sha256File, webUiUrl } from './ingest-id';
import { ingestInput, nextRetryId, q } from './ingests';
import { jobPriority } from './job-priority';

/**
 * The zip an earlier ingest read, or the operator's `--zip` replacement (same content, checked by SHA-256).
 * A linked ingest of a zip that is no longer there would only retry ZipMissing for hours: refuse it now.
 */
export async function zipOfIngest(
  client: Client,
  ingestId: string,
  zipOverride?: string,
): Promise<{ orig: IngestInput; zipPath: string }> {
  const orig = await ingestInput(client, ingestId);
  let zipPath = orig.zipPath;
  if (zipOverride) {
    zipPath = path.resolve(zipOverride);
    const sha = await sha256File(zipPath).catch(() => {
      throw new CliError(`Cannot read ${zipPath}`, EXIT.usage);
    });
    if (sha !== orig.zipSha256)
      throw new CliError(`${zipPath} is not the zip of ${ingestId} (SHA-256 ${sha})`, EXIT.usage);
  } else if (!fs.existsSync(zipPath)) {
    throw new CliError(
      `The zip of ${ingestId} is no longer at ${zipPath}: pass its new location with --zip <path>`,
      EXIT.usage,
    );
  }
  return { orig, zipPath };
}

/** Linked ingests of `ingestId` of this kind that are still running (visibility; newest first). */
export async function runningLinked(client: Client, ingestId: string, kind: LinkedKind): Promise<string[]> {
  const ids: string[] = [];
  const query =
    `WorkflowType = 'ingestZipWorkflow' AND ExecutionStatus = 'Running' AND CxrRetryOf = ${q(ingestId)}` +
    ` AND WorkflowId STARTS_WITH ${q(`${ingestId.replace(LINKED_SUFFIX, '')}-${kind}-`)}`;
  for await (const w of client.workflow.list({ query })) ids.push(w.workflowId);
  return ids;
}

/**
 * Start `<root>-<kind>-<n>` (n = next free number) over the same zip, linked to `of`. The ID is taken with
 * REJECT_DUPLICATE, so two operators racing each get their own number and no ID ever names two executions.
 */
export async function startLinkedIngest(
  client: Client,
  config: PipelineConfig,
  req: {
    kind: LinkedKind;
    of: string;
    orig: IngestInput;
    zipPath: string;
    options: IngestOptions;
    summary: (n: number) => string;
    details: string;
  },
): Promise<string> {
  const input: IngestInput = {
    zipPath: req.zipPath,
    zipSha256: req.orig.zipSha256,
    zipName: req.orig.zipName,
    options: {
      limits: req.orig.options?.limits,
      pageSize: req.orig.options?.pageSize,
      continueAsNewEvery: req.orig.options?.continueAsNewEvery,
      window: req.orig.options?.window,
      inferenceTaskQueue: config.temporal.inferenceTaskQueue,
      priority: req.orig.options?.priority,
      ...(Object.fromEntries(Object.entries(req.options).filter(([, v]) => v !== undefined)) as IngestOptions),
      retryOf: req.of,
    },
  };
  const { root, next: first } = await nextRetryId(client, req.of, req.kind);
  for (let next = first, attempt = 0; ; next++, attempt++) {
    const id = `${root}-${req.kind}-${next}`;
    try {
      await client.workflow.start(ingestZipWorkflow, {
        taskQueue: config.temporal.taskQueue,
        workflowId: id,
        args: [input],
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        // At the level of the ingest it comes from; its own fairness key (a retry does not share its parent's turn).
        ...jobPriority(input.options?.priority ?? 'routine', id),
        staticSummary: req.summary(next),
        staticDetails:
          `${req.kind === 'retry' ? 'Retry' : req.kind === 'repair' ? 'Repair' : 'Re-run'} of ` +
          `[${req.of}](${webUiUrl(config.webUiUrl, config.temporal.namespace, req.of)}).\n\n${req.details}\n\n` +
          `zip: \`${req.zipPath}\`\n\nsha256: \`${req.orig.zipSha256}\`\n\n` +
          `CLI: \`cxr status ${id}\` · \`cxr failures ${id}\` · \`cxr verify ${id}\``,
      });
      return id;
    } catch (err) {
      // Visibility lags a little behind starts: take the next number.
      if (err instanceof WorkflowExecutionAlreadyStartedError && attempt < 20) continue;
      throw err;
    }
  }
}
