/**
 * Reading ingests back from Temporal for the operator commands: state and counts (progress query
 * while running, result once closed, search attributes as a fallback), the complete list of failed
 * and skipped entries (visibility over the children, not the parent's bounded list), the zip
 * reference an ingest was started with (its first history event), and recent ingests.
 */
import {
  type Client,
  WorkflowFailedError,
  type WorkflowExecutionInfo,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { ApplicationFailure, TerminatedFailure, CancelledFailure, TimeoutFailure } from '@temporalio/common';
import { type Reason, toReason } from '../reasons';
import { progressQuery } from '../workflows/queries';
import * as SA from '../workflows/search-attributes';
import type { Counts, EntryOutcome, IngestInput, IngestProgress, IngestResult } from '../workflows/types';
import { LINKED_SUFFIX, type LinkedKind } from './ingest-id';

export type IngestView =
  | { kind: 'running'; ingestId: string; progress: IngestProgress; source: 'query' | 'search-attributes' }
  | { kind: 'completed'; ingestId: string; result: IngestResult }
  | { kind: 'rejected'; ingestId: string; reason: Reason; progress?: IngestProgress }
  | { kind: 'not-found'; ingestId: string };

/** Visibility query strings: quote a value. */
export function q(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]);
}

/** Counts and state from the search attributes (when no worker answers the progress query). */
export function progressFromSearchAttributes(
  info: Pick<WorkflowExecutionInfo, 'workflowId' | 'typedSearchAttributes' | 'status' | 'startTime' | 'closeTime'>,
): IngestProgress {
  const sa = info.typedSearchAttributes;
  const total = Number(sa.get(SA.TOTAL) ?? 0);
  const done = Number(sa.get(SA.DONE) ?? 0);
  const failed = Number(sa.get(SA.FAILED) ?? 0);
  const state = String(sa.get(SA.STATE) ?? 'running');
  const closed = info.status.name === 'COMPLETED';
  const counts: Counts = { total, done, failed, skipped: closed ? Math.max(0, total - done - failed) : 0 };
  return {
    ingestId: info.workflowId,
    zipName: String(sa.get(SA.ZIP_NAME) ?? ''),
    zipSha256: String(sa.get(SA.ZIP_SHA256) ?? ''),
    state: state as IngestProgress['state'],
    counts,
    inFlight: 0,
    runs: 0,
    startedAt: info.startTime.toISOString(),
    updatedAt: (info.closeTime ?? new Date()).toISOString(),
    recentProblems: [],
    problemsDropped: 0,
    retryOf: (sa.get(SA.RETRY_OF) as string | undefined) ?? undefined,
  };
}

/** Workflows that account for their entries like an ingest: zips, the Orthanc follower, reprocess runs. */
export const RUN_TYPES: ReadonlySet<string> = new Set([
  'ingestZipWorkflow',
  'followOrthancWorkflow',
  'reprocessWorkflow',
]);

/** Where an ingest stands, whether it is running (needs a worker for the live query) or long finished. */
export async function getIngest(
  client: Client,
  ingestId: string,
  opts: { queryTimeoutMs?: number } = {},
): Promise<IngestView> {
  const handle = client.workflow.getHandle(ingestId);
  let info: Awaited<ReturnType<typeof handle.describe>>;
  try {
    info = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { kind: 'not-found', ingestId };
    throw err;
  }
  if (!RUN_TYPES.has(info.type)) return { kind: 'not-found', ingestId };
  switch (info.status.name) {
    case 'RUNNING':
      try {
        const progress = await withTimeout(handle.query(progressQuery), opts.queryTimeoutMs ?? 5000);
        return { kind: 'running', ingestId, progress, source: 'query' };
      } catch {
        // No worker polling (or between runs): the search attributes hold the last published counts.
        return { kind: 'running', ingestId, progress: progressFromSearchAttributes(info), source: 'search-attributes' };
      }
    case 'COMPLETED':
      return { kind: 'completed', ingestId, result: (await handle.result()) as IngestResult };
    default: {
      let reason = reasonForStatus(info.status.name);
      try {
        await handle.result();
      } catch (err) {
        reason = failureReason(err) ?? reason;
      }
      return { kind: 'rejected', ingestId, reason, progress: progressFromSearchAttributes(info) };
    }
  }
}

