/**
 * Starting and stopping the runs over instances already in Orthanc (`cxr follow`, `cxr reprocess`): workflow IDs,
 * the model a run is pinned to (read from the model folder's manifest), the cursor a follower resumes from, and a check
 * that some worker has that model loaded.
 */
import { createHash } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { modelTaskQueue, type PipelineConfig } from '../config';
import { readManifest } from '../inference/manifest';
import { OrthancClient } from '../orthanc/client';
import { followOrthancWorkflow, reprocessWorkflow } from '../workflows';
import { stopSignal } from '../workflows/follow-orthanc';
import { progressQuery } from '../workflows/queries';
import type {
  FollowInput,
  IngestResult,
  ModelRef,
  ReprocessInput,
  ReprocessScope,
  StoredRunOptions,
} from '../workflows/types';
import type { WorkPriority } from '../priority';
import { CliError, EXIT } from './exit-codes';
import { jobPriority } from './job-priority';
import { listProblems } from './ingests';

export function modelOf(modelDir: string): ModelRef {
  try {
    const m = readManifest(modelDir);
    return { id: m.id, version: m.version, accepts: m.accepts };
  } catch (err) {
    throw new CliError(`cannot read the model in ${modelDir}: ${(err as Error).message}`, EXIT.usage);
  }
}

/** `follow-<host:port>` of the Orthanc this CLI talks to, or `follow-<name>`. */
export function followWorkflowId(config: PipelineConfig, name?: string): string {
  return `follow-${name ?? new URL(config.orthanc.url).host}`;
}

/** Number of workers polling the model's own task queue for activities. */
export async function modelPollers(client: Client, config: PipelineConfig, model: ModelRef): Promise<number> {
  const res = await client.workflowService.describeTaskQueue({
    namespace: config.temporal.namespace,
    taskQueue: { name: modelTaskQueue(config.temporal.inferenceTaskQueue, model) },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  return res.pollers?.length ?? 0;
}

export function noWorkerWarning(config: PipelineConfig, model: ModelRef, modelDir: string): string {
  return (
    `no worker polls ${modelTaskQueue(config.temporal.inferenceTaskQueue, model)} yet: classify steps wait until one ` +
    `with model ${model.id}@${model.version} runs, e.g.\n  CXR_MODEL_DIR=${modelDir} CXR_WORKER_ROLE=model node dist/src/worker.js`
  );
}

export type FollowStart =
  | { started: true; workflowId: string; since: number; model: ModelRef }
  | { started: false; workflowId: string; model: string; reason: 'already-following' };

export async function startFollow(
  client: Client,
  config: PipelineConfig,
  opts: { model: ModelRef; name?: string; since?: number; options?: StoredRunOptions },
): Promise<FollowStart> {
  const workflowId = followWorkflowId(config, opts.name);
  const handle = client.workflow.getHandle(workflowId);
  let previousCursor: number | undefined;
  try {
    const info = await handle.describe();
    if (info.status.name === 'RUNNING') {
      const p = await handle.query(progressQuery).catch(() => undefined);
      const key = `${opts.model.id}@${opts.model.version}`;
      if (p?.model !== undefined && p.model !== key) {
        throw new CliError(
          `${workflowId} is running with model ${p.model}; stop it first (cxr follow stop), then start it with ${key}`,
          EXIT.usage,
        );
      }
      return { started: false, workflowId, model: p?.model ?? key, reason: 'already-following' };
    }
    if (info.status.name === 'COMPLETED') previousCursor = ((await handle.result()) as IngestResult).cursor;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
  }
  // Resume where the last follower stopped (nothing that arrived meanwhile is missed); the first start begins now.
  const since = opts.since ?? previousCursor ?? (await new OrthancClient(config.orthanc).getLastChangeSeq());
  const input: FollowInput = {
    label: `follow ${config.orthanc.url} with ${opts.model.id}@${opts.model.version}`,
    model: opts.model,
    inferenceTaskQueue: modelTaskQueue(config.temporal.inferenceTaskQueue, opts.model),
    since,
    options: opts.options,
    // Images arriving from the modalities: served before every ingest and reprocess (src/priority.ts).
    priority: 'urgent',
  };
  await client.workflow.start(followOrthancWorkflow, {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args: [input],
    workflowIdConflictPolicy: 'FAIL',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    ...jobPriority('urgent', workflowId),
    staticSummary: input.label,
    staticDetails: `Reads ${config.orthanc.url}/changes from sequence ${since}.\n\nCLI: \`cxr follow status\` · \`cxr follow stop\``,
  });
  return { started: true, workflowId, since, model: opts.model };
}

/** Ask the follower to stop (it finishes its in-flight children) and wait for its final accounting. */
export async function stopFollow(client: Client, workflowId: string, wait = true): Promise<IngestResult | undefined> {
  const handle = client.workflow.getHandle(workflowId);
  try {
    const info = await handle.describe();
    if (info.status.name !== 'RUNNING') return info.status.name === 'COMPLETED' ? handle.result() : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new CliError(`No follower ${workflowId}`, EXIT.notFound);
    throw err;
  }
  await handle.signal(stopSignal);
  return wait ? ((await handle.result()) as IngestResult) : undefined;
}

export function scopeKey(scope: ReprocessScope): string {
  if (scope.study) return `study-${scope.study}`;
  if (scope.since) return `since-${scope.since}`;
  if (scope.instances) return `instances-${scope.instances.length}`;
  return 'all';
}

/** Start (or attach to the running) reprocess of `scope` with `model`. */
export async function startReprocess(
  client: Client,
  config: PipelineConfig,
  opts: {
    model: ModelRef;
    scope: ReprocessScope;
    dryRun?: boolean;
    options?: StoredRunOptions;
    workflowId?: string;
    /** Default backfill: the archive waits behind live arrivals and ingests (src/priority.ts). */
    priority?: WorkPriority;
  },
): Promise<string> {
  const key = `${opts.model.id}@${opts.model.version}`;
  const workflowId = opts.workflowId ?? `reprocess-${key}-${scopeKey(opts.scope)}${opts.dryRun ? '-dry-run' : ''}`;
  const input: ReprocessInput = {
    label: `reprocess ${scopeKey(opts.scope)} with ${key}${opts.dryRun ? ' (dry run)' : ''}`,
    model: opts.model,
    inferenceTaskQueue: modelTaskQueue(config.temporal.inferenceTaskQueue, opts.model),
    scope: opts.scope,
    dryRun: opts.dryRun,
    offset: 0,
    options: opts.options,
    priority: opts.priority ?? 'backfill',
  };
  await startReprocessRun(client, config, workflowId, input);
  return workflowId;
}

/**
 * Starts a reprocess run. A running one with the same ID (same scope and model, or the same retry) is attached to; a
 * finished one runs again (and finds the SRs).
 */
async function startReprocessRun(
  client: Client,
  config: PipelineConfig,
  workflowId: string,
  input: ReprocessInput,
): Promise<void> {
  await client.workflow.start(reprocessWorkflow, {
    taskQueue: config.temporal.taskQueue,
    workflowId,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    ...jobPriority(input.priority ?? 'routine', workflowId),
    staticSummary: input.label,
  });
}

/** The input a follow or reprocess run was started with (its latest run's first history event). */
async function storedRunInput(client: Client, workflowId: string): Promise<FollowInput | ReprocessInput> {
  const res = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId },
    maximumPageSize: 1,
  });
  const payload = res.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new CliError(`${workflowId} has no recorded input`, EXIT.notFound);
  return client.options.loadedDataConverter.payloadConverter.fromPayload<FollowInput | ReprocessInput>(payload);
}

