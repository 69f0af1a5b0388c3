/**
 * Every activity, called twice with the same input (as Temporal does after a lost completion, a worker
 * crash or a timeout), has the same effect as calling it once: same outputs, same Orthanc IDs, one
 * stored copy of the image, one SR. Real activities from createActivities, real Orthanc (the shared
 * service), the real demo model; MockActivityEnvironment only supplies the activity context that
 * heartbeat() needs outside a worker.
 *
 * Also prints the measured duration of each activity for a small (64x64) and a full-size (2500x2048,
 * 16-bit) synthetic radiograph on this machine: the numbers the timeouts in src/workflows are sized from.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import AdmZip from 'adm-zip';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type PipelineActivities } from '../../../src/activities';
import { SOURCE_SHA_METADATA } from '../../../src/activities/upload';
import { loadConfig } from '../../../src/config';
import { resultKeyOf } from '../../../src/pipeline-worker';
import { deriveReportUids } from '../../../src/dicom/uids';
import { loadClassifier } from '../../../src/inference';
import { OrthancClient } from '../../../src/orthanc/client';
import { sha256File } from '../../../src/cli/ingest-id';
import { TEST_OUTPUT } from '../../helpers/pipeline';
import { syntheticCr, uidFrom } from '../../helpers/synthetic-dicom';

const mockEnv = new MockActivityEnvironment();
const env = {
  run: <A extends unknown[], R>(fn: (...a: A) => Promise<R>, ...a: A): Promise<R> =>
    mockEnv.run(fn, ...a) as Promise<R>,
};
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t = process.hrtime.bigint();
  const value = await fn();
  return { value, ms: Number(process.hrtime.bigint() - t) / 1e6 };
}

describe('activities are idempotent (real Orthanc, real model)', { timeout: 10 * 60_000 }, () => {
  const config = loadConfig();
  const orthanc = new OrthancClient(config.orthanc);
  let acts: PipelineActivities;
  let zipPath: string;
  let zipSha256: string;
  const seed = `idem-${Date.now()}`;
  const cases = [
    { label: 'small 64x64 12-bit', index: 0, name: 'a/1-small.dcm', opts: {} },
    {
      label: 'full 2500x2048 16-bit',
      index: 1,
      name: 'a/2-full.dcm',
      opts: { rows: 2500, columns: 2048, bitsStored: 16 as const },
    },
  ];
  const timings: string[] = [];

  before(async () => {
    const classifier = await loadClassifier(config.modelDir, {});
    acts = createActivities({ orthanc, classifier, zipLimits: config.zipLimits, resultKey: resultKeyOf(config) });
    fs.mkdirSync(TEST_OUTPUT, { recursive: true });
    const zip = new AdmZip();
    for (const c of cases)
      zip.addFile(c.name, syntheticCr({ seed, index: c.index, studyKey: `${seed}-${c.index}`, ...c.opts }));
    zipPath = path.join(TEST_OUTPUT, `${seed}.zip`);
    zip.writeZip(zipPath); // the zip writer orders entries by name: keep names in index order
    zipSha256 = await sha256File(zipPath);
  });
  after(() => {
    console.log(`[durability:timings] ${timings.join(' | ')}`);
    fs.rmSync(zipPath, { force: true });
  });

  it('inspectZip and listZipEntries: same answer twice (pure reads)', async () => {
    const a = await env.run(acts.inspectZip, { zipPath, expectedSha256: zipSha256 });
    const b = await env.run(acts.inspectZip, { zipPath, expectedSha256: zipSha256 });
    assert.deepEqual(a, b);
    const l1 = await env.run(acts.listZipEntries, { zipPath, zipSha256, offset: 0, limit: 10 });
    const l2 = await env.run(acts.listZipEntries, { zipPath, zipSha256, offset: 0, limit: 10 });
    assert.deepEqual(l1, l2);
    assert.deepEqual(
      l1.map((e) => e.name),
      cases.map((c) => c.name),
    );
  });

  for (const c of cases) {
    it(`upload, classify, storeReport twice: one image, one SR, same outputs (${c.label})`, async () => {
      const [entry] = await env.run(acts.listZipEntries, { zipPath, zipSha256, offset: c.index, limit: 1 });
      const sop = uidFrom(`${seed}/sop/${c.index}`);

      const up1 = await timed(() => env.run(acts.uploadInstance, { entry }));
      const up2 = await timed(() => env.run(acts.uploadInstance, { entry }));
      assert.equal(up1.value.alreadyStored, false, 'first upload stores');
      assert.equal(up2.value.alreadyStored, true, 'second upload finds it stored');
      assert.deepEqual({ ...up2.value, alreadyStored: false }, up1.value, 'same identifiers and eligibility');
      assert.deepEqual(await orthanc.lookup(sop, 'Instance'), [up1.value.orthancId], 'one copy in Orthanc');
      const sha = await orthanc.getInstanceMetadata(up1.value.orthancId, SOURCE_SHA_METADATA);
      assert.match(sha ?? '', /^[0-9a-f]{64}$/);

      const cl1 = await timed(() => env.run(acts.classifyInstance, { orthancId: up1.value.orthancId }));
      const cl2 = await timed(() => env.run(acts.classifyInstance, { orthancId: up1.value.orthancId }));
      assert.deepEqual(cl2.value.findings, cl1.value.findings, 'same scores');
      assert.deepEqual(cl2.value.model, cl1.value.model);

      const input = {
        orthancId: up1.value.orthancId,
        sourceSopInstanceUid: sop,
        classification: cl1.value,
        reportedAt: new Date().toISOString(),
      };
      const st1 = await timed(() => env.run(acts.storeReport, input));
      const st2 = await timed(() => env.run(acts.storeReport, input));
      const srUid = deriveReportUids(sop, cl1.value.model.id, cl1.value.model.version).sopInstanceUid;
      assert.equal(st1.value.reportSopInstanceUid, srUid);
      assert.equal(st1.value.alreadyStored, false);
      assert.deepEqual(st2.value, { ...st1.value, alreadyStored: true }, 'same SR UID and Orthanc ID');
      assert.deepEqual(await orthanc.lookup(srUid, 'Instance'), [st1.value.reportOrthancId], 'one SR in Orthanc');
      const [study] = await orthanc.lookup(up1.value.studyInstanceUid, 'Study');
      assert.equal((await orthanc.getStudyInstances(study)).length, 2, 'the study holds the image and one SR');
      assert.equal(await orthanc.getInstanceMetadata(up1.value.orthancId, SOURCE_SHA_METADATA), sha, 'tag unchanged');

      timings.push(
        `${c.label}: upload ${up1.ms.toFixed(0)} ms (again ${up2.ms.toFixed(0)}), classify ${cl1.ms.toFixed(0)} ms ` +
          `(again ${cl2.ms.toFixed(0)}; model ${cl1.value.timingsMs ? JSON.stringify(cl1.value.timingsMs) : '?'}), ` +
          `storeReport ${st1.ms.toFixed(0)} ms (again ${st2.ms.toFixed(0)})`,
      );
    });
  }

  it('uploadInstance after a crash between Orthanc storing and the activity completing claims the copy', async () => {
    // The worker died after POST /instances but before tagging: Orthanc holds the file, untagged.
    const bytes = syntheticCr({ seed, index: 7, studyKey: `${seed}-7` });
    const crashZip = path.join(TEST_OUTPUT, `${seed}-crash.zip`);
    const z = new AdmZip();
    z.addFile('crash.dcm', bytes);
    z.writeZip(crashZip);
    try {
      const stored = await orthanc.uploadInstance(bytes);
      const [entry] = await env.run(acts.listZipEntries, {
        zipPath: crashZip,
        zipSha256: await sha256File(crashZip),
        offset: 0,
        limit: 1,
      });
      const up = await env.run(acts.uploadInstance, { entry });
      assert.equal(up.orthancId, stored.id);
      assert.equal(up.alreadyStored, true);
      assert.equal(up.eligibility.classify, true, 'our own earlier copy is processed, not flagged as a duplicate');
      assert.match((await orthanc.getInstanceMetadata(stored.id, SOURCE_SHA_METADATA)) ?? '', /^[0-9a-f]{64}$/);
      const again = await env.run(acts.uploadInstance, { entry });
      assert.deepEqual(again, up);
    } finally {
      fs.rmSync(crashZip, { force: true });
    }
  });
});
