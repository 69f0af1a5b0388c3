/**
 * The ONNX Runtime session: created once per process (per model folder) and shared by every activity.
 * At load the model's real input/output names, element types and shapes are checked against the manifest, so a
 * model/manifest mismatch stops the worker at start-up with a ModelError instead of producing wrong scores later.
 *
 * Concurrency: onnxruntime-node's run() is async and already spreads one image over `intraOpThreads` cores;
 * running several at once only oversubscribes them. Requests are therefore queued and run one batch at a time.
 * When the model's batch dimension is free and several requests are waiting, up to `maxBatch` of them go in one
 * run (micro-batching); with the default maxBatch = 1 each image runs alone (measured: batching was not faster on
 * 2 cores for DenseNet-121).
 */
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { ModelError } from '../errors';
import { labelledOutputs, outputWidth, type ModelManifest } from './manifest';

export interface SessionOptions {
  /** Threads one inference may use. Default: the number of cores. */
  intraOpThreads?: number;
  /** Most images per run when the model's batch dimension is free. Default 1. */
  maxBatch?: number;
}

/** Everything one image's run gives back. */
export interface ModelOutputs {
  /** Raw scores (before activation), one per label. */
  logits: Float32Array;
  /** Class activation maps when the manifest declares them: labels x height x width, label-major. */
  maps?: { data: Float32Array; height: number; width: number };
}

export interface ModelSession {
  readonly manifest: ModelManifest;
  readonly intraOpThreads: number;
  /** Raw labelled outputs (before activation, in label order) for one image's [1 x H x W] input. Safe to call concurrently. */
  infer(input: Float32Array): Promise<Float32Array>;
  /** The same run, with the class activation maps too when the model has them. */
  inferAll(input: Float32Array): Promise<ModelOutputs>;
  release(): Promise<void>;
}

function dimsMatch(actual: readonly (number | string)[], expected: readonly (number | string)[]): boolean {
  // A symbolic dimension in the manifest accepts any free or fixed size in the model; numbers must agree exactly.
  return actual.length === expected.length && expected.every((d, i) => typeof d === 'string' || actual[i] === d);
}

export function checkSessionAgainstManifest(
  session: ort.InferenceSession,
  m: ModelManifest,
  where: string,
): { batchFree: boolean } {
  const describe = (md: readonly ort.InferenceSession.ValueMetadata[]) =>
    md.map((v) => (v.isTensor ? `${v.name} ${v.type} [${v.shape.join(', ')}]` : `${v.name} (not a tensor)`)).join('; ');
  const input = session.inputMetadata.find((v) => v.name === m.input.name);
  if (session.inputNames.length !== 1 || input === undefined || !input.isTensor) {
    throw new ModelError(
      `Model ${where} does not match its manifest: manifest input "${m.input.name}", model inputs ${describe(session.inputMetadata)}`,
    );
  }
  if (input.type !== 'float32' || !dimsMatch(input.shape, m.input.shape)) {
    throw new ModelError(
      `Model ${where} input "${input.name}" is ${input.type} [${input.shape.join(', ')}], manifest says float32 [${m.input.shape.join(', ')}]`,
    );
  }
  const output = session.outputMetadata.find((v) => v.name === m.output.name);
  if (output === undefined || !output.isTensor) {
    throw new ModelError(
      `Model ${where} does not match its manifest: manifest output "${m.output.name}", model outputs ${describe(session.outputMetadata)}`,
    );
  }
  const outLabels = output.shape[output.shape.length - 1];
  const width = outputWidth(m);
  if (output.type !== 'float32' || output.shape.length !== 2 || outLabels !== width) {
    const what = m.output.size === undefined ? `lists ${width} labels` : `declares ${width} outputs`;
    throw new ModelError(
      `Model ${where} output "${output.name}" is ${output.type} [${output.shape.join(', ')}]; the manifest ${what}, so [batch, ${width}] float32 is expected`,
    );
  }
  if (m.classActivationMaps) {
    const cam = session.outputMetadata.find((v) => v.name === m.classActivationMaps?.output);
    if (cam === undefined || !cam.isTensor || cam.type !== 'float32' || cam.shape.length !== 4) {
      throw new ModelError(
        `Model ${where}: the manifest's classActivationMaps.output "${m.classActivationMaps.output}" must be a float32 [batch, labels, h, w] output; model outputs ${describe(session.outputMetadata)}`,
      );
    }
    if (cam.shape[1] !== m.labels.length) {
      throw new ModelError(
        `Model ${where} output "${cam.name}" has ${cam.shape[1]} maps; the manifest lists ${m.labels.length} labels`,
      );
    }
  }
  return { batchFree: typeof input.shape[0] === 'string' || input.shape[0] === -1 };
}