/** Type + message of a closed workflow's failure (ApplicationFailure type, or terminated / timed out / cancelled). */
export function failureReason(err: unknown): Reason | undefined {
  if (!(err instanceof WorkflowFailedError)) return undefined;
  const c = err.cause;
  if (c instanceof ApplicationFailure) return toReason(c.type, c.message);
  if (c instanceof TerminatedFailure)
    return { type: 'Terminated', message: `terminated: ${c.message || 'no reason given'}` };
  if (c instanceof TimeoutFailure) return { type: 'TimedOut', message: `timed out (${c.timeoutType})` };
  if (c instanceof CancelledFailure) return { type: 'Cancelled', message: 'cancelled' };
  return toReason(undefined, c?.message ?? err.message);
}

/** The reason for a closed workflow from its status alone (when its result cannot be read). */
export function reasonForStatus(status: string): Reason {
  const message = `the ingest workflow ended ${status.toLowerCase().replace(/_/g, ' ')}`;
  switch (status) {
    case 'TERMINATED':
      return { type: 'Terminated', message };
    case 'TIMED_OUT':
      return { type: 'TimedOut', message };
    case 'CANCELLED':
      return { type: 'Cancelled', message };
    default:
      return toReason(status, message);
  }
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** Children of an ingest matching a visibility filter; one execution per child ID (the latest start). */
export async function listChildren(client: Client, ingestId: string, filter: string): Promise<WorkflowExecutionInfo[]> {
  const latest = new Map<string, WorkflowExecutionInfo>();
  const query = `WorkflowId STARTS_WITH ${q(ingestId + '/')} AND WorkflowType = 'processInstanceWorkflow' AND (${filter})`;
  for await (const w of client.workflow.list({ query })) {
    const prev = latest.get(w.workflowId);
    if (!prev || prev.startTime < w.startTime) latest.set(w.workflowId, w);
  }
  return [...latest.values()];
}

/** `<ingest>/<index>`; -1 for a follow/reprocess child (`<run>/<model>/<Orthanc ID>`: its outcome holds the index). */
function entryIndex(workflowId: string): number {
  const n = Number(workflowId.slice(workflowId.lastIndexOf('/') + 1));
  return Number.isInteger(n) ? n : -1;
}

/** The outcome a child reported: its result (done / skipped) or its typed failure. */
export async function childOutcome(
  client: Client,
  info: WorkflowExecutionInfo,
): Promise<EntryOutcome & { workflowId: string }> {
  const index = entryIndex(info.workflowId);
  const name = String(info.typedSearchAttributes.get(SA.ENTRY_NAME) ?? '');
  const handle = client.workflow.getHandle(info.workflowId, info.runId);
  try {
    const outcome = (await handle.result()) as EntryOutcome;
    return { ...outcome, workflowId: info.workflowId };
  } catch (err) {
    const reason = failureReason(err);
    if (!reason) throw err;
    return { index, name, status: 'failed', reason, workflowId: info.workflowId };
  }
}

export interface ProblemList {
  ingestId: string;
  problems: (EntryOutcome & { workflowId?: string })[];
}

/**
 * Every failed or skipped entry of an ingest, with its reason. Children that were terminated or timed
 * out (so never set CxrState) count as failed; entries whose child never started are taken from the
 * parent's own list. Sorted by entry index.
 */
export async function listProblems(
  client: Client,
  ingestId: string,
  opts: { includeSkipped?: boolean; parentProblems?: EntryOutcome[] } = {},
): Promise<ProblemList> {
  const states = opts.includeSkipped === false ? `'failed'` : `'failed', 'skipped'`;
  const children = await listChildren(
    client,
    ingestId,
    `CxrState IN (${states}) OR ExecutionStatus IN ('Failed', 'Terminated', 'TimedOut', 'Canceled')`,
  );
  const outcomes = await mapLimit(children, 16, (c) => childOutcome(client, c));
  const byIndex = new Map<number, EntryOutcome & { workflowId?: string }>();
  for (const o of outcomes) if (o.status !== 'done') byIndex.set(o.index, o);
  for (const o of opts.parentProblems ?? []) {
    if (!byIndex.has(o.index) && (opts.includeSkipped !== false || o.status === 'failed')) byIndex.set(o.index, o);
  }
  const problems = [...byIndex.values()].filter((o) => opts.includeSkipped !== false || o.status === 'failed');
  problems.sort((a, b) => a.index - b.index);
  return { ingestId, problems };
}

/**
 * Visibility filter of the children that ended done: older children set CxrState `done` at the end; newer ones
 * (src/workflows/process-instance.ts, `ioSteps: 'local'`) leave the `processing` they started with, and only a
 * failed or skipped entry changes it. Completed and not failed or skipped is done.
 */
export const DONE_CHILDREN = `CxrState IN ('done', 'processing') AND ExecutionStatus = 'Completed'`;

/** Outcomes of the entries that were done (Orthanc IDs, study UIDs, SR UIDs, top findings). */
export async function listDone(client: Client, ingestId: string): Promise<EntryOutcome[]> {
  const children = await listChildren(client, ingestId, DONE_CHILDREN);
  const outcomes = await mapLimit(children, 16, (c) => childOutcome(client, c));
  return outcomes.filter((o) => o.status === 'done').sort((a, b) => a.index - b.index);
}

/** The input the ingest was started with (the latest run's first event: zip path, SHA-256, options). */
export async function ingestInput(client: Client, ingestId: string): Promise<IngestInput> {
  const res = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId: ingestId },
    maximumPageSize: 1,
  });
  const first = res.history?.events?.[0];
  const attrs = first?.workflowExecutionStartedEventAttributes;
  const payload = attrs?.input?.payloads?.[0];
  if (!payload) throw new Error(`Ingest ${ingestId} has no recorded input`);
  return client.options.loadedDataConverter.payloadConverter.fromPayload<IngestInput>(payload);
}

