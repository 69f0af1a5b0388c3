/**
 * Chaos harness: a private Temporal dev server and a private Orthanc (own ports, own data folder under
 * test-output/, own Orthanc password), started and stopped through scripts/services exactly as an operator
 * would, plus the real worker process (`node dist/src/worker.js`) as a child process that tests SIGKILL.
 * Killing any of these never touches the shared services other tests use.
 *
 * Everything started here is stopped by `teardown()`, and by a synchronous `exit` hook if the test
 * process dies first. Requires `npm run build` (the worker child runs the compiled code).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { Client, Connection } from '@temporalio/client';
import { loadConfig, type PipelineConfig, PROJECT_ROOT, temporalConnectionOptions } from '../../src/config';
import { readManifest } from '../../src/inference/manifest';
import { deriveReportUids } from '../../src/dicom/uids';
import { OrthancClient } from '../../src/orthanc/client';
import type { EntryOutcome, IngestResult } from '../../src/workflows/types';
import { syntheticCr, uidFrom } from './synthetic-dicom';
import { stepAttempts } from './history';
import { COMPOSE, COMPOSE_DIR, ComposeProject, ComposeWorkers, docker } from './compose';

export { COMPOSE } from './compose';

export const SERVICES = path.join(PROJECT_ROOT, 'scripts', 'services');
export const WORKER_JS = path.join(PROJECT_ROOT, 'dist', 'src', 'worker.js');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * The production topology: PostgreSQL, the Temporal server (mTLS) and Orthanc on PostgreSQL over HTTPS, natively
 * (CXR_PROFILE=production: private services through scripts/services) or as containers (CXR_PROFILE=compose: a
 * private compose project, test/helpers/compose.ts).
 */
