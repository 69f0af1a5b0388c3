/**
 * End to end on real DICOM: chest radiographs in many encodings, other modalities, broken files and
 * two different files sharing one SOPInstanceUID, zipped and ingested through Temporal into Orthanc.
 * Checks: every entry accounted once with a reason; exactly one SR per classified image, filed in the
 * source's study, valid per dciodvfy/dsrdump, and reading back the findings the pipeline computed;
 * re-running the zip stores nothing new.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import AdmZip from 'adm-zip';
import { WorkflowFailedError } from '@temporalio/client';
import { startOrAttachIngest } from '../../../src/cli/start-ingest';
import { parseReport } from '../../../src/dicom/sr';
import type { EntryOutcome, IngestResult } from '../../../src/workflows/types';
import { validateSr } from '../../helpers/dicom-validate';
import { FIXTURES, startTestPipeline, TEST_OUTPUT, type TestPipeline } from '../../helpers/pipeline';
import { syntheticCr } from '../../helpers/synthetic-dicom';

/** Expected outcome per entry name (status and, for problems, the type). */
const EXPECT: Record<string, { status: EntryOutcome['status']; type?: string }> = {
  'cxr/derived_CR-MONO1-10-chest_bigendian.dcm': { status: 'done' },
  'cxr/derived_CR-MONO1-10-chest_explicitLE.dcm': { status: 'done' },
  'cxr/derived_CR-MONO1-10-chest_jpeglossless14sv1.dcm': { status: 'done' },
  'cxr/derived_CR-MONO1-10-chest_rle.dcm': { status: 'done' },
  'cxr/derived_CR-MONO1-10-chest_mono2.dcm': { status: 'done' },
  'cxr/fodicom_CR-MONO1-10-chest_nometa.dcm': { status: 'done' },
  // CR without Body Part, so the rule would classify it; but its SOPInstanceUID (999.999.01.23...) is not a valid
  // UID (leading zero), so no report can reference it: failed at upload with the reason, before any inference.
  'cxr/fodicom_CR-ModalitySequenceLUT_teeth.dcm': { status: 'failed', type: 'InvalidUid' },
  // The highdicom sample is a dog's lateral chest (Performed Protocol "CANINE LATERAL THORAX 0-15cm", no View
  // Position): skipped by the species rule, the message naming the attribute (issue 24; it was classified before).
  'cxr/highdicom_dx_image_forpresentation_thorax.dcm': { status: 'skipped', type: 'NonHumanPatient' },
  'cxr/nih_chestxray14_DX_8bit_SC.dcm': { status: 'done' },
  'cxr/txv_Fake_MONOHR1_CR_chest.dcm': { status: 'done' },
  'cxr/txv_siim_CR_chest_jpegbaseline.dcm': { status: 'done' },
  'cxr/derived_CR-MONO1-10-chest_corrupt_jpegll.dcm': { status: 'failed' },
  'cxr/pydicomdata_RG3_J2KR_CR_extremity.dcm': { status: 'skipped', type: 'NotChestXray' },
  'cxr/pydicomdata_vlut_04_VOILUTseq.dcm': { status: 'skipped', type: 'NotChestXray' },
  'other/pydicom_CT_small.dcm': { status: 'skipped', type: 'NotChestXray' },
  'other/pydicom_test-SR.dcm': { status: 'skipped', type: 'NotChestXray' },
  'other/orthanc_Issue56_DX_forpresentation_NoPixelData.dcm': { status: 'skipped', type: 'NotChestXray' },
  'other/pydicom_MR_truncated.dcm': { status: 'failed', type: 'CorruptDicom' },
};