/**
 * `cxr retry-failed` for a follow or reprocess run: a reprocess over exactly the instances whose child failed (or was
 * skipped, with includeSkipped), with the same model and routing as the original. Its ID is derived from the run and
 * the instance list, so repeating the command attaches to a running retry. Returns null when nothing failed.
 */
export async function retryStoredRun(
  client: Client,
  config: PipelineConfig,
  runId: string,
  opts: { includeSkipped?: boolean; window?: number },
): Promise<{ workflowId: string; instances: string[] } | null> {
  const { problems } = await listProblems(client, runId, { includeSkipped: Boolean(opts.includeSkipped) });
  // Children are <run>/<model>@<version>/<Orthanc instance ID>; the run's own list (which visibility may lag behind)
  // records the Orthanc ID of each problem too. Instances already reported are never worth a retry.
  const progress = await client.workflow
    .getHandle(runId)
    .query(progressQuery)
    .catch(() => undefined);
  const fromRun = (progress?.recentProblems ?? [])
    .filter((p) => p.reason?.type !== 'AlreadyReported' && (p.status === 'failed' || opts.includeSkipped))
    .map((p) => p.orthancId);
  const fromChildren = problems
    .filter((p) => p.reason?.type !== 'AlreadyReported')
    .map((p) => p.workflowId?.split('/')[2]);
  const instances = [...new Set([...fromChildren, ...fromRun].filter((id): id is string => Boolean(id)))].sort();
  if (instances.length === 0) return null;
  const orig = await storedRunInput(client, runId);
  const digest = createHash('sha256').update(instances.join(',')).digest('hex').slice(0, 12);
  const workflowId = `${runId}-retry-${digest}`;
  const input: ReprocessInput = {
    label: `retry of ${runId}: ${instances.length} instance(s) with ${orig.model.id}@${orig.model.version}`,
    model: orig.model,
    inferenceTaskQueue: orig.inferenceTaskQueue,
    scope: { instances },
    offset: 0,
    options: { ...orig.options, ...(opts.window ? { window: opts.window } : {}) },
    // A retry of a follower's failures is no longer live traffic; a reprocess's retry stays backfill.
    priority: orig.priority === 'backfill' ? 'backfill' : 'routine',
  };
  await startReprocessRun(client, config, workflowId, input);
  return { workflowId, instances };
}
