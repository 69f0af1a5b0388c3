/**
 * Builds the pipeline's workers for one process: the main queue (workflows, zip and Orthanc I/O
 * activities) and the inference queue (classifyInstance, CPU-bound, bounded to the cores).
 * Used by src/worker.ts and by the tests, so both run exactly the same wiring.
 */
import os from 'node:os';
import type { PayloadCodec } from '@temporalio/common';
import { NativeConnection, Worker, type WorkflowBundle } from '@temporalio/worker';
import { createActivities } from './activities';
import { payloadCodecFromEnv } from './codec';
import { type PipelineConfig, temporalConnectionOptions } from './config';
import { loadClassifier } from './inference';
import { stepMetrics } from './metrics';
import { OrthancClient } from './orthanc/client';
import { zipLimitsFromEnv } from './zip';

export type WorkerRole = 'all' | 'io' | 'inference';

export interface PipelineWorkerOptions {
  config: PipelineConfig;
  role?: WorkerRole;
  connection?: NativeConnection;
  /** Pre-built workflow bundle (tests bundle once); default: bundle src/workflows at start. */
  workflowBundle?: WorkflowBundle;
  /** Concurrent I/O activities (uploads, SR stores). Orthanc's store saturates at ~4 in flight. */
  maxConcurrentIo?: number;
  /**
   * Concurrent classify activities. Default max(2, ceil(cores / 2)): the session runs one ONNX inference at a
   * time, so a second slot overlaps the next image's pixel fetch + preprocessing with the current inference
   * (bench: 1 slot 1.0 inst/s, 2 slots 1.7 inst/s end to end on 2 cores, docs/performance.md).
   */
  maxConcurrentInference?: number;
  /**
   * ONNX intra-op threads. Default max(1, floor(cores / 2)): the rest of the pipeline (inflate, hashing, Orthanc,
   * Temporal) needs the other cores; on 2 cores one thread gave more end-to-end throughput and ~40 ms less worker
   * CPU per instance than two (docs/performance.md).
   */
  intraOpThreads?: number;
  /** Payload encryption (docs/security.md). Default: from CXR_PAYLOAD_KEY / CXR_PAYLOAD_KEY_FILE; null: none. */
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
  const role = opts.role ?? 'all';
  const ownConnection = !opts.connection;
  const connection = opts.connection ?? (await NativeConnection.connect(temporalConnectionOptions(config.temporal)));
  const orthanc = new OrthancClient(config.orthanc);
  const cores = os.availableParallelism();
  // Load and validate the model before taking any work: a bad manifest stops the worker at start.
  const classifier =
    role === 'io'
      ? undefined
      : await loadClassifier(config.modelDir, {
          intraOpThreads: opts.intraOpThreads ?? Math.max(1, Math.floor(cores / 2)),
        });
  const activities = createActivities({ orthanc, classifier, zipLimits: zipLimitsFromEnv() });
  const { classifyInstance, ...ioActivities } = activities;
  const codec = opts.payloadCodec === undefined ? payloadCodecFromEnv() : opts.payloadCodec;
  const dataConverter = codec ? { payloadCodecs: [codec] } : undefined;

  const common = {
    connection,
    namespace: config.temporal.namespace,
    dataConverter,
    interceptors: { activity: [stepMetrics] },
  };
  const workers: Worker[] = [];
  if (role !== 'inference') {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: config.temporal.taskQueue,
        ...(opts.workflowBundle
          ? { workflowBundle: opts.workflowBundle }
          : { workflowsPath: require.resolve('./workflows') }),
        activities: ioActivities,
        maxConcurrentActivityTaskExecutions: opts.maxConcurrentIo ?? 8,
      }),
    );
  }
  if (role !== 'io') {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: config.temporal.inferenceTaskQueue,
        activities: { classifyInstance },
        maxConcurrentActivityTaskExecutions: opts.maxConcurrentInference ?? Math.max(2, Math.ceil(cores / 2)),
      }),
    );
  }
  return {
    workers,
    connection,
    async run() {
      try {
        await Promise.all(workers.map((w) => w.run()));
      } finally {
        if (ownConnection) await connection.close();
      }
    },
    shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}