export interface IngestListRow {
  ingestId: string;
  zipName: string;
  state: string;
  status: string;
  total: number;
  done: number;
  failed: number;
  skipped?: number;
  retryOf?: string;
  startTime: string;
  closeTime?: string;
}

/** Recent ingests, newest first, from visibility (no worker needed). */
export async function listIngests(client: Client, opts: { limit: number; filter?: string }): Promise<IngestListRow[]> {
  const query = `WorkflowType = 'ingestZipWorkflow' AND ExecutionStatus != 'ContinuedAsNew'${opts.filter ? ` AND (${opts.filter})` : ''}`;
  const rows: IngestListRow[] = [];
  for await (const w of client.workflow.list({ query, pageSize: Math.min(1000, opts.limit) })) {
    const p = progressFromSearchAttributes(w);
    const status = w.status.name;
    rows.push({
      ingestId: w.workflowId,
      zipName: p.zipName,
      state:
        status === 'RUNNING' || status === 'COMPLETED' || p.state === 'rejected'
          ? p.state
          : status.toLowerCase().replace(/_/g, ' '),
      status,
      total: p.counts.total,
      done: p.counts.done,
      failed: p.counts.failed,
      skipped: status === 'COMPLETED' ? p.counts.skipped : undefined,
      retryOf: p.retryOf,
      startTime: w.startTime.toISOString(),
      closeTime: w.closeTime?.toISOString(),
    });
    if (rows.length >= opts.limit) break;
  }
  rows.sort((a, b) => (a.startTime < b.startTime ? 1 : a.startTime > b.startTime ? -1 : 0));
  return rows;
}

/**
 * The next free linked-ingest ID: `<root>-<kind>-<n>` (root: the ingest's ID without linked suffixes), for
 * `retry-failed` (retry), `verify --repair` (repair) and `ingest --again` (again).
 */
export async function nextRetryId(
  client: Client,
  ingestId: string,
  kind: LinkedKind = 'retry',
): Promise<{ root: string; next: number }> {
  const root = ingestId.replace(LINKED_SUFFIX, '');
  let max = 0;
  const re = new RegExp(`^${root.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}-${kind}-(\\d+)$`);
  for await (const w of client.workflow.list({
    query: `WorkflowId STARTS_WITH ${q(`${root}-${kind}-`)} AND WorkflowType = 'ingestZipWorkflow'`,
  })) {
    const m = re.exec(w.workflowId);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return { root, next: max + 1 };
}
