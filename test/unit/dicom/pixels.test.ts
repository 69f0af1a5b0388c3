import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NoPixelDataError, UnsupportedPixelDataError } from '../../../src/errors';
import { packedFromRawLE, readPixelModule, storedFromRawLE, toGrey } from '../../../src/dicom/pixels';

const base = {
  Rows: '1',
  Columns: '4',
  PhotometricInterpretation: 'MONOCHROME2',
  BitsAllocated: '16',
  BitsStored: '12',
  PixelRepresentation: '0',
  SamplesPerPixel: '1',
};

test('colour and image-less objects are refused with typed, non-retryable errors', { timeout: 60_000 }, () => {
  assert.throws(
    () => readPixelModule({ ...base, PhotometricInterpretation: 'RGB', SamplesPerPixel: '3' }),
    UnsupportedPixelDataError,
  );
  assert.throws(() => readPixelModule({ ...base, PhotometricInterpretation: 'PALETTE COLOR' }), /colour/);
  assert.throws(() => readPixelModule({ SOPClassUID: '1.2.840.10008.5.1.4.1.1.88.33' }), NoPixelDataError);
});

test('the first window of several is applied with the PS3.3 LINEAR formula', { timeout: 60_000 }, () => {
  const pm = readPixelModule({ ...base, WindowCenter: '2048\\100', WindowWidth: '4096\\10' });
  assert.deepEqual(pm.voi, { kind: 'window', center: 2048, width: 4096, fn: 'LINEAR' });
  const g = toGrey({ rows: 1, columns: 4, values: Float64Array.from([0, 2047.5, 4095, 5000]) }, pm);
  assert.deepEqual(
    Array.from(g.values).map((v) => +v.toFixed(6)),
    [0, 0.5, 1, 1],
  );
});

test(
  'MONOCHROME1 is inverted after the rescale, over the full rescaled range when there is no VOI',
  { timeout: 60_000 },
  () => {
    const pm = readPixelModule({
      ...base,
      PhotometricInterpretation: 'MONOCHROME1',
      RescaleSlope: '2',
      RescaleIntercept: '-100',
    });
    const g = toGrey({ rows: 1, columns: 4, values: Float64Array.from([50, 2075, 4095, 0]) }, pm);
    // no VOI: full modality range [-100, 8090] -> 1 - (x - lo) / (hi - lo)
    assert.deepEqual(
      Array.from(g.values).map((v) => +v.toFixed(6)),
      [+(1 - 100 / 8190).toFixed(6), +(1 - 4150 / 8190).toFixed(6), 0, 1],
    );
  },
);

test('raw little-endian frames are masked to Bits Stored and sign-extended', { timeout: 60_000 }, () => {
  const pm = readPixelModule({ ...base, BitsStored: '12', PixelRepresentation: '1' });
  const raw = Buffer.alloc(8);
  [0xf7ff, 0x0800, 0x07ff, 0x0001].forEach((v, i) => raw.writeUInt16LE(v, i * 2)); // high bits are overlay garbage
  assert.deepEqual(Array.from(storedFromRawLE(raw, pm).values), [2047, -2048, 2047, 1]);
});

test(
  'packed raw frames (the fast route) give exactly the grey values of unpacked stored values',
  { timeout: 60_000 },
  () => {
    const cases = [
      {
        ...base,
        BitsStored: '12',
        PixelRepresentation: '1',
        PhotometricInterpretation: 'MONOCHROME1',
        WindowCenter: '0',
        WindowWidth: '2000',
      },
      { ...base, BitsStored: '10', RescaleSlope: '2', RescaleIntercept: '-1024' },
      { ...base, BitsAllocated: '8', BitsStored: '8', WindowCenter: '128', WindowWidth: '200' },
    ];
    for (const tags of cases) {
      const pm = readPixelModule(tags);
      const size = pm.bitsAllocated / 8;
      const raw = Buffer.alloc(4 * size);
      const words = size === 1 ? [0, 77, 200, 255] : [0xf7ff, 0x0800, 0x07ff, 0x0001];
      words.forEach((v, i) => (size === 1 ? raw.writeUInt8(v, i) : raw.writeUInt16LE(v, i * 2)));
      const viaPacked = toGrey(packedFromRawLE(raw, pm), pm).values;
      const viaStored = toGrey(storedFromRawLE(raw, pm), pm).values;
      assert.deepEqual(Array.from(viaPacked), Array.from(viaStored), JSON.stringify(tags));
    }
  },
);
