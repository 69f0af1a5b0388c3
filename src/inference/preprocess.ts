/**
 * Presentation intensities -> model input tensor, following the manifest (torchxrayvision convention for the
 * reference family: one channel, [-1024, 1024], centre crop to a square, 224x224). Pure functions, no I/O.
 *
 * Resampling is separable and written as weight tables so that scripts/reference/preprocess.py can reproduce it
 * exactly with two matrix products. Area averaging is the exact box filter (each output pixel is the mean of the
 * source area it covers, fractional pixels weighted), which is what anti-aliased shrinking of a 2000-pixel
 * radiograph to 224 needs; nearest neighbour would alias fine structures (ribs, lines) into noise.
 */
import { type GreyImage, packedGreyTable, type PixelModule, type StoredFrame, toGrey } from '../dicom/pixels';
import { UnsupportedPixelDataError } from '../errors';
import type { ModelManifest } from './manifest';

/** For each output index, the source indices and weights (summing to 1) that produce it. */
export interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  index: Int32Array;
  weight: Float64Array;
}

function pack(rows: { i: number; w: number }[][]): AxisWeights {
  const total = rows.reduce((a, r) => a + r.length, 0);
  const out: AxisWeights = {
    start: new Int32Array(rows.length),
    count: new Int32Array(rows.length),
    index: new Int32Array(total),
    weight: new Float64Array(total),
  };
  let k = 0;
  rows.forEach((r, o) => {
    out.start[o] = k;
    out.count[o] = r.length;
    for (const { i, w } of r) {
      out.index[k] = i;
      out.weight[k++] = w;
    }
  });
  return out;
}

/** Exact area averaging from nIn to nOut samples (nOut <= nIn). */
export function areaWeights(nIn: number, nOut: number): AxisWeights {
  const scale = nIn / nOut;
  const rows: { i: number; w: number }[][] = [];
  for (let o = 0; o < nOut; o++) {
    const a = o * scale;
    const b = (o + 1) * scale;
    const r: { i: number; w: number }[] = [];
    for (let i = Math.floor(a); i < Math.min(nIn, Math.ceil(b)); i++) {
      const w = Math.min(b, i + 1) - Math.max(a, i);
      if (w > 1e-12) r.push({ i, w: w / scale });
    }
    rows.push(r);
  }
  return pack(rows);
}

/** Bilinear interpolation with half-pixel centres (OpenCV / PIL convention), edges clamped. */
export function bilinearWeights(nIn: number, nOut: number): AxisWeights {
  const scale = nIn / nOut;
  const rows: { i: number; w: number }[][] = [];
  for (let o = 0; o < nOut; o++) {
    const x = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), nIn - 1);
    const i0 = Math.floor(x);
    const f = x - i0;
    rows.push(
      f > 0 && i0 + 1 < nIn
        ? [
            { i: i0, w: 1 - f },
            { i: i0 + 1, w: f },
          ]
        : [{ i: i0, w: 1 }],
    );
  }
  return pack(rows);
}

const weightCache = new Map<string, AxisWeights>();

/**
 * The resampling weights the manifest asks for: area when shrinking, bilinear when enlarging or when asked. Tables
 * are read-only and kept per (method, nIn, nOut): a site's images come in a handful of sizes.
 */
export function resizeWeights(method: 'area' | 'bilinear', nIn: number, nOut: number): AxisWeights {
  const key = `${method} ${nIn} ${nOut}`;
  let w = weightCache.get(key);
  if (w === undefined) {
    w = method === 'area' && nOut <= nIn ? areaWeights(nIn, nOut) : bilinearWeights(nIn, nOut);
    if (weightCache.size > 64) weightCache.clear();
    weightCache.set(key, w);
  }
  return w;
}

export interface Crop {
  top: number;
  left: number;
  size: number;
}

/** The central square (torchxrayvision XRayCenterCrop: floor((long - short) / 2) from the top/left). */
export function centerSquare(rows: number, columns: number): Crop {
  const size = Math.min(rows, columns);
  return { top: Math.floor((rows - size) / 2), left: Math.floor((columns - size) / 2), size };
}

