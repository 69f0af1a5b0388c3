/**
 * Images that arrive in Orthanc without a zip, and the archive re-processed with a second model version, on the real
 * dev server and Orthanc (workers in this process: model 1.0.0 on the shared and its own queue, model 2.0.0 on its
 * own queue only, as an operator runs a second version side by side):
 *  - `follow`: C-STORE (dcmtk storescu, DICOM port) and STOW-RS (DICOMweb) arrivals each get exactly one SR within a
 *    bounded time; a CT is skipped, our own SRs are never classified; re-reading the change log from an earlier
 *    cursor (a restarted follower) classifies nothing twice; provenance metadata names the model.
 *  - `reprocess`: --dry-run counts; a run adds exactly one SR of the new version per image and leaves every old SR
 *    untouched; a second run stores nothing; `cxr results` shows both versions per image, newest first.
 *  - routing: a step pinned to a model version that reaches a worker with another model fails ModelMismatch
 *    (non-retryable) and stores nothing.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { modelTaskQueue, PROJECT_ROOT } from '../../../src/config';
import { modelOf, startFollow, startReprocess, stopFollow } from '../../../src/cli/stored-runs';
import { MODELS_METADATA } from '../../../src/activities/report';
import { createPipelineWorkers, type PipelineWorkers } from '../../../src/pipeline-worker';
import type { ReportSummary } from '../../../src/dicom/sr';
import { reprocessWorkflow } from '../../../src/workflows';
import { progressQuery } from '../../../src/workflows/queries';
import type { IngestResult, ReprocessInput } from '../../../src/workflows/types';
import { srCount, storescu, stowRs, studySrs, waitFor, writeFiles } from '../../helpers/arrivals';
import { startTestPipeline, TEST_OUTPUT, type TestPipeline, uniqueQueue, workflowBundle } from '../../helpers/pipeline';
import { syntheticCr, uidFrom } from '../../helpers/synthetic-dicom';
import { assertBuilt, runCli } from '../cli/run-cli';

const V1_DIR = path.join(PROJECT_ROOT, 'models', 'demo-cxr');
const V2_DIR = path.join(PROJECT_ROOT, 'models', 'demo-cxr-v2');
const DICOM_PORT = Number(process.env.ORTHANC_DICOM_PORT || 4242);
/** An arrival must have its SR within this time (follower long-polls 2 s; classify + SR take well under 1 s each). */
const SR_WITHIN_MS = 60_000;

