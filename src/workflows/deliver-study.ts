/**
 * deliverStudyResult: a completed study's result to every configured sink, each exactly once (issue 25).
 * Started by the study workflow as a child with id `deliver/<studyInstanceUid>/<completion>` (src/contracts.ts), so
 * one completion is one delivery whatever retries happen; a re-opened study's next completion is a new delivery.
 *
 * The sinks are planned by an activity (the worker's configuration, recorded in the history), then delivered in
 * parallel, each by its own activity with a long retry window: a receiver that is down for minutes (or hours) gets
 * the message when it is back. Each message carries a stable id (study UID + completion + sink), so a receiver can
 * deduplicate a retry whose first answer was lost; the FHIR bundle is idempotent by itself (conditional writes).
 * Every receipt is recorded: in the result, the query, the CxrDeliveries search attribute and CxrState, the memo,
 * and (by the activity) the audit trail.
 */
import {
  type ActivityOptions,
  ActivityFailure,
  ApplicationFailure,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  TimeoutFailure,
  upsertMemo,
  upsertSearchAttributes,
  setCurrentDetails,
} from '@temporalio/workflow';
import type { PipelineActivities } from '../activities';
import type { DeliverStudyInput } from '../contracts';
import type { DeliveryReceipt, DeliveryResult, SinkDeliveryInput, SinkKind, SinkOutcome } from '../delivery/types';
import { NON_RETRYABLE_TYPES, type Reason, toReason } from '../reasons';
import { deliveryStateQuery } from './queries';
import { DELIVERIES, STATE } from './search-attributes';

/**
 * One attempt is a connect + send + answer, bounded by CXR_DELIVER_TIMEOUT_MS (30 s) in the activity. Retries back
 * off to one every 30 s, for 24 hours: a receiver down for a night still gets its message in the morning.
 */
const sinkOptions: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '24 hours',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
  },
};

const { planDelivery } = proxyLocalActivities<PipelineActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumInterval: '10 seconds' },
});

function sender(sink: SinkKind): (input: SinkDeliveryInput) => Promise<DeliveryReceipt> {
  const acts = proxyActivities<PipelineActivities>({ ...sinkOptions, summary: `deliver to ${sink}` });
  if (sink === 'webhook') return acts.deliverWebhook;
  if (sink === 'hl7') return acts.deliverHl7;
  return acts.deliverFhir;
}

/** A failed sink's reason, typed as operators read it. */
function reasonOf(err: unknown): Reason {
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    if (cause instanceof ApplicationFailure) return toReason(cause.type, cause.message);
    if (cause instanceof TimeoutFailure) {
      const last = cause.cause instanceof ApplicationFailure ? ` Last error: ${cause.cause.message}` : '';
      return {
        type: 'StepTimedOut',
        message: `Delivery gave up after its retry window (${cause.timeoutType}).${last}`,
      };
    }
    return toReason(undefined, cause?.message ?? err.message);
  }
  return toReason(undefined, err instanceof Error ? err.message : String(err));
}

export function overallState(sinks: SinkOutcome[]): DeliveryResult['state'] {
  if (sinks.length === 0) return 'no-sinks';
  if (sinks.some((s) => s.state === 'pending')) return 'delivering';
  const delivered = sinks.filter((s) => s.state === 'delivered').length;
  return delivered === sinks.length ? 'delivered' : delivered === 0 ? 'failed' : 'partly-delivered';
}

export async function deliverStudyResult(input: DeliverStudyInput): Promise<DeliveryResult> {
  const { summary } = input;
  const plan = await planDelivery({ studyInstanceUid: summary.studyInstanceUid, completion: summary.completion });
  const sinks: SinkOutcome[] = plan.map((p) => ({ ...p, state: 'pending' }));
  const snapshot = (): DeliveryResult => ({
    studyInstanceUid: summary.studyInstanceUid,
    completion: summary.completion,
    state: overallState(sinks),
    sinks: sinks.map((s) => ({ ...s })),
  });
  setHandler(deliveryStateQuery, snapshot);

  const publish = (): void => {
    const state = overallState(sinks);
    upsertSearchAttributes([
      { key: STATE, value: state },
      { key: DELIVERIES, value: sinks.map((s) => `${s.sink}=${s.state}`) },
    ]);
    upsertMemo({
      receipts: Object.fromEntries(
        sinks.map((s) => [s.sink, s.receipt?.receipt ?? (s.reason ? `${s.reason.type}` : s.state)]),
      ),
    });
    setCurrentDetails(
      `**${state}**: ${sinks.map((s) => `${s.sink} ${s.state}${s.receipt ? ` (${s.receipt.receipt})` : ''}`).join(', ') || 'no sink configured'}`,
    );
  };
  publish();

  await Promise.all(
    plan.map(async (p, i) => {
      try {
        const receipt = await sender(p.sink)({ sink: p.sink, messageId: p.messageId, summary });
        sinks[i] = { ...sinks[i], state: 'delivered', receipt };
      } catch (err) {
        sinks[i] = { ...sinks[i], state: 'failed', reason: reasonOf(err) };
      }
      publish();
    }),
  );
  return { ...snapshot(), finishedAt: new Date(Date.now()).toISOString() };
}
