/**
 * Study completion (src/workflows/study.ts) on the real dev server and Orthanc, through real ingests: each image's
 * workflow tells its study's workflow how it ended (Signal-With-Start), the study completes after the inactivity
 * timer with one summary (images, the skipped one and why, the highest findings) in its memo, search attributes and
 * query; the same report again changes nothing; a late image re-opens it (completion 2); an operator completes a
 * study at once (the completeStudy update, as `cxr studies complete` sends it).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import AdmZip from 'adm-zip';
import { completeStudy, getStudy, listStudies } from '../../../src/cli/studies';
import type { StudySummary } from '../../../src/contracts';
import * as SA from '../../../src/workflows/search-attributes';
import { studyImageSignal, studyQuery, type StudyView, studyWorkflowId } from '../../../src/workflows/study';
import { freshIngest, startTestPipeline, TEST_OUTPUT, type TestPipeline } from '../../helpers/pipeline';
import { syntheticCr, uidFrom } from '../../helpers/synthetic-dicom';

// Long enough that the images of one ingest end within it on a loaded 2-core machine (load 30: 4 s split one ingest).
const INACTIVITY_MS = 15_000;

async function waitStudy(p: TestPipeline, uid: string, ok: (v: StudyView) => boolean): Promise<StudyView> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const v = await p.env.client.workflow
      .getHandle(studyWorkflowId(uid))
      .query(studyQuery)
      .catch(() => undefined);
    if (v && ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`study ${uid}: not there in 2 min (last: ${JSON.stringify(v)})`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

function zipOf(file: string, entries: { name: string; data: Buffer }[]): string {
  const zip = new AdmZip();
  for (const e of entries) zip.addFile(e.name, e.data);
  zip.writeZip(file);
  return file;
}

describe('study completion on the real dev server', { timeout: 10 * 60_000 }, () => {
  let p: TestPipeline;
  const seed = `study-${Date.now()}`;
  const studyUid = uidFrom(`${seed}/study/S`);
  const dir = path.join(TEST_OUTPUT, 'studies');

  before(async () => {
    fs.mkdirSync(dir, { recursive: true });
    p = await startTestPipeline({ studies: { inactivityMs: INACTIVITY_MS, reopenWindowMs: 3600_000 } });
  });
  after(async () => {
    await p?.env.client.workflow
      .getHandle(studyWorkflowId(studyUid))
      .terminate('test done')
      .catch(() => undefined);
    await p?.stop();
  });

  let first: StudySummary;

  it('completes by the inactivity timer with one summary: images, the skipped one and why, highest findings', async () => {
    const zip = zipOf(path.join(dir, `${seed}-a.zip`), [
      { name: 's/img0.dcm', data: syntheticCr({ seed, index: 0, studyKey: 'S' }) },
      { name: 's/img1.dcm', data: syntheticCr({ seed, index: 1, studyKey: 'S' }) },
      { name: 's/ct.dcm', data: syntheticCr({ seed, index: 2, studyKey: 'S', modality: 'CT' }) },
    ]);
    const s = await freshIngest(p, zip);
    const r = await s.handle.result();
    assert.deepEqual(r.counts, { total: 3, done: 2, failed: 0, skipped: 1 });
    const v = await waitStudy(p, studyUid, (x) => x.state === 'completed');
    const sum = v.summary;
    assert.ok(sum);
    first = sum;
    assert.equal(sum.completion, 1);
    assert.equal(sum.completedBy, 'inactivity');
    assert.equal(sum.images.length, 3);
    const byUid = new Map(sum.images.map((i) => [i.sopInstanceUid, i]));
    assert.equal(byUid.get(uidFrom(`${seed}/sop/2`))?.status, 'skipped');
    assert.equal(byUid.get(uidFrom(`${seed}/sop/2`))?.reason?.type, 'NotChestXray');
    for (const k of [0, 1]) {
      const img = byUid.get(uidFrom(`${seed}/sop/${k}`));
      assert.equal(img?.status, 'done');
      assert.match(img?.reportSopInstanceUid ?? '', /^2\.25\./);
    }
    assert.ok(sum.highestFindings.length > 0 && sum.highestFindings.length <= 5);
    for (let i = 1; i < sum.highestFindings.length; i++)
      assert.ok(sum.highestFindings[i - 1].probability >= sum.highestFindings[i].probability);
    assert.match(sum.model.id, /demo/);
    // Recorded durably: the memo and the search attributes (what `cxr studies` and the Web UI read).
    const d = await p.env.client.workflow.getHandle(studyWorkflowId(studyUid)).describe();
    assert.equal(((await d.memo)?.summary as StudySummary).completion, 1);
    assert.equal(d.typedSearchAttributes.get(SA.STATE), 'completed');
    assert.equal(d.typedSearchAttributes.get(SA.STUDY_UID), studyUid);
    assert.equal(d.typedSearchAttributes.get(SA.TOTAL), 3);
    assert.equal(d.typedSearchAttributes.get(SA.DONE), 2);
    assert.equal(d.typedSearchAttributes.get(SA.PRIORITY), 'routine');
    // Visibility is eventually consistent: the list may lag the upsert by a moment.
    let row;
    for (let i = 0; i < 20 && row?.state !== 'completed'; i++) {
      row = (await listStudies(p.env.client, { limit: 5, filter: `CxrStudyUid = '${studyUid}'` }))[0];
      if (row?.state !== 'completed') await new Promise((res) => setTimeout(res, 500));
    }
    assert.equal(row?.state, 'completed');
    assert.equal(row?.completion, 1);
  });

  it('the same image reported again (a retried Signal-With-Start) changes nothing', async () => {
    const img = first.images.find((i) => i.status === 'done');
    assert.ok(img);
    await p.env.client.workflow.signalWithStart('studyWorkflow', {
      workflowId: studyWorkflowId(studyUid),
      taskQueue: p.config.temporal.taskQueue,
      args: [{ studyInstanceUid: studyUid }],
      signal: studyImageSignal,
      signalArgs: [{ image: img, topFindings: img.positiveFindings }],
    });
    await new Promise((r) => setTimeout(r, INACTIVITY_MS + 1500));
    const s = await getStudy(p.env.client, studyUid);
    assert.ok(s.running);
    assert.equal(s.view.state, 'completed');
    assert.equal(s.view.completion, 1);
    assert.equal(s.view.counts.total, 3);
  });

  it('a late image re-opens the completed study and the next completion gets the next number', async () => {
    const zip = zipOf(path.join(dir, `${seed}-b.zip`), [
      { name: 's/late.dcm', data: syntheticCr({ seed, index: 3, studyKey: 'S' }) },
    ]);
    const s = await freshIngest(p, zip);
    await s.handle.result();
    const v = await waitStudy(p, studyUid, (x) => x.completion === first.completion + 1 && x.state === 'completed');
    assert.equal(v.summary?.images.length, 4);
    assert.equal(v.summary?.completedBy, 'inactivity');
    assert.ok(v.summary?.images.some((i) => i.sopInstanceUid === uidFrom(`${seed}/sop/3`) && i.status === 'done'));
  });

  it('an operator completes an open study at once (cxr studies complete): completedBy operator', async () => {
    const uid = uidFrom(`${seed}/study/OP`);
    // A study whose inactivity timer would run for 10 minutes.
    await p.env.client.workflow.signalWithStart('studyWorkflow', {
      workflowId: studyWorkflowId(uid),
      taskQueue: p.config.temporal.taskQueue,
      args: [{ studyInstanceUid: uid, inactivityMs: 600_000 }],
      signal: studyImageSignal,
      signalArgs: [
        {
          image: { sopInstanceUid: `${uid}.1`, seriesInstanceUid: `${uid}.9`, status: 'done', positiveFindings: [] },
          topFindings: [{ label: 'Effusion', probability: 0.4, threshold: 0.5, positive: false }],
          model: { id: 'm', version: '1' },
        },
      ],
    });
    const open = await waitStudy(p, uid, (x) => x.state === 'open');
    assert.ok(open.completesAt && Date.parse(open.completesAt) > Date.now() + 500_000);
    const t0 = Date.now();
    const sum = await completeStudy(p.env.client, uid);
    assert.ok(Date.now() - t0 < 30_000);
    assert.equal(sum.completedBy, 'operator');
    assert.equal(sum.completion, 1);
    assert.deepEqual(
      sum.highestFindings.map((f) => f.label),
      ['Effusion'],
    );
    // Asking again answers the same summary, no new completion.
    assert.equal((await completeStudy(p.env.client, uid)).completion, 1);
    await p.env.client.workflow.getHandle(studyWorkflowId(uid)).terminate('test done');
  });
});