export const PRODUCTION = process.env.CXR_PROFILE === 'production' || COMPOSE;

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * n consecutive free ports (the Temporal server's internal services take a block). Below 32768: Temporal's SQL
 * schema stores membership ports as smallint.
 */
export async function freePortBlock(n: number): Promise<number> {
  for (let tries = 0; tries < 200; tries++) {
    const base = 21000 + Math.floor(Math.random() * 11000);
    let ok = true;
    for (let p = base; p < base + n && ok; p++) ok = await portFree(p);
    if (ok) return base;
  }
  throw new Error(`no block of ${n} free ports`);
}

/** The production profile's extra ports for a private environment (scripts/lib.sh names them). */
async function productionPorts(): Promise<NodeJS.ProcessEnv> {
  return {
    CXR_PG_PORT: String(await freePort()),
    TEMPORAL_METRICS_PORT: String(await freePort()),
    TEMPORAL_INTERNAL_PORT_BASE: String(await freePortBlock(8)),
  };
}

const livePids = new Set<number>();
process.on('exit', () => {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function pidFromFile(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** What the chaos tests do with "the worker": a process natively, the worker containers in the compose profile. */
export interface ChaosWorker {
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Exits this harness did not ask for (e.g. the worker gave up on a restarted server). */
  readonly unexpectedExits: number;
  start(timeoutMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** The real worker process, restartable; SIGKILL at will. */
export class WorkerProcess implements ChaosWorker {
  private child?: ChildProcess;
  private starts = 0;
  /** Exits this harness did not ask for (e.g. the worker gave up on a restarted server). */
  unexpectedExits = 0;
  private expectingExit = false;

  constructor(
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Start and wait for the banner (workflows bundled, model loaded, polling). */
  async start(timeoutMs = 120_000): Promise<void> {
    if (!fs.existsSync(WORKER_JS)) throw new Error(`${WORKER_JS} missing: run npm run build first`);
    const start = ++this.starts;
    const out = fs.openSync(this.logFile, 'a');
    fs.writeSync(out, `\n==== start #${start} at ${new Date().toISOString()}\n`);
    const child = spawn(process.execPath, [WORKER_JS], {
      cwd: PROJECT_ROOT,
      env: this.env,
      stdio: ['ignore', out, out],
    });
    fs.closeSync(out);
    this.child = child;
    this.expectingExit = false;
    livePids.add(child.pid!);
    child.once('exit', () => {
      livePids.delete(child.pid!);
      if (!this.expectingExit && this.child === child) this.unexpectedExits++;
    });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const log = fs.readFileSync(this.logFile, 'utf8');
      const since = log.slice(log.lastIndexOf(`==== start #${start} `));
      if (since.includes('polling')) return;
      if (!this.running) throw new Error(`worker exited during start; log ${this.logFile}:\n${since.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`worker did not start in ${timeoutMs} ms; log ${this.logFile}`);
      await sleep(200);
    }
  }

  /** SIGKILL: no shutdown, no goodbye to the server; in-flight tasks are simply abandoned. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    this.expectingExit = true;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill(signal);
    await exited;
  }
}

export type ChaosService = 'temporal' | 'orthanc' | 'postgres';

export type ServiceName = 'temporal' | 'orthanc' | 'worker' | 'postgres';

export interface CliProcess {
  /** stderr so far (progress, outage notices). */
  stderr(): string;
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
}

export const CLI_JS = path.join(PROJECT_ROOT, 'dist', 'src', 'client.js');

export interface ChaosEnv {
  name: string;
  dataDir: string;
  temporalAddress: string;
  orthancUrl: string;
  /** Orthanc's DICOM port (C-STORE from loopback is accepted). */
  dicomPort: number;
  taskQueue: string;
  config: PipelineConfig;
  client: Client;
  orthanc: OrthancClient;
  worker: ChaosWorker;
  /** The private compose project (CXR_PROFILE=compose only): the fault injector's handle on the containers. */
  project?: ComposeProject;
  /** scripts/services start|stop temporal|orthanc with this environment's overrides. */
  services(cmd: 'start' | 'stop', which: ChaosService): void;
  /** The environment scripts/services runs with (ports, data folder, profile). */
  servicesEnv: NodeJS.ProcessEnv;
  /** Pid of a running private service (from its pid file), e.g. to SIGKILL it. */
  pidOf(which: ChaosService): number | undefined;
  /**
   * Is the service answering right now (Temporal: gRPC health; Orthanc: GET /system; worker: process alive;
   * PostgreSQL: its port accepts connections, in the compose profile pg_isready in its container)?
   */
  answering(which: ServiceName): Promise<boolean>;
  /** The compiled CLI run as an operator would, against this environment; resolves when it exits. */
  cli(args: string[], opts?: { timeoutMs?: number; env?: Record<string, string> }): CliProcess;
  /** Stop the worker and both services; remove the data folder unless keepData (kept when a test failed). */
  teardown(opts?: { keepData?: boolean }): Promise<void>;
}

/**
 * Start a private Temporal + Orthanc + worker process under test-output/chaos-<name>-<random>; in the compose
 * profile a private compose project instead (startComposeChaosEnv).
 */
export async function startChaosEnv(name: string): Promise<ChaosEnv> {
  const id = `${name}-${crypto.randomBytes(3).toString('hex')}`;
  const dataDir = path.join(PROJECT_ROOT, 'test-output', `chaos-${id}`);
  fs.mkdirSync(dataDir, { recursive: true });
  if (COMPOSE) return startComposeChaosEnv(name, id, dataDir);
  const [tPort, uiPort, oPort, dPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const password = crypto.randomBytes(12).toString('base64url');
  const servicesEnv: NodeJS.ProcessEnv = {
    ...process.env,
    CXR_DATA_DIR: dataDir,
    TEMPORAL_PORT: String(tPort),
    TEMPORAL_UI_PORT: String(uiPort),
    TEMPORAL_ADDRESS: `127.0.0.1:${tPort}`,
    ORTHANC_HTTP_PORT: String(oPort),
    ORTHANC_DICOM_PORT: String(dPort),
    ORTHANC_URL: `${PRODUCTION ? 'https' : 'http'}://127.0.0.1:${oPort}`,
    ORTHANC_USERNAME: 'chaos',
    ORTHANC_PASSWORD: password,
    ...(PRODUCTION ? await productionPorts() : {}),
  };
  const taskQueue = `chaos-${id}`;
  const services = (cmd: 'start' | 'stop', which: ChaosService): void => {
    execFileSync(SERVICES, [cmd, which], { env: servicesEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    const pid = pidFromFile(path.join(dataDir, 'run', `${which}.pid`));
    if (cmd === 'start' && pid) livePids.add(pid);
  };
  const stopAll = () => {
    for (const which of ['orthanc', 'temporal', ...(PRODUCTION ? (['postgres'] as const) : [])] as const) {
      const pid = pidFromFile(path.join(dataDir, 'run', `${which}.pid`));
      try {
        services('stop', which);
      } catch {
        if (pid) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
      }
      if (pid) livePids.delete(pid);
    }
  };

  let worker: WorkerProcess | undefined;
  let connection: Connection | undefined;
  try {
    services('start', 'temporal');
    services('start', 'orthanc');
    const workerEnv: NodeJS.ProcessEnv = {
      ...servicesEnv,
      CXR_TASK_QUEUE: taskQueue,
      CXR_INFERENCE_TASK_QUEUE: `${taskQueue}-inference`,
      CXR_MODEL_DIR: path.join(PROJECT_ROOT, 'models', 'demo-cxr'),
    };
    delete workerEnv.CXR_PAYLOAD_KEY;
    delete workerEnv.CXR_PAYLOAD_KEY_FILE;
    worker = new WorkerProcess(workerEnv, path.join(dataDir, 'worker.log'));
    await worker.start();

    const saved = { ...process.env };
    Object.assign(process.env, servicesEnv, {
      CXR_TASK_QUEUE: taskQueue,
      CXR_INFERENCE_TASK_QUEUE: `${taskQueue}-inference`,
    });
    const config = loadConfig();
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);

    connection = await Connection.connect(temporalConnectionOptions(config.temporal));
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const w = worker;
    const conn = connection;
    const orthanc = new OrthancClient({ ...config.orthanc, timeoutMs: 2000 });
    const cliEnv: NodeJS.ProcessEnv = {
      ...servicesEnv,
      CXR_TASK_QUEUE: taskQueue,
      CXR_INFERENCE_TASK_QUEUE: `${taskQueue}-inference`,
    };
    delete cliEnv.CXR_PAYLOAD_KEY;
    delete cliEnv.CXR_PAYLOAD_KEY_FILE;
    return {
      name,
      dataDir,
      temporalAddress: config.temporal.address,
      orthancUrl: config.orthanc.url,
      dicomPort: dPort,
      taskQueue,
      config,
      client,
      orthanc: new OrthancClient(config.orthanc),
      worker: w,
      services,
      servicesEnv,
      pidOf: (which) => pidFromFile(path.join(dataDir, 'run', `${which}.pid`)),
      async answering(which) {
        if (which === 'worker') return w.running;
        if (which === 'postgres') return portAnswers(Number(servicesEnv.CXR_PG_PORT));
        if (which === 'orthanc')
          return orthanc.getSystem().then(
            () => true,
            () => false,
          );
        return temporalAnswers(config.temporal);
      },
      cli(args, opts = {}) {
        return spawnCli(args, { ...cliEnv, ...opts.env }, opts.timeoutMs);
      },
      async teardown(opts = {}) {
        await w.kill();
        await conn.close().catch(() => undefined);
        stopAll();
        if (!opts.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await worker?.kill();
    await connection?.close().catch(() => undefined);
    stopAll();
    throw err;
  }
}

/**
 * The compose variant: a private project (own name, ports, volumes; the zips' folder mounted at the same path in the
 * io worker, so the operator's CLI on this machine and the worker see the same zip path), the worker containers
 * as "the worker", and the container engine as the fault injector (`docker kill`, `docker start`).
 */
async function startComposeChaosEnv(name: string, id: string, dataDir: string): Promise<ChaosEnv> {
  const [tPort, uiPort, oPort, dPort, vPort, mPort] = await Promise.all(Array.from({ length: 6 }, () => freePort()));
  const taskQueue = `chaos-${id}`;
  const project = new ComposeProject(`cxr-chaos-${id}`.toLowerCase().replace(/[^a-z0-9-]/g, '-'), {
    TEMPORAL_PORT: String(tPort),
    TEMPORAL_UI_PORT: String(uiPort),
    ORTHANC_HTTP_PORT: String(oPort),
    ORTHANC_DICOM_PORT: String(dPort),
    CXR_VIEWER_PORT: String(vPort),
    TEMPORAL_METRICS_PORT: String(mPort),
    CXR_INBOX: dataDir,
    CXR_INBOX_MOUNT: dataDir,
    CXR_TASK_QUEUE: taskQueue,
    CXR_COMPOSE_DIR: COMPOSE_DIR,
  });
  const password = fs.readFileSync(path.join(COMPOSE_DIR, 'secrets', 'orthanc-password'), 'utf8').trim();
  const servicesEnv: NodeJS.ProcessEnv = {
    ...process.env,
    CXR_PROFILE: 'compose',
    CXR_DATA_DIR: dataDir,
    CXR_TLS_DIR: path.join(COMPOSE_DIR, 'tls'),
    TEMPORAL_PORT: String(tPort),
    TEMPORAL_UI_PORT: String(uiPort),
    TEMPORAL_ADDRESS: `127.0.0.1:${tPort}`,
    ORTHANC_HTTP_PORT: String(oPort),
    ORTHANC_DICOM_PORT: String(dPort),
    ORTHANC_URL: `https://127.0.0.1:${oPort}`,
    ORTHANC_USERNAME: process.env.ORTHANC_USERNAME ?? 'cxr',
    ORTHANC_PASSWORD: password,
    CXR_TASK_QUEUE: taskQueue,
    CXR_INFERENCE_TASK_QUEUE: `${taskQueue}-inference`,
  };
  for (const k of [
    'TEMPORAL_TLS_CLIENT_CERT_PATH',
    'TEMPORAL_TLS_CLIENT_KEY_PATH',
    'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
    'ORTHANC_CA_FILE',
  ])
    delete servicesEnv[k];
  delete servicesEnv.CXR_PAYLOAD_KEY;
  delete servicesEnv.CXR_PAYLOAD_KEY_FILE;
  const serviceOf: Record<ChaosService, string> = { temporal: 'temporal', orthanc: 'orthanc', postgres: 'postgresql' };
  let connection: Connection | undefined;
  try {
    const t0 = Date.now();
    await project.up();
    console.log(`[chaos:compose] ${project.name} up in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const worker = new ComposeWorkers(project);
    const config = loadConfig({}, servicesEnv);
    connection = await Connection.connect(temporalConnectionOptions(config.temporal));
    const client = new Client({ connection, namespace: config.temporal.namespace });
    const conn = connection;
    const orthanc = new OrthancClient({ ...config.orthanc, timeoutMs: 2000 });
    return {
      name,
      dataDir,
      temporalAddress: config.temporal.address,
      orthancUrl: config.orthanc.url,
      dicomPort: dPort,
      taskQueue,
      config,
      client,
      orthanc: new OrthancClient(config.orthanc),
      worker,
      project,
      services(cmd, which) {
        // Synchronous like scripts/services: start waits for the container's health check.
        if (cmd === 'stop') docker(['stop', project.container(serviceOf[which])]);
        else project.startSync(serviceOf[which]);
      },
      servicesEnv,
      pidOf: (which) => project.state(serviceOf[which]).pid || undefined,
      async answering(which) {
        if (which === 'worker') return worker.running;
        if (which === 'postgres')
          return project.exec('postgresql', ['pg_isready', '-q', '-h', '/tmp', '-U', 'postgres']).code === 0;
        if (which === 'orthanc')
          return orthanc.getSystem().then(
            () => true,
            () => false,
          );
        return temporalAnswers(config.temporal);
      },
      cli(args, opts = {}) {
        return spawnCli(args, { ...servicesEnv, ...opts.env }, opts.timeoutMs);
      },
      async teardown(opts = {}) {
        await conn.close().catch(() => undefined);
        if (opts.keepData) project.saveLogs(path.join(dataDir, 'compose.log'));
        project.down();
        if (!opts.keepData) fs.rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await connection?.close().catch(() => undefined);
    project.saveLogs(path.join(dataDir, 'compose.log'));
    project.down();
    throw err;
  }
}

/** Does a TCP port on loopback accept connections? */
function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** The gRPC health check the services script uses, over a fresh connection (2 s deadline). */
async function temporalAnswers(t: PipelineConfig['temporal']): Promise<boolean> {
  try {
    // With the profile's TLS settings (mTLS in the production profile).
    const c = await Connection.connect({ ...temporalConnectionOptions(t), connectTimeout: '2 seconds' });
    try {
      const res = await c.healthService.check({});
      return res.status === 1; // SERVING
    } finally {
      await c.close().catch(() => undefined);
    }
  } catch {
    return false;
  }
}

function spawnCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 10 * 60_000): CliProcess {
  if (!fs.existsSync(CLI_JS)) throw new Error(`${CLI_JS} missing: run npm run build first`);
  const child = spawn(process.execPath, [CLI_JS, ...args], {
    cwd: PROJECT_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  livePids.add(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      livePids.delete(child.pid!);
      resolve({ code, stdout, stderr });
    });
  });
  return { stderr: () => stderr, done };
}

/**
 * Crash a service: SIGKILL (no shutdown, no flush, no goodbye), wait for the process to be gone, then check that
 * it really stopped answering, so a kill that missed cannot pass for a fault. Start it again with
 * `env.services('start', which)` (or `env.worker.start()`).
 */
export async function killService(
  env: ChaosEnv,
  which: ServiceName,
): Promise<{ pid: number; answeringAfterKill: boolean }> {
  let pid: number | undefined;
  if (env.project) {
    // The container engine as the fault injector: docker kill (SIGKILL), then the engine reports it stopped.
    if (which === 'worker') {
      pid = env.worker.pid;
      if (pid === undefined || !env.worker.running) throw new Error('the worker is not running: nothing to kill');
      await env.worker.kill('SIGKILL');
    } else pid = await env.project.kill(which === 'postgres' ? 'postgresql' : which);
  } else if (which === 'worker') {
    pid = env.worker.pid;
    if (pid === undefined || !env.worker.running) throw new Error('the worker is not running: nothing to kill');
    await env.worker.kill('SIGKILL');
  } else {
    pid = pidFromFile(path.join(env.dataDir, 'run', `${which}.pid`));
    if (pid === undefined) throw new Error(`no pid file for ${which}`);
    process.kill(pid, 'SIGKILL');
    for (let t = 0; fs.existsSync(`/proc/${pid}`) && t < 100; t++) await sleep(50);
    livePids.delete(pid);
  }
  return { pid, answeringAfterKill: await env.answering(which) };
}

/**
 * Steps run again because of a fault, in the histories of these workflows: activity attempts beyond the first
 * (ActivityTaskStarted records the attempt that finally ran) plus workflow task attempts beyond the first (a task
 * lost with a crashed worker or server times out and is dispatched again). Missing workflow IDs count 0.
 */
export async function countRetriedSteps(client: Client, workflowIds: string[]): Promise<number> {
  let retried = 0;
  await pool(workflowIds, 8, async (id) => {
    try {
      const h = await client.workflow.getHandle(id).fetchHistory();
      // Activities and local activities (the I/O steps of newer children: their marker holds the attempt), and
      // workflow tasks (a killed worker's task, retried elsewhere, re-runs the local activity it held).
      for (const s of stepAttempts(h)) if (s.attempt > 1) retried += s.attempt - 1;
      for (const e of h.events ?? []) {
        const attempt = e.workflowTaskScheduledEventAttributes?.attempt ?? 1;
        if (attempt > 1) retried += attempt - 1;
      }
    } catch {
      // not there: nothing retried
    }
  });
  return retried;
}

export interface SyntheticZip {
  zipPath: string;
  seed: string;
  n: number;
  perStudy: number;
  sopUids: string[];
  studyUids: string[];
  sha256ByIndex: string[];
}

/** A zip of n small synthetic chest radiographs (64x64), perStudy images per study. */
export function syntheticZip(dir: string, seed: string, n: number, perStudy = 8): SyntheticZip {
  const zip = new AdmZip();
  const sopUids: string[] = [];
  const sha256ByIndex: string[] = [];
  const studies = new Set<string>();
  for (let i = 0; i < n; i++) {
    // Zero-padded names: the zip writer orders entries by name, and entry index i must be image i.
    const studyKey = `S${String(Math.floor(i / perStudy)).padStart(4, '0')}`;
    const bytes = syntheticCr({ seed, index: i, studyKey });
    zip.addFile(`batch/${studyKey}/img${String(i).padStart(4, '0')}.dcm`, bytes);
    sopUids.push(uidFrom(`${seed}/sop/${i}`));
    sha256ByIndex.push(crypto.createHash('sha256').update(bytes).digest('hex'));
    studies.add(uidFrom(`${seed}/study/${studyKey}`));
  }
  const zipPath = path.join(dir, `${seed}.zip`);
  zip.writeZip(zipPath);
  const names = new AdmZip(zipPath).getEntries().map((e) => e.entryName);
  names.forEach((name, i) => {
    if (!name.endsWith(`img${String(i).padStart(4, '0')}.dcm`)) throw new Error(`zip entry ${i} is ${name}`);
  });
  return { zipPath, seed, n, perStudy, sopUids, studyUids: [...studies], sha256ByIndex };
}

/**
 * Wait for the ingest to close, tolerating a server that is down for a while (describe is retried).
 * Returns the final result of the last run.
 */
export async function waitForIngest(client: Client, ingestId: string, timeoutMs: number): Promise<IngestResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const d = await client.workflow.getHandle(ingestId).describe();
      if (d.status.name === 'COMPLETED') return (await client.workflow.getHandle(ingestId).result()) as IngestResult;
      if (d.status.name !== 'RUNNING' && d.status.name !== 'CONTINUED_AS_NEW')
        throw new Error(`ingest ${ingestId} ended ${d.status.name}`);
    } catch (err) {
      if (err instanceof Error && /ended /.test(err.message)) throw err;
      // server restarting: try again
    }
    if (Date.now() > deadline) throw new Error(`ingest ${ingestId} not finished in ${timeoutMs} ms`);
    await sleep(1000);
  }
}

/** Children closed so far (visibility count), or undefined while the server does not answer. */
export async function closedChildren(client: Client): Promise<number | undefined> {
  try {
    const c = await client.workflow.count(`WorkflowType = 'processInstanceWorkflow' AND ExecutionStatus != 'Running'`);
    return c.count;
  } catch {
    return undefined;
  }
}

async function pool<T, R>(items: T[], n: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

export interface Accounting {
  instances: number;
  accounted: number;
  done: number;
  lost: number;
  duplicates: number;
  childExecutions: number;
  orthancInstances: number;
  srs: number;
  /** Heatmap SEG objects stored beside the images (counted, not duplicates). */
  heatmaps: number;
  /** Activity and workflow-task attempts beyond the first, parent and children (countRetriedSteps). */
  retriedSteps: number;
}

/**
 * The durability check every chaos test ends with. Against the private Temporal and Orthanc:
 *  - the parent's result accounts for every entry exactly once, all done;
 *  - visibility holds exactly one execution per child workflow ID, each completed, and its result
 *    names the Orthanc instance and SR that Orthanc actually holds;
 *  - Orthanc holds exactly one copy of each source instance (tagged with the bytes' SHA-256) and exactly
 *    one SR per image (looked up by the deterministic SR UID), each study holds 2x its images, and the
 *    whole Orthanc holds 2n instances: nothing duplicated under another UID, nothing lost.
 */
export async function checkAccounting(
  env: ChaosEnv,
  ingestId: string,
  z: SyntheticZip,
  result: IngestResult,
): Promise<{ figures: Accounting; problems: string[] }> {
  const problems: string[] = [];
  const { client, orthanc } = env;
  const c = result.counts;
  if (c.total !== z.n) problems.push(`parent total ${c.total} != ${z.n}`);
  if (c.done + c.failed + c.skipped !== c.total)
    problems.push(`parent accounted ${c.done + c.failed + c.skipped} != total ${c.total}`);
  if (c.done !== z.n)
    problems.push(
      `parent done ${c.done} != ${z.n} (failed ${c.failed}, skipped ${c.skipped}: ${JSON.stringify(result.recentProblems.slice(0, 3))})`,
    );

  // Visibility: one execution per child ID.
  const perId = new Map<string, { runs: number; status: string }>();
  for await (const w of client.workflow.list({ query: `WorkflowType = 'processInstanceWorkflow'` })) {
    const prev = perId.get(w.workflowId);
    perId.set(w.workflowId, { runs: (prev?.runs ?? 0) + 1, status: w.status.name });
  }
  let childExecutions = 0;
  for (const v of perId.values()) childExecutions += v.runs;
  for (let i = 0; i < z.n; i++) {
    const v = perId.get(`${ingestId}/${i}`);
    if (!v) problems.push(`no child workflow for entry ${i}`);
    else if (v.runs !== 1 || v.status !== 'COMPLETED') problems.push(`child ${i}: ${v.runs} executions, ${v.status}`);
  }
  if (perId.size !== z.n) problems.push(`${perId.size} child IDs for ${z.n} entries`);

  const manifest = readManifest(env.config.modelDir);
  let duplicates = 0;
  let lost = 0;
  let srs = 0;

  await pool([...Array(z.n).keys()], 8, async (i) => {
    const sop = z.sopUids[i];
    const src = await orthanc.lookup(sop, 'Instance');
    const srUid = deriveReportUids(sop, manifest.id, manifest.version).sopInstanceUid;
    const sr = await orthanc.lookup(srUid, 'Instance');
    duplicates += Math.max(0, src.length - 1) + Math.max(0, sr.length - 1);
    if (src.length === 0 || sr.length === 0) {
      lost++;
      problems.push(`entry ${i}: ${src.length} source, ${sr.length} SR in Orthanc`);
      return;
    }
    srs++;
    const sha = await orthanc.getInstanceMetadata(src[0], 'CxrSourceSha256');
    if (sha !== z.sha256ByIndex[i]) problems.push(`entry ${i}: CxrSourceSha256 ${sha} != bytes' ${z.sha256ByIndex[i]}`);
    let outcome: EntryOutcome | undefined;
    try {
      outcome = (await client.workflow.getHandle(`${ingestId}/${i}`).result()) as EntryOutcome;
    } catch (err) {
      problems.push(`entry ${i}: child result unreadable (${(err as Error).message})`);
    }
    if (
      outcome &&
      (outcome.status !== 'done' || outcome.orthancId !== src[0] || outcome.reportSopInstanceUid !== srUid)
    ) {
      problems.push(
        `entry ${i}: child says ${outcome.status} ${outcome.orthancId} ${outcome.reportSopInstanceUid}, Orthanc holds ${src[0]} / SR ${srUid}`,
      );
    }
  });
  const retriedSteps = await countRetriedSteps(client, [
    ingestId,
    ...[...Array(z.n).keys()].map((i) => `${ingestId}/${i}`),
  ]);
  // Heatmaps (DICOM SEG, one per positive finding of a model with class activation maps) are extra objects per
  // image whose number depends on the findings: count them per study, so the check stays "one source + one SR per
  // image, plus the heatmaps", and every other extra object is a duplicate.
  const heatmapsByStudy = new Map<string, number>();
  let heatmaps = 0;
  for (const seriesId of await orthanc.find('Series', { Modality: 'SEG' })) {
    const series = await orthanc.getSeries(seriesId);
    heatmapsByStudy.set(series.ParentStudy, (heatmapsByStudy.get(series.ParentStudy) ?? 0) + series.Instances.length);
    heatmaps += series.Instances.length;
  }
  for (const studyUid of z.studyUids) {
    const [study] = await orthanc.lookup(studyUid, 'Study');
    const n = study ? (await orthanc.getStudyInstances(study)).length : 0;
    const expected =
      2 * z.sopUids.filter((_, i) => z.studyUids.indexOf(studyUid) === Math.floor(i / z.perStudy)).length +
      (study ? (heatmapsByStudy.get(study) ?? 0) : 0);
    if (n > expected) duplicates += n - expected;
    if (n !== expected) problems.push(`study ${studyUid}: ${n} instances, expected ${expected}`);
  }
  const stats = await orthanc.getStatistics();
  if (stats.CountInstances !== 2 * z.n + heatmaps)
    problems.push(`Orthanc holds ${stats.CountInstances} instances, expected ${2 * z.n} + ${heatmaps} heatmaps`);
  return {
    figures: {
      instances: z.n,
      accounted: c.done + c.failed + c.skipped,
      done: c.done,
      lost,
      duplicates,
      childExecutions,
      orthancInstances: stats.CountInstances,
      srs,
      heatmaps,
      retriedSteps,
    },
    problems,
  };
}

/** Deterministic PRNG for kill moments, so a failing run can be reproduced from the printed seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function figuresLine(tag: string, f: Record<string, unknown>): string {
  return (
    `[chaos:${tag}] ` +
    Object.entries(f)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
      .join(' ')
  );
}
