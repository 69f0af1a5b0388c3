/**
 * Task-queue priority and fairness on the real dev server (src/priority.ts), with the pipeline's own workflows.
 *
 * A backlog is made for real: the I/O worker runs alone, so every child of a bulk ingest uploads its image and then
 * schedules its classify step on the inference queue, where no worker polls yet. Once the backlog is queued, a later
 * job's classify steps are queued behind it; then one inference worker with a single slot starts, and the order in
 * which the classify steps complete is the order the server handed them out.
 *
 *  - priority: an urgent ingest started after a backfill backlog is served first (its steps take the first slots);
 *  - fairness: a second backfill ingest started after the first one's backlog is served in turn with it, not after it;
 *  - control: the same two ingests started without any priority (no level, no fairness key: as before issue 25) are
 *    served first come first served, so the later one waits behind the whole backlog. This proves the backlog was
 *    real; the first two tests fail the same way when the CLI stops passing the priority (src/cli/job-priority.ts).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { ingestWorkflowId, sha256File } from '../../../src/cli/ingest-id';
import { startOrAttachIngest } from '../../../src/cli/start-ingest';
import { loadConfig, type PipelineConfig, temporalConnectionOptions } from '../../../src/config';
import type { WorkPriority } from '../../../src/priority';
import { createPipelineWorkers, type PipelineWorkers } from '../../../src/pipeline-worker';
import { ingestZipWorkflow } from '../../../src/workflows';
import { syntheticZip, waitForIngest } from '../../helpers/chaos';
import { quietRuntime, TEST_OUTPUT, uniqueQueue, workflowBundle } from '../../helpers/pipeline';
import { TestWorkflowEnvironment } from '@temporalio/testing';

const BACKLOG = 16;
const LATER = 3;

interface Scenario {
  /** Classify completions in order: which ingest each belonged to. */
  order: ('bulk' | 'later')[];
}

async function queuedClassifySteps(client: Client, ingestId: string, n: number): Promise<number> {
  let queued = 0;
  for (let i = 0; i < n; i++) {
    const d = await client.workflow
      .getHandle(`${ingestId}/${i}`)
      .describe()
      .catch(() => undefined);
    for (const a of d?.raw.pendingActivities ?? [])
      if (
        a.activityType?.name === 'classifyInstance' &&
        a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED
      )
        queued++;
  }
  return queued;
}

async function waitQueued(client: Client, ingestId: string, n: number): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if ((await queuedClassifySteps(client, ingestId, n)) === n) return;
    if (Date.now() > deadline) throw new Error(`the classify steps of ${ingestId} were not all queued in 2 min`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** When each child's classify step completed (its ActivityTaskCompleted event time). */
async function classifyCompletedAt(client: Client, ingestId: string, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const h = await client.workflow.getHandle(`${ingestId}/${i}`).fetchHistory();
    const scheduled = new Set<string>();
    let at: number | undefined;
    for (const e of h.events ?? []) {
      if (e.activityTaskScheduledEventAttributes?.activityType?.name === 'classifyInstance')
        scheduled.add(String(e.eventId));
      const c = e.activityTaskCompletedEventAttributes;
      if (c && scheduled.has(String(c.scheduledEventId)) && e.eventTime)
        at = Number(e.eventTime.seconds) * 1000 + Math.floor((e.eventTime.nanos ?? 0) / 1e6);
    }
    if (at === undefined) throw new Error(`${ingestId}/${i} has no completed classify step`);
    out.push(at);
  }
  return out;
}

