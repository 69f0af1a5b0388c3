/**
 * Class activation maps (Zhou et al. 2016), from the model's per-label maps to what the reports need. Pure.
 *
 * A CAM-capable model (manifest `classActivationMaps`) outputs, per label, its last feature map weighted by the
 * classifier's weights for that label: a coarse h x w grid over the model's input crop where positive values pushed
 * the label's score up. Per positive finding the worker keeps the positive part scaled to [0, 1] by its maximum
 * (a relative map: where the model looked, not a probability per pixel), and the outline of the area at or above
 * half that maximum, in source image pixels, which becomes the finding's image region in the SR.
 */

import type { ActivationMap, InputArea } from '../contracts';

export type { ActivationMap, InputArea };

/** Share of the map's maximum at or above which a cell belongs to the hot area. */
export const HOT_AREA_LEVEL = 0.5;

/**
 * The label's map (index `label` of a labels x h x w block): negative evidence dropped, scaled to [0, 1] by its
 * maximum, rounded to 1e-4 (it travels in the workflow's history as a reference-sized payload: h*w numbers).
 * Undefined when nothing in the map is positive (no area to show).
 */
export function activationMap(
  maps: Float32Array,
  label: number,
  height: number,
  width: number,
): ActivationMap | undefined {
  const n = height * width;
  const raw = maps.subarray(label * n, (label + 1) * n);
  let max = 0;
  for (const v of raw) if (Number.isFinite(v) && v > max) max = v;
  if (!(max > 0)) return undefined;
  const values = Array.from(raw, (v) => (Number.isFinite(v) && v > 0 ? Math.round((v / max) * 1e4) / 1e4 : 0));
  return { height, width, values };
}

/** Closed rectangle outline (5 points) in source pixel coordinates. */
export function outline(a: InputArea): [number, number][] {
  const x0 = a.left;
  const y0 = a.top;
  const x1 = a.left + a.width;
  const y1 = a.top + a.height;
  return [
    [x0, y0],
    [x1, y0],
    [x1, y1],
    [x0, y1],
    [x0, y0],
  ];
}

/**
 * The bounding box of the cells at or above HOT_AREA_LEVEL, mapped from the map's grid onto the input crop of the
 * source image (each cell covers area.width / width by area.height / height source pixels).
 */
export function hotArea(map: ActivationMap, area: InputArea): InputArea | undefined {
  let r0 = Infinity;
  let r1 = -1;
  let c0 = Infinity;
  let c1 = -1;
  for (let r = 0; r < map.height; r++) {
    for (let c = 0; c < map.width; c++) {
      if (map.values[r * map.width + c] >= HOT_AREA_LEVEL) {
        r0 = Math.min(r0, r);
        r1 = Math.max(r1, r);
        c0 = Math.min(c0, c);
        c1 = Math.max(c1, c);
      }
    }
  }
  if (r1 < 0) return undefined;
  const sy = area.height / map.height;
  const sx = area.width / map.width;
  return { top: area.top + r0 * sy, left: area.left + c0 * sx, height: (r1 - r0 + 1) * sy, width: (c1 - c0 + 1) * sx };
}

/**
 * The map resampled onto the source image's rows x columns (bilinear with half-pixel centres over the input crop;
 * zero outside it), as 0-255 levels. For the heatmap object.
 */
export function mapOntoImage(map: ActivationMap, area: InputArea, rows: number, columns: number): Uint8Array {
  const out = new Uint8Array(rows * columns);
  const sy = map.height / area.height;
  const sx = map.width / area.width;
  const at = (r: number, c: number) =>
    map.values[Math.min(map.height - 1, Math.max(0, r)) * map.width + Math.min(map.width - 1, Math.max(0, c))];
  const y0 = Math.max(0, Math.floor(area.top));
  const y1 = Math.min(rows, Math.ceil(area.top + area.height));
  const x0 = Math.max(0, Math.floor(area.left));
  const x1 = Math.min(columns, Math.ceil(area.left + area.width));
  for (let y = y0; y < y1; y++) {
    const fy = (y + 0.5 - area.top) * sy - 0.5;
    const ry = Math.floor(fy);
    const wy = fy - ry;
    for (let x = x0; x < x1; x++) {
      const fx = (x + 0.5 - area.left) * sx - 0.5;
      const rx = Math.floor(fx);
      const wx = fx - rx;
      const v =
        (1 - wy) * ((1 - wx) * at(ry, rx) + wx * at(ry, rx + 1)) +
        wy * ((1 - wx) * at(ry + 1, rx) + wx * at(ry + 1, rx + 1));
      out[y * columns + x] = Math.round(Math.min(1, Math.max(0, v)) * 255);
    }
  }
  return out;
}
