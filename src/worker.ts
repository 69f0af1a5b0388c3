/**
 * Worker process. Configuration: src/config.ts (environment: TEMPORAL_* as the temporal CLI reads them, with its
 * profile file; CXR_TASK_QUEUE, CXR_INFERENCE_TASK_QUEUE, CXR_WORKER_ROLE (all | io | inference | model), ORTHANC_URL,
 * ORTHANC_USERNAME, ORTHANC_PASSWORD, CXR_MODEL_DIR, CXR_MAX_CONCURRENT_IO, CXR_MAX_CONCURRENT_INFERENCE,
 * CXR_INTRA_OP_THREADS, CXR_ZIP_*, ORTHANC_CA_FILE, CXR_METRICS_ADDRESS (Prometheus, src/metrics.ts)), with the flags
 * below as overrides. CXR_PROFILE=production: the production profile's defaults (docs/deployment.md).
 */
import { parseArgs } from 'node:util';
import { type ConfigOverrides, loadConfig, type WorkerRole } from './config';
import { installMetricsRuntime } from './metrics';
import { createPipelineWorkers } from './pipeline-worker';
import { describeOrthancVersion } from './orthanc/advisories';
import { OrthancClient } from './orthanc/client';

const USAGE = `usage: node dist/src/worker.js [--address host:port] [--namespace name] [--profile name]
       [--task-queue name] [--orthanc-url url] [--model-dir dir] [--role all|io|inference|model]
Flags override the environment variables of the same meaning (see src/config.ts).`;

/** Command-line flags, as configuration overrides (never written into process.env). */
function parseFlags(argv: string[]): ConfigOverrides {
  const { values } = parseArgs({
    args: argv,
    options: {
      address: { type: 'string' },
      namespace: { type: 'string' },
      profile: { type: 'string' },
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
  return {
    address: values.address,
    namespace: values.namespace,
    profile: values.profile,
    taskQueue: values['task-queue'],
    orthancUrl: values['orthanc-url'],
    modelDir: values['model-dir'],
    role: values.role as WorkerRole | undefined,
  };
}

async function main(): Promise<void> {
  const config = loadConfig(parseFlags(process.argv.slice(2)));
  installMetricsRuntime(config.worker.metricsAddress);
  const pipeline = await createPipelineWorkers({ config });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => pipeline.shutdown());
  console.log(
    `worker (${config.worker.role}) polling ${config.temporal.address} queues ${pipeline.workers.map((w) => w.options.taskQueue).join(' + ')}; ` +
      `Orthanc ${config.orthanc.url}; model ${config.modelDir}` +
      (config.temporal.tls ? '; mTLS' : '') +
      (config.worker.metricsAddress ? `; metrics http://${config.worker.metricsAddress}/metrics` : ''),
  );
  // Name the Orthanc version this worker talks to and the CVEs it carries (docs/security.md); never blocks the start.
  const orthanc = new OrthancClient({ ...config.orthanc, timeoutMs: 5000 });
  orthanc
    .getSystem()
    .then((sys) => {
      const v = describeOrthancVersion(String(sys.Version ?? '?'));
      (v.vulnerable === false ? console.log : console.warn)(`worker: ${v.text}`);
    })
    .catch((err: Error) => console.warn(`worker: could not read Orthanc's version: ${err.message}`));
  await pipeline.run();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
