import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

type History = temporal.api.history.v1.IHistory;

/** Histories of every run of a workflow ID (continue-as-new chain), oldest first. */
export async function runsOf(client: Client, workflowId: string): Promise<History[]> {
  const runIds: { runId: string; start: number }[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runIds.push({ runId: w.runId, start: w.startTime.getTime() });
  }
  runIds.sort((a, b) => a.start - b.start);
  const out: History[] = [];
  for (const r of runIds) out.push(await client.workflow.getHandle(workflowId, r.runId).fetchHistory());
  return out;
}

/** Peak number of child workflows initiated but not yet closed, from the event history. */
export function maxConcurrentChildren(history: History): number {
  let open = 0;
  let peak = 0;
  for (const e of history.events ?? []) {
    if (e.startChildWorkflowExecutionInitiatedEventAttributes) peak = Math.max(peak, ++open);
    if (
      e.childWorkflowExecutionCompletedEventAttributes ||
      e.childWorkflowExecutionFailedEventAttributes ||
      e.childWorkflowExecutionTimedOutEventAttributes ||
      e.childWorkflowExecutionCanceledEventAttributes ||
      e.childWorkflowExecutionTerminatedEventAttributes ||
      e.startChildWorkflowExecutionFailedEventAttributes
    )
      open--;
  }
  return peak;
}
