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
  },
);
