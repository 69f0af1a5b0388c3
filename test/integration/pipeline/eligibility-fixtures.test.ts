/**
 * The intended-use rules measured on every CR/DX file in the repository (test/fixtures/**, samples/dicom), as Orthanc
 * reads their headers (real Orthanc, simplified tags: what the upload activity and the followers decide from), for
 * the demo model's manifest and for the torchxrayvision intended input (scripts/models/txv-accepts.json). Every
 * outcome is pinned below: a rule change that admits the highdicom veterinary lateral again, or starts skipping a
 * human frontal film, fails here. Prints the table (issue 24 lists it).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { loadConfig, PROJECT_ROOT } from '../../../src/config';
import { decideEligibility, type AcceptedInput } from '../../../src/dicom/eligibility';
import { tagString } from '../../../src/dicom/tags';
import { parseAccepts } from '../../../src/inference/accepts';
import { readManifest } from '../../../src/inference/manifest';
import { OrthancBadRequestError, OrthancRejectedError } from '../../../src/errors';
import { OrthancClient } from '../../../src/orthanc/client';

const DEMO: AcceptedInput = readManifest(path.join(PROJECT_ROOT, 'models', 'demo-cxr')).accepts;
const TXV: AcceptedInput = parseAccepts(
  JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'scripts', 'models', 'txv-accepts.json'), 'utf8')),
  'txv-accepts.json',
);

function dcmFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? dcmFiles(p) : e.name.endsWith('.dcm') ? [p] : [];
  });
}

/** file (relative to the repo) -> [demo model outcome, torchxrayvision intended input outcome], as measured 2026-12-02. */
const EXPECTED: Record<string, [string, string]> = {
  'samples/dicom/derived_CR-MONO1-10-chest_explicitLE.dcm': ['classify', 'classify'],
  'samples/dicom/highdicom_dx_image_forpresentation_thorax.dcm': ['NonHumanPatient', 'NonHumanPatient'],
  'samples/dicom/nih_chestxray14_DX_8bit_SC.dcm': ['classify', 'classify'],
  'test/fixtures/bad/sources/highdicom_dx_image_forpresentation_thorax.dcm': ['NonHumanPatient', 'NonHumanPatient'],
  'test/fixtures/bad/sources/orthanc_Issue56_DX_forpresentation_NoPixelData.dcm': ['NotChestXray', 'NotChestXray'],
  'test/fixtures/bad/sources/txv_siim_CR_chest_jpegbaseline.dcm': ['classify', 'classify'],
  'test/fixtures/cxr-policy/derived_CR-MONO1-10-chest_rescaled.dcm': ['classify', 'classify'],
  'test/fixtures/cxr-policy/derived_txv_MONO1_jpeg_windowed.dcm': ['classify', 'classify'],
  'test/fixtures/cxr/derived_CR-MONO1-10-chest_bigendian.dcm': ['classify', 'classify'],
  'test/fixtures/cxr/derived_CR-MONO1-10-chest_corrupt_jpegll.dcm': ['classify', 'classify'],
  'test/fixtures/cxr/derived_CR-MONO1-10-chest_explicitLE.dcm': ['classify', 'classify'],
  'test/fixtures/cxr/derived_CR-MONO1-10-chest_jpeglossless14sv1.dcm': ['classify', 'classify'],
  'test/fixtures/cxr/derived_CR-MONO1-10-chest_mono2.dcm': ['classify', 'classify'],
  'test/fixtures/cxr/derived_CR-MONO1-10-chest_rle.dcm': ['classify', 'classify'],
  'test/fixtures/cxr/fodicom_CR-MONO1-10-chest_nometa.dcm': ['classify', 'classify'],
  'test/fixtures/cxr/fodicom_CR-ModalitySequenceLUT_teeth.dcm': ['classify', 'classify'],
  'test/fixtures/cxr/highdicom_dx_image_forpresentation_thorax.dcm': ['NonHumanPatient', 'NonHumanPatient'],
  'test/fixtures/cxr/nih_chestxray14_DX_8bit_SC.dcm': ['classify', 'classify'],
  'test/fixtures/cxr/pydicomdata_RG3_J2KR_CR_extremity.dcm': ['NotChestXray', 'NotChestXray'],
  'test/fixtures/cxr/txv_Fake_MONOHR1_CR_chest.dcm': ['classify', 'classify'],
  'test/fixtures/cxr/txv_siim_CR_chest_jpegbaseline.dcm': ['classify', 'classify'],
  'test/fixtures/e2e/orthanc_Issue56_DX_forpresentation_NoPixelData.dcm': ['NotChestXray', 'NotChestXray'],
  'test/fixtures/eligibility/age_5y.dcm': ['classify', 'OutsideAgeRange'],
  'test/fixtures/eligibility/for_processing_DX.dcm': ['ForProcessingImage', 'ForProcessingImage'],
  'test/fixtures/eligibility/lateral_LL.dcm': ['NotFrontalView', 'NotFrontalView'],
  'test/fixtures/eligibility/no_view_position.dcm': ['classify', 'classify'],
  'test/fixtures/eligibility/small_128x128.dcm': ['classify', 'ImageTooSmall'],
  'test/fixtures/smoke/highdicom_dx_image_forpresentation_thorax.dcm': ['NonHumanPatient', 'NonHumanPatient'],
  'test/fixtures/sr/sources/derived_CR-MONO1-10-chest_jpeglossless14sv1.dcm': ['classify', 'classify'],
  'test/fixtures/sr/sources/highdicom_dx_image_forpresentation_thorax.dcm': ['NonHumanPatient', 'NonHumanPatient'],
  'test/fixtures/sr/sources/txv_siim_CR_chest_jpegbaseline.dcm': ['classify', 'classify'],
};

