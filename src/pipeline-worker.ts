/**
 * Builds the pipeline's workers for one process: the main queue (workflows, zip and Orthanc I/O
 * activities) and the inference queue (classifyInstance, CPU-bound, bounded to the cores).
 * Used by src/worker.ts and by the tests, so both run exactly the same wiring.
 */
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities } from './activities';
import { payloadCodecFrom } from './codec/encryption';
import { modelTaskQueue, type PipelineConfig, temporalConnectionOptions, type WorkerRole } from './config';
import { loadClassifier, readManifest } from './inference';
import { PreprocessPool } from './inference/preprocess-pool';
import { stepMetrics } from './metrics';
import { OrthancClient } from './orthanc/client';
import { ensureSecret } from './secrets';
import { ArchiveCache } from './zip';

export type { WorkerRole };

/**
 * The key the workers share to bind inference results to their requests (src/activities/result-binding.ts):
 * CXR_WORKER_RESULT_KEY, else <data dir>/secrets/worker-result-key (generated once; give the same file to workers on
 * other machines).
 */
export function resultKeyOf(config: Pick<PipelineConfig, 'worker' | 'dataDir'>): Buffer {
  return Buffer.from(config.worker.resultKey ?? ensureSecret(config.dataDir, 'worker-result-key'), 'utf8');
}

/** Overrides of what the configuration says (tests use them); absent fields come from `config`. */
export interface PipelineWorkerOptions {
  config: PipelineConfig;
  /** Default config.worker.role. */
  role?: WorkerRole;
  connection?: NativeConnection;
  /** Pre-built workflow bundle (tests bundle once); default: bundle src/workflows at start. */
  workflowBundle?: WorkflowBundle;
  /** Default config.worker.maxConcurrentIo. */
  maxConcurrentIo?: number;
  /** Default config.worker.maxConcurrentInference. */
  maxConcurrentInference?: number;
  /** Default config.worker.intraOpThreads. */
  intraOpThreads?: number;
  /** Default config.worker.preprocessThreads (0: preprocess on the main thread). */
  preprocessThreads?: number;
  /** Payload encryption (docs/security.md). Default: from config.payloadKeys; null: none. */
  payloadCodec?: PayloadCodec | null;
}

export interface PipelineWorkers {
  workers: Worker[];
  connection: NativeConnection;
  /** Run until shutdown() (or a fatal error). */
  run(): Promise<void>;
  shutdown(): void;
}

export async function createPipelineWorkers(opts: PipelineWorkerOptions): Promise<PipelineWorkers> {
  const { config } = opts;
  const role = opts.role ?? config.worker.role;
  const ownConnection = !opts.connection;
  const connection = opts.connection ?? (await NativeConnection.connect(temporalConnectionOptions(config.temporal)));
  const orthanc = new OrthancClient(config.orthanc);
  // Load and validate the model before taking any work: a bad manifest stops the worker at start.
  const classifier =
    role === 'io'
      ? undefined
      : await loadClassifier(config.modelDir, {
          intraOpThreads: opts.intraOpThreads ?? config.worker.intraOpThreads,
        });
  // An I/O-only worker decides eligibility too: it reads (and validates) the manifest, cheaply, without the model.
  const accepts = classifier ? classifier.manifest.accepts : readManifest(config.modelDir).accepts;
  // The worker's own archive cache, bounded by the configuration, injected like the Orthanc client.
  const archives = new ArchiveCache(config.archiveCache);
  const preprocessThreads = opts.preprocessThreads ?? config.worker.preprocessThreads;
  const preprocessPool = classifier && preprocessThreads > 0 ? new PreprocessPool(preprocessThreads) : undefined;
  const activities = createActivities({
    orthanc,
    classifier,
    preprocessPool,
    accepts,
    zipLimits: config.zipLimits,
    resultKey: resultKeyOf(config),
    archives,
    heatmapsMax: config.heatmapsMax,
    delivery: config.delivery,
    audit: config.audit,
    maxImagePixels: config.maxImagePixels,
    studies: config.studies,
  });
  const { classifyInstance, ...ioActivities } = activities;
  const codec = opts.payloadCodec === undefined ? payloadCodecFrom(config.payloadKeys) : opts.payloadCodec;
  const dataConverter = codec ? { payloadCodecs: [codec] } : undefined;

  const common = {
    connection,
    namespace: config.temporal.namespace,
    dataConverter,
    interceptors: { activity: [stepMetrics] },
  };
  const workers: Worker[] = [];
  if (role !== 'inference' && role !== 'model') {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: config.temporal.taskQueue,
        ...(opts.workflowBundle
          ? { workflowBundle: opts.workflowBundle }
          : { workflowsPath: require.resolve('./workflows') }),
        activities: ioActivities,
        // The I/O steps run as activities (older instance workflows, the zip listing) or as local activities of the
        // workflows this worker runs (src/workflows/process-instance.ts): the same bound for each.
        maxConcurrentActivityTaskExecutions: opts.maxConcurrentIo ?? config.worker.maxConcurrentIo,
        maxConcurrentLocalActivityExecutions: opts.maxConcurrentIo ?? config.worker.maxConcurrentIo,
      }),
    );
  }
  if (role !== 'io' && classifier) {
    // The shared inference queue (zips), and this model's own queue (follow and reprocess pin their classify steps
    // to a model version: only a worker with that model loaded polls its queue). `model` workers poll only the latter.
    const inferenceQueues = [modelTaskQueue(config.temporal.inferenceTaskQueue, classifier.model)];
    if (role !== 'model') inferenceQueues.unshift(config.temporal.inferenceTaskQueue);
    for (const taskQueue of inferenceQueues) {
      workers.push(
        await Worker.create({
          ...common,
          taskQueue,
          activities: { classifyInstance },
          maxConcurrentActivityTaskExecutions: opts.maxConcurrentInference ?? config.worker.maxConcurrentInference,
        }),
      );
    }
  }
  return {
    workers,
    connection,
    async run() {
      try {
        await Promise.all(workers.map((w) => w.run()));
      } finally {
        await preprocessPool?.close();
        if (ownConnection) await connection.close();
      }
    },
    shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}
