/**
 * Reading result deliveries (deliverStudyResult, src/workflows/deliver-study.ts) back from Temporal for
 * `cxr deliveries`: the list from visibility alone (CxrState, CxrDeliveries per sink, the memo's receipts: no worker
 * needed), and one study's deliveries in full (the result once closed, else the query or the search attributes,
 * plus each pending sink's attempts and last error from the workflow's description).
 */
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { DeliveryResult, SinkKind, SinkOutcome } from '../delivery/types';
import type { deliverStudyResult } from '../workflows/deliver-study';
import { deliveryStateQuery } from '../workflows/queries';
import * as SA from '../workflows/search-attributes';
import { q } from './ingests';
import { pad } from './render';

export interface DeliverySinkRow {
  sink: string;
  state: string;
  /** The receiver's receipt (delivered), or the reason type (failed). */
  receipt?: string;
}

export interface DeliveryListRow {
  workflowId: string;
  studyInstanceUid: string;
  completion: number;
  state: string;
  status: string;
  startTime: string;
  closeTime?: string;
  sinks: DeliverySinkRow[];
}

/** `deliver/<study UID>/<completion>[suffix]` -> its parts (undefined when not a delivery id). */
export function parseDeliveryId(workflowId: string): { studyInstanceUid: string; completion: number } | undefined {
  const m = /^deliver\/(.+)\/(\d+)[^/]*$/.exec(workflowId);
  return m ? { studyInstanceUid: m[1], completion: Number(m[2]) } : undefined;
}

/** One row from visibility: per-sink state from CxrDeliveries, receipts from the memo. */
export function deliveryRowFrom(
  w: Pick<
    WorkflowExecutionInfo,
    'workflowId' | 'typedSearchAttributes' | 'status' | 'startTime' | 'closeTime' | 'memo'
  >,
): DeliveryListRow {
  const ids = parseDeliveryId(w.workflowId) ?? { studyInstanceUid: '?', completion: 0 };
  const receipts = ((w.memo as { receipts?: Record<string, string> } | undefined)?.receipts ?? {}) as Record<
    string,
    string
  >;
  const sinks = (w.typedSearchAttributes.get(SA.DELIVERIES) ?? []).map((entry): DeliverySinkRow => {
    const [sink, state] = entry.split('=');
    const receipt = receipts[sink];
    return { sink, state, ...(receipt !== undefined && receipt !== state ? { receipt } : {}) };
  });
  const status = w.status.name;
  const state = String(w.typedSearchAttributes.get(SA.STATE) ?? 'delivering');
  return {
    workflowId: w.workflowId,
    ...ids,
    state: status === 'RUNNING' || status === 'COMPLETED' ? state : status.toLowerCase().replace(/_/g, ' '),
    status,
    startTime: w.startTime.toISOString(),
    ...(w.closeTime ? { closeTime: w.closeTime.toISOString() } : {}),
    sinks,
  };
}

export interface DeliveryFilter {
  study?: string;
  /** delivering | delivered | partly-delivered | failed | no-sinks (CxrState). */
  state?: string;
  /** `<sink>=<state>`, e.g. fhir=failed (CxrDeliveries). */
  sink?: string;
}

export function deliveryQuery(f: DeliveryFilter): string {
  const parts = [`WorkflowType = 'deliverStudyResult'`];
  if (f.study) parts.push(`WorkflowId STARTS_WITH ${q(`deliver/${f.study}/`)}`);
  if (f.state) parts.push(`CxrState = ${q(f.state)}`);
  if (f.sink) parts.push(`CxrDeliveries = ${q(f.sink)}`);
  return parts.join(' AND ');
}

export async function listDeliveries(client: Client, f: DeliveryFilter, limit: number): Promise<DeliveryListRow[]> {
  const rows: DeliveryListRow[] = [];
  for await (const w of client.workflow.list({ query: deliveryQuery(f), pageSize: Math.min(1000, limit) })) {
    rows.push(deliveryRowFrom(w));
    if (rows.length >= limit) break;
  }
  rows.sort((a, b) => (a.startTime < b.startTime ? 1 : a.startTime > b.startTime ? -1 : 0));
  return rows;
}

/** A sink still being retried: how many attempts, the last error, when the next one is. */
export interface PendingSink {
  sink: SinkKind;
  attempt: number;
  lastFailure?: string;
  nextAttemptAt?: string;
}

export interface DeliveryDetail {
  row: DeliveryListRow;
  /** The workflow's own account (result, or query while running); absent when neither answered. */
  result?: DeliveryResult;
  pending: PendingSink[];
}

