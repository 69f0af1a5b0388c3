/**
 * Presentation intensities -> model input tensor, following the manifest (torchxrayvision convention for the
 * reference family: one channel, [-1024, 1024], centre crop to a square, 224x224). Pure functions, no I/O.
 *
 * Resampling is separable and written as weight tables so that scripts/reference/preprocess.py can reproduce it
 * exactly with two matrix products. 'skimage' reproduces torchxrayvision's own resizer (XRayResizer); the oracle
 * test (test/integration/models) checks it against torchxrayvision itself. Area averaging is the exact box filter (each output pixel is the mean of the
 * source area it covers, fractional pixels weighted), which is what anti-aliased shrinking of a 2000-pixel
 * radiograph to 224 needs; nearest neighbour would alias fine structures (ribs, lines) into noise.
 */
import { type GreyImage, packedGreyTable, type PixelModule, type StoredFrame, toGrey } from '../dicom/pixels';
import { UnsupportedPixelDataError } from '../errors';
import type { ModelManifest, ResizeMethod } from './manifest';

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

/** scipy.ndimage's Gaussian kernel (`_gaussian_kernel1d`, truncate 4): taps for offsets -radius..radius, summing to 1. */
export function gaussianKernel(sigma: number, truncate = 4): Float64Array {
  const radius = Math.floor(truncate * sigma + 0.5);
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let x = -radius; x <= radius; x++) sum += k[x + radius] = Math.exp((-0.5 / (sigma * sigma)) * x * x);
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/**
 * skimage.transform.resize(order=1, mode='constant', cval=0, anti_aliasing=True when any axis shrinks), which is
 * what torchxrayvision's XRayResizer runs: a Gaussian blur with sigma = max(0, (nIn/nOut - 1) / 2) (scipy's
 * gaussian_filter, truncated at 4 sigma), then linear interpolation at half-pixel centres (ndimage.zoom with
 * grid_mode=True). Outside the image both read the constant 0, so these weights do NOT sum to 1 near the edges:
 * the missing mass is the padding value, 0 in model-input units (the middle of [-1024, 1024]).
 */
export function skimageWeights(nIn: number, nOut: number, antiAlias: boolean): AxisWeights {
  const scale = nIn / nOut;
  const sigma = antiAlias ? Math.max(0, (scale - 1) / 2) : 0;
  const kernel = sigma > 1e-15 ? gaussianKernel(sigma) : new Float64Array([1]);
  const radius = (kernel.length - 1) / 2;
  const rows: { i: number; w: number }[][] = [];
  for (let o = 0; o < nOut; o++) {
    const x = (o + 0.5) * scale - 0.5;
    const i0 = Math.floor(x);
    const f = x - i0;
    const acc = new Map<number, number>();
    for (const [c, wc] of [
      [i0, 1 - f],
      [i0 + 1, f],
    ]) {
      if (wc <= 0 || c < 0 || c >= nIn) continue; // the zoom reads cval outside the grid
      for (let t = -radius; t <= radius; t++) {
        const j = c + t;
        if (j < 0 || j >= nIn) continue; // the blur reads cval outside the image
        acc.set(j, (acc.get(j) ?? 0) + wc * kernel[t + radius]);
      }
    }
    rows.push([...acc.entries()].sort((a, b) => a[0] - b[0]).map(([i, w]) => ({ i, w })));
  }
  return pack(rows);
}

/**
 * The resampling weights the manifest asks for: 'area' when shrinking (bilinear when enlarging), 'bilinear', or
 * 'skimage' (torchxrayvision's resizer; `antiAlias` is skimage's rule: true when any axis of the image shrinks).
 */
export function resizeWeights(method: ResizeMethod, nIn: number, nOut: number, antiAlias = nOut < nIn): AxisWeights {
  // Tables are read-only and kept per (method, sizes, blur): a site's images come in a handful of sizes.
  const key = `${method} ${nIn} ${nOut} ${antiAlias}`;
  let w = weightCache.get(key);
  if (w === undefined) {
    w =
      method === 'skimage'
        ? skimageWeights(nIn, nOut, antiAlias)
        : method === 'area' && nOut <= nIn
          ? areaWeights(nIn, nOut)
          : bilinearWeights(nIn, nOut);
    if (weightCache.size > 64) weightCache.clear();
    weightCache.set(key, w);
  }
  return w;
}

const weightCache = new Map<string, AxisWeights>();

export interface Crop {
  top: number;
  left: number;
  size: number;
}

/**
 * The central square, offset as torchxrayvision's XRayCenterCrop offsets it: floor(long / 2) - floor(short / 2)
 * (one more than floor((long - short) / 2) when the long side is even and the short side odd).
 */
export function centerSquare(rows: number, columns: number): Crop {
  const size = Math.min(rows, columns);
  const half = Math.floor(size / 2);
  return { top: Math.floor(rows / 2) - half, left: Math.floor(columns / 2) - half, size };
}