describe('follow Orthanc arrivals; reprocess with a second model version', { timeout: 6 * 60_000 }, () => {
  let p: TestPipeline;
  let v2: PipelineWorkers;
  let v2Running: Promise<void>;
  const V1 = modelOf(V1_DIR);
  const V2 = modelOf(V2_DIR);
  const seed = `follow-${Date.now()}`;
  const name = uniqueQueue('test');
  let followId = '';
  let firstSince = 0;
  const sops = {
    a: [0, 1, 2].map((i) => uidFrom(`${seed}/sop/${i}`)),
    b: [4, 5].map((i) => uidFrom(`${seed}/sop/${i}`)),
  };
  const ctSop = uidFrom(`${seed}/sop/3`);
  const studyA = uidFrom(`${seed}/study/A`);
  const studyB = uidFrom(`${seed}/study/B`);
  const opts = { pageSize: 5, waitMs: 2000, window: 4 };

  before(async () => {
    assertBuilt();
    p = await startTestPipeline({ taskQueue: uniqueQueue('stored') });
    v2 = await createPipelineWorkers({
      config: { ...p.config, modelDir: V2_DIR },
      role: 'model',
      connection: p.env.nativeConnection,
      workflowBundle: await workflowBundle(),
      payloadCodec: null,
    });
    v2Running = v2.run();
  });
  after(async () => {
    if (followId) await stopFollow(p.env.client, followId).catch(() => undefined);
    v2?.shutdown();
    await v2Running;
    await p?.stop();
  });

  it('storescu and STOW-RS arrivals each get exactly one SR; a CT and our own SRs are not classified', async () => {
    const started = await startFollow(p.env.client, p.config, { model: V1, name, options: opts });
    assert.ok(started.started);
    followId = started.workflowId;
    firstSince = started.since;
    const files = writeFiles(path.join(TEST_OUTPUT, seed), [
      ...[0, 1, 2].map((i) => ({ name: `a${i}.dcm`, data: syntheticCr({ seed, index: i, studyKey: 'A' }) })),
      { name: 'ct.dcm', data: syntheticCr({ seed, index: 3, studyKey: 'A', modality: 'CT' }) },
    ]);
    const t0 = Date.now();
    assert.ok(await storescu(DICOM_PORT, files), 'storescu stored the files');
    await stowRs(p.config.orthanc.url, p.config.orthanc, [
      syntheticCr({ seed, index: 4, studyKey: 'B' }),
      syntheticCr({ seed, index: 5, studyKey: 'B' }),
    ]);
    for (const sop of [...sops.a, ...sops.b]) {
      await waitFor(`the SR of ${sop}`, SR_WITHIN_MS, async () => (await srCount(p.orthanc, sop, V1)) === 1);
    }
    console.log(`follow: 5 arrivals (3 C-STORE, 2 STOW-RS) all reported ${Date.now() - t0} ms after the first send`);
    const handle = p.env.client.workflow.getHandle(followId);
    await waitFor('the follower to account for 6 instances', 30_000, async () => {
      const pr = await handle.query(progressQuery);
      return pr.counts.total === 6 && pr.counts.done + pr.counts.skipped === 6 && pr.inFlight === 0;
    });
    const pr = await handle.query(progressQuery);
    assert.deepEqual(pr.counts, { total: 6, done: 5, failed: 0, skipped: 1 }, 'the SRs it stored are not counted');
    assert.equal(pr.recentProblems[0]?.reason?.type, 'NotChestXray');
    assert.equal(pr.recentProblems[0]?.name, ctSop);
    assert.equal((await studySrs(p.orthanc, studyA)).length, 3, 'one SR per chest image, none for the CT');
    assert.equal((await studySrs(p.orthanc, studyB)).length, 2);
    const [srcId] = await p.orthanc.lookup(sops.b[0], 'Instance');
    assert.equal(await p.orthanc.getInstanceMetadata(srcId, MODELS_METADATA), `${V1.id}@${V1.version}`);

    const status = await runCli(['follow', 'status', '--name', name, '--json'], {
      CXR_TASK_QUEUE: p.config.temporal.taskQueue,
    });
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as { kind: string }).kind, 'running');
  });

  it('a follower restarted from an earlier cursor classifies nothing twice', async () => {
    const stopped = (await stopFollow(p.env.client, followId)) as IngestResult;
    assert.equal(stopped.state, 'completed');
    assert.ok((stopped.cursor ?? 0) > firstSince);
    const again = await startFollow(p.env.client, p.config, { model: V1, name, since: firstSince, options: opts });
    assert.ok(again.started);
    const handle = p.env.client.workflow.getHandle(followId);
    await waitFor('the restarted follower to re-read the log', 30_000, async () => {
      const pr = await handle.query(progressQuery);
      return pr.counts.total >= 6 && pr.inFlight === 0 && (pr.cursor ?? 0) >= (stopped.cursor ?? 0);
    });
    const pr = await handle.query(progressQuery);
    assert.equal(pr.counts.done, 0, 'no image classified a second time');
    assert.equal(pr.current, 5, 'the five chest images are already reported');
    assert.equal((await studySrs(p.orthanc, studyA)).length, 3);
    assert.equal((await studySrs(p.orthanc, studyB)).length, 2);
    await stopFollow(p.env.client, followId);
    followId = '';
  });

  it('reprocess with version 2.0.0 adds one SR per image, keeps the old ones, and a second run stores nothing', async () => {
    const env = { CXR_TASK_QUEUE: p.config.temporal.taskQueue };
    const dry = await runCli(['reprocess', '--model-dir', V2_DIR, '--study', studyA, '--dry-run', '--json'], env);
    assert.equal(dry.code, 0, dry.stderr);
    const dr = JSON.parse(dry.stdout) as IngestResult;
    assert.equal(dr.pending, 3);
    assert.equal(dr.current, 0);
    assert.equal(dr.counts.done, 0);

    const before = new Map<string, string>();
    for (const id of [...(await studySrs(p.orthanc, studyA)), ...(await studySrs(p.orthanc, studyB))])
      before.set(id, await p.orthanc.getStoredFileMd5(id));

    const run = await runCli(['reprocess', '--model-dir', V2_DIR, '--study', studyA, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const r1 = JSON.parse(run.stdout) as IngestResult;
    assert.equal(r1.counts.done, 3);
    assert.equal(r1.model, `${V2.id}@${V2.version}`);
    const idB = await startReprocess(p.env.client, p.config, { model: V2, scope: { study: studyB } });
    assert.equal(((await p.env.client.workflow.getHandle(idB).result()) as IngestResult).counts.done, 2);
    // Its entries are recorded like an ingest's: `cxr verify` finds both sources and SRs in Orthanc.
    const verify = await runCli(['verify', idB, '--json'], env);
    assert.equal(verify.code, 0, verify.stderr + verify.stdout);
    const vr = JSON.parse(verify.stdout) as { checked: number; problems: unknown[] };
    assert.equal(vr.checked, 2);
    assert.deepEqual(vr.problems, []);

    for (const sop of [...sops.a, ...sops.b]) {
      assert.equal(await srCount(p.orthanc, sop, V1), 1);
      assert.equal(await srCount(p.orthanc, sop, V2), 1);
    }
    for (const [id, md5] of before) assert.equal(await p.orthanc.getStoredFileMd5(id), md5, `SR ${id} unchanged`);
    const [srcId] = await p.orthanc.lookup(sops.a[0], 'Instance');
    assert.equal(
      await p.orthanc.getInstanceMetadata(srcId, MODELS_METADATA),
      `${V1.id}@${V1.version},${V2.id}@${V2.version}`,
    );

    const second = await runCli(['reprocess', '--model-dir', V2_DIR, '--study', studyA, '--json'], env);
    assert.equal(second.code, 0, second.stderr);
    const r2 = JSON.parse(second.stdout) as IngestResult;
    assert.equal(r2.counts.done, 0, 'a second run stores nothing');
    assert.equal(r2.current, 3);
    assert.equal((await studySrs(p.orthanc, studyA)).length, 6);

    const res = await runCli(['results', studyA, '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    const reports = JSON.parse(res.stdout) as ReportSummary[];
    assert.equal(reports.length, 6);
    for (let i = 0; i < 6; i += 2) {
      assert.equal(reports[i].sourceSopInstanceUid, reports[i + 1].sourceSopInstanceUid, 'side by side per image');
      assert.deepEqual(
        [reports[i].algorithm.version, reports[i + 1].algorithm.version],
        ['2.0.0', '1.0.0'],
        'newest first',
      );
    }
  });

  it('a step pinned to one model version never runs on a worker with another: ModelMismatch', async () => {
    const wrong = { id: V1.id, version: '9.9.9' };
    const input: ReprocessInput = {
      label: 'mismatch test',
      model: wrong,
      // Deliberately mis-routed to the shared inference queue, which the 1.0.0 worker serves.
      inferenceTaskQueue: p.config.temporal.inferenceTaskQueue,
      scope: { study: studyB },
      offset: 0,
    };
    assert.notEqual(input.inferenceTaskQueue, modelTaskQueue(p.config.temporal.inferenceTaskQueue, wrong));
    const r = (await p.env.client.workflow.execute(reprocessWorkflow, {
      taskQueue: p.config.temporal.taskQueue,
      workflowId: `${name}-mismatch`,
      args: [input],
    })) as IngestResult;
    assert.deepEqual(r.counts, { total: 2, done: 0, failed: 2, skipped: 0 });
    for (const pr of r.recentProblems) {
      assert.equal(pr.reason?.type, 'ModelMismatch');
      assert.match(pr.reason?.message ?? '', /9\.9\.9.*1\.0\.0/);
    }
    for (const sop of sops.b) assert.equal(await srCount(p.orthanc, sop, wrong), 0);

    // retry-failed re-runs exactly those instances, with the same model and routing: the same typed failure again.
    const retry = await runCli(['retry-failed', `${name}-mismatch`, '--json'], {
      CXR_TASK_QUEUE: p.config.temporal.taskQueue,
    });
    assert.equal(retry.code, 2, retry.stderr);
    const rr = JSON.parse(retry.stdout) as IngestResult;
    assert.deepEqual(rr.counts, { total: 2, done: 0, failed: 2, skipped: 0 });
    assert.ok(rr.recentProblems.every((x) => x.reason?.type === 'ModelMismatch'));
  });
});
