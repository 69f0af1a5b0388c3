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

/** One attempt count per step that ended: activities (their started event) and local activities (their marker). */
export interface StepAttempt {
  activityType: string;
  attempt: number;
  local: boolean;
}

/**
 * The steps of a history with the attempt each ended on. An activity's attempt is on its ActivityTaskStarted event;
 * a local activity is recorded once, as a `core_local_activity` marker whose `data` detail (JSON, written by the
 * SDK core, not by the payload codec) holds its type and attempt.
 */
export function stepAttempts(history: History): StepAttempt[] {
  const scheduled = new Map<string, string>();
  const out: StepAttempt[] = [];
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(String(e.eventId), s.activityType?.name ?? '');
    const started = e.activityTaskStartedEventAttributes;
    if (started)
      out.push({
        activityType: scheduled.get(String(started.scheduledEventId)) ?? '',
        attempt: started.attempt ?? 1,
        local: false,
      });
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName === 'core_local_activity') {
      const raw = m.details?.data?.payloads?.[0]?.data;
      const data = raw
        ? (JSON.parse(Buffer.from(raw).toString('utf8')) as { attempt?: number; activity_type?: string })
        : {};
      out.push({ activityType: data.activity_type ?? '', attempt: data.attempt ?? 1, local: true });
    }
  }
  return out;
}
