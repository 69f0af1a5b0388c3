/**
 * SRs for real chest radiographs, stored in the real Orthanc (scripts/services):
 *  - Orthanc files each SR under the same patient and study as its source image, in a series of its own;
 *  - a second POST of the same SR (or of a rebuilt one: a retried activity) answers AlreadyStored;
 *  - readStudyReports gives back the findings that went in;
 *  - the SR built from Orthanc's tags of a real image passes dciodvfy with no errors.
 * Data: test/fixtures/sr/sources (UIDs unique to this test). Cleanup: only the SRs this test stored, and a source
 * only when this test's upload created it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { loadConfig } from '../../../src/config';
import {
  buildReport,
  deriveReportUids,
  sourceImageFromTags,
  type Finding,
  type ModelIdentity,
} from '../../../src/dicom/sr';
import { OrthancClient } from '../../../src/orthanc/client';
import { readStudyReports } from '../../../src/orthanc/reports';
import { validateSr } from '../../helpers/dicom-validate';
import { TXV_LABELS } from '../../fixtures/sr/inputs';

const orthanc = new OrthancClient(loadConfig().orthanc);

function sourcesDir(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'test', 'fixtures', 'sr', 'sources');
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('test/fixtures/sr/sources not found');
}
const SOURCES = fs
  .readdirSync(sourcesDir())
  .filter((f) => f.endsWith('.dcm'))
  .sort();

/** A model id used by nothing but this test, so the SR UIDs derived from it are this test's alone. */
const ALGORITHM: ModelIdentity = {
  name: 'sr-integration-test',
  version: '1.0.0',
  manufacturer: 'cxr-pipeline tests',
  id: 'sr-integration-test',
  diagnostic: false,
  intendedUse: 'Integration test of SR filing only.',
};

function findingsFor(seed: number): Finding[] {
  return TXV_LABELS.map((label, i) => {
    const probability = ((i + 1) * (seed + 3) * 0.0371) % 1;
    return { label, probability, threshold: 0.5, positive: probability >= 0.5 };
  });
}

const createdInstances: string[] = [];
after(async () => {
  for (const id of createdInstances.reverse()) await orthanc.deleteResource('Instance', id).catch(() => undefined);
});

/** Removes an SR left by an earlier, interrupted run of this test (its UID derives from this test's model id). */
async function removeLeftover(sopInstanceUid: string): Promise<void> {
  for (const id of await orthanc.lookup(sopInstanceUid, 'Instance')) await orthanc.deleteResource('Instance', id);
}

test('sources are there', { timeout: 60_000 }, () => assert.equal(SOURCES.length, 3));

for (const [index, file] of SOURCES.entries()) {
  test(
    `SR for ${file} files under the source's study, is idempotent and reads back`,
    { timeout: 10 * 60_000 },
    async () => {
      const up = await orthanc.uploadInstance(fs.readFileSync(path.join(sourcesDir(), file)));
      if (up.status === 'Success') createdInstances.push(up.id);
      const source = sourceImageFromTags(await orthanc.getInstanceTags(up.id));
      const findings = findingsFor(index);
      const createdAt = new Date('2024-06-01T12:00:00Z');
      const input = { source, algorithm: ALGORITHM, findings, createdAt, expectedLabels: TXV_LABELS };
      const bytes = buildReport(input);

      const v = await validateSr(bytes);
      assert.deepEqual(v.errors, [], `dciodvfy/dsrdump errors for the SR of ${file}`);
      assert.ok(v.dsrdumpOk);

      const uids = deriveReportUids(source.instance.sopInstanceUid, ALGORITHM.id, ALGORITHM.version);
      await removeLeftover(uids.sopInstanceUid);
      const first = await orthanc.uploadInstance(bytes);
      createdInstances.push(first.id);
      assert.equal(first.status, 'Success');
      assert.equal(first.parentStudy, up.parentStudy, 'same Orthanc study as the source');
      assert.equal(first.parentPatient, up.parentPatient, 'same Orthanc patient as the source');
      assert.notEqual(first.parentSeries, up.parentSeries, 'a series of its own');

      const again = await orthanc.uploadInstance(bytes);
      assert.deepEqual({ status: again.status, id: again.id }, { status: 'AlreadyStored', id: first.id });
      // A retried activity rebuilds the SR from the same inputs: same UID, nothing new stored.
      const rebuilt = await orthanc.uploadInstance(buildReport(input));
      assert.deepEqual({ status: rebuilt.status, id: rebuilt.id }, { status: 'AlreadyStored', id: first.id });

      const reports = await readStudyReports(orthanc, source.study.instanceUid);
      const mine = reports.find((r) => r.sopInstanceUid === uids.sopInstanceUid);
      assert.ok(mine, 'readStudyReports lists the SR');
      assert.deepEqual(mine, {
        sopInstanceUid: uids.sopInstanceUid,
        seriesInstanceUid: uids.seriesInstanceUid,
        studyInstanceUid: source.study.instanceUid,
        sourceSopInstanceUid: source.instance.sopInstanceUid,
        algorithm: { name: ALGORITHM.name, version: ALGORITHM.version },
        diagnostic: false,
        findings,
        createdAt: '2024-06-01T12:00:00',
      });
    },
  );
}

test(
  'a new model version adds a second SR to the same study and both read back',
  { timeout: 10 * 60_000 },
  async () => {
    const file = SOURCES[0];
    const up = await orthanc.uploadInstance(fs.readFileSync(path.join(sourcesDir(), file)));
    if (up.status === 'Success') createdInstances.push(up.id);
    const source = sourceImageFromTags(await orthanc.getInstanceTags(up.id));
    const ids: string[] = [];
    for (const version of ['2.0.0', '2.0.1']) {
      const algorithm = { ...ALGORITHM, version };
      await removeLeftover(deriveReportUids(source.instance.sopInstanceUid, algorithm.id, version).sopInstanceUid);
      const createdAt = new Date('2024-06-02T00:00:00Z');
      const r = await orthanc.uploadInstance(buildReport({ source, algorithm, findings: findingsFor(7), createdAt }));
      createdInstances.push(r.id);
      assert.equal(r.status, 'Success');
      assert.equal(r.parentStudy, up.parentStudy);
      ids.push(r.id);
    }
    assert.notEqual(ids[0], ids[1]);
    const versions = (await readStudyReports(orthanc, source.study.instanceUid))
      .filter((r) => r.algorithm.name === ALGORITHM.name)
      .map((r) => r.algorithm.version);
    const both = versions.includes('2.0.0') && versions.includes('2.0.1');
    assert.ok(both, `both versions listed, got ${versions.join(', ')}`);
  },
);
