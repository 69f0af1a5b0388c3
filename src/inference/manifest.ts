/**
 * The model manifest (models/<name>/manifest.json): everything the pipeline needs to feed a model and to say in the
 * report which model spoke. Nothing about a particular model is hard-coded elsewhere. Validation names the
 * offending field, so a person editing a manifest sees what to fix.
 *
 * Calibration 'op_norm' (torchxrayvision's `op_norm`): after the activation, each label's probability p is mapped
 * piecewise-linearly so that the label's operating point t (chosen on validation data) lands on 0.5:
 *   p < t  ->  p / t * 0.5        p >= t  ->  1 - (1 - p) / (1 - t) * 0.5
 * Labels without an operating point are left as they are. A calibrated model's natural decision threshold is 0.5.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ModelError } from '../errors';
import type { ModalityPolicy, VoiPolicy } from '../dicom/pixels';
import type { AcceptedInput } from '../contracts';
import { codeForLabel } from '../dicom/codes';
import { vrProblem } from '../dicom/vr';
import { parseAccepts } from './accepts';

export type Activation = 'sigmoid' | 'softmax' | 'none';

/** How preprocessing resizes to the model's input (src/inference/preprocess.ts implements each). */
export const RESIZE_METHODS = ['area', 'bilinear', 'skimage'] as const;
export type ResizeMethod = (typeof RESIZE_METHODS)[number];
/** A dimension: a fixed size, or a symbolic name (e.g. 'batch') for a dimension the model leaves free. */
export type Dim = number | string;

export interface ModelManifest {
  schemaVersion: 1;
  id: string;
  name: string;
  version: string;
  manufacturer: string;
  license: string;
  provenance: string;
  intendedUse: string;
  /** What the model was made for: the images it reads, the rest is skipped with the reason (src/inference/accepts.ts). */
  accepts: AcceptedInput;
  /** False for demo and benchmark models: their findings must never be read as a diagnosis. */
  diagnostic: boolean;
  /** Model file, relative to the manifest. */
  file: string;
  input: { name: string; shape: [Dim, number, number, number]; layout: 'NCHW'; dtype: 'float32' };
  output: {
    name: string;
    activation: Activation;
    /**
     * Where each label sits in the output vector, when the model has outputs no label names (torchxrayvision's
     * single-dataset weights keep all 18 outputs and leave some unnamed). Absent: label i is output i.
     */
    labelIndices?: number[];
    /** Width of the output vector; required with labelIndices, else it is the number of labels. */
    size?: number;
  };
  preprocessing: {
    /** Presentation intensities [0, 1] (0 black, 1 white) are scaled linearly onto this range. */
    intensityRange: [number, number];
    /** 'center-square': the central square, offset as torchxrayvision's XRayCenterCrop does. */
    crop: 'center-square' | 'none';
    /**
     * 'area': area averaging when shrinking, bilinear (half-pixel centres) when enlarging. 'skimage': torchxrayvision's
     * XRayResizer (skimage.transform.resize: Gaussian anti-aliasing, then bilinear, zero padding). Never nearest.
     */
    resize: { method: ResizeMethod; size: number };
    /** VOI LUT / window of the header ('dicom-first') or the whole range the modality transform can produce. */
    voi: VoiPolicy;
    /** Apply the header's Rescale Slope/Intercept or Modality LUT ('apply', default), or read stored values ('ignore'). */
    modalityTransform: ModalityPolicy;
  };
  labels: string[];
  calibration?: { method: 'op_norm'; operatingPoints: Record<string, number> };
  /** Decision threshold per label on the final (calibrated) probability; labels not named use `default`. */
  thresholds: { default: number; perLabel?: Record<string, number> };
  /**
   * Optional: the model also outputs one class activation map per label (CAM: the last feature map weighted by the
   * classifier's weights for that label, no gradients needed), shape [batch, labels, h, w], in `output`. The
   * worker then draws a heatmap for each positive finding (src/inference/cam.ts). Models without it work as before.
   */
  classActivationMaps?: { output: string };
}

type Json = unknown;

class ManifestReader {
  constructor(private readonly where: string) {}

  fail(field: string, want: string, got: Json): never {
    throw new ModelError(
      `Model manifest ${this.where}: field "${field}" must be ${want} (found ${JSON.stringify(got) ?? 'nothing'})`,
    );
  }

