/**
 * An operator deletes an instance from Orthanc (REST DELETE) while its entry is between steps. The step that then
 * reads it gets HTTP 404 and must fail at once with the typed reason `OrthancNotFound` (non-retryable), not retry
 * for two hours. Deterministic: the ingest sends classifyInstance to an inference queue nobody polls until the
 * instance is uploaded and deleted; then an inference worker starts and meets the 404 on its first attempt.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import AdmZip from 'adm-zip';
import { startOrAttachIngest } from '../../../src/cli/start-ingest';
import { createPipelineWorkers, type PipelineWorkers } from '../../../src/pipeline-worker';
import { startTestPipeline, TEST_OUTPUT, type TestPipeline, uniqueQueue } from '../../helpers/pipeline';
import { syntheticCr, uidFrom } from '../../helpers/synthetic-dicom';
import { stepAttempts } from '../../helpers/history';

async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('an instance deleted from Orthanc mid-ingest', { timeout: 3 * 60_000 }, () => {
  let p: TestPipeline;
  let inference: PipelineWorkers | undefined;
  let inferenceRunning: Promise<void> | undefined;
  const seed = `deleted-${Date.now()}`;
  const heldQueue = uniqueQueue('held-inference');
  let zipPath: string;

  before(async () => {
    p = await startTestPipeline();
    fs.mkdirSync(TEST_OUTPUT, { recursive: true });
    const zip = new AdmZip();
    zip.addFile('study/img000.dcm', syntheticCr({ seed, index: 0 }));
    zipPath = path.join(TEST_OUTPUT, `${seed}.zip`);
    zip.writeZip(zipPath);
  });
  after(async () => {
    inference?.shutdown();
    await inferenceRunning;
    await p?.stop();
    fs.rmSync(zipPath, { force: true });
  });

  it('fails the entry at once with OrthancNotFound (one attempt, no two-hour retry)', async () => {
    const s = await startOrAttachIngest(p.env.client, p.config, zipPath, { inferenceTaskQueue: heldQueue });
    assert.equal(s.started, true, 'a fresh ingest');
    const child = p.env.client.workflow.getHandle(`${s.ingestId}/0`);

    // Uploaded, and classifyInstance scheduled on the held queue: the entry is between steps.
    await until('classifyInstance to be scheduled', 60_000, async () => {
      const history = await child.fetchHistory().catch(() => undefined);
      const scheduled = history?.events?.some(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'classifyInstance',
      );
      return scheduled ? true : undefined;
    });
    const sopInstanceUid = uidFrom(`${seed}/sop/0`);
    const [orthancId] = await p.orthanc.lookup(sopInstanceUid, 'Instance');
    assert.ok(orthancId, `instance ${sopInstanceUid} is in Orthanc`);
    await p.orthanc.deleteResource('Instance', orthancId);
    assert.deepEqual(await p.orthanc.lookup(sopInstanceUid, 'Instance'), []);

    const t0 = Date.now();
    inference = await createPipelineWorkers({
      config: { ...p.config, temporal: { ...p.config.temporal, inferenceTaskQueue: heldQueue } },
      role: 'inference',
      connection: p.env.nativeConnection,
      payloadCodec: null,
    });
    inferenceRunning = inference.run();
    const result = await s.handle.result();
    const seconds = (Date.now() - t0) / 1000;

    assert.deepEqual(result.counts, { total: 1, done: 0, failed: 1, skipped: 0 });
    const [problem] = result.recentProblems;
    assert.equal(problem?.reason?.type, 'OrthancNotFound', JSON.stringify(problem));
    assert.match(problem?.reason?.message ?? '', /HTTP 404/);
    const attempts = stepAttempts(await child.fetchHistory()).map((s) => `${s.activityType} ${s.attempt}`);
    // The failed image is still reported to its study (src/workflows/study.ts), once.
    assert.deepEqual(
      attempts,
      ['uploadInstance 1', 'classifyInstance 1', 'noteStudyImage 1'],
      'upload and classify each ran once, then the study heard of it',
    );
    assert.ok(seconds < 30, `failed after ${seconds.toFixed(1)} s`);
    console.log(`deleted instance: entry failed OrthancNotFound ${seconds.toFixed(1)} s after the worker started`);
  });
});