describe('task-queue priority and fairness on the real dev server', { timeout: 10 * 60_000 }, () => {
  let env: TestWorkflowEnvironment;
  const dir = path.join(TEST_OUTPUT, 'priority');

  before(async () => {
    quietRuntime();
    fs.mkdirSync(dir, { recursive: true });
    const config = loadConfig();
    const { address, tls } = temporalConnectionOptions(config.temporal);
    env = await TestWorkflowEnvironment.createFromExistingServer({
      address,
      namespace: config.temporal.namespace,
      connectionOptions: tls ? { tls } : undefined,
    });
  });
  after(async () => env?.teardown());

  /**
   * A bulk ingest of BACKLOG images queued with no inference worker, then a later ingest of `later` images queued
   * behind it, then one inference slot: the completion order. `withPriority: false` starts both without priority.
   */
  async function scenario(
    tag: string,
    bulk: WorkPriority,
    later: WorkPriority,
    withPriority = true,
  ): Promise<Scenario> {
    const config: PipelineConfig = loadConfig({ taskQueue: uniqueQueue(`prio-${tag}`) });
    config.temporal.inferenceTaskQueue = `${config.temporal.taskQueue}-inference`;
    const common = { config, connection: env.nativeConnection, workflowBundle: await workflowBundle() };
    const io: PipelineWorkers = await createPipelineWorkers({ ...common, role: 'io', payloadCodec: null });
    const ioRunning = io.run();
    let inference: PipelineWorkers | undefined;
    let inferenceRunning: Promise<void> | undefined;
    try {
      const seed = `prio-${tag}-${Date.now()}`;
      const bulkZip = syntheticZip(dir, `${seed}-bulk`, BACKLOG, 4);
      const laterZip = syntheticZip(dir, `${seed}-later`, LATER, 4);
      const start = async (zipPath: string, priority: WorkPriority, window: number): Promise<string> => {
        const id = `${ingestWorkflowId(await sha256File(zipPath))}-${config.temporal.taskQueue}`;
        if (withPriority) {
          const s = await startOrAttachIngest(env.client, config, zipPath, { window, priority }, id);
          assert.equal(s.started, true);
        } else {
          // As every ingest was started before issue 25: no priority key, no fairness key.
          await env.client.workflow.start(ingestZipWorkflow, {
            taskQueue: config.temporal.taskQueue,
            workflowId: id,
            args: [
              {
                zipPath,
                zipSha256: await sha256File(zipPath),
                zipName: path.basename(zipPath),
                options: { window, inferenceTaskQueue: config.temporal.inferenceTaskQueue },
              },
            ],
          });
        }
        return id;
      };
      const bulkId = await start(bulkZip.zipPath, bulk, BACKLOG);
      await waitQueued(env.client, bulkId, BACKLOG);
      const laterId = await start(laterZip.zipPath, later, LATER);
      await waitQueued(env.client, laterId, LATER);

      inference = await createPipelineWorkers({
        ...common,
        role: 'inference',
        maxConcurrentInference: 1,
        preprocessThreads: 0,
        payloadCodec: null,
      });
      inferenceRunning = inference.run();
      const [b, l] = await Promise.all([
        waitForIngest(env.client, bulkId, 5 * 60_000),
        waitForIngest(env.client, laterId, 5 * 60_000),
      ]);
      assert.equal(b.counts.done, BACKLOG);
      assert.equal(l.counts.done, LATER);
      const times = [
        ...(await classifyCompletedAt(env.client, bulkId, BACKLOG)).map((t) => ({ t, who: 'bulk' as const })),
        ...(await classifyCompletedAt(env.client, laterId, LATER)).map((t) => ({ t, who: 'later' as const })),
      ].sort((x, y) => x.t - y.t);
      const order = times.map((x) => x.who);
      console.log(`[priority ${tag}] classify order: ${order.map((w) => (w === 'bulk' ? 'b' : 'L')).join('')}`);
      return { order };
    } finally {
      inference?.shutdown();
      io.shutdown();
      await Promise.allSettled([ioRunning, inferenceRunning]);
    }
  }

  /** 1-based positions of the later job's steps in the completion order. */
  const positions = (s: Scenario) => s.order.flatMap((w, i) => (w === 'later' ? [i + 1] : []));

  it('an urgent ingest started after a queued backfill backlog is served first', async () => {
    const s = await scenario('urgent', 'backfill', 'urgent');
    // Every urgent step within the first LATER + 1 slots (one bulk step may already be handed out as the worker starts).
    assert.ok(
      Math.max(...positions(s)) <= LATER + 1,
      `urgent steps at ${positions(s).join(', ')} of ${s.order.length}`,
    );
  });

  it('two backfill ingests share the workers in turn (fairness keys), not one after the other', async () => {
    const s = await scenario('fair', 'backfill', 'backfill');
    // In turn: the later job's last step completes while most of the first job's backlog still waits.
    const last = Math.max(...positions(s));
    assert.ok(last <= 2 * LATER + 2, `the later job's steps at ${positions(s).join(', ')} of ${s.order.length}`);
  });

  it('control: without priority the later job waits behind the whole backlog (first come, first served)', async () => {
    const s = await scenario('fifo', 'backfill', 'urgent', false);
    const first = Math.min(...positions(s));
    assert.ok(first > BACKLOG / 2, `without priority the later job's steps came at ${positions(s).join(', ')}`);
  });
});