  obj(v: Json, field: string): Record<string, Json> {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'an object', v);
    return v as Record<string, Json>;
  }

  str(o: Record<string, Json>, key: string, prefix = ''): string {
    const v = o[key];
    if (typeof v !== 'string' || v.trim() === '') this.fail(prefix + key, 'a non-empty string', v);
    return v;
  }

  /** A string that is written into the SR as a DICOM value of this VR (e.g. LO: at most 64 characters). */
  dicomStr(o: Record<string, Json>, key: string, vr: 'LO', writtenAs: string): string {
    const v = this.str(o, key);
    const problem = vrProblem(vr, v);
    if (problem !== undefined) this.fail(key, `a valid ${vr} value for the report's ${writtenAs} (${problem})`, v);
    return v;
  }

  num(v: Json, field: string, lo = -Infinity, hi = Infinity): number {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi)
      this.fail(field, `a number in [${lo}, ${hi}]`, v);
    return v;
  }

  oneOf<T extends string>(v: Json, field: string, allowed: readonly T[]): T {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v))
      this.fail(field, `one of ${allowed.join(', ')}`, v);
    return v as T;
  }

  labelMap(v: Json, field: string, labels: string[], lo: number, hi: number): Record<string, number> {
    const o = this.obj(v, field);
    for (const [k, x] of Object.entries(o)) {
      if (!labels.includes(k)) this.fail(`${field}.${k}`, 'keyed by one of the labels', k);
      this.num(x, `${field}.${k}`, lo, hi);
    }
    return o as Record<string, number>;
  }
}

/** Validate a parsed manifest. `where` names it in errors (usually its path). */
export function parseManifest(raw: Json, where = 'manifest.json'): ModelManifest {
  const r = new ManifestReader(where);
  const m = r.obj(raw, '(root)');
  if (m.schemaVersion !== 1) r.fail('schemaVersion', '1', m.schemaVersion);
  if (typeof m.diagnostic !== 'boolean') r.fail('diagnostic', 'true or false', m.diagnostic);

  const input = r.obj(m.input, 'input');
  const shape = input.shape;
  if (!Array.isArray(shape) || shape.length !== 4)
    r.fail('input.shape', 'four dimensions [batch, channels, height, width]', shape);
  const [batch, ...chw] = shape as Json[];
  if (!(typeof batch === 'string' || batch === 1)) r.fail('input.shape[0]', 'a symbolic name (free batch) or 1', batch);
  chw.forEach((d, i) => r.num(d, `input.shape[${i + 1}]`, 1, 8192));
  if (!Number.isInteger(chw[0]) || (chw[0] as number) !== 1) r.fail('input.shape[1]', '1 (one grey channel)', chw[0]);

  const output = r.obj(m.output, 'output');
  const pre = r.obj(m.preprocessing, 'preprocessing');
  if (!Array.isArray(pre.intensityRange) || pre.intensityRange.length !== 2)
    r.fail('preprocessing.intensityRange', '[low, high]', pre.intensityRange);
  const range = pre.intensityRange as Json[];
  const lo = r.num(range[0], 'preprocessing.intensityRange[0]');
  const hi = r.num(range[1], 'preprocessing.intensityRange[1]');
  if (!(hi > lo)) r.fail('preprocessing.intensityRange', 'increasing', range);
  const resize = r.obj(pre.resize, 'preprocessing.resize');
  const size = r.num(resize.size, 'preprocessing.resize.size', 1, 8192);
  if (size !== chw[1] || size !== chw[2])
    r.fail('preprocessing.resize.size', `equal to the input's height and width (${chw[1]}x${chw[2]})`, size);

  if (
    !Array.isArray(m.labels) ||
    m.labels.length === 0 ||
    !m.labels.every((l) => typeof l === 'string' && l.trim() !== '')
  ) {
    r.fail('labels', 'a non-empty list of label names', m.labels);
  }
  const labels = m.labels as string[];
  if (new Set(labels).size !== labels.length) r.fail('labels', 'unique', labels);
  for (const [i, label] of labels.entries()) {
    try {
      codeForLabel(label);
    } catch (err) {
      r.fail(`labels[${i}]`, `a label the report can code (${(err as Error).message})`, label);
    }
  }

  let labelIndices: number[] | undefined;
  let outputSize: number | undefined;
  if (output.labelIndices !== undefined) {
    outputSize = r.num(output.size, 'output.size', 1, 100000);
    if (!Number.isInteger(outputSize)) r.fail('output.size', 'an integer', output.size);
    const li = output.labelIndices;
    if (!Array.isArray(li) || li.length !== labels.length)
      r.fail('output.labelIndices', `one output index per label (${labels.length})`, li);
    (li as Json[]).forEach((x, i) => {
      if (!Number.isInteger(x)) r.fail(`output.labelIndices[${i}]`, 'an integer', x);
      r.num(x, `output.labelIndices[${i}]`, 0, outputSize! - 1);
    });
    labelIndices = li as number[];
    if (new Set(labelIndices).size !== labelIndices.length) r.fail('output.labelIndices', 'unique', li);
  } else if (output.size !== undefined && output.size !== labels.length) {
    r.fail('output.size', `the number of labels (${labels.length}) when output.labelIndices is absent`, output.size);
  }

  let calibration: ModelManifest['calibration'];
  if (m.calibration !== undefined && m.calibration !== null) {
    const c = r.obj(m.calibration, 'calibration');
    r.oneOf(c.method, 'calibration.method', ['op_norm'] as const);
    // Operating points strictly inside (0, 1): op_norm divides by t and by 1 - t.
    calibration = {
      method: 'op_norm',
      operatingPoints: r.labelMap(
        c.operatingPoints,
        'calibration.operatingPoints',
        labels,
        Number.MIN_VALUE,
        1 - Number.EPSILON,
      ),
    };
  }
  const th = r.obj(m.thresholds, 'thresholds');
  const thresholds: ModelManifest['thresholds'] = { default: r.num(th.default, 'thresholds.default', 0, 1) };
  if (th.perLabel !== undefined) thresholds.perLabel = r.labelMap(th.perLabel, 'thresholds.perLabel', labels, 0, 1);

  let classActivationMaps: ModelManifest['classActivationMaps'];
  if (m.classActivationMaps !== undefined && m.classActivationMaps !== null) {
    const c = r.obj(m.classActivationMaps, 'classActivationMaps');
    classActivationMaps = { output: r.str(c, 'output', 'classActivationMaps.') };
    if (classActivationMaps.output === r.str(output, 'name', 'output.'))
      r.fail('classActivationMaps.output', 'a different output than output.name', classActivationMaps.output);
  }

  return {
    schemaVersion: 1,
    id: r.str(m, 'id'),
    // Written into the SR as Manufacturer Model Name, Software Versions and Manufacturer: LO, 64 characters at most.
    name: r.dicomStr(m, 'name', 'LO', 'Manufacturer Model Name'),
    version: r.dicomStr(m, 'version', 'LO', 'Software Versions'),
    manufacturer: r.dicomStr(m, 'manufacturer', 'LO', 'Manufacturer'),
    license: r.str(m, 'license'),
    provenance: r.str(m, 'provenance'),
    intendedUse: r.str(m, 'intendedUse'),
    accepts: parseAccepts(m.accepts, where),
    diagnostic: m.diagnostic as boolean,
    file: r.str(m, 'file'),
    input: {
      name: r.str(input, 'name', 'input.'),
      shape: [batch as Dim, 1, chw[1] as number, chw[2] as number],
      layout: r.oneOf(input.layout, 'input.layout', ['NCHW'] as const),
      dtype: r.oneOf(input.dtype, 'input.dtype', ['float32'] as const),
    },
    output: {
      name: r.str(output, 'name', 'output.'),
      activation: r.oneOf(output.activation, 'output.activation', ['sigmoid', 'softmax', 'none'] as const),
      ...(labelIndices !== undefined ? { labelIndices, size: outputSize } : {}),
    },
    preprocessing: {
      intensityRange: [lo, hi],
      crop: r.oneOf(pre.crop, 'preprocessing.crop', ['center-square', 'none'] as const),
      resize: {
        method: r.oneOf(resize.method, 'preprocessing.resize.method', RESIZE_METHODS),
        size,
      },
      voi: r.oneOf(pre.voi ?? 'dicom-first', 'preprocessing.voi', ['dicom-first', 'full-range'] as const),
      modalityTransform: r.oneOf(pre.modalityTransform ?? 'apply', 'preprocessing.modalityTransform', [
        'apply',
        'ignore',
      ] as const),
    },
    labels,
    calibration,
    thresholds,
    ...(classActivationMaps ? { classActivationMaps } : {}),
  };
}