/** Crop + resample + scale one image into a new Float32Array of outH*outW values (row-major, one channel). */
export function resample(
  img: GreyImage,
  crop: { top: number; left: number; height: number; width: number },
  outH: number,
  outW: number,
  method: ResizeMethod,
  range: [number, number],
): Float32Array {
  // skimage decides once for the whole image whether to blur (any axis shrinking); the others decide per axis.
  const antiAlias = outH < crop.height || outW < crop.width;
  const wy = resizeWeights(method, crop.height, outH, antiAlias);
  const wx = resizeWeights(method, crop.width, outW, antiAlias);
  // Values are scaled to the model's range first, so that padding (skimage's cval) is 0 in model units.
  const [lo, hi] = range;
  const span = hi - lo;
  // Horizontal pass over the cropped rows, then vertical; float64 throughout, rounded to float32 once at the end.
  const tmp = new Float64Array(crop.height * outW);
  for (let y = 0; y < crop.height; y++) {
    const rowBase = (crop.top + y) * img.columns + crop.left;
    for (let o = 0; o < outW; o++) {
      let acc = 0;
      for (let k = wx.start[o], end = k + wx.count[o]; k < end; k++)
        acc += (lo + img.values[rowBase + wx.index[k]] * span) * wx.weight[k];
      tmp[y * outW + o] = acc;
    }
  }
  return verticalPass(tmp, wy, outH, outW);
}

function verticalPass(tmp: Float64Array, wy: AxisWeights, outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW);
  for (let o = 0; o < outH; o++) {
    for (let x = 0; x < outW; x++) {
      let acc = 0;
      for (let k = wy.start[o], end = k + wy.count[o]; k < end; k++) acc += tmp[wy.index[k] * outW + x] * wy.weight[k];
      out[o * outW + x] = acc;
    }
  }
  return out;
}

/** What preprocessing needs of the manifest (all of it plain data, so it can cross to a worker thread). */
export type PreprocessSpec = Pick<ModelManifest, 'preprocessing'> & { input: Pick<ModelManifest['input'], 'shape'> };

/** The part of a rows x columns image that the model sees (before resizing), in source pixels. */
export function modelInputArea(
  rows: number,
  columns: number,
  m: Pick<ModelManifest, 'preprocessing'>,
): { top: number; left: number; height: number; width: number } {
  return m.preprocessing.crop === 'center-square'
    ? (({ top, left, size }) => ({ top, left, height: size, width: size }))(centerSquare(rows, columns))
    : { top: 0, left: 0, height: rows, width: columns };
}

/** The model input for one image, as the manifest describes it: [1 x H x W] values, channel-first. */
export function preprocess(img: GreyImage, m: PreprocessSpec): Float32Array {
  const [, , outH, outW] = m.input.shape;
  const p = m.preprocessing;
  const crop = modelInputArea(img.rows, img.columns, m);
  return resample(img, crop, outH, outW, p.resize.method, p.intensityRange);
}

/**
 * Stored frame -> model input in one pass: the same numbers as `preprocess(toGrey(frame, pm), m)`, bit for bit
 * (test/unit/inference/preprocess-frame.test.ts), for a fraction of the work. A packed frame (8/16-bit words as
 * Orthanc stores them, the common case) is never expanded to a full-size float64 grey image: the horizontal pass
 * reads each word of the cropped rows through a table of every word's model-range value (`lo + grey * span`, the
 * same float64 operations resample does per pixel), in the same order, so the sums are identical. Rows outside
 * the crop are never touched. Other frames (32-bit, decoded floats) take the two-step route.
 */
export function preprocessFrame(frame: StoredFrame, pm: PixelModule, m: PreprocessSpec): Float32Array {
  const words = frame.values;
  if (!frame.packed || !(words instanceof Uint16Array || words instanceof Uint8Array))
    return preprocess(toGrey(frame, pm), m);
  if (words.length !== frame.rows * frame.columns)
    throw new UnsupportedPixelDataError(
      `Decoded frame holds ${words.length} values for ${frame.rows}x${frame.columns} pixels`,
    );
  const [lo, hi] = m.preprocessing.intensityRange;
  const span = hi - lo;
  const table = packedGreyTable(words instanceof Uint8Array ? 8 : 16, pm);
  for (let w = 0; w < table.length; w++) table[w] = lo + table[w] * span;
  const [, , outH, outW] = m.input.shape;
  const { method } = m.preprocessing.resize;
  const crop = modelInputArea(frame.rows, frame.columns, m);
  const antiAlias = outH < crop.height || outW < crop.width;
  const wy = resizeWeights(method, crop.height, outH, antiAlias);
  const wx = resizeWeights(method, crop.width, outW, antiAlias);
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
  return verticalPass(tmp, wy, outH, outW);
}
