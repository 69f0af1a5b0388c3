/**
 * Eligibility from the model's intended input, end to end: real chest films with one header edit each
 * (test/fixtures/eligibility: lateral, FOR PROCESSING, a 5-year-old, 128x128, no View Position) go through the real
 * pipeline (real Temporal, Orthanc, worker, ONNX) with the torchxrayvision intended input
 * (scripts/models/txv-accepts.json, the export script's default) on the demo model's weights. Each ends with its
 * expected outcome and reason; `cxr failures` lists every skipped one with its reason; no SR exists for any of them;
 * the admitted one's SR states which rules admitted it; re-processing (`retry-failed --include-skipped`) applies the
 * same rules.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import AdmZip from 'adm-zip';
import { PROJECT_ROOT } from '../../../src/config';
import { parseReport } from '../../../src/dicom/sr';
import type { EntryOutcome, IngestResult } from '../../../src/workflows/types';
import { validateSr } from '../../helpers/dicom-validate';
import { FIXTURES, startTestPipeline, TEST_OUTPUT, uniqueQueue, type TestPipeline } from '../../helpers/pipeline';
import { assertBuilt, runCli } from '../cli/run-cli';

const EXPECT: Record<string, { status: 'done' | 'skipped'; type?: string; message?: RegExp }> = {
  'eligibility/lateral_LL.dcm': { status: 'skipped', type: 'NotFrontalView', message: /View Position is LL/ },
  'eligibility/for_processing_DX.dcm': { status: 'skipped', type: 'ForProcessingImage', message: /FOR PROCESSING/ },
  'eligibility/age_5y.dcm': { status: 'skipped', type: 'OutsideAgeRange', message: /younger than 18 years/ },
  'eligibility/small_128x128.dcm': { status: 'skipped', type: 'ImageTooSmall', message: /128x128 pixels/ },
  'eligibility/no_view_position.dcm': { status: 'done' },
  // The highdicom sample: a dog's lateral with no View Position (issue 24).
  'cxr/highdicom_dx_image_forpresentation_thorax.dcm': {
    status: 'skipped',
    type: 'NonHumanPatient',
    message: /Performed Protocol Code Sequence "CANINE LATERAL THORAX 0-15cm" names an animal/,
  },
};

const TEST_MODEL_ID = 'cxr-pipeline-demo-cxr-txv-input';
/** Its SRs' Algorithm Name, told apart from other models' SRs in the shared public samples' studies. */
const TEST_MODEL_NAME = 'CXR demo, txv intended input';