/** Crop + resample + scale one image into a new Float32Array of outH*outW values (row-major, one channel). */
export function resample(
  img: GreyImage,
  crop: { top: number; left: number; height: number; width: number },
  outH: number,
  outW: number,
  method: 'area' | 'bilinear',
  range: [number, number],
): Float32Array {
  const wy = resizeWeights(method, crop.height, outH);
  const wx = resizeWeights(method, crop.width, outW);
  // Horizontal pass over the cropped rows, then vertical; float64 throughout, rounded to float32 once at the end.
  const tmp = new Float64Array(crop.height * outW);
  for (let y = 0; y < crop.height; y++) {
    const rowBase = (crop.top + y) * img.columns + crop.left;
    for (let o = 0; o < outW; o++) {
      let acc = 0;
      for (let k = wx.start[o], end = k + wx.count[o]; k < end; k++)
        acc += img.values[rowBase + wx.index[k]] * wx.weight[k];
      tmp[y * outW + o] = acc;
    }
  }
  return verticalPass(tmp, wy, outH, outW, range);
}

/** What preprocessing needs of the manifest (all of it plain data, so it can cross to a worker thread). */
export type PreprocessSpec = Pick<ModelManifest, 'preprocessing'> & { input: Pick<ModelManifest['input'], 'shape'> };

function cropOf(rows: number, columns: number, m: PreprocessSpec) {
  return m.preprocessing.crop === 'center-square'
    ? (({ top, left, size }) => ({ top, left, height: size, width: size }))(centerSquare(rows, columns))
    : { top: 0, left: 0, height: rows, width: columns };
}

/** The model input for one image, as the manifest describes it: [1 x H x W] values, channel-first. */
export function preprocess(img: GreyImage, m: PreprocessSpec): Float32Array {
  const [, , outH, outW] = m.input.shape;
  const p = m.preprocessing;
  return resample(img, cropOf(img.rows, img.columns, m), outH, outW, p.resize.method, p.intensityRange);
}

/**
 * Stored frame -> model input in one pass: the same numbers as `preprocess(toGrey(frame, pm), m)`, bit for bit
 * (test/unit/inference/preprocess-frame.test.ts), for a fraction of the work. A packed frame (8/16-bit words as
 * Orthanc stores them, the common case) is never expanded to a full-size float64 grey image: the horizontal pass
 * reads each word of the cropped rows through the 65536-entry grey table, in the same order and with the same
 * float64 arithmetic as the two-step route, so the sums are identical. Rows outside the crop are never touched.
 * Other frames (32-bit, decoded floats) take the two-step route.
 */
export function preprocessFrame(frame: StoredFrame, pm: PixelModule, m: PreprocessSpec): Float32Array {
  const words = frame.values;
  if (!frame.packed || !(words instanceof Uint16Array || words instanceof Uint8Array))
    return preprocess(toGrey(frame, pm), m);
  if (words.length !== frame.rows * frame.columns)
    throw new UnsupportedPixelDataError(
      `Decoded frame holds ${words.length} values for ${frame.rows}x${frame.columns} pixels`,
    );
  const table = packedGreyTable(words instanceof Uint8Array ? 8 : 16, pm);
  const [, , outH, outW] = m.input.shape;
  const { method } = m.preprocessing.resize;
  const crop = cropOf(frame.rows, frame.columns, m);
  const wy = resizeWeights(method, crop.height, outH);
  const wx = resizeWeights(method, crop.width, outW);
  const { start: xs, count: xc, index: xi, weight: xw } = wx;
  const tmp = new Float64Array(crop.height * outW);
  for (let y = 0; y < crop.height; y++) {
    const rowBase = (crop.top + y) * frame.columns + crop.left;
    const tmpBase = y * outW;
    for (let o = 0; o < outW; o++) {
      let acc = 0;
      for (let k = xs[o], end = k + xc[o]; k < end; k++) acc += table[words[rowBase + xi[k]]] * xw[k];
      tmp[tmpBase + o] = acc;
    }
  }
  return verticalPass(tmp, wy, outH, outW, m.preprocessing.intensityRange);
}

function verticalPass(
  tmp: Float64Array,
  wy: AxisWeights,
  outH: number,
  outW: number,
  range: [number, number],
): Float32Array {
  const [lo, hi] = range;
  const out = new Float32Array(outH * outW);
  for (let o = 0; o < outH; o++) {
    for (let x = 0; x < outW; x++) {
      let acc = 0;
      for (let k = wy.start[o], end = k + wy.count[o]; k < end; k++) acc += tmp[wy.index[k] * outW + x] * wy.weight[k];
      out[o * outW + x] = lo + acc * (hi - lo);
    }
  }
  return out;
}
