/**
 * The tensor the pipeline computes from Orthanc's decoded pixels equals the one an independent Python reference
 * (pydicom + pylibjpeg decoding the file itself, numpy resampling) computes, for every radiograph fixture.
 *
 * Tolerance (on the [-1024, 1024] scale): 0.01 for lossless files (float64 vs float64, rounded to float32 once:
 * differences come only from summation order), 8.1 for JPEG baseline (lossy): Orthanc (DCMTK's IJG decoder) and
 * pylibjpeg (libjpeg) may round the IDCT differently by one 8-bit level, which is 2048/255 = 8.03 on this scale.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../../src/config';
import { OrthancClient } from '../../../src/orthanc/client';
import { toGrey } from '../../../src/dicom/pixels';
import { fetchFirstFrame } from '../../../src/inference/fetch-frame';
import { UnsupportedPixelDataError } from '../../../src/errors';
import { classifyOrthancInstance, loadClassifier, preprocess, readManifest } from '../../../src/inference';
import { DEMO_MODEL, FIXTURES, PYTHON, fixture, maxAbsDiff, referenceTensors, upload } from './helpers';

const orthanc = new OrthancClient(loadConfig().orthanc);
const manifest = readManifest(DEMO_MODEL);
const CORRUPT = 'derived_CR-MONO1-10-chest_corrupt_jpegll.dcm';
const LOSSY = new Set(['txv_siim_CR_chest_jpegbaseline.dcm', 'txv_Fake_MONOHR1_CR_chest.dcm']);
const files = fs
  .readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.dcm') && f !== CORRUPT)
  .sort();

async function tensorFromOrthanc(name: string): Promise<Float32Array> {
  const id = await upload(orthanc, name);
  const f = await fetchFirstFrame(orthanc, id, manifest.preprocessing.voi);
  return preprocess(toGrey(f.frame, f.pixelModule), manifest);
}

test(
  'every fixture: TypeScript tensor from Orthanc pixels matches the Python reference from the file',
  { skip: !fs.existsSync(PYTHON) && `no Python at ${PYTHON} (run scripts/setup)` },
  async () => {
    const refs = referenceTensors(path.join(DEMO_MODEL, 'manifest.json'), files.map(fixture));
    assert.equal(refs.length, files.length);
    for (const [i, name] of files.entries()) {
      const ref = refs[i];
      assert.ok(ref.tensor, `reference failed on ${name}: ${ref.error}`);
      const ts = await tensorFromOrthanc(name);
      const diff = maxAbsDiff(ts, ref.tensor);
      const tol = LOSSY.has(name) ? 8.1 : 0.01;
      assert.ok(diff <= tol, `${name}: max abs diff ${diff} > ${tol}`);
      // The tensor spans the intensity range, it is not flat (a broken transform would give a constant).
      assert.ok(Math.max(...ts) - Math.min(...ts) > 100, `${name}: tensor is nearly constant`);
    }
  },
);

test('MONOCHROME1 and its MONOCHROME2 mirror give the same tensor', { timeout: 10 * 60_000 }, async () => {
  const mono1 = await tensorFromOrthanc('derived_CR-MONO1-10-chest_explicitLE.dcm');
  const mono2 = await tensorFromOrthanc('derived_CR-MONO1-10-chest_mono2.dcm');
  assert.ok(maxAbsDiff(mono1, mono2) < 1e-3, `diff ${maxAbsDiff(mono1, mono2)}`);
});

test('the same pixels relabelled MONOCHROME1 give the inverted tensor', { timeout: 10 * 60_000 }, async () => {
  const mono2 = await tensorFromOrthanc('txv_siim_CR_chest_jpegbaseline.dcm');
  const mono1 = await tensorFromOrthanc('txv_Fake_MONOHR1_CR_chest.dcm');
  assert.ok(
    maxAbsDiff(
      mono2,
      mono1.map((v) => -v),
    ) < 1e-3,
  );
  assert.ok(maxAbsDiff(mono2, mono1) > 1000);
});

test(
  'uncompressed, big endian, RLE, JPEG lossless and meta-less copies of one image give the same scores',
  { timeout: 10 * 60_000 },
  async () => {
    const classifier = await loadClassifier(DEMO_MODEL);
    const variants = ['explicitLE', 'bigendian', 'rle', 'jpeglossless14sv1'].map(
      (v) => `derived_CR-MONO1-10-chest_${v}.dcm`,
    );
    variants.push('fodicom_CR-MONO1-10-chest_nometa.dcm');
    const results = [];
    for (const name of variants)
      results.push(await classifyOrthancInstance(orthanc, classifier, await upload(orthanc, name)));
    const syntaxes = new Set(results.map((r) => r.source.transferSyntax));
    assert.equal(syntaxes.size, 5, `each copy is stored as itself: ${[...syntaxes].join(', ')}`);
    const base = results[0].findings.map((f) => f.probability);
    for (const r of results.slice(1))
      assert.ok(
        maxAbsDiff(
          base,
          r.findings.map((f) => f.probability),
        ) < 1e-6,
      );
  },
);

test(
  'JPEG 2000, which Orthanc 1.10.1 cannot decode safely, is decoded in the worker with OpenJPEG',
  { timeout: 10 * 60_000 },
  async () => {
    const id = await upload(orthanc, 'pydicomdata_RG3_J2KR_CR_extremity.dcm');
    const f = await fetchFirstFrame(orthanc, id);
    assert.equal(f.transferSyntax, '1.2.840.10008.1.2.4.90');
    assert.equal(f.route, 'openjpeg');
    assert.equal(f.frame.values.length, 1760 * 1760);
  },
);

test(
  'a corrupt compressed pixel stream fails with UnsupportedPixelDataError (non-retryable)',
  { timeout: 10 * 60_000 },
  async () => {
    const classifier = await loadClassifier(DEMO_MODEL);
    const id = await upload(orthanc, CORRUPT);
    await assert.rejects(classifyOrthancInstance(orthanc, classifier, id), (err: unknown) => {
      assert.ok(err instanceof UnsupportedPixelDataError, String(err));
      assert.equal(err.retryable, false);
      assert.match(err.message, /cannot decode/);
      return true;
    });
  },
);
