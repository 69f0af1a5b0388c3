/**
 * Worker process. Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, CXR_TASK_QUEUE,
 * CXR_INFERENCE_TASK_QUEUE, CXR_WORKER_ROLE (all | io | inference), ORTHANC_URL, ORTHANC_USERNAME,
 * ORTHANC_PASSWORD, ORTHANC_CA_FILE, CXR_MODEL_DIR, CXR_MAX_CONCURRENT_IO, CXR_MAX_CONCURRENT_INFERENCE,
 * CXR_INTRA_OP_THREADS, CXR_METRICS_ADDRESS (Prometheus, src/metrics.ts), TEMPORAL_TLS_* (mTLS, as the temporal CLI).
 */
import { parseArgs } from 'node:util';
import { loadConfig } from './config';
import { installMetricsRuntime } from './metrics';
import { createPipelineWorkers, type WorkerRole } from './pipeline-worker';

function intEnv(name: string): number | undefined {
  const v = process.env[name];
  return v ? Number(v) : undefined;
}

const USAGE = `usage: node dist/src/worker.js [--address host:port] [--namespace name] [--task-queue name]
       [--orthanc-url url] [--model-dir dir] [--role all|io|inference]
Flags override the environment variables of the same meaning (see the top of src/worker.ts).`;

/** Command-line flags, mapped onto the environment variables loadConfig() reads. */
function applyFlags(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      address: { type: 'string' },
      namespace: { type: 'string' },
      'task-queue': { type: 'string' },
      'orthanc-url': { type: 'string' },
      'model-dir': { type: 'string' },
      role: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const map: Record<string, string> = {
    address: 'TEMPORAL_ADDRESS',
    namespace: 'TEMPORAL_NAMESPACE',
    'task-queue': 'CXR_TASK_QUEUE',
    'orthanc-url': 'ORTHANC_URL',
    'model-dir': 'CXR_MODEL_DIR',
    role: 'CXR_WORKER_ROLE',
  };
  for (const [flag, name] of Object.entries(map)) {
    const v = values[flag as keyof typeof values];
    if (typeof v === 'string') process.env[name] = v;
  }
}

async function main(): Promise<void> {
  applyFlags(process.argv.slice(2));
  const config = loadConfig();
  installMetricsRuntime(config.metricsAddress);
  const role = (process.env.CXR_WORKER_ROLE ?? 'all') as WorkerRole;
  if (!['all', 'io', 'inference'].includes(role))
    throw new Error(`CXR_WORKER_ROLE must be all, io or inference (got ${role})`);
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
      `Orthanc ${config.orthanc.url}; model ${config.modelDir}` +
      (config.temporal.tls ? '; mTLS' : '') +
      (config.metricsAddress ? `; metrics http://${config.metricsAddress}/metrics` : ''),
  );
  await pipeline.run();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