describe('end to end on real DICOM files', { timeout: 10 * 60_000 }, () => {
  let p: TestPipeline;
  let zipPath: string;
  let result: IngestResult;
  let ingestId: string;
  const outcomes = new Map<string, EntryOutcome>();

  before(async () => {
    p = await startTestPipeline();
    fs.mkdirSync(TEST_OUTPUT, { recursive: true });
    const zip = new AdmZip();
    for (const dir of ['cxr', 'e2e']) {
      for (const f of fs
        .readdirSync(path.join(FIXTURES, dir))
        .filter((f) => f.endsWith('.dcm'))
        .sort()) {
        zip.addFile(`${dir === 'e2e' ? 'other' : 'cxr'}/${f}`, fs.readFileSync(path.join(FIXTURES, dir, f)));
      }
    }
    // Two different files with one SOPInstanceUID (a transcoded re-export): one is stored, the other skipped.
    const seed = `dup-${Date.now()}`;
    zip.addFile('dup/a.dcm', syntheticCr({ seed, index: 1, rows: 96, columns: 96 }));
    zip.addFile('dup/b.dcm', syntheticCr({ seed, index: 1, rows: 96, columns: 96, bitsStored: 16 }));
    zipPath = path.join(TEST_OUTPUT, `e2e-${seed}.zip`);
    zip.writeZip(zipPath);
  });
  after(async () => p?.stop());

  it('ingests the zip and accounts for every entry exactly once', async () => {
    const s = await startOrAttachIngest(p.env.client, p.config, zipPath, { window: 4 });
    ingestId = s.ingestId;
    result = await s.handle.result();
    const total = Object.keys(EXPECT).length + 2;
    assert.equal(result.counts.total, total);
    assert.equal(result.counts.done + result.counts.failed + result.counts.skipped, total);
    for (let i = 0; i < total; i++) {
      const handle = p.env.client.workflow.getHandle(`${ingestId}/${i}`);
      try {
        const o = await handle.result();
        outcomes.set(o.name, o);
      } catch (err) {
        assert.ok(err instanceof WorkflowFailedError);
        const problem = result.recentProblems.find((o) => o.index === i);
        assert.ok(problem, `failed child ${i} is in the parent's problems`);
        outcomes.set(problem.name, problem);
      }
    }
    assert.equal(outcomes.size, total);
  });

  it('gives each entry the expected outcome and a reason an operator can act on', () => {
    for (const [name, want] of Object.entries(EXPECT)) {
      const got = outcomes.get(name);
      assert.ok(got, `no outcome for ${name}`);
      assert.equal(got.status, want.status, `${name}: ${JSON.stringify(got.reason)}`);
      if (want.type) assert.equal(got.reason?.type, want.type, name);
      if (got.status !== 'done') assert.ok((got.reason?.message.length ?? 0) > 20, `${name} has a readable reason`);
    }
    const dup = [outcomes.get('dup/a.dcm'), outcomes.get('dup/b.dcm')].map((o) => o?.status).sort();
    assert.deepEqual(dup, ['done', 'skipped']);
    const skippedDup = [outcomes.get('dup/a.dcm'), outcomes.get('dup/b.dcm')].find((o) => o?.status === 'skipped');
    assert.equal(skippedDup?.reason?.type, 'DuplicateSopInstanceUid');
  });

  it('stores exactly one valid SR per classified image, in the same study, with the computed findings', async () => {
    const done = [...outcomes.values()].filter((o) => o.status === 'done');
    assert.equal(done.length, Object.values(EXPECT).filter((e) => e.status === 'done').length + 1);
    for (const o of done) {
      assert.ok(o.reportSopInstanceUid && o.sopInstanceUid && o.orthancId, `${o.name}: ${JSON.stringify(o)}`);
      const srIds = await p.orthanc.lookup(o.reportSopInstanceUid, 'Instance');
      assert.equal(srIds.length, 1, `one SR for ${o.name}`);
      const bytes = await p.orthanc.getInstanceFile(srIds[0]);
      const v = await validateSr(bytes);
      assert.deepEqual(v.errors, [], `dciodvfy/dsrdump errors for the SR of ${o.name}`);
      assert.equal(v.dsrdumpOk, true);
      const summary = parseReport(bytes);
      assert.equal(summary.sourceSopInstanceUid, o.sopInstanceUid);
      assert.equal(summary.studyInstanceUid, o.studyInstanceUid);
      const srInfo = await p.orthanc.getInstance(srIds[0]);
      const srcInfo = await p.orthanc.getInstance(o.orthancId);
      const srSeries = await p.orthanc.lookup(summary.seriesInstanceUid, 'Series');
      const srcSeries = await p.orthanc.lookup(srcInfo.MainDicomTags.SOPInstanceUID ?? '', 'Instance');
      assert.equal(srcSeries.length, 1);
      assert.equal(srSeries.length, 1);
      assert.equal(
        await studyOf(p, srInfo.ParentSeries),
        await studyOf(p, srcInfo.ParentSeries),
        `${o.name}: SR filed in the source study`,
      );
      for (const f of o.topFindings ?? []) {
        const back = summary.findings.find((x) => x.label === f.label);
        assert.ok(back, `finding ${f.label} in SR`);
        assert.ok(Math.abs(back.probability - f.probability) < 1e-4, `${f.label} probability round-trips`);
      }
    }
  });

  it('re-submitting the zip attaches; the same files in another zip re-run and create nothing new in Orthanc', async () => {
    // Scoped to the studies this zip touches (other tests may share the server).
    const studies = new Set<string>();
    for (const o of outcomes.values())
      if (o.orthancId) studies.add(await studyOf(p, (await p.orthanc.getInstance(o.orthancId)).ParentSeries));
    const count = async (): Promise<number> => {
      let n = 0;
      for (const s of studies) n += (await p.orthanc.getStudyInstances(s)).length;
      return n;
    };
    const before = await count();
    const again = await startOrAttachIngest(p.env.client, p.config, zipPath, { window: 4 });
    assert.equal(again.started, false);
    assert.equal(again.ingestId, ingestId);
    assert.deepEqual((await again.handle.result()).counts, result.counts);
    assert.equal(await count(), before);

    // Attaching runs nothing, so also run the same files again as real work: another zip is a new ingest, whose
    // every entry is uploaded, classified and reported again; Orthanc must answer AlreadyStored to all of it.
    const repacked = new AdmZip(zipPath);
    repacked.addZipComment(`${ingestId} repacked`);
    const otherPath = zipPath.replace(/\.zip$/, '-repacked.zip');
    repacked.writeZip(otherPath);
    const other = await startOrAttachIngest(p.env.client, p.config, otherPath, { window: 4 });
    assert.equal(other.started, true, 'a different zip is a new ingest');
    assert.deepEqual((await other.handle.result()).counts, result.counts);
    assert.equal(await count(), before, 'the re-run stored nothing new');
  });
});

async function studyOf(p: TestPipeline, seriesId: string): Promise<string> {
  const series = await p.orthanc.getSeries(seriesId);
  return series.ParentStudy;
}
