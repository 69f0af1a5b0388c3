/**
 * `cxr follow`: one long-running workflow per Orthanc server (ID `follow-<host:port>`) that reads Orthanc's /changes
 * feed from a cursor kept in workflow state and classifies every new eligible instance with the model it is pinned
 * to, through the same ProcessInstanceWorkflow children as zips (starting after the upload step).
 *
 * - The cursor advances only after every instance of a page was dispatched (child started, or skip counted); it
 *   lives in workflow state, so worker, Temporal and Orthanc crashes resume from it (Orthanc keeps its change log).
 * - Bounded: at most `window` children in flight; the feed is not read while the window is full (backpressure), and
 *   one read decides at most `pageSize` instances.
 * - Continue-as-new after `continueAsNewEvery` children or when Temporal suggests it (after draining: children report
 *   to the run that started them), carrying the cursor and the accounting.
 * - `stopSignal`: finish the in-flight children and complete with the cursor; `follow start` resumes from it.
 */
import {
  condition,
  continueAsNew,
  defineSignal,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { PipelineActivities } from '../activities';
import { STEP_RETRY } from './policies';
import * as SA from './search-attributes';
import { startStoredRun } from './stored-run';
import type { FollowInput, IngestResult } from './types';

export const stopSignal = defineSignal('stop');

const { readChanges } = proxyActivities<PipelineActivities>({
  // A read long-polls for up to waitMs (20 s by default), then decides a page of instances (a few Orthanc reads each).
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  // No schedule-to-close: a follower outlives any Orthanc outage; retries back off to one every 30 s.
  retry: STEP_RETRY,
});

export async function followOrthancWorkflow(input: FollowInput): Promise<IngestResult> {
  const run = startStoredRun({ kind: 'follow', ...input, cursor: input.since });
  let stopping = false;
  setHandler(stopSignal, () => {
    stopping = true;
    run.state = 'stopping';
  });
  if (!input.carry) upsertSearchAttributes([{ key: SA.ZIP_NAME, value: input.label }]);
  run.publish();

  while (!stopping) {
    const page = await readChanges({
      since: run.cursor,
      limit: run.options.pageSize,
      waitMs: stopping ? 0 : run.options.waitMs,
      model: input.model,
    });
    for (const d of page.items) await run.dispatch(d);
    run.cursor = page.next;
    run.publish();
    const info = workflowInfo();
    if (!stopping && (run.startedThisRun >= run.options.continueAsNewEvery || info.continueAsNewSuggested)) {
      await run.drain();
      await continueAsNew<typeof followOrthancWorkflow>({ ...input, since: run.cursor, carry: run.carry() });
    }
    // Between reads, a moment for a stop signal to land (the read itself waits for arrivals).
    if (page.done) await condition(() => stopping, '1 second');
  }
  await run.drain();
  run.state = 'completed';
  run.publish();
  return { ...run.progress(), finishedAt: new Date(Date.now()).toISOString() };
}
