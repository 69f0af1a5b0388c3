/**
 * The worker's own decoders (src/dicom/decode.ts), on the fixtures' transfer syntaxes: copies of one image in five
 * encodings decode to the same stored values; JPEG Baseline and JPEG 2000 decode to the header's size; damaged
 * streams are refused as UnsupportedPixelData; the pool's threads decode to the same model input as the main thread.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { decodeFrame, decodeRle } from '../../../src/dicom/decode';
import { readPixelModule } from '../../../src/dicom/pixels';
import { UnsupportedPixelDataError } from '../../../src/errors';
import { encodedImageOf } from '../../../src/inference/fetch-frame';
import { preprocessFrame, type PreprocessSpec } from '../../../src/inference/preprocess';
import { PreprocessPool } from '../../../src/inference/preprocess-pool';

const CXR = path.join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'cxr');
const read = (name: string) => fs.readFileSync(path.join(CXR, name));

async function decoded(name: string) {
  const img = encodedImageOf(read(name));
  const d = await decodeFrame(img.encoded, img.pixelModule);
  return { ...d, img };
}

test('five encodings of one image decode to the same stored values', { timeout: 120_000 }, async () => {
  const base = await decoded('derived_CR-MONO1-10-chest_explicitLE.dcm');
  assert.equal(base.route, 'raw');
  const want = Array.from(base.frame.values);
  for (const [variant, route] of [
    ['derived_CR-MONO1-10-chest_bigendian.dcm', 'big-endian'],
    ['derived_CR-MONO1-10-chest_rle.dcm', 'rle'],
    ['derived_CR-MONO1-10-chest_jpeglossless14sv1.dcm', 'jpeg-lossless'],
    ['fodicom_CR-MONO1-10-chest_nometa.dcm', 'raw'],
  ]) {
    const d = await decoded(variant);
    assert.equal(d.route, route, variant);
    assert.deepEqual(Array.from(d.frame.values), want, variant);
  }
});

test(
  'JPEG Baseline (libjpeg-turbo) and JPEG 2000 (OpenJPEG) decode to the header size',
  { timeout: 120_000 },
  async () => {
    const jpeg = await decoded('txv_siim_CR_chest_jpegbaseline.dcm');
    assert.equal(jpeg.route, 'libjpeg-turbo');
    assert.equal(jpeg.frame.values.length, 1024 * 1024);
    assert.ok(
      Array.from(jpeg.frame.values).some((v) => v > 200),
      'not a blank frame',
    );
    const j2k = await decoded('pydicomdata_RG3_J2KR_CR_extremity.dcm');
    assert.equal(j2k.route, 'openjpeg');
    assert.equal(j2k.frame.values.length, 1760 * 1760);
  },
);

test('a damaged JPEG Lossless stream is refused, not decoded to noise', { timeout: 60_000 }, async () => {
  await assert.rejects(decoded('derived_CR-MONO1-10-chest_corrupt_jpegll.dcm'), (err: unknown) => {
    assert.ok(err instanceof UnsupportedPixelDataError, String(err));
    assert.equal(err.retryable, false);
    assert.match(err.message, /cannot decode/);
    return true;
  });
});

test('RLE: a header that does not fit the frame is refused', { timeout: 60_000 }, () => {
  const pm = readPixelModule({
    Rows: '2',
    Columns: '2',
    PhotometricInterpretation: 'MONOCHROME2',
    BitsAllocated: '16',
    BitsStored: '16',
  });
  const header = Buffer.alloc(64);
  header.writeUInt32LE(2, 0);
  header.writeUInt32LE(64, 4);
  header.writeUInt32LE(66, 8);
  // High bytes: a repeat run of 4 zeros; low bytes: a literal run of 4.
  const ok = Buffer.concat([header, Buffer.from([0xfd, 0x00, 0x03, 1, 2, 3, 4])]);
  assert.deepEqual(Array.from(new Uint16Array(decodeRle(ok, pm).buffer.slice(0, 8))), [1, 2, 3, 4]);
  const oneSegment = Buffer.from(ok);
  oneSegment.writeUInt32LE(1, 0);
  assert.throws(() => decodeRle(oneSegment, pm), /1 segments for 2 byte plane/);
  assert.throws(() => decodeRle(ok.subarray(0, ok.length - 2), pm), /literal run overruns|holds 2 of 4/);
  const outside = Buffer.from(ok);
  outside.writeUInt32LE(5000, 8);
  assert.throws(() => decodeRle(outside, pm), UnsupportedPixelDataError);
});

test('the pool decodes on its threads to the same model input as the main thread', { timeout: 120_000 }, async () => {
  const spec: PreprocessSpec = {
    input: { shape: ['batch', 1, 64, 64] },
    preprocessing: {
      intensityRange: [-1024, 1024],
      crop: 'center-square',
      resize: { method: 'area', size: 64 },
      voi: 'dicom-first',
      modalityTransform: 'apply',
    },
  };
  const pool = new PreprocessPool(1);
  try {
    for (const name of ['derived_CR-MONO1-10-chest_rle.dcm', 'txv_siim_CR_chest_jpegbaseline.dcm']) {
      const main = await decoded(name);
      const want = preprocessFrame(main.frame, main.img.pixelModule, spec);
      const img = encodedImageOf(read(name));
      const got = await pool.runEncoded(img.encoded, img.pixelModule, spec, { transfer: true });
      assert.equal(got.route, main.route);
      assert.deepEqual(Array.from(got.input), Array.from(want), name);
    }
    const bad = encodedImageOf(read('derived_CR-MONO1-10-chest_corrupt_jpegll.dcm'));
    await assert.rejects(pool.runEncoded(bad.encoded, bad.pixelModule, spec), UnsupportedPixelDataError);
  } finally {
    await pool.close();
  }
});
