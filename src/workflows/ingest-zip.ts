/**
 * One workflow per zip. Lists the zip (through activities), then runs one ProcessInstanceWorkflow
 * child per entry with a bounded sliding window, and continues-as-new every N entries so that the
 * history stays far below Temporal's limits whatever the zip size. The result accounts for every
 * entry exactly once: done, failed (typed reason) or skipped (reason).
 */
import {
  ApplicationFailure,
  ActivityFailure,
  condition,
  continueAsNew,
  executeChild,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { PipelineActivities } from '../activities';
import { NON_RETRYABLE_TYPES } from '../reasons';
import { processInstanceWorkflow } from './process-instance';
import { progressQuery } from './queries';
import * as SA from './search-attributes';
import { failureOf, MAX_RECENT_PROBLEMS, Tally } from './tally';
import type { EntryOutcome, IngestInput, IngestProgress, IngestResult, IngestState, ZipEntryRef } from './types';

export const DEFAULT_WINDOW = 16;
export const DEFAULT_CONTINUE_AS_NEW_EVERY = 500;
export const DEFAULT_PAGE_SIZE = 250;
/** patched() ID of the batched window refill (below); runs started before it refill slot by slot. */
export const REFILL_IN_BATCHES = 'ingest-refill-window-in-batches';
export { MAX_RECENT_PROBLEMS };

const { inspectZip, listZipEntries } = proxyActivities<PipelineActivities>({
  // Hashing a 2 GB zip takes a few seconds; heartbeats show the activity is alive.
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '1 minute',
  scheduleToCloseTimeout: '2 hours',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
  },
});

export async function ingestZipWorkflow(input: IngestInput): Promise<IngestResult> {
  const info = workflowInfo();
  const ingestId = info.workflowId;
  const opts = input.options ?? {};
  const window = Math.max(1, opts.window ?? DEFAULT_WINDOW);
  const perRun = Math.max(1, opts.continueAsNewEvery ?? DEFAULT_CONTINUE_AS_NEW_EVERY);
  const pageSize = Math.max(1, opts.pageSize ?? DEFAULT_PAGE_SIZE);
  const carry = input.carry;

  let state: IngestState = carry ? 'running' : 'listing';
  let inFlight = 0;
  const tally = new Tally(carry, 25, () => publish());
  const counts = tally.counts;

  const progress = (): IngestProgress => ({
    ingestId,
    zipName: input.zipName,
    zipSha256: input.zipSha256,
    state,
    ...tally.progress(),
    inFlight,
    retryOf: opts.retryOf,
  });
  setHandler(progressQuery, progress);

  const publish = (): void => {
    tally.upsert(state);
    const c = counts;
    setCurrentDetails(
      `**${state}** \`${input.zipName}\`: ${c.done + c.failed + c.skipped}/${c.total} accounted ` +
        `(${c.done} done, ${c.failed} failed, ${c.skipped} skipped), ${inFlight} in flight, run ${tally.runs}`,
    );
  };

  if (!carry) {
    upsertSearchAttributes([
      { key: SA.ZIP_NAME, value: input.zipName },
      { key: SA.ZIP_SHA256, value: input.zipSha256 },
      ...(opts.retryOf ? [{ key: SA.RETRY_OF, value: opts.retryOf }] : []),
    ]);
    publish();
  }

  let fileEntryCount: number;
  if (carry) {
    fileEntryCount = carry.fileEntryCount;
  } else {
    try {
      const listing = await inspectZip({
        zipPath: input.zipPath,
        expectedSha256: input.zipSha256,
        limits: opts.limits,
      });
      fileEntryCount = listing.fileEntryCount;
    } catch (err) {
      if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.nonRetryable) {
        state = 'rejected';
        publish();
        setCurrentDetails(`**rejected** \`${input.zipName}\`: ${err.cause.message}`);
        throw ApplicationFailure.nonRetryable(err.cause.message, err.cause.type ?? 'ZipRejected');
      }
      throw err;
    }
    counts.total = opts.onlyEntries ? opts.onlyEntries.length : fileEntryCount;
  }
  state = 'running';
  publish();

  const record = (outcome: EntryOutcome): void => tally.record(outcome);

  const runChild = async (entry: ZipEntryRef): Promise<void> => {
    try {
      record(
        await executeChild(processInstanceWorkflow, {
          workflowId: `${ingestId}/${entry.index}`,
          args: [
            {
              entry,
              limits: opts.limits,
              inferenceTaskQueue: opts.inferenceTaskQueue,
              ioSteps: 'local',
              studies: true,
            },
          ],
          staticSummary: `${input.zipName} #${entry.index}: ${entry.name}`,
          parentClosePolicy: ParentClosePolicy.TERMINATE,
          typedSearchAttributes: [
            { key: SA.ENTRY_NAME, value: entry.name.slice(0, 250) },
            { key: SA.ZIP_SHA256, value: input.zipSha256 },
            { key: SA.STATE, value: 'processing' },
          ],
        }),
      );
    } catch (err) {
      record({ index: entry.index, name: entry.name, ...failureOf(err) });
    }
  };

  // Entries handled by this run: [offset, end). `onlyEntries` (retry) indexes into a given list.
  const total = counts.total;
  let offset = carry?.nextOffset ?? 0;
  const runEnd = Math.min(total, offset + perRun);
  // The window is refilled a quarter at a time (4 slots of the default 16) rather than slot by slot: the children
  // started in one workflow task report "started" within milliseconds of each other, so this workflow wakes once
  // for several of them instead of once each (3 history events per wake-up; docs/performance.md). Runs recorded
  // before this change refilled slot by slot: patched() keeps their replay exact (a marker and a search-attribute
  // upsert per run of up to 500 entries, not per entry).
  const refill = patched(REFILL_IN_BATCHES) ? Math.max(1, Math.floor(window / 4)) : 0;
  let startNow = 0; // slots freed at the last wake-up, not yet used
  while (offset < runEnd) {
    const limit = Math.min(pageSize, runEnd - offset);
    const indexes = opts.onlyEntries ? opts.onlyEntries.slice(offset, offset + limit) : undefined;
    const page = await listZipEntries({
      zipPath: input.zipPath,
      zipSha256: input.zipSha256,
      limits: opts.limits,
      offset,
      limit,
      indexes,
    });
    if (page.length === 0)
      throw ApplicationFailure.nonRetryable(
        `The zip listed no entries at ${offset}: it changed since the ingest started`,
        'ZipRejected',
      );
    for (const entry of page) {
      if (!refill) await condition(() => inFlight < window);
      else if (startNow === 0) {
        await condition(() => inFlight <= window - refill);
        startNow = window - inFlight;
      }
      if (refill) startNow--;
      inFlight++;
      void runChild(entry).finally(() => {
        inFlight--;
      });
    }
    offset += page.length;
  }
  // Drain before continue-as-new: children must report to the run that started them.
  await condition(() => inFlight === 0);

  if (offset < total) {
    await continueAsNew<typeof ingestZipWorkflow>({
      ...input,
      carry: { ...tally.carry(), nextOffset: offset, fileEntryCount },
    });
  }

  state = 'completed';
  publish();
  return { ...progress(), finishedAt: new Date(Date.now()).toISOString() };
}
