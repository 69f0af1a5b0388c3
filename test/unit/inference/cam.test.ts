/** Class activation maps (src/inference/cam.ts): normalisation, hot area in source pixels, resampling. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { activationMap, hotArea, mapOntoImage, outline } from '../../../src/inference/cam';

test(
  'activationMap keeps positive evidence only, scaled by its maximum; all-negative maps give nothing',
  { timeout: 60_000 },
  () => {
    // Two labels, 2x2 maps, label-major.
    const maps = new Float32Array([-1, 2, 4, 0, -3, -2, -1, -0.5]);
    assert.deepEqual(activationMap(maps, 0, 2, 2), { height: 2, width: 2, values: [0, 0.5, 1, 0] });
    assert.equal(activationMap(maps, 1, 2, 2), undefined);
  },
);

test(
  'hotArea maps the cells at or above half the maximum onto the input crop of the source image',
  { timeout: 60_000 },
  () => {
    const map = { height: 4, width: 4, values: [0, 0, 0, 0, 0, 0.6, 1, 0, 0, 0.2, 0.5, 0, 0, 0, 0, 0] };
    const area = { top: 10, left: 100, height: 400, width: 400 };
    assert.deepEqual(hotArea(map, area), { top: 110, left: 200, height: 200, width: 200 });
    assert.equal(hotArea({ height: 1, width: 1, values: [0.1] }, area), undefined);
    assert.deepEqual(outline({ top: 1, left: 2, height: 3, width: 4 }), [
      [2, 1],
      [6, 1],
      [6, 4],
      [2, 4],
      [2, 1],
    ]);
  },
);

test(
  'mapOntoImage fills the crop (bilinear, clamped at the edges) and leaves the rest at zero',
  { timeout: 60_000 },
  () => {
    const map = { height: 2, width: 2, values: [0, 1, 0, 1] };
    const img = mapOntoImage(map, { top: 0, left: 2, height: 4, width: 4 }, 4, 8);
    const row = Array.from(img.subarray(0, 8));
    assert.deepEqual(row.slice(0, 2), [0, 0]);
    assert.deepEqual(row.slice(6), [0, 0]);
    assert.equal(row[2], 0); // left edge of the crop: left cell
    assert.equal(row[5], 255); // right edge: right cell
    assert.ok(row[3] > 0 && row[3] < row[4] && row[4] < 255); // ramps in between
    assert.deepEqual(Array.from(img.subarray(8, 16)), row); // rows equal: the map does not vary vertically
  },
);
