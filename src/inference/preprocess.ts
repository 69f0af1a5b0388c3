/**
 * Presentation intensities -> model input tensor, following the manifest (torchxrayvision convention for the
 * reference family: one channel, [-1024, 1024], centre crop to a square, 224x224). Pure functions, no I/O.
 *
 * Resampling is separable and written as weight tables so that scripts/reference/preprocess.py can reproduce it
 * exactly with two matrix products. Area averaging is the exact box filter (each output pixel is the mean of the
 * source area it covers, fractional pixels weighted), which is what anti-aliased shrinking of a 2000-pixel
 * radiograph to 224 needs; nearest neighbour would alias fine structures (ribs, lines) into noise.
 */
import type { GreyImage } from '../dicom/pixels';
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

/** The resampling weights the manifest asks for: area when shrinking, bilinear when enlarging or when asked. */
export function resizeWeights(method: 'area' | 'bilinear', nIn: number, nOut: number): AxisWeights {
  return method === 'area' && nOut <= nIn ? areaWeights(nIn, nOut) : bilinearWeights(nIn, nOut);
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

/** The model input for one image, as the manifest describes it: [1 x H x W] values, channel-first. */
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

export function preprocess(img: GreyImage, m: ModelManifest): Float32Array {
  const [, , outH, outW] = m.input.shape;
  const p = m.preprocessing;
  const crop = modelInputArea(img.rows, img.columns, m);
  return resample(img, crop, outH, outW, p.resize.method, p.intensityRange);
}