/** The demo model's weights with the torchxrayvision intended input, in a model folder of the test's own. */
function txvIntendedInputModel(): string {
  const demo = path.join(PROJECT_ROOT, 'models', 'demo-cxr');
  const dir = path.join(TEST_OUTPUT, `eligibility-model-${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(demo, 'model.onnx'), path.join(dir, 'model.onnx'));
  const manifest = JSON.parse(fs.readFileSync(path.join(demo, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  const accepts = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'scripts', 'models', 'txv-accepts.json'), 'utf8'));
  fs.writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({ ...manifest, id: TEST_MODEL_ID, name: TEST_MODEL_NAME, accepts }, null, 2),
  );
  return dir;
}

describe('eligibility from the manifest, through the real pipeline', { timeout: 300_000 }, () => {
  let p: TestPipeline;
  let env: Record<string, string>;
  let zipPath: string;
  let ingest: IngestResult;
  let modelDir: string;
  const outcomes = new Map<string, EntryOutcome>();

  before(async () => {
    assertBuilt();
    modelDir = txvIntendedInputModel();
    p = await startTestPipeline({ taskQueue: uniqueQueue('eligibility'), modelDir });
    env = { CXR_TASK_QUEUE: p.config.temporal.taskQueue, CXR_MODEL_DIR: modelDir };
    const zip = new AdmZip();
    for (const name of Object.keys(EXPECT)) zip.addFile(name, fs.readFileSync(path.join(FIXTURES, name)));
    // A fresh ingest every run (the ingest ID is the zip's hash; the fixtures themselves never change).
    const seed = `eligibility-${Date.now()}-${process.pid}`;
    zip.addZipComment(seed);
    zipPath = path.join(TEST_OUTPUT, `${seed}.zip`);
    zip.writeZip(zipPath);
  });
  after(async () => {
    await p?.stop();
    if (modelDir) fs.rmSync(modelDir, { recursive: true, force: true });
  });

  it('ingest: the admitted film is done, the five others skipped (nothing failed, exit 0)', async () => {
    const run = await runCli(['ingest', zipPath, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    [ingest] = JSON.parse(run.stdout) as IngestResult[];
    assert.deepEqual(ingest.counts, { total: 6, done: 1, failed: 0, skipped: 5 });
    for (let i = 0; i < Object.keys(EXPECT).length; i++) {
      const o = (await p.env.client.workflow.getHandle(`${ingest.ingestId}/${i}`).result()) as EntryOutcome;
      outcomes.set(o.name, o);
    }
    for (const [name, want] of Object.entries(EXPECT)) {
      const o = outcomes.get(name);
      assert.equal(o?.status, want.status, `${name}: ${JSON.stringify(o?.reason)}`);
      if (want.type) assert.equal(o?.reason?.type, want.type, name);
      if (want.message) assert.match(o?.reason?.message ?? '', want.message, name);
    }
  });

  it('cxr failures lists each skipped fixture with its reason', async () => {
    const run = await runCli(['failures', zipPath, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as { failed: number; skipped: number; problems: EntryOutcome[] };
    assert.equal(out.failed, 0);
    assert.equal(out.skipped, 5);
    const listed = new Map(out.problems.map((o) => [o.name, o]));
    for (const [name, want] of Object.entries(EXPECT)) {
      if (want.status !== 'skipped') {
        assert.equal(listed.has(name), false, `${name} is not a problem`);
        continue;
      }
      assert.equal(listed.get(name)?.status, 'skipped', name);
      assert.equal(listed.get(name)?.reason?.type, want.type, name);
    }
    const text = await runCli(['failures', ingest.ingestId], env);
    for (const want of Object.values(EXPECT)) if (want.type) assert.match(text.stdout, new RegExp(want.type));
  });

  it('no SR exists for any skipped fixture; the admitted one has one that says why it was classified', async () => {
    for (const [name, want] of Object.entries(EXPECT)) {
      const o = outcomes.get(name);
      assert.ok(o?.orthancId, `${name} was stored in Orthanc`);
      const info = await p.orthanc.getInstance(o.orthancId);
      const study = (await p.orthanc.getSeries(info.ParentSeries)).ParentStudy;
      const instances = await p.orthanc.getStudyInstances(study);
      // Only SRs about this very image by this test's model count: a public sample's study is shared with other
      // tests (their SR fixtures, their own models).
      const reports = [];
      for (const i of instances) {
        const tags = await p.orthanc.getInstanceTags(i.ID);
        if (tags.Modality !== 'SR') continue;
        const r = parseReport(await p.orthanc.getInstanceFile(i.ID));
        if (r.sourceSopInstanceUid === o.sopInstanceUid && r.algorithm.name === TEST_MODEL_NAME) reports.push(i.ID);
      }
      if (want.status === 'skipped') {
        assert.deepEqual(reports, [], `${name}: no SR references it`);
        continue;
      }
      assert.equal(reports.length, 1, `${name}: one SR`);
      const bytes = await p.orthanc.getInstanceFile(reports[0]);
      const v = await validateSr(bytes);
      assert.deepEqual(v.errors, [], `dciodvfy/dsrdump errors for the SR of ${name}`);
      const summary = parseReport(bytes);
      assert.equal(summary.sourceSopInstanceUid, o.sopInstanceUid);
      assert.match(summary.eligibility ?? '', /^Eligibility: classified as an image without a recorded view/);
      assert.match(summary.eligibility ?? '', /Modality CR; Body Part Examined CHEST; .*Image 1024x1024/);
      assert.match(summary.eligibility ?? '', /Patient age within at least 18 years \(Patient Age\)/);
    }
  });

  it('re-processing applies the same rules: the skipped entries are skipped again, for the same reasons', async () => {
    const run = await runCli(['retry-failed', ingest.ingestId, '--include-skipped', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const retry = JSON.parse(run.stdout) as IngestResult;
    assert.deepEqual(retry.counts, { total: 5, done: 0, failed: 0, skipped: 5 });
    const again = new Map(retry.recentProblems.map((o) => [o.name, o.reason?.type]));
    for (const [name, want] of Object.entries(EXPECT)) if (want.type) assert.equal(again.get(name), want.type, name);
  });
});