describe('intended-use rules on every CR/DX fixture of the repository', { timeout: 120_000 }, () => {
  const orthanc = new OrthancClient(loadConfig().orthanc);
  const rows: { file: string; demo: string; txv: string; why: string }[] = [];

  before(async () => {
    const files = [
      ...dcmFiles(path.join(PROJECT_ROOT, 'test', 'fixtures')),
      ...dcmFiles(path.join(PROJECT_ROOT, 'samples')),
    ];
    for (const f of files.sort()) {
      const rel = path.relative(PROJECT_ROOT, f);
      let id: string;
      try {
        id = (await orthanc.uploadInstance(fs.readFileSync(f))).id;
      } catch (err) {
        if (err instanceof OrthancRejectedError || err instanceof OrthancBadRequestError) continue; // a broken file
        throw err;
      }
      const tags = await orthanc.getInstanceTags(id);
      const modality = tagString(tags, 'Modality');
      if (modality !== 'CR' && modality !== 'DX') continue;
      const show = (a: AcceptedInput): { outcome: string; why: string } => {
        const e = decideEligibility(a, tags);
        if (!e.classify) return { outcome: e.type, why: e.message };
        const v = e.admission?.view;
        return {
          outcome: 'classify',
          why:
            v === undefined || v.from === 'missing'
              ? 'no view recorded'
              : `${v.value} from ${v.from}${v.text ? ` "${v.text}"` : ''}`,
        };
      };
      const d = show(DEMO);
      const t = show(TXV);
      rows.push({
        file: rel,
        demo: d.outcome,
        txv: t.outcome,
        why: d.outcome === 'classify' ? d.why : d.why.slice(0, 140),
      });
    }
    for (const r of rows) console.log(`[eligibility] ${r.file} | demo ${r.demo} | txv ${r.txv} | ${r.why}`);
  });

  it('every CR/DX file gets its pinned outcome', () => {
    assert.ok(rows.length >= 20, `measured ${rows.length} files`);
    const got = Object.fromEntries(rows.map((r) => [r.file, [r.demo, r.txv]]));
    assert.deepEqual(got, EXPECTED);
  });
});
