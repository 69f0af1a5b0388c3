/**
 * IngestZipWorkflow on the real Temporal dev server with the real activities and real Orthanc:
 * fan-out, sliding window bound, continue-as-new, exact accounting, idempotent re-submission.
 * Uses small synthetic radiographs so the workflow mechanics, not pixel sizes, dominate.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import AdmZip from 'adm-zip';
import { startOrAttachIngest } from '../../../src/cli/start-ingest';
import { DEFAULT_CONTINUE_AS_NEW_EVERY } from '../../../src/workflows/ingest-zip';
import type { IngestResult } from '../../../src/workflows/types';
import { maxConcurrentChildren, runsOf } from '../../helpers/history';
import { startTestPipeline, TEST_OUTPUT, type TestPipeline } from '../../helpers/pipeline';
import { studyObjects } from '../../helpers/study-objects';
import { syntheticCr, uidFrom } from '../../helpers/synthetic-dicom';

const N_CXR = 36;
const WINDOW = 3;
const PER_RUN = 14;

describe('IngestZipWorkflow on the real dev server', { timeout: 10 * 60_000 }, () => {
  let p: TestPipeline;
  let zipPath: string;
  const seed = `wf-${Date.now()}`;

  before(async () => {
    p = await startTestPipeline();
    fs.mkdirSync(TEST_OUTPUT, { recursive: true });
    const zip = new AdmZip();
    for (let i = 0; i < N_CXR; i++)
      zip.addFile(`study/img${String(i).padStart(3, '0')}.dcm`, syntheticCr({ seed, index: i, studyKey: 'A' }));
    zip.addFile('study/ct.dcm', syntheticCr({ seed, index: 1000, modality: 'CT' }));
    zip.addFile('study/knee.dcm', syntheticCr({ seed, index: 1001, bodyPart: 'KNEE' }));
    zip.addFile('study/header-only.dcm', syntheticCr({ seed, index: 1002, noPixelData: true }));
    zip.addFile('study/notes.txt', Buffer.from('not a dicom file\n'));
    zipPath = path.join(TEST_OUTPUT, `${seed}.zip`);
    zip.writeZip(zipPath);
  });
  after(async () => p?.stop());

  let result: IngestResult;
  let ingestId: string;

  it('accounts for every entry exactly once, with typed reasons', async () => {
    const s = await startOrAttachIngest(p.env.client, p.config, zipPath, {
      window: WINDOW,
      continueAsNewEvery: PER_RUN,
      pageSize: 5,
    });
    assert.equal(s.started, true);
    ingestId = s.ingestId;
    result = await s.handle.result();
    const total = N_CXR + 4;
    assert.equal(result.counts.total, total);
    assert.equal(result.counts.done + result.counts.failed + result.counts.skipped, total);
    assert.deepEqual(result.counts, { total, done: N_CXR, failed: 2, skipped: 2 });
    const byName = new Map(result.recentProblems.map((o) => [o.name, o]));
    assert.equal(byName.get('study/ct.dcm')?.reason?.type, 'NotChestXray');
    assert.equal(byName.get('study/knee.dcm')?.reason?.type, 'NotChestXray');
    assert.equal(byName.get('study/header-only.dcm')?.reason?.type, 'NoPixelData');
    assert.equal(byName.get('study/notes.txt')?.reason?.type, 'NotDicom');
    for (const o of result.recentProblems) assert.ok((o.reason?.message ?? '').length > 10, `reason for ${o.name}`);
  });

  it('continued as new and never had more children in flight than the window', async () => {
    const runs = await runsOf(p.env.client, ingestId);
    assert.ok(runs.length >= Math.ceil((N_CXR + 4) / PER_RUN), `expected several runs, got ${runs.length}`);
    assert.equal(result.runs, runs.length);
    for (const history of runs) {
      const peak = maxConcurrentChildren(history);
      assert.ok(peak <= WINDOW, `peak ${peak} children in flight > window ${WINDOW}`);
      assert.ok((history.events?.length ?? 0) < 1000, 'history stays small');
    }
    // History budget: events per entry in the parent, so the default run length (DEFAULT_CONTINUE_AS_NEW_EVERY)
    // stays far below Temporal's 10,240-event warning whatever the zip size (10,000+ entries = 20+ runs). The budget
    // is 60 % of the warning: this small test spreads each run's fixed events (start, listing pages, continue-as-new)
    // over ~14 entries, so it reads 9.2-10.1 per entry here, more than a 500-entry run pays (measured on a loaded
    // 2-core machine, where workflow-task retries add a few events).
    const events = runs.reduce((n, h) => n + (h.events?.length ?? 0), 0);
    const perEntry = events / (N_CXR + 4);
    console.log(`ingest history: ${runs.length} runs, ${events} parent events, ${perEntry.toFixed(1)} per entry`);
    assert.ok(
      perEntry * DEFAULT_CONTINUE_AS_NEW_EVERY < 10_240 * 0.6,
      `${perEntry} events per entry is too many for runs of ${DEFAULT_CONTINUE_AS_NEW_EVERY}`,
    );
    const peaks = runs.map(maxConcurrentChildren);
    assert.equal(Math.max(...peaks), WINDOW, 'the window is actually used');
  });

  it('a done entry costs at most its budget of history events (the I/O steps are local activities)', async () => {
    // A done child records: started, 2 workflow tasks (3 events each), 1 marker per local step (upload, SR, heatmaps
    // when the model has CAMs and a finding is positive), classify as an activity (scheduled, started, completed),
    // completed: 13-14 events (24-30 before the local activities, docs/performance.md). The budget leaves room for a
    // workflow task that a loaded machine retries or heartbeats (3 events) and fails on any step going back to being
    // an activity (+5) or an upsert per done child (+1 each on every child: the mean).
    const counts: number[] = [];
    const problems = new Set(result.recentProblems.map((o) => o.index));
    for (let i = 0; i < N_CXR + 4; i++) {
      if (problems.has(i)) continue;
      const h = await p.env.client.workflow.getHandle(`${ingestId}/${i}`).fetchHistory();
      counts.push(h.events?.length ?? 0);
    }
    assert.equal(counts.length, N_CXR);
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length;
    console.log(
      `done children: ${mean.toFixed(1)} events each (min ${Math.min(...counts)}, max ${Math.max(...counts)})`,
    );
    assert.ok(mean <= 14.5, `done children average ${mean.toFixed(1)} events (budget 14.5)`);
    assert.ok(Math.max(...counts) <= 18, `a done child has ${Math.max(...counts)} events (budget 18)`);
  });

  it('stored each image once and exactly one SR per classified image', async () => {
    for (let i = 0; i < N_CXR; i++) {
      const sop = uidFrom(`${seed}/sop/${i}`);
      assert.equal((await p.orthanc.lookup(sop, 'Instance')).length, 1);
    }
    const study = await p.orthanc.lookup(uidFrom(`${seed}/study/A`), 'Study');
    assert.equal(study.length, 1);
    // The study also holds the heatmaps (SEG series, one per positive finding of a CAM-capable model): counted apart.
    const { instances, modality, heatmaps } = await studyObjects(p.orthanc, study[0]);
    assert.ok(heatmaps <= p.config.heatmapsMax * N_CXR, `${heatmaps} heatmaps: at most CXR_HEATMAPS_MAX per image`);
    const srs = instances.filter(
      (i) => i.MainDicomTags.SOPInstanceUID && !uidSet(seed).has(i.MainDicomTags.SOPInstanceUID),
    );
    assert.equal(instances.length, 2 * N_CXR, 'N images + N reports in the study, besides the heatmaps');
    assert.equal(srs.length, N_CXR);
    assert.ok(
      srs.every((i) => modality.get(i.ParentSeries) === 'SR'),
      'every other instance is an SR',
    );
  });

  it('re-submitting the same zip attaches to the finished ingest and stores nothing new', async () => {
    const study = (await p.orthanc.lookup(uidFrom(`${seed}/study/A`), 'Study'))[0];
    const before = (await p.orthanc.getStudyInstances(study)).length;
    const again = await startOrAttachIngest(p.env.client, p.config, zipPath, { window: WINDOW });
    assert.equal(again.started, false);
    assert.equal(again.ingestId, ingestId);
    const r2 = await again.handle.result();
    assert.deepEqual(r2.counts, result.counts);
    assert.equal((await p.orthanc.getStudyInstances(study)).length, before);
  });

  it('the same files in another zip run every entry again (a new ingest) and store nothing new', async () => {
    const study = (await p.orthanc.lookup(uidFrom(`${seed}/study/A`), 'Study'))[0];
    const before = (await p.orthanc.getStudyInstances(study)).length;
    const repacked = new AdmZip(zipPath);
    repacked.addZipComment(`${seed} repacked`);
    const otherPath = path.join(TEST_OUTPUT, `${seed}-repacked.zip`);
    repacked.writeZip(otherPath);
    const s = await startOrAttachIngest(p.env.client, p.config, otherPath, { window: WINDOW });
    assert.equal(s.started, true, 'a different zip is a new ingest');
    assert.notEqual(s.ingestId, ingestId);
    const r = await s.handle.result();
    // Every entry ran again (upload, classify, store the SR): the same outcomes, and Orthanc answered AlreadyStored.
    assert.deepEqual(r.counts, result.counts);
    assert.equal((await p.orthanc.getStudyInstances(study)).length, before, 'nothing new in the study');
  });
});

function uidSet(seed: string): Set<string> {
  const s = new Set<string>();
  for (let i = 0; i < N_CXR; i++) s.add(uidFrom(`${seed}/sop/${i}`));
  return s;
}
