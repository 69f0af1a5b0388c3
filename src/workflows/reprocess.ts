/**
 * `cxr reprocess`: pages through the instances already in Orthanc (a study, studies since a date, everything, or an
 * explicit list) and classifies with the pinned model every eligible image whose SR of that model version is missing
 * (one lookup of the derived SR UID per image). Same children as zips and follow; sliding window; continue-as-new
 * every `continueAsNewEvery` children, carrying the offset (the cursor) and the accounting. `dryRun` only counts.
 */
import { continueAsNew, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { PipelineActivities } from '../activities';
import { STEP_RETRY } from './policies';
import * as SA from './search-attributes';
import { startStoredRun } from './stored-run';
import type { IngestResult, ReprocessInput } from './types';

const { listStoredInstances } = proxyActivities<PipelineActivities>({
  startToCloseTimeout: '5 minutes',
  heartbeatTimeout: '30 seconds',
  scheduleToCloseTimeout: '2 hours',
  retry: STEP_RETRY,
});

export async function reprocessWorkflow(input: ReprocessInput): Promise<IngestResult> {
  const run = startStoredRun({ kind: 'reprocess', ...input, cursor: input.offset });
  if (!input.carry) upsertSearchAttributes([{ key: SA.ZIP_NAME, value: input.label }]);
  run.publish();
  for (;;) {
    const page = await listStoredInstances({
      scope: input.scope,
      offset: run.cursor,
      limit: run.options.pageSize,
      model: input.model,
    });
    for (const d of page.items) await run.dispatch(d, { dryRun: input.dryRun });
    run.cursor = page.next;
    run.publish();
    if (page.done) break;
    if (run.startedThisRun >= run.options.continueAsNewEvery || workflowInfo().continueAsNewSuggested) {
      await run.drain();
      await continueAsNew<typeof reprocessWorkflow>({ ...input, offset: run.cursor, carry: run.carry() });
    }
  }
  await run.drain();
  run.state = 'completed';
  run.publish();
  return { ...run.progress(), finishedAt: new Date(Date.now()).toISOString() };
}