export function readManifest(modelDir: string): ModelManifest {
  const file = path.join(modelDir, 'manifest.json');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ModelError(
      `No model manifest at ${file}: set CXR_MODEL_DIR to a folder holding manifest.json and the model (run scripts/models/ensure-models for the benchmark model)`,
      { cause: err },
    );
  }
  let raw: Json;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ModelError(`Model manifest ${file} is not valid JSON (${(err as Error).message})`, { cause: err });
  }
  return parseManifest(raw, file);
}

/** Activation, then calibration, over one image's raw outputs. Pure. */
export function scoresFromOutputs(m: ModelManifest, raw: ArrayLike<number>): number[] {
  let p = Array.from(raw, Number);
  if (m.output.activation === 'sigmoid') p = p.map((x) => 1 / (1 + Math.exp(-x)));
  if (m.output.activation === 'softmax') {
    const max = Math.max(...p);
    const e = p.map((x) => Math.exp(x - max));
    const sum = e.reduce((a, b) => a + b, 0);
    p = e.map((x) => x / sum);
  }
  const ops = m.calibration?.operatingPoints;
  if (ops) {
    p = p.map((x, i) => {
      const t = ops[m.labels[i]];
      if (t === undefined) return x;
      return x < t ? (x / t) * 0.5 : 1 - ((1 - x) / (1 - t)) * 0.5;
    });
  }
  return p;
}

/** Width of the model's output vector (more than the labels when some outputs are unnamed). */
export function outputWidth(m: ModelManifest): number {
  return m.output.size ?? m.labels.length;
}

/** The labelled values of one image's output vector, in label order. */
export function labelledOutputs(m: ModelManifest, all: Float32Array): Float32Array {
  const idx = m.output.labelIndices;
  return idx === undefined ? all : Float32Array.from(idx, (i) => all[i]);
}

export function thresholdFor(m: ModelManifest, label: string): number {
  return m.thresholds.perLabel?.[label] ?? m.thresholds.default;
}
