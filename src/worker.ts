/**
 * Worker process. Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, CXR_TASK_QUEUE,
 * CXR_INFERENCE_TASK_QUEUE, CXR_WORKER_ROLE (all | io | inference), ORTHANC_URL, ORTHANC_USERNAME,
 * ORTHANC_PASSWORD, CXR_MODEL_DIR, CXR_MAX_CONCURRENT_IO, CXR_MAX_CONCURRENT_INFERENCE, CXR_INTRA_OP_THREADS.
 */
import { loadConfig } from './config';
import { createPipelineWorkers, type WorkerRole } from './pipeline-worker';

function intEnv(name: string): number | undefined {
  const v = process.env[name];
  return v ? Number(v) : undefined;
}

async function main(): Promise<void> {
  const config = loadConfig();
  const role = (process.env.CXR_WORKER_ROLE ?? 'all') as WorkerRole;
  if (!['all', 'io', 'inference'].includes(role)) throw new Error(`CXR_WORKER_ROLE must be all, io or inference (got ${role})`);
  const pipeline = await createPipelineWorkers({
    config,
    role,
    maxConcurrentIo: intEnv('CXR_MAX_CONCURRENT_IO'),
    maxConcurrentInference: intEnv('CXR_MAX_CONCURRENT_INFERENCE'),
    intraOpThreads: intEnv('CXR_INTRA_OP_THREADS'),
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => pipeline.shutdown());
  console.log(
    `worker (${role}) polling ${config.temporal.address} queues ${config.temporal.taskQueue} + ${config.temporal.inferenceTaskQueue}; ` +
      `Orthanc ${config.orthanc.url}; model ${config.modelDir}`,
  );
  await pipeline.run();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