const SINK_OF_ACTIVITY: Record<string, SinkKind> = {
  deliverWebhook: 'webhook',
  deliverHl7: 'hl7',
  deliverFhir: 'fhir',
};

/** Every delivery of one study (each completion), newest first, in full. */
export async function studyDeliveries(client: Client, study: string): Promise<DeliveryDetail[]> {
  const rows = await listDeliveries(client, { study }, 100);
  const out: DeliveryDetail[] = [];
  for (const row of rows) {
    const handle = client.workflow.getHandle<typeof deliverStudyResult>(row.workflowId);
    let result: DeliveryResult | undefined;
    const pending: PendingSink[] = [];
    if (row.status === 'COMPLETED') {
      result = await handle.result();
    } else if (row.status === 'RUNNING') {
      result = await Promise.race([
        handle.query(deliveryStateQuery).catch(() => undefined),
        new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000).unref()),
      ]);
      const desc = await handle.describe();
      for (const a of desc.raw.pendingActivities ?? []) {
        const sink = SINK_OF_ACTIVITY[a.activityType?.name ?? ''];
        if (!sink) continue;
        const next = a.nextAttemptScheduleTime?.seconds;
        pending.push({
          sink,
          attempt: a.attempt ?? 1,
          ...(a.lastFailure?.message ? { lastFailure: a.lastFailure.message } : {}),
          ...(next ? { nextAttemptAt: new Date(Number(next) * 1000).toISOString() } : {}),
        });
      }
    }
    out.push({ row, ...(result ? { result } : {}), pending });
  }
  return out;
}

/** `cxr deliveries`: one line per delivery, then one per sink with its receipt. */
export function deliveriesTable(rows: DeliveryListRow[]): string {
  if (rows.length === 0) return 'No deliveries found.';
  const out = [`${pad('started', 20)}  ${pad('state', 17)}  ${'#'.padStart(3)}  study`];
  for (const r of rows) {
    out.push(
      `${pad(r.startTime.replace('T', ' ').slice(0, 19), 20)}  ${pad(r.state, 17)}  ${String(r.completion).padStart(3)}  ${r.studyInstanceUid}`,
    );
    for (const s of r.sinks) out.push(`    ${pad(s.sink, 8)} ${pad(s.state, 10)} ${s.receipt ?? ''}`.trimEnd());
  }
  return out.join('\n');
}

function sinkLines(s: SinkOutcome, pending: PendingSink | undefined): string[] {
  const lines = [`  ${pad(s.sink, 8)} ${s.state}  -> ${s.target}`, `           message id ${s.messageId}`];
  if (s.receipt) {
    lines.push(`           receipt    ${s.receipt.receipt}`);
    lines.push(`           delivered  ${s.receipt.deliveredAt} (attempt ${s.receipt.attempt})`);
  }
  if (s.reason) lines.push(`           reason     ${s.reason.type}: ${s.reason.message}`);
  if (pending) {
    lines.push(
      `           retrying   attempt ${pending.attempt}${pending.nextAttemptAt ? `, next at ${pending.nextAttemptAt}` : ''}`,
    );
    if (pending.lastFailure) lines.push(`           last error ${pending.lastFailure}`);
  }
  return lines;
}

/** `cxr deliveries show <study>`: every completion's delivery, each sink in full. */
export function deliveryDetailText(details: DeliveryDetail[]): string {
  if (details.length === 0) return 'No deliveries of this study.';
  const out: string[] = [];
  for (const d of details) {
    out.push(`Delivery ${d.row.workflowId}  (completion ${d.row.completion}): ${d.result?.state ?? d.row.state}`);
    out.push(`  started ${d.row.startTime}${d.row.closeTime ? `, closed ${d.row.closeTime}` : ''}`);
    if (d.result) {
      if (d.result.sinks.length === 0) out.push('  no sink was configured on the worker');
      for (const s of d.result.sinks)
        out.push(
          ...sinkLines(
            s,
            d.pending.find((p) => p.sink === s.sink),
          ),
        );
    } else {
      for (const s of d.row.sinks) out.push(`  ${pad(s.sink, 8)} ${s.state}  ${s.receipt ?? ''}`.trimEnd());
      for (const p of d.pending)
        out.push(`  ${pad(p.sink, 8)} retrying, attempt ${p.attempt}${p.lastFailure ? `: ${p.lastFailure}` : ''}`);
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}