interface Pending {
  input: Float32Array;
  resolve: (out: ModelOutputs) => void;
  reject: (err: unknown) => void;
}

class QueuedSession implements ModelSession {
  private readonly queue: Pending[] = [];
  private running = false;

  constructor(
    readonly manifest: ModelManifest,
    readonly intraOpThreads: number,
    private readonly session: ort.InferenceSession,
    private readonly maxBatch: number,
  ) {}

  async infer(input: Float32Array): Promise<Float32Array> {
    return (await this.inferAll(input)).logits;
  }

  inferAll(input: Float32Array): Promise<ModelOutputs> {
    const [, c, h, w] = this.manifest.input.shape;
    if (input.length !== c * h * w) {
      return Promise.reject(
        new ModelError(`Model input has ${input.length} values; ${this.manifest.id} needs ${c}x${h}x${w}`),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const outs = await this.runBatch(batch.map((p) => p.input));
          batch.forEach((p, i) => p.resolve(outs[i]));
        } catch (err) {
          const e =
            err instanceof ModelError
              ? err
              : new ModelError(`The model ${this.manifest.id} failed to run: ${(err as Error).message}`, {
                  cause: err,
                });
          batch.forEach((p) => p.reject(e));
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async runBatch(inputs: Float32Array[]): Promise<ModelOutputs[]> {
    const [, c, h, w] = this.manifest.input.shape;
    const per = c * h * w;
    const data = inputs.length === 1 ? inputs[0] : new Float32Array(per * inputs.length);
    if (inputs.length > 1) inputs.forEach((x, i) => data.set(x, i * per));
    const feeds = { [this.manifest.input.name]: new ort.Tensor('float32', data, [inputs.length, c, h, w]) };
    const camOutput = this.manifest.classActivationMaps?.output;
    const fetches = camOutput ? [this.manifest.output.name, camOutput] : [this.manifest.output.name];
    const result = await this.session.run(feeds, fetches);
    const out = result[this.manifest.output.name];
    const n = outputWidth(this.manifest);
    if (out === undefined || !(out.data instanceof Float32Array) || out.data.length !== n * inputs.length) {
      throw new ModelError(
        `The model ${this.manifest.id} returned ${out?.data.length ?? 'no'} values for ${inputs.length} image(s) x ${n} outputs`,
      );
    }
    const all = out.data;
    const maps = camOutput ? result[camOutput] : undefined;
    if (maps !== undefined && !(maps.data instanceof Float32Array && maps.dims.length === 4)) {
      throw new ModelError(`The model ${this.manifest.id} returned class activation maps that are not float32 4-D`);
    }
    const [mh, mw] = maps ? [Number(maps.dims[2]), Number(maps.dims[3])] : [0, 0];
    const perMaps = this.manifest.labels.length * mh * mw; // one map per label
    return inputs.map((_, i) => ({
      logits: labelledOutputs(this.manifest, all.slice(i * n, (i + 1) * n)),
      ...(maps
        ? { maps: { data: (maps.data as Float32Array).slice(i * perMaps, (i + 1) * perMaps), height: mh, width: mw } }
        : {}),
    }));
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}

export async function createSession(
  modelDir: string,
  manifest: ModelManifest,
  opts: SessionOptions = {},
): Promise<ModelSession> {
  const file = path.resolve(modelDir, manifest.file);
  const intraOpThreads = opts.intraOpThreads ?? os.availableParallelism();
  if (!Number.isInteger(intraOpThreads) || intraOpThreads < 1)
    throw new ModelError(`intraOpThreads must be a positive integer (got ${intraOpThreads})`);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, {
      executionProviders: ['cpu'],
      graphOptimizationLevel: 'all',
      intraOpNumThreads: intraOpThreads,
      interOpNumThreads: 1,
      executionMode: 'sequential',
    });
  } catch (err) {
    throw new ModelError(
      `Cannot load the model ${file} (${(err as Error).message}); for the benchmark model run scripts/models/ensure-models`,
      { cause: err },
    );
  }
  const { batchFree } = checkSessionAgainstManifest(session, manifest, file);
  const maxBatch = batchFree ? Math.max(1, opts.maxBatch ?? 1) : 1;
  return new QueuedSession(manifest, intraOpThreads, session, maxBatch);
}
