/**
 * Start an ingest, or attach to the one that already exists for the same zip content.
 * Re-submitting a zip never duplicates work: the workflow ID is derived from the zip's SHA-256;
 * a running ingest is joined (USE_EXISTING), a completed one is reported, not re-run. Only a
 * failed/terminated ingest may be started again (ALLOW_DUPLICATE_FAILED_ONLY).
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  type Client,
  type WorkflowHandle,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import type { PipelineConfig } from '../config';
import { ingestZipWorkflow } from '../workflows';
import type { IngestOptions } from '../workflows/types';
import { displayName, ingestWorkflowId, sha256File } from './ingest-id';
import { jobPriority } from './job-priority';

export interface StartedIngest {
  handle: WorkflowHandle<typeof ingestZipWorkflow>;
  ingestId: string;
  zipPath: string;
  zipSha256: string;
  /** False when an ingest for this zip already existed (running or finished) and we attached. */
  started: boolean;
  /** When attached: the existing ingest's status and times (for the operator's message). */
  existing?: ExistingIngest;
}

export interface ExistingIngest {
  status: string;
  startTime: Date;
  closeTime?: Date;
}

export class InputFileError extends Error {}

export async function startOrAttachIngest(
  client: Client,
  config: PipelineConfig,
  zipArg: string,
  options: IngestOptions = {},
  idOverride?: string,
): Promise<StartedIngest> {
  const zipPath = path.resolve(zipArg);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(zipPath);
  } catch {
    throw new InputFileError(`No such file: ${zipPath}`);
  }
  if (!stat.isFile()) throw new InputFileError(`Not a file: ${zipPath}`);
  const zipSha256 = await sha256File(zipPath);
  const ingestId = idOverride ?? ingestWorkflowId(zipSha256);
  const priority = options.priority ?? 'routine';
  const args = [
    {
      zipPath,
      zipSha256,
      zipName: displayName(zipPath),
      options: { inferenceTaskQueue: config.temporal.inferenceTaskQueue, ...options, priority },
    },
  ] as const;
  // An ingest for this zip that is running or completed is joined, never started twice. Only a failed,
  // terminated or timed-out one may be started again (ALLOW_DUPLICATE_FAILED_ONLY). The describe tells
  // the operator which case applies; the server's ID policies, not this check, guarantee uniqueness.
  const existing = await existingIngest(client, ingestId);
  const st = existing?.status;
  if (st === 'RUNNING' || st === 'COMPLETED' || st === 'CONTINUED_AS_NEW') {
    return { handle: client.workflow.getHandle(ingestId), ingestId, zipPath, zipSha256, started: false, existing };
  }
  try {
    const handle = await client.workflow.start(ingestZipWorkflow, {
      taskQueue: config.temporal.taskQueue,
      workflowId: ingestId,
      args: [...args],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      staticSummary: `Ingest ${displayName(zipPath)}`,
      staticDetails: ingestStaticDetails(zipPath, zipSha256, ingestId),
      ...jobPriority(priority, ingestId),
    });
    return { handle, ingestId, zipPath, zipSha256, started: true };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      return { handle: client.workflow.getHandle(ingestId), ingestId, zipPath, zipSha256, started: false };
    }
    throw err;
  }
}

async function existingIngest(client: Client, workflowId: string): Promise<ExistingIngest | undefined> {
  try {
    const d = await client.workflow.getHandle(workflowId).describe();
    return { status: d.status.name, startTime: d.startTime, closeTime: d.closeTime };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** Shown in the Web UI's summary panel: where the zip is and the CLI commands for this ingest. */
export function ingestStaticDetails(zipPath: string, zipSha256: string, ingestId: string): string {
  return [
    `zip: \`${zipPath}\``,
    `sha256: \`${zipSha256}\``,
    `Entries are the child workflows \`${ingestId}/<index>\` (Relationships tab, or the query \`WorkflowId STARTS_WITH "${ingestId}/"\`).`,
    `CLI (the zip file works in place of the ID): \`cxr status\`, \`cxr failures\`, \`cxr retry-failed\`, \`cxr results\` \`${ingestId}\``,
  ].join('\n\n');
}
