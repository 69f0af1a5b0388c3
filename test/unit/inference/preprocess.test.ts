import { test } from 'node:test';
import assert from 'node:assert/strict';
import { areaWeights, bilinearWeights, centerSquare, resample } from '../../../src/inference/preprocess';

function sums(w: ReturnType<typeof areaWeights>): number[] {
  return Array.from(w.start, (s, o) => Array.from(w.weight.subarray(s, s + w.count[o])).reduce((a, b) => a + b, 0));
}

test('area and bilinear weights sum to 1 for every output sample', { timeout: 60_000 }, () => {
  for (const [nIn, nOut] of [
    [1024, 224],
    [440, 224],
    [1760, 224],
    [225, 224],
  ]) {
    for (const s of sums(areaWeights(nIn, nOut))) assert.ok(Math.abs(s - 1) < 1e-12);
  }
  for (const s of sums(bilinearWeights(169, 224))) assert.ok(Math.abs(s - 1) < 1e-12);
});

test(
  'halving with area averaging is the mean of each 2x2 block, not a pick (never nearest)',
  { timeout: 60_000 },
  () => {
    // A 4x4 checkerboard: nearest neighbour would give all 0 or all 1; area averaging gives 0.5 everywhere.
    const values = Float64Array.from({ length: 16 }, (_, i) => ((i % 4) + Math.floor(i / 4)) % 2);
    const out = resample(
      { rows: 4, columns: 4, values },
      { top: 0, left: 0, height: 4, width: 4 },
      2,
      2,
      'area',
      [0, 1],
    );
    assert.deepEqual(Array.from(out), [0.5, 0.5, 0.5, 0.5]);
  },
);

test('fractional area weights cover 3 -> 2 exactly', { timeout: 60_000 }, () => {
  const w = areaWeights(3, 2);
  assert.deepEqual(Array.from(w.index.subarray(0, w.count[0])), [0, 1]);
  assert.deepEqual(
    Array.from(w.weight.subarray(0, w.count[0])).map((x) => +x.toFixed(12)),
    [0.666666666667, 0.333333333333],
  );
});

test('intensities map [0, 1] onto the manifest range', { timeout: 60_000 }, () => {
  const out = resample(
    { rows: 1, columns: 2, values: Float64Array.from([0, 1]) },
    { top: 0, left: 0, height: 1, width: 2 },
    1,
    2,
    'area',
    [-1024, 1024],
  );
  assert.deepEqual(Array.from(out), [-1024, 1024]);
});

test(
  'centre square crop takes the middle of the long side (torchxrayvision XRayCenterCrop)',
  { timeout: 60_000 },
  () => {
    assert.deepEqual(centerSquare(2500, 2048), { top: 226, left: 0, size: 2048 });
    assert.deepEqual(centerSquare(169, 211), { top: 0, left: 21, size: 169 });
    // Even long side, odd short side: XRayCenterCrop starts at 6 // 2 - 3 // 2 = 2, not floor((6 - 3) / 2) = 1.
    assert.deepEqual(centerSquare(6, 3), { top: 2, left: 0, size: 3 });
  },
);

// Expected values from skimage 0.26.0: skimage.transform.resize(img, shape, order=1, mode='constant',
// preserve_range=True, anti_aliasing=True), img[r][c] = ((5r + c) % 6) / 5 (torchxrayvision's XRayResizer call).
test("'skimage' resize reproduces skimage.transform.resize when shrinking (Gaussian anti-aliasing, zero padding)", () => {
  const values = Float64Array.from({ length: 35 }, (_, i) => (i % 6) / 5);
  const out = resample(
    { rows: 7, columns: 5, values },
    { top: 0, left: 0, height: 7, width: 5 },
    3,
    2,
    'skimage',
    [0, 1],
  );
  const want = [0.304076175906, 0.402975280404, 0.667567608899, 0.307612758949, 0.290651159699, 0.624544188251];
  assert.ok(maxDiff(out, want) < 1e-6, `${Array.from(out)}`);
});

test("'skimage' resize reproduces skimage.transform.resize when enlarging (linear, zero padding, no blur)", () => {
  const values = Float64Array.from([0, 0.2, 0.4, 1.0, 0, 0.2, 0.8, 1.0, 0]);
  const out = resample(
    { rows: 3, columns: 3, values },
    { top: 0, left: 0, height: 3, width: 3 },
    4,
    5,
    'skimage',
    [0, 1],
  );
  const want = [
    0, 0.07, 0.175, 0.28, 0.28, 0.5, 0.405, 0.075, 0.195, 0.22, 0.74, 0.705, 0.375, 0.225, 0.1, 0.56,
  ].concat([0.77, 0.875, 0.35, 0]);
  assert.ok(maxDiff(out, want) < 1e-6, `${Array.from(out)}`);
});

test("'skimage' pads with 0 in model units: a uniform image darkens toward the middle of the range at its edges", () => {
  const values = new Float64Array(40 * 40).fill(1);
  const out = resample(
    { rows: 40, columns: 40, values },
    { top: 0, left: 0, height: 40, width: 40 },
    4,
    4,
    'skimage',
    [-1024, 1024],
  );
  assert.ok(out[0] < 1024 && out[0] > 0, `corner ${out[0]}`);
  assert.ok(Math.abs(out[5] - 1024) < 1, `centre ${out[5]}`);
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return a.length === b.length ? m : Infinity;
}
