/**
 * Sources of "entries recorded as done" for `cxr verify`. A zip ingest (and its retries, repairs and re-runs)
 * records each entry in its child workflow `<ingest>/<index>`: visibility lists the done ones page by page, and
 * each child's result (its close event, one small history read) holds the UIDs, the Orthanc ID and the
 * fingerprint. Nothing is listed up front: the pages stream through verify's window.
 * Follow and reprocess runs can add their own source yielding EntryLoaders the same way.
 */
import type { Client } from '@temporalio/client';
import * as SA from '../workflows/search-attributes';
import type { EntryOutcome } from '../workflows/types';
import type { EntryLoader, RecordedEntry } from '../verify/verify';
import { DONE_CHILDREN, q } from './ingests';

const PAGE = 500;

/** The done entries of a zip ingest, one loader per child (each child ID once, whatever its executions). */
export async function* zipIngestDoneEntries(client: Client, ingestId: string): AsyncGenerator<EntryLoader> {
  const query =
    `WorkflowId STARTS_WITH ${q(ingestId + '/')} AND WorkflowType = 'processInstanceWorkflow'` +
    ` AND ${DONE_CHILDREN}`;
  const seen = new Set<number>();
  for await (const w of client.workflow.list({ query, pageSize: PAGE })) {
    const rest = w.workflowId.slice(ingestId.length + 1);
    if (!/^\d+$/.test(rest)) continue; // a child of a linked ingest (<ingest>-retry-1/…) is not ours
    const index = Number(rest);
    if (seen.has(index)) continue;
    seen.add(index);
    const name = String(w.typedSearchAttributes.get(SA.ENTRY_NAME) ?? '');
    yield {
      index,
      name,
      load: () => loadDoneEntry(client, w.workflowId, w.runId),
    };
  }
}

/**
 * The done entries of a follow or reprocess run: its children are `<run>/<model id>@<version>/<Orthanc instance ID>`
 * (src/workflows/stored-run.ts), numbered here in listing order; each child's result holds the UIDs and IDs.
 */
export async function* storedRunDoneEntries(client: Client, runId: string): AsyncGenerator<EntryLoader> {
  const query =
    `WorkflowId STARTS_WITH ${q(runId + '/')} AND WorkflowType = 'processInstanceWorkflow'` + ` AND ${DONE_CHILDREN}`;
  const seen = new Set<string>();
  for await (const w of client.workflow.list({ query, pageSize: PAGE })) {
    if (w.workflowId.slice(runId.length + 1).split('/').length !== 2 || seen.has(w.workflowId)) continue;
    seen.add(w.workflowId);
    const name = String(w.typedSearchAttributes.get(SA.ENTRY_NAME) ?? '');
    yield {
      index: seen.size - 1,
      name,
      load: () => loadDoneEntry(client, w.workflowId, w.runId),
    };
  }
}

/** A child's result as a recorded entry, or null when it did not store an instance. */
async function loadDoneEntry(
  client: Client,
  workflowId: string,
  runId: string | undefined,
): Promise<RecordedEntry | null> {
  const o = (await client.workflow.getHandle(workflowId, runId).result()) as EntryOutcome;
  if (o.status !== 'done' || !o.sopInstanceUid) return null;
  return {
    index: o.index,
    name: o.name,
    sopInstanceUid: o.sopInstanceUid,
    orthancId: o.orthancId,
    // A stored run's child reports '' for an instance that has no recorded source hash.
    sourceSha256: o.sourceSha256 || undefined,
    reportSopInstanceUid: o.reportSopInstanceUid,
  };
}
