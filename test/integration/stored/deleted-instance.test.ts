/**
 * An operator deletes instances from Orthanc while `follow` and `reprocess` run (issue 24). Before the fix,
 * src/activities/stored.ts recognised a deleted instance by comparing `err.name` with a class name that no longer
 * existed, so the 404 surfaced as the non-retryable OrthancNotFound from readChanges / listStoredInstances and the
 * whole follower (or reprocess run) failed; `cxr retry-failed` of a follow run whose failed instance had been deleted
 * failed the same way, every time. Real dev server and Orthanc; workers in this process. Deterministic: the follower's
 * classify steps go to an inference queue nobody polls until the test has deleted the instance.
 *  - follow: an instance deleted between its steps fails `OrthancNotFound`; the follower keeps running.
 *  - `cxr retry-failed` of that follower: exit 0, the deleted instance skipped `InstanceDeleted`.
 *  - reprocess over a list naming a deleted instance: completes, the others classified.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../../src/config';
import { modelOf, startReprocess, stopFollow } from '../../../src/cli/stored-runs';
import { createPipelineWorkers, type PipelineWorkers } from '../../../src/pipeline-worker';
import { followOrthancWorkflow } from '../../../src/workflows';
import { progressQuery } from '../../../src/workflows/queries';
import type { FollowInput, IngestResult } from '../../../src/workflows/types';
import { srCount, waitFor } from '../../helpers/arrivals';
import { startTestPipeline, type TestPipeline, uniqueQueue } from '../../helpers/pipeline';
import { syntheticCr } from '../../helpers/synthetic-dicom';
import { assertBuilt, runCli } from '../cli/run-cli';

const V1 = modelOf(path.join(PROJECT_ROOT, 'models', 'demo-cxr'));
const KEY = `${V1.id}@${V1.version}`;

describe('instances deleted while follow and reprocess run', { timeout: 5 * 60_000 }, () => {
  let p: TestPipeline;
  let held: PipelineWorkers | undefined;
  let heldRunning: Promise<void> | undefined;
  const seed = `deleted-stored-${Date.now()}`;
  const heldQueue = uniqueQueue('held-inference');
  const followId = `${uniqueQueue('follow-deleted')}`;
  let env: Record<string, string>;

  before(async () => {
    assertBuilt();
    p = await startTestPipeline({ taskQueue: uniqueQueue('stored-deleted') });
    env = { CXR_TASK_QUEUE: p.config.temporal.taskQueue };
  });
  after(async () => {
    await stopFollow(p.env.client, followId).catch(() => undefined);
    held?.shutdown();
    await heldRunning;
    await p?.stop();
  });

  async function upload(index: number): Promise<string> {
    const up = await p.orthanc.uploadInstance(syntheticCr({ seed, index }));
    return up.id;
  }

  it('follow: an instance deleted between its steps fails OrthancNotFound; the follower runs on', async () => {
    const since = await p.orthanc.getLastChangeSeq();
    // (An instance deleted before the follower reads /changes is not listed there at all: Orthanc drops the changes of
    // a deleted resource. The follower's own race, a listed instance deleted before its tags are read, is the
    // reprocess case below: the same decideStored.)
    const between = await upload(1);
    const input: FollowInput = {
      label: 'follow (deleted-instance test)',
      model: V1,
      inferenceTaskQueue: heldQueue,
      since,
      options: { pageSize: 5, waitMs: 2000, window: 4 },
    };
    await p.env.client.workflow.start(followOrthancWorkflow, {
      taskQueue: p.config.temporal.taskQueue,
      workflowId: followId,
      args: [input],
    });
    const child = p.env.client.workflow.getHandle(`${followId}/${KEY}/${between}`);
    await waitFor('the second instance to wait for its classify step', 60_000, async () => {
      const h = await child.fetchHistory().catch(() => undefined);
      return Boolean(
        h?.events?.some((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'classifyInstance'),
      );
    });
    // Deleted between its steps; then the classify step runs and meets the 404.
    await p.orthanc.deleteResource('Instance', between);
    held = await createPipelineWorkers({
      config: { ...p.config, temporal: { ...p.config.temporal, inferenceTaskQueue: heldQueue } },
      role: 'inference',
      connection: p.env.nativeConnection,
      payloadCodec: null,
    });
    heldRunning = held.run();

    const handle = p.env.client.workflow.getHandle(followId);
    await waitFor('the follower to account for the instance', 60_000, async () => {
      const pr = await handle.query(progressQuery);
      return pr.counts.total === 1 && pr.inFlight === 0;
    });
    const pr = await handle.query(progressQuery);
    assert.deepEqual(pr.counts, { total: 1, done: 0, failed: 1, skipped: 0 }, JSON.stringify(pr.recentProblems));
    assert.equal(pr.recentProblems[0]?.orthancId, between);
    assert.equal(pr.recentProblems[0]?.reason?.type, 'OrthancNotFound', JSON.stringify(pr.recentProblems[0]));
    assert.equal((await handle.describe()).status.name, 'RUNNING', 'the follower survived the deletion');

    // Still following: a new arrival is classified (the held queue is served now).
    const fresh = await upload(2);
    await waitFor(
      'the new arrival to be done',
      60_000,
      async () => (await handle.query(progressQuery)).counts.done === 1,
    );
    assert.equal(await srCount(p.orthanc, (await p.orthanc.getInstanceTags(fresh)).SOPInstanceUID as string, V1), 1);
    const stopped = (await stopFollow(p.env.client, followId)) as IngestResult;
    assert.equal(stopped.state, 'completed');
  });

  it('cxr retry-failed of that follower: the deleted instance is skipped InstanceDeleted, exit 0', async () => {
    const retry = await runCli(['retry-failed', followId, '--json'], env);
    assert.equal(retry.code, 0, retry.stderr + retry.stdout);
    const rr = JSON.parse(retry.stdout) as IngestResult;
    assert.deepEqual(rr.counts, { total: 1, done: 0, failed: 0, skipped: 1 }, retry.stdout);
    assert.equal(rr.recentProblems[0]?.reason?.type, 'InstanceDeleted');
    assert.match(rr.recentProblems[0]?.reason?.message ?? '', /deleted before it was read/);
  });

  it('reprocess over a list naming a deleted instance completes; the others are classified', async () => {
    const kept = await upload(3);
    const gone = await upload(4);
    await p.orthanc.deleteResource('Instance', gone);
    const id = await startReprocess(p.env.client, p.config, {
      model: V1,
      scope: { instances: [kept, gone] },
      workflowId: `${followId}-reprocess`,
    });
    const r = (await p.env.client.workflow.getHandle(id).result()) as IngestResult;
    assert.deepEqual(r.counts, { total: 2, done: 1, failed: 0, skipped: 1 }, JSON.stringify(r.recentProblems));
    assert.equal(r.recentProblems[0]?.orthancId, gone);
    assert.equal(r.recentProblems[0]?.reason?.type, 'InstanceDeleted');
  });
});
