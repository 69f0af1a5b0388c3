/**
 * The one-pass preprocessing (preprocessFrame, and the worker-thread pool that runs it) against the two-step
 * reference it replaces, preprocess(toGrey(frame, pm), m): bit-exact, on frames of the bench's size and on odd ones.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { packedFromRawLE, readPixelModule, type StoredFrame, toGrey } from '../../../src/dicom/pixels';
import { preprocess, preprocessFrame, type PreprocessSpec } from '../../../src/inference/preprocess';
import { PreprocessPool } from '../../../src/inference/preprocess-pool';

function spec(size: number, crop: 'center-square' | 'none', method: 'area' | 'bilinear' | 'skimage'): PreprocessSpec {
  return {
    input: { shape: ['batch', 1, size, size] },
    preprocessing: {
      intensityRange: [-1024, 1024],
      crop,
      resize: { method, size },
      voi: 'dicom-first',
      modalityTransform: 'apply',
    },
  };
}

/** A deterministic pseudo-random frame of `bits`-wide words, with garbage above Bits Stored (it must be masked). */
function frameOf(rows: number, columns: number, bitsAllocated: 8 | 16, seed: number): Buffer {
  const buf = Buffer.alloc(rows * columns * (bitsAllocated / 8));
  let s = seed >>> 0;
  for (let i = 0; i < rows * columns; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    if (bitsAllocated === 16) buf.writeUInt16LE(s >>> 16, i * 2);
    else buf[i] = s >>> 24;
  }
  return buf;
}

function bitsEqual(a: Float32Array, b: Float32Array): void {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) assert.fail(`value ${i}: ${a[i]} != ${b[i]}`);
}

const cases: { name: string; rows: number; columns: number; bits: 8 | 16; tags: Record<string, string> }[] = [
  {
    name: '2500x2048, 12 of 16 bits, window, MONOCHROME1 (the bench image)',
    rows: 2500,
    columns: 2048,
    bits: 16,
    tags: { BitsStored: '12', WindowCenter: '2000', WindowWidth: '3000', PhotometricInterpretation: 'MONOCHROME1' },
  },
  {
    name: '301x517, signed 16 bits, rescale, no VOI',
    rows: 301,
    columns: 517,
    bits: 16,
    tags: { BitsStored: '16', PixelRepresentation: '1', RescaleSlope: '0.5', RescaleIntercept: '-100' },
  },
  {
    name: '199x150, 8 bits, sigmoid',
    rows: 199,
    columns: 150,
    bits: 8,
    tags: { BitsStored: '8', WindowCenter: '128', WindowWidth: '90', VOILUTFunction: 'SIGMOID' },
  },
];

describe('preprocessFrame = preprocess(toGrey(...)), bit for bit', { timeout: 120_000 }, () => {
  for (const c of cases) {
    for (const [size, crop, method] of [
      [224, 'center-square', 'area'],
      [224, 'none', 'area'],
      [160, 'center-square', 'bilinear'],
      [224, 'center-square', 'skimage'],
    ] as const) {
      test(`${c.name}: ${crop}, ${method} to ${size}`, () => {
        const pm = readPixelModule({
          Rows: String(c.rows),
          Columns: String(c.columns),
          PhotometricInterpretation: 'MONOCHROME2',
          BitsAllocated: String(c.bits),
          PixelRepresentation: '0',
          SamplesPerPixel: '1',
          ...c.tags,
        });
        const frame = packedFromRawLE(frameOf(c.rows, c.columns, c.bits, c.rows), pm);
        const m = spec(size, crop, method);
        bitsEqual(preprocessFrame(frame, pm, m), preprocess(toGrey(frame, pm), m));
      });
    }
  }

  test('an unpacked frame takes the two-step route (same result), a short one is refused', () => {
    const pm = readPixelModule({
      Rows: '3',
      Columns: '5',
      PhotometricInterpretation: 'MONOCHROME2',
      BitsAllocated: '32',
      BitsStored: '32',
      SamplesPerPixel: '1',
    });
    const frame: StoredFrame = { rows: 3, columns: 5, values: Float64Array.from({ length: 15 }, (_, i) => i * 1000) };
    const m = spec(2, 'none', 'area');
    bitsEqual(preprocessFrame(frame, pm, m), preprocess(toGrey(frame, pm), m));
    const pm16 = readPixelModule({
      Rows: '3',
      Columns: '5',
      PhotometricInterpretation: 'MONOCHROME2',
      BitsAllocated: '16',
      SamplesPerPixel: '1',
    });
    assert.throws(
      () => preprocessFrame({ rows: 3, columns: 5, values: new Uint16Array(14), packed: true }, pm16, m),
      /14 values/,
    );
  });

  test('the worker-thread pool returns the same tensor, many in flight, and leaves the caller its frame', async () => {
    const pool = new PreprocessPool(2);
    try {
      const c = cases[0];
      const pm = readPixelModule({
        Rows: String(c.rows),
        Columns: String(c.columns),
        BitsAllocated: '16',
        PixelRepresentation: '0',
        SamplesPerPixel: '1',
        ...c.tags,
      });
      const m = spec(224, 'center-square', 'area');
      const frames = [1, 2, 3, 4, 5].map((seed) => packedFromRawLE(frameOf(c.rows, c.columns, 16, seed), pm));
      const want = frames.map((f) => preprocessFrame(f, pm, m));
      const got = await Promise.all(frames.map((f) => pool.run(f, pm, m)));
      got.forEach((g, i) => bitsEqual(g, want[i]));
      assert.equal(frames[0].values.length, c.rows * c.columns);
      await assert.rejects(
        pool.run({ rows: 3, columns: 5, values: new Uint16Array(14), packed: true }, pm, m),
        /14 values/,
      );
    } finally {
      await pool.close();
    }
  });
});
