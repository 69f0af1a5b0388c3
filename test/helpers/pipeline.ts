/**
 * Test harness: the real Temporal dev server and real Orthanc (started by scripts/services, which
 * scripts/test runs first), plus the pipeline's own workers in this process on a private task queue.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { PayloadCodec } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, type WorkflowBundle } from '@temporalio/worker';
import { ingestWorkflowId, sha256File } from '../../src/cli/ingest-id';
import { type StartedIngest, startOrAttachIngest } from '../../src/cli/start-ingest';
import { loadConfig, type PipelineConfig, PROJECT_ROOT, temporalConnectionOptions } from '../../src/config';
import type { AcceptedInput } from '../../src/contracts';
import { OrthancClient } from '../../src/orthanc/client';
import { createPipelineWorkers, type PipelineWorkers } from '../../src/pipeline-worker';

let bundle: Promise<WorkflowBundle> | undefined;
let runtimeInstalled = false;

/** Keep the SDK's own logs to warnings so test output stays readable. Must run before any connection. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by an earlier import in this process.
  }
}

/** Bundle the workflows once per test process (the bundler takes a few seconds). */
export function workflowBundle(): Promise<WorkflowBundle> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), logger: quietLogger });
  return bundle;
}

const quietLogger = {
  log() {},
  trace() {},
  debug() {},
  info() {},
  warn(message: string) {
    console.warn(message);
  },
  error(message: string) {
    console.error(message);
  },
};

export interface TestPipeline {
  env: TestWorkflowEnvironment;
  config: PipelineConfig;
  orthanc: OrthancClient;
  workers: PipelineWorkers;
  running: Promise<void>;
  stop(): Promise<void>;
}

export function uniqueQueue(prefix: string): string {
  return `${prefix}-${crypto.randomBytes(4).toString('hex')}`;
}

/**
 * A new ingest of a zip, also when this Temporal server ingested the same zip before (a committed fixture, a second
 * local run against a kept dev server): the ID is the zip's ingest ID plus this pipeline's private task queue, so a
 * test never attaches to an old, completed ingest and checks its stale results. Asserts that it really started.
 */
export async function freshIngest(
  p: TestPipeline,
  zipPath: string,
  options: Parameters<typeof startOrAttachIngest>[3] = {},
): Promise<StartedIngest> {
  const id = `${ingestWorkflowId(await sha256File(zipPath))}-${p.config.temporal.taskQueue}`;
  const s = await startOrAttachIngest(p.env.client, p.config, zipPath, options, id);
  if (!s.started) throw new Error(`freshIngest: ${id} was already there`);
  return s;
}

export async function startTestPipeline(
  opts: {
    taskQueue?: string;
    modelDir?: string;
    maxConcurrentIo?: number;
    payloadCodec?: PayloadCodec;
    /** Change the loaded configuration before the workers start (e.g. delivery sinks pointing at test receivers). */
    configure?: (config: PipelineConfig) => void;
    /** Study completion timings (default: the configuration's). */
    studies?: PipelineConfig['studies'];
  } = {},
): Promise<TestPipeline> {
  quietRuntime();
  const config = loadConfig({ taskQueue: opts.taskQueue ?? uniqueQueue('test'), modelDir: opts.modelDir });
  opts.configure?.(config);
  if (opts.studies) config.studies = opts.studies;
  config.temporal.inferenceTaskQueue = `${config.temporal.taskQueue}-inference`;
  const { address, tls } = temporalConnectionOptions(config.temporal);
  const env = await TestWorkflowEnvironment.createFromExistingServer({
    address,
    namespace: config.temporal.namespace,
    connectionOptions: tls ? { tls } : undefined,
  });
  const workers = await createPipelineWorkers({
    config,
    connection: env.nativeConnection,
    workflowBundle: await workflowBundle(),
    maxConcurrentIo: opts.maxConcurrentIo,
    // Tests talk to these workers through env.client (no codec): never pick up a key from the environment.
    payloadCodec: opts.payloadCodec ?? null,
  });
  const running = workers.run();
  return {
    env,
    config,
    orthanc: new OrthancClient(config.orthanc),
    workers,
    running,
    async stop() {
      workers.shutdown();
      await running;
      await env.teardown();
    },
  };
}

export const FIXTURES = path.join(PROJECT_ROOT, 'test', 'fixtures');
export const TEST_OUTPUT = path.join(PROJECT_ROOT, 'test-output');

/**
 * The demo model's weights with an edited intended input (`accepts`), in a model folder of the test's own under
 * test-output/: for tests about something else than the intended-use rules (their own test pins those).
 */
export function demoModelWithAccepts(name: string, edit: (a: AcceptedInput) => AcceptedInput): string {
  const demo = path.join(PROJECT_ROOT, 'models', 'demo-cxr');
  const dir = path.join(TEST_OUTPUT, `model-${name}-${process.pid}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(path.join(demo, 'model.onnx'), path.join(dir, 'model.onnx'));
  const manifest = JSON.parse(fs.readFileSync(path.join(demo, 'manifest.json'), 'utf8')) as { accepts: AcceptedInput };
  fs.writeFileSync(
    path.join(dir, 'manifest.json'),
    JSON.stringify({ ...manifest, accepts: edit(manifest.accepts) }, null, 2),
  );
  return dir;
}
