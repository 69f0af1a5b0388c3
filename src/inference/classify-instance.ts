/**
 * The one call the pipeline's classify activity makes: Orthanc instance -> findings.
 * Claim check: the caller passes an Orthanc ID; pixels are fetched here and never leave the worker.
 */
import path from 'node:path';
import type { Finding, ModelIdentity } from '../contracts';
import type { OrthancClient } from '../orthanc/client';
import { decodeFrame } from '../dicom/decode';
import type { StructureLimits } from '../dicom/structure';
import { type DecodeRoute, fetchEncodedImage } from './fetch-frame';
import { readManifest, scoresFromOutputs, thresholdFor, type ModelManifest } from './manifest';
import { activationMap, type ActivationMap, type InputArea } from './cam';
import { modelInputArea, preprocessFrame } from './preprocess';
import type { PreprocessPool } from './preprocess-pool';
import { createSession, type ModelSession, type SessionOptions } from './session';

export type { Finding, ModelIdentity };

export interface Classification {
  model: ModelIdentity;
  findings: Finding[];
  /** fetch: the stored file from Orthanc + parse + structural checks; decode: inside preprocess (its share). */
  timingsMs: { fetch: number; preprocess: number; infer: number; decode: number };
  /** The part of the source image the model saw (its input crop), in source pixels. */
  inputArea: InputArea;
  /** Per positive finding, its class activation map, when the model has them (manifest classActivationMaps). */
  activationMaps?: Record<string, ActivationMap>;
  /** Facts about the input worth recording: frames in the object (only the first is classified), decode route. */
  source: {
    rows: number;
    columns: number;
    numberOfFrames: number;
    photometric: string;
    decodedBy: DecodeRoute;
    transferSyntax: string | null;
  };
}

export interface Classifier {
  readonly manifest: ModelManifest;
  readonly session: ModelSession;
  readonly model: ModelIdentity;
}

const cache = new Map<string, Promise<Classifier>>();

/**
 * Load (once per process and folder) the model in `modelDir`. Later calls with the same folder share the session;
 * options only count on the first call. A failed load is not cached, so a fixed model folder can be retried.
 */
export function loadClassifier(modelDir: string, opts: SessionOptions = {}): Promise<Classifier> {
  const key = path.resolve(modelDir);
  let p = cache.get(key);
  if (p === undefined) {
    p = (async () => {
      const manifest = readManifest(key);
      const session = await createSession(key, manifest, opts);
      const { id, version, name, manufacturer, diagnostic, intendedUse } = manifest;
      return { manifest, session, model: { id, version, name, manufacturer, diagnostic, intendedUse } };
    })();
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

/** Findings for one model output: activation, calibration, per-label threshold. Pure. */
export function findingsFromOutputs(m: ModelManifest, raw: ArrayLike<number>): Finding[] {
  return scoresFromOutputs(m, raw).map((probability, i) => {
    const label = m.labels[i];
    const threshold = thresholdFor(m, label);
    return { label, probability, threshold, positive: probability >= threshold };
  });
}

export async function classifyOrthancInstance(
  orthanc: OrthancClient,
  classifier: Classifier,
  orthancInstanceId: string,
  opts: { pool?: PreprocessPool; limits?: StructureLimits } = {},
): Promise<Classification> {
  const m = classifier.manifest;
  const t0 = performance.now();
  const fetched = await fetchEncodedImage(orthanc, orthancInstanceId, {
    voiPolicy: m.preprocessing.voi,
    modalityPolicy: m.preprocessing.modalityTransform,
    limits: opts.limits,
  });
  const t1 = performance.now();
  // The file is not read after this: its buffer moves to the pool's thread (no copy), which decodes and resamples.
  let input: Float32Array;
  let route: DecodeRoute;
  let decodeMs: number;
  if (opts.pool) {
    ({ input, route, decodeMs } = await opts.pool.runEncoded(fetched.encoded, fetched.pixelModule, m, {
      transfer: true,
    }));
  } else {
    const d = await decodeFrame(fetched.encoded, fetched.pixelModule);
    decodeMs = performance.now() - t1;
    route = d.route;
    input = preprocessFrame(d.frame, fetched.pixelModule, m);
  }
  const t2 = performance.now();
  const out = await classifier.session.inferAll(input);
  const t3 = performance.now();
  const pm = fetched.pixelModule; // plain header facts: still readable after the frame's transfer
  const findings = findingsFromOutputs(m, out.logits);
  let activationMaps: Record<string, ActivationMap> | undefined;
  if (out.maps) {
    const { data, height, width } = out.maps;
    activationMaps = {};
    findings.forEach((f, i) => {
      const map = f.positive ? activationMap(data, i, height, width) : undefined;
      if (map && activationMaps) activationMaps[f.label] = map;
    });
  }
  return {
    model: classifier.model,
    findings,
    timingsMs: { fetch: t1 - t0, preprocess: t2 - t1, infer: t3 - t2, decode: decodeMs },
    inputArea: modelInputArea(pm.rows, pm.columns, m),
    ...(activationMaps ? { activationMaps } : {}),
    source: {
      rows: pm.rows,
      columns: pm.columns,
      numberOfFrames: pm.numberOfFrames,
      photometric: pm.photometric,
      decodedBy: route,
      transferSyntax: fetched.transferSyntax,
    },
  };
}
