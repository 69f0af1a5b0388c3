/**
 * End-to-end benchmark of the pipeline on the real services (Temporal + Orthanc + the ONNX model).
 *
 *   npm run bench                                  # defaults: 200 instances of 2500x2048, every part
 *   npm run bench -- --n 300 --parts pipeline1     # one part only
 *   npm run bench -- --small                       # 512x512 instances (orchestration-bound)
 *   npm run bench -- --smoke                       # CI: 6 tiny instances through every part (~1 min)
 *
 * One run generates a zip of N synthetic chest radiographs whose UIDs come from a fresh random seed (so Orthanc
 * never answers AlreadyStored), then measures, each on its own:
 *   stages      every activity alone (zip read, Orthanc POST, upload, classify = fetch + preprocess + ONNX,
 *               SR build + store), serially and with a few in flight; ideal = 1 / (sum of each stage's best
 *               per-instance cost), since on this machine every stage competes for the same cores
 *   sequential  the same activity code, one instance at a time, without Temporal (the baseline)
 *   pipeline1   the whole pipeline through Temporal with one worker process (`node dist/src/worker.js`)
 *   pipeline2   the same with two worker processes on the same task queues
 * and writes bench/results/<timestamp>.json. Everything it stored in Orthanc is deleted after each part
 * (found by the run's own PatientID prefix); nothing else is touched. See docs/performance.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Command } from 'commander';
import { createActivities } from '../src/activities';
import { sha256File } from '../src/cli/ingest-id';
import { loadConfig, PROJECT_ROOT, temporalConnectionOptions } from '../src/config';
import { loadClassifier } from '../src/inference';
import { OrthancClient } from '../src/orthanc/client';
import { resultKeyOf } from '../src/pipeline-worker';
import type { ClassifyOutput, UploadOutput, ZipEntryRef } from '../src/workflows/types';
import { DEFAULT_WINDOW } from '../src/workflows/ingest-zip';
import { archiveCache, readEntry } from '../src/zip';
import { childrenOf, cpuMsOf, memoryOf, pidListeningOn, RssSampler } from './lib/procstat';
import { writeSyntheticZip, type WrittenZip } from './lib/synthetic-zip';

const PARTS = ['stages', 'sequential', 'pipeline1', 'pipeline2', 'inference-micro', 'inference-txv'] as const;
type Part = (typeof PARTS)[number];
const DEFAULT_PARTS: Part[] = ['stages', 'sequential', 'pipeline1', 'pipeline2', 'inference-txv'];

interface BenchOptions {
  n: number;
  rows: number;
  columns: number;
  stageN: number;
  parts: Set<Part>;
  window?: number;
  modelDir: string;
  /** The exported torchxrayvision DenseNet-121 measured next to the benchmark model (inference-txv). */
  txvModelDir?: string;
  workerEnv: Record<string, string>;
  keepZip: boolean;
  outDir: string;
  smoke: boolean;
  deflateLevel: number;
}

// ---------------------------------------------------------------------------------------------- helpers

const ms = (x: number) => Math.round(x * 10) / 10;
const mb = (bytes: number) => Math.round(bytes / 1024 / 1024);
const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);

function log(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/** Run fn over items with at most `inFlight` at once; returns the wall time in ms. */
async function pool<T>(
  items: readonly T[],
  inFlight: number,
  fn: (item: T, i: number) => Promise<void>,
): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
  return performance.now() - t0;
}

/** Run one activity function exactly as the worker would, minus Temporal (heartbeats go to a mock context). */
function inActivity<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return new MockActivityEnvironment().run(fn, ...args);
}

/** Delete what this run stored in Orthanc: the fake patients whose PatientID carries the run's seed. */
async function cleanupOrthanc(orthanc: OrthancClient, zip: WrittenZip): Promise<number> {
  const patients = await orthanc.find('Patient', { PatientID: `${zip.patientIdPrefix}*` });
  await pool(patients, 4, async (id) => orthanc.deleteResource('Patient', id));
  return patients.length;
}

async function deleteInstances(orthanc: OrthancClient, ids: string[]): Promise<void> {
  await pool(ids, 4, async (id) => orthanc.deleteResource('Instance', id).catch(() => undefined));
}

interface StageFigure {
  /** Wall ms per instance, one at a time. */
  serialMs: number;
  /** Wall ms per instance with `inFlight` running at once (1 / throughput). */
  concurrentMs: number;
  inFlight: number;
  /** min(serialMs, concurrentMs): the stage's best per-instance cost on this machine. */
  bestMs: number;
}

function figure(
  serialWall: number,
  serialCount: number,
  concurrentWall: number,
  concurrentCount: number,
  inFlight: number,
): StageFigure {
  const serialMs = serialWall / serialCount;
  const concurrentMs = concurrentWall / concurrentCount;
  return {
    serialMs: ms(serialMs),
    concurrentMs: ms(concurrentMs),
    inFlight,
    bestMs: ms(Math.min(serialMs, concurrentMs)),
  };
}

// ---------------------------------------------------------------------------------------------- stages

interface StageResults {
  instances: number;
  inspectMs: number;
  zipRead: StageFigure;
  orthancPost: StageFigure & { mbPerSecondBest: number };
  upload: StageFigure;
  classify: StageFigure & { fetchMs: number; preprocessMs: number; inferMs: number };
  report: StageFigure;
  /** Sum of the best per-instance costs of the pipeline's three activities (upload includes the zip read). */
  idealMsPerInstance: number;
  idealPerSecond: number;
  loadavg: number[];
}

type Activities = ReturnType<typeof createActivities>;

async function listAll(acts: Activities, zipPath: string, zipSha256: string, n: number): Promise<ZipEntryRef[]> {
  const out: ZipEntryRef[] = [];
  for (let offset = 0; offset < n; offset += 250) {
    out.push(
      ...(await inActivity(acts.listZipEntries, { zipPath, zipSha256, offset, limit: Math.min(250, n - offset) })),
    );
  }
  return out;
}

async function measureStages(
  acts: Activities,
  orthanc: OrthancClient,
  zip: WrittenZip,
  zipSha256: string,
  k: number,
): Promise<StageResults> {
  const loadavg = load();
  const limits = loadConfig().zipLimits;
  await archiveCache.clear();
  const t = performance.now();
  await inActivity(acts.inspectZip, { zipPath: zip.file, expectedSha256: zipSha256 });
  const inspectMs = performance.now() - t;
  const entries = (await listAll(acts, zip.file, zipSha256, k)).slice(0, k);

  // Zip read alone: find the entry through the archive cache, inflate, CRC.
  const read = (e: ZipEntryRef) => readEntry(e.zipPath, e.index, e, limits);
  const zr1 = await pool(entries, 1, async (e) => void (await read(e)));
  const zr2 = await pool(entries, 2, async (e) => void (await read(e)));
  const zipRead = figure(zr1, k, zr2, k, 2);
  log(`zip read: ${zipRead.serialMs} ms serial, ${zipRead.concurrentMs} ms/inst with 2 in flight`);

  // Orthanc POST /instances alone (bytes already in memory), fresh instances each time.
  const bytes: Buffer[] = [];
  for (const e of entries) bytes.push(await read(e));
  let ids: string[] = [];
  const post1 = await pool(bytes, 1, async (b) => void ids.push((await orthanc.uploadInstance(b)).id));
  await deleteInstances(orthanc, ids);
  ids = [];
  const post4 = await pool(bytes, 4, async (b) => void ids.push((await orthanc.uploadInstance(b)).id));
  await deleteInstances(orthanc, ids);
  bytes.length = 0;
  const postFig = figure(post1, k, post4, k, 4);
  const orthancPost = {
    ...postFig,
    mbPerSecondBest: Math.round(zip.instanceBytes / 1024 / 1024 / (postFig.bestMs / 1000)),
  };
  log(
    `Orthanc POST: ${orthancPost.serialMs} ms serial, ${orthancPost.concurrentMs} ms/inst with 4 in flight (${orthancPost.mbPerSecondBest} MB/s)`,
  );

  // The upload activity: zip read + sniff + sha256 + POST + metadata + tags (the real activity code).
  let ups: UploadOutput[] = [];
  const up1 = await pool(entries, 1, async (entry) => void ups.push(await inActivity(acts.uploadInstance, { entry })));
  await deleteInstances(
    orthanc,
    ups.map((u) => u.orthancId),
  );
  ups = new Array(k);
  const up4 = await pool(
    entries,
    4,
    async (entry, i) => void (ups[i] = await inActivity(acts.uploadInstance, { entry })),
  );
  const upload = figure(up1, k, up4, k, 4);
  log(`upload activity: ${upload.serialMs} ms serial, ${upload.concurrentMs} ms/inst with 4 in flight`);

  // classify: fetch pixels from Orthanc + DICOM transforms + preprocessing + ONNX (the worker's one session).
  const sum = { fetch: 0, preprocess: 0, infer: 0 };
  const cls: ClassifyOutput[] = new Array(k);
  const c1 = await pool(ups, 1, async (u, i) => {
    const c = await inActivity(acts.classifyInstance, { orthancId: u.orthancId });
    cls[i] = c;
    sum.fetch += c.timingsMs.fetch!;
    sum.preprocess += c.timingsMs.preprocess!;
    sum.infer += c.timingsMs.infer!;
  });
  const c2 = await pool(
    ups,
    2,
    async (u) => void (await inActivity(acts.classifyInstance, { orthancId: u.orthancId })),
  );
  const classify = {
    ...figure(c1, k, c2, k, 2),
    fetchMs: ms(sum.fetch / k),
    preprocessMs: ms(sum.preprocess / k),
    inferMs: ms(sum.infer / k),
  };
  log(
    `classify: ${classify.serialMs} ms serial (fetch ${classify.fetchMs} + preprocess ${classify.preprocessMs} + infer ${classify.inferMs}), ${classify.concurrentMs} ms/inst with 2 in flight`,
  );

  // SR build + store: the SR UID is deterministic, so the serial and concurrent runs take different halves.
  const half = Math.max(1, Math.floor(k / 2));
  const store = (i: number) =>
    inActivity(acts.storeReport, {
      orthancId: ups[i]!.orthancId,
      sourceSopInstanceUid: ups[i]!.sopInstanceUid,
      classification: cls[i]!,
      reportedAt: new Date().toISOString(),
    });
  const idx = Array.from({ length: k }, (_, i) => i);
  const r1 = await pool(idx.slice(0, half), 1, async (i) => void (await store(i)));
  const r2 = await pool(idx.slice(half), 2, async (i) => void (await store(i)));
  const report = figure(r1, half, r2, Math.max(1, k - half), 2);
  log(`SR build + store: ${report.serialMs} ms serial, ${report.concurrentMs} ms/inst with 2 in flight`);

  const ideal = upload.bestMs + classify.bestMs + report.bestMs;
  return {
    instances: k,
    inspectMs: ms(inspectMs),
    zipRead,
    orthancPost,
    upload,
    classify,
    report,
    idealMsPerInstance: ms(ideal),
    idealPerSecond: Math.round((1000 / ideal) * 100) / 100,
    loadavg,
  };
}

// ---------------------------------------------------------------------------------------------- baseline

interface RunResult {
  name: string;
  instances: number;
  seconds: number;
  perSecond: number;
  done: number;
  failed: number;
  skipped: number;
  loadavg: number[];
  /** CPU ms per instance spent by each process group during the run. */
  cpuMsPerInstance: Record<string, number>;
  /** Fraction of ideal throughput reached (ideal time / run time), when stages were measured. */
  ofIdeal?: number;
  /** Speed-up over the sequential baseline (baseline time per instance / this run's). */
  vsSequential?: number;
  /** (run time - ideal time) / N, ms: what orchestration (and imperfect overlap) adds per instance. */
  overheadMsPerInstance?: number;
  workers?: { count: number; readyRssMb: number[]; peakRssMbDuringRun: number[]; vmHwmMb: number[] };
  /** Temporal server CPU per instance net of its background rate (other users of the shared dev server). */
  temporalOwnCpuMsPerInstance?: number;
  /** The Temporal server's CPU rate (ms/s) in the 5 s before and after the run: other users of the dev server. */
  temporalBackgroundCpuMsPerSecond?: number[];
  /**
   * Orchestration CPU per instance: the Temporal server's CPU during the run (gross: the dev server is shared, so
   * this is an upper bound) plus what the workers spent beyond the sequential baseline's CPU for the same work
   * (workflow tasks, SDK core, polling, payloads).
   */
  orchestrationCpuMsPerInstance?: number;
  history?: { parentRuns: number; parentEvents: number; childEvents: number; perInstance: number };
}

function cpuSnapshot(pids: Record<string, number[]>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, list] of Object.entries(pids)) out[k] = list.reduce((a, p) => a + (cpuMsOf(p) ?? 0), 0);
  return out;
}

function cpuDelta(before: Record<string, number>, after: Record<string, number>, n: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(before)) out[k] = ms((after[k]! - before[k]!) / n);
  return out;
}

async function runSequential(
  acts: Activities,
  zip: WrittenZip,
  zipSha256: string,
  services: Record<string, number[]>,
): Promise<RunResult> {
  const loadavg = load();
  await archiveCache.clear();
  const pids = { bench: [process.pid], ...services };
  const cpu0 = cpuSnapshot(pids);
  const t0 = performance.now();
  await inActivity(acts.inspectZip, { zipPath: zip.file, expectedSha256: zipSha256 });
  const entries = await listAll(acts, zip.file, zipSha256, zip.entries);
  let done = 0;
  for (const entry of entries) {
    const up = await inActivity(acts.uploadInstance, { entry });
    const classification = await inActivity(acts.classifyInstance, { orthancId: up.orthancId });
    await inActivity(acts.storeReport, {
      orthancId: up.orthancId,
      sourceSopInstanceUid: up.sopInstanceUid,
      classification,
      reportedAt: new Date().toISOString(),
    });
    done++;
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuDelta(cpu0, cpuSnapshot(pids), zip.entries);
  return {
    name: 'sequential (no Temporal)',
    instances: zip.entries,
    seconds: ms(seconds),
    perSecond: Math.round((zip.entries / seconds) * 100) / 100,
    done,
    failed: 0,
    skipped: 0,
    loadavg,
    cpuMsPerInstance: cpu,
  };
}

// ---------------------------------------------------------------------------------------------- pipeline

/** Workers this process spawned and has not stopped yet (stopped on Ctrl-C too). */
const liveWorkers = new Set<ChildProcess>();
/** The ingest running now, terminated on Ctrl-C (its children go with it: ParentClosePolicy.TERMINATE). */
let currentIngest: { terminate(reason?: string): Promise<unknown> } | undefined;

interface SpawnedWorker {
  child: ChildProcess;
  pid: number;
  output: string[];
  exited: Promise<number | null>;
}

function spawnWorker(queue: string, modelDir: string, extraEnv: Record<string, string>): Promise<SpawnedWorker> {
  const script = path.join(PROJECT_ROOT, 'dist', 'src', 'worker.js');
  if (!fs.existsSync(script)) throw new Error(`${script} is missing: run npm run build first (npm run bench does)`);
  // The benchmark's client has no payload codec, so the workers run without payload encryption too (unless
  // --worker-env sets a key, which would make the result unreadable here).
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CXR_PAYLOAD_KEY;
  delete env.CXR_PAYLOAD_KEY_FILE;
  const child = spawn(process.execPath, [script], {
    cwd: PROJECT_ROOT,
    env: {
      ...env,
      CXR_TASK_QUEUE: queue,
      CXR_INFERENCE_TASK_QUEUE: `${queue}-inference`,
      CXR_MODEL_DIR: modelDir,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  liveWorkers.add(child);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      liveWorkers.delete(child);
      resolve(code);
    }),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`worker did not start within 180 s:\n${output.join('').slice(-2000)}`)),
      180_000,
    );
    const onData = (d: Buffer) => {
      output.push(d.toString());
      if (output.length > 200) output.splice(0, output.length - 200);
      if (/polling/.test(d.toString())) {
        clearTimeout(timer);
        resolve({ child, pid: child.pid!, output, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`worker exited (${code}) before it was ready:\n${output.join('').slice(-2000)}`));
    });
  });
}

async function stopWorker(w: SpawnedWorker): Promise<void> {
  if (w.child.exitCode !== null) return;
  w.child.kill('SIGTERM');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000).unref());
  if ((await Promise.race([w.exited, timeout])) === 'timeout') {
    w.child.kill('SIGKILL');
    await w.exited;
  }
}

async function countHistory(client: Client, ingestId: string, n: number): Promise<NonNullable<RunResult['history']>> {
  let parentRuns = 0;
  let parentEvents = 0;
  let runId: string | undefined;
  // Walk the continue-as-new chain backwards from the latest run.
  for (;;) {
    const h = await client.workflow.getHandle(ingestId, runId).fetchHistory();
    parentRuns++;
    parentEvents += h.events?.length ?? 0;
    const prev = h.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId;
    if (!prev) break;
    runId = prev;
  }
  let childEvents = 0;
  await pool(
    Array.from({ length: n }, (_, i) => i),
    8,
    async (i) => {
      const h = await client.workflow.getHandle(`${ingestId}/${i}`).fetchHistory();
      childEvents += h.events?.length ?? 0;
    },
  );
  return { parentRuns, parentEvents, childEvents, perInstance: ms((parentEvents + childEvents) / n) };
}

async function runPipeline(
  client: Client,
  opts: BenchOptions,
  zip: WrittenZip,
  zipSha256: string,
  seed: string,
  workerCount: number,
  services: Record<string, number[]>,
): Promise<RunResult> {
  const queue = `bench-${seed}-w${workerCount}`;
  log(`starting ${workerCount} worker process(es) on task queue ${queue}`);
  const workers: SpawnedWorker[] = [];
  try {
    for (let i = 0; i < workerCount; i++) workers.push(await spawnWorker(queue, opts.modelDir, opts.workerEnv));
    await new Promise((r) => setTimeout(r, 1000)); // let the pollers settle
    const pids = workers.map((w) => w.pid);
    const readyRss = pids.map((p) => memoryOf(p)?.rss ?? 0);
    // Background CPU rate of the (shared) Temporal server, sampled for 5 s before and after the run, to take
    // out of its per-instance figure.
    const tp = services.temporal?.[0];
    const background = async (): Promise<number> => {
      if (!tp) return 0;
      const c0 = cpuMsOf(tp) ?? 0;
      await new Promise((r) => setTimeout(r, 5000));
      return ((cpuMsOf(tp) ?? 0) - c0) / 5;
    };
    const bgBefore = await background();
    const loadavg = load();
    const sampler = new RssSampler(pids);
    const procs = { workers: pids, bench: [process.pid], ...services };
    const cpu0 = cpuSnapshot(procs);
    const ingestId = `bench-${seed}-ingest-w${workerCount}`;
    const t0 = performance.now();
    const handle = await client.workflow.start('ingestZipWorkflow', {
      taskQueue: queue,
      workflowId: ingestId,
      args: [
        {
          zipPath: zip.file,
          zipSha256,
          zipName: path.basename(zip.file),
          options: { inferenceTaskQueue: `${queue}-inference`, ...(opts.window ? { window: opts.window } : {}) },
        },
      ],
    });
    currentIngest = handle;
    let lastLog = 0;
    const progress = setInterval(async () => {
      try {
        const p = await handle.query<{ counts: { done: number; failed: number; skipped: number; total: number } }>(
          'progress',
        );
        const accounted = p.counts.done + p.counts.failed + p.counts.skipped;
        if (accounted !== lastLog) log(`  ${accounted}/${p.counts.total} accounted`);
        lastLog = accounted;
      } catch {
        // between runs (continue-as-new) or not started yet
      }
    }, 10_000);
    let result: { counts: { done: number; failed: number; skipped: number }; recentProblems: unknown[] };
    try {
      result = await handle.result();
    } finally {
      clearInterval(progress);
      currentIngest = undefined;
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuDelta(cpu0, cpuSnapshot(procs), zip.entries);
    const peaks = sampler.stop();
    const hwm = pids.map((p) => memoryOf(p)?.hwm ?? 0);
    if (result.counts.done !== zip.entries)
      log(
        `WARNING: ${result.counts.done}/${zip.entries} done; problems: ${JSON.stringify(result.recentProblems).slice(0, 500)}`,
      );
    const bgAfter = await background();
    const temporalBackgroundMsPerSecond = (bgBefore + bgAfter) / 2;
    const history = await countHistory(client, ingestId, zip.entries);
    return {
      name: `Temporal, ${workerCount} worker process${workerCount > 1 ? 'es' : ''}`,
      instances: zip.entries,
      seconds: ms(seconds),
      perSecond: Math.round((zip.entries / seconds) * 100) / 100,
      done: result.counts.done,
      failed: result.counts.failed,
      skipped: result.counts.skipped,
      loadavg,
      cpuMsPerInstance: cpu,
      workers: {
        count: workerCount,
        readyRssMb: readyRss.map(mb),
        peakRssMbDuringRun: pids.map((p) => mb(peaks.get(p) ?? 0)),
        vmHwmMb: hwm.map(mb),
      },
      history,
      temporalOwnCpuMsPerInstance: tp
        ? ms(cpu.temporal! - (temporalBackgroundMsPerSecond * seconds) / zip.entries)
        : undefined,
      temporalBackgroundCpuMsPerSecond: tp ? [ms(bgBefore), ms(bgAfter)] : undefined,
    };
  } finally {
    for (const w of workers) await stopWorker(w);
  }
}

// ---------------------------------------------------------------------------------------------- inference micro

/** bench/inference.ts (session-only and classify numbers on fixtures) as a child process: reused, not duplicated. */
async function inferenceMicro(modelDir: string, n: number): Promise<string> {
  const script = path.join(PROJECT_ROOT, 'dist', 'bench', 'inference.js');
  const child = spawn(process.execPath, [script, '--model', modelDir, '--n', String(n)], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    process.stdout.write(d);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`bench/inference exited with ${code}`);
  return out.trim();
}

/**
 * The exported torchxrayvision DenseNet-121 to measure: --txv-model, else models/txv-all (scripts/models/
 * fetch-torchxrayvision all), else the newest export of the oracle test (.data/txv-export/<hash>/densenet121-all,
 * random weights with the real architecture and preprocessing: the same cost).
 */
function findTxvModel(explicit: string | undefined): string | undefined {
  if (explicit) return path.resolve(PROJECT_ROOT, explicit);
  const candidates = [path.join(PROJECT_ROOT, 'models', 'txv-all')];
  const exports = path.join(PROJECT_ROOT, '.data', 'txv-export');
  if (fs.existsSync(exports)) {
    const dirs = fs
      .readdirSync(exports)
      .map((d) => path.join(exports, d, 'densenet121-all'))
      .filter((d) => fs.existsSync(path.join(d, 'manifest.json')))
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
    candidates.push(...dirs);
  }
  return candidates.find(
    (d) => fs.existsSync(path.join(d, 'manifest.json')) && fs.existsSync(path.join(d, 'model.onnx')),
  );
}

// ---------------------------------------------------------------------------------------------- report

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function render(results: Record<string, unknown>, stages: StageResults | undefined, runs: RunResult[]): string {
  const out: string[] = [];
  const m = results.machine as { cores: number };
  const z = results.zip as { entries: number; instanceBytes: number; sizeBytes: number; rows: number; columns: number };
  out.push(
    `\n${z.entries} instances of ${z.rows}x${z.columns} (16-bit, ${(z.instanceBytes / 1e6).toFixed(1)} MB each; zip ${(z.sizeBytes / 1e6).toFixed(0)} MB), ${m.cores} cores`,
  );
  if (stages) {
    const row = (name: string, f: StageFigure): (string | number)[] => [
      name,
      f.serialMs,
      `${f.concurrentMs} (${f.inFlight})`,
      f.bestMs,
      (1000 / f.bestMs).toFixed(1),
    ];
    out.push(
      `\nStages alone (${stages.instances} instances each; zip inspect incl. sha256: ${stages.inspectMs} ms per zip)`,
    );
    out.push(
      table(
        ['stage', 'serial ms/inst', 'concurrent ms/inst (in flight)', 'best ms/inst', 'best inst/s'],
        [
          row('zip read (readEntry: inflate + CRC)', stages.zipRead),
          row('Orthanc POST /instances only', stages.orthancPost),
          row('upload activity (read + POST + metadata + tags)', stages.upload),
          row(
            `classify (fetch ${stages.classify.fetchMs} + prep ${stages.classify.preprocessMs} + ONNX ${stages.classify.inferMs})`,
            stages.classify,
          ),
          row('SR build + store', stages.report),
          [
            'ideal = 1 / sum(best of upload, classify, SR)',
            '',
            '',
            stages.idealMsPerInstance,
            stages.idealPerSecond.toFixed(2),
          ],
        ],
      ),
    );
  }
  const txv = results.inferenceTxv as { model?: string; benchmark?: string; torchxrayvision?: string } | undefined;
  if (txv?.torchxrayvision !== undefined) {
    out.push(`\nInference stage: benchmark model vs the exported torchxrayvision DenseNet-121 (${txv.model})`);
    out.push(txv.benchmark ?? '', txv.torchxrayvision);
  }
  if (runs.length > 0) {
    out.push('\nEnd to end');
    out.push(
      table(
        [
          'run',
          'N',
          's',
          'inst/s',
          '% of ideal',
          'x sequential',
          'overhead ms/inst',
          'orch. CPU ms/inst',
          'worker RSS MB (ready/peak)',
          'events/inst',
          'CPU ms/inst',
          'load',
        ],
        runs.map((r) => [
          r.name,
          r.instances,
          r.seconds,
          r.perSecond,
          r.ofIdeal === undefined ? '' : `${Math.round(r.ofIdeal * 100)}%`,
          r.vsSequential === undefined ? '' : r.vsSequential.toFixed(2),
          r.overheadMsPerInstance === undefined ? '' : r.overheadMsPerInstance,
          r.orchestrationCpuMsPerInstance === undefined ? '' : Math.round(r.orchestrationCpuMsPerInstance),
          r.workers ? r.workers.readyRssMb.map((x, i) => `${x}/${r.workers!.peakRssMbDuringRun[i]}`).join(', ') : '',
          r.history ? r.history.perInstance : '',
          Object.entries(r.cpuMsPerInstance)
            .map(([k, v]) => `${k} ${Math.round(v)}`)
            .join(', '),
          r.loadavg[0]!.toFixed(2),
        ]),
      ),
    );
  }
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------- main

function parseArgs(argv: string[]): BenchOptions {
  const cmd = new Command('bench')
    .description('Benchmark the pipeline on the real services (see docs/performance.md)')
    .option('--n <count>', 'instances in the generated zip', '200')
    .option('--size <WxH>', 'image size, columns x rows', '2048x2500')
    .option('--small', 'small-image variant: 512x512', false)
    .option('--stage-n <count>', 'instances used by each stage measurement (default min(N, 40))')
    .option('--parts <list>', `comma-separated parts: ${PARTS.join(', ')} (default: all but inference-micro)`)
    .option('--window <count>', `children in flight per ingest (default: the workflow's, ${DEFAULT_WINDOW})`)
    .option(
      '--model <dir>',
      'model folder (manifest.json + model.onnx)',
      process.env.CXR_MODEL_DIR ?? 'models/bench-densenet121',
    )
    .option(
      '--txv-model <dir>',
      'exported torchxrayvision DenseNet-121 for inference-txv (default: models/txv-all or the oracle test export)',
      process.env.CXR_BENCH_TXV_MODEL,
    )
    .option('--worker-env <KEY=VALUE...>', 'extra environment for the spawned workers, e.g. CXR_MAX_CONCURRENT_IO=4')
    .option('--deflate-level <0-9>', 'zip deflate level', '6')
    .option('--keep-zip', 'keep the generated zip', false)
    .option('--out <dir>', 'results folder', path.join(PROJECT_ROOT, 'bench', 'results'))
    .option('--smoke', 'CI mode: 6 instances of 256x256, every part', false);
  cmd.parse(argv);
  const o = cmd.opts();
  let [columns, rows] = String(o.size).split('x').map(Number) as [number, number];
  if (o.small) [columns, rows] = [512, 512];
  let n = Number(o.n);
  if (o.smoke) {
    n = Number(argv.includes('--n') ? o.n : 6);
    if (!argv.includes('--size')) [columns, rows] = [256, 256];
  }
  if (
    !Number.isInteger(n) ||
    n < 2 ||
    !Number.isInteger(rows) ||
    !Number.isInteger(columns) ||
    rows < 8 ||
    columns < 8
  ) {
    throw new Error('--n must be an integer >= 2 and --size like 2048x2500');
  }
  const parts = new Set<Part>(
    o.parts
      ? (String(o.parts)
          .split(',')
          .map((s) => s.trim()) as Part[])
      : DEFAULT_PARTS,
  );
  for (const p of parts) if (!PARTS.includes(p)) throw new Error(`unknown part ${p}; parts: ${PARTS.join(', ')}`);
  const workerEnv: Record<string, string> = {};
  for (const kv of (o.workerEnv as string[] | undefined) ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new Error(`--worker-env wants KEY=VALUE, got ${kv}`);
    workerEnv[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return {
    n,
    rows,
    columns,
    parts,
    workerEnv,
    smoke: Boolean(o.smoke),
    stageN: Math.min(n, Number(o.stageN ?? (o.smoke ? 4 : 40))),
    window: o.window ? Number(o.window) : undefined,
    modelDir: path.resolve(PROJECT_ROOT, String(o.model)),
    txvModelDir: o.txvModel ? String(o.txvModel) : undefined,
    keepZip: Boolean(o.keepZip),
    outDir: path.resolve(String(o.out)),
    deflateLevel: Number(o.deflateLevel),
  };
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv);
  const seed = crypto.randomBytes(6).toString('hex');
  const config = loadConfig({ modelDir: opts.modelDir, taskQueue: `bench-${seed}` });
  const orthanc = new OrthancClient(config.orthanc);
  await orthanc.getSystem(); // fail fast when Orthanc is down
  const started = new Date();
  log(
    `seed ${seed}; ${opts.n} x ${opts.columns}x${opts.rows}; parts ${[...opts.parts].join(', ')}; model ${path.relative(PROJECT_ROOT, opts.modelDir)}; load ${load().join(' ')}`,
  );

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `cxr-bench-${seed}-`));
  const services: Record<string, number[]> = {};
  const temporalPid = pidListeningOn(Number(config.temporal.address.split(':').pop()));
  const orthancPid = pidListeningOn(Number(new URL(config.orthanc.url).port || 80));
  if (temporalPid) services.temporal = [temporalPid];
  if (orthancPid) services.orthanc = [orthancPid];
  // Production profile: PostgreSQL serves Temporal's persistence + visibility and Orthanc's index. Its CPU is the
  // postmaster plus the backends alive at the start (the servers' pooled connections).
  const pgPid = process.env.CXR_PROFILE === 'production' ? pidListeningOn(Number(process.env.CXR_PG_PORT)) : null;
  if (pgPid) services.postgres = [pgPid, ...childrenOf(pgPid)];

  // Ctrl-C / kill: stop our workers, delete what this run stored in Orthanc and the zip, then exit.
  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${sig}: stopping workers, removing this run's data`);
    for (const c of liveWorkers) c.kill('SIGTERM');
    const prefix = { patientIdPrefix: `SYN-${seed}-` } as WrittenZip;
    void (currentIngest?.terminate('benchmark interrupted') ?? Promise.resolve())
      .catch(() => undefined)
      .then(() => cleanupOrthanc(orthanc, prefix))
      .catch(() => undefined)
      .finally(() => {
        fs.rmSync(dir, { recursive: true, force: true });
        process.exit(130);
      });
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const zip = writeSyntheticZip({
    file: path.join(dir, `bench-${seed}.zip`),
    seed,
    count: opts.n,
    rows: opts.rows,
    columns: opts.columns,
    deflateLevel: opts.deflateLevel,
  });
  log(
    `zip written in ${(zip.writeMs / 1000).toFixed(1)} s: ${(zip.sizeBytes / 1e6).toFixed(0)} MB, ${zip.entries} entries of ${(zip.instanceBytes / 1e6).toFixed(1)} MB`,
  );
  const zipSha256 = await sha256File(zip.file);

  const results: Record<string, unknown> = {
    startedAt: started.toISOString(),
    seed,
    options: { ...opts, parts: [...opts.parts] },
    machine: {
      cores: os.availableParallelism(),
      cpu: os.cpus()[0]?.model,
      memoryGb: Math.round(os.totalmem() / 1e9),
      node: process.version,
      loadavgAtStart: load(),
    },
    zip: {
      entries: zip.entries,
      rows: opts.rows,
      columns: opts.columns,
      instanceBytes: zip.instanceBytes,
      sizeBytes: zip.sizeBytes,
      uncompressedBytes: zip.uncompressedBytes,
    },
    workflowDefaults: { window: opts.window ?? DEFAULT_WINDOW },
  };
  let stages: StageResults | undefined;
  const runs: RunResult[] = [];
  let client: Client | undefined;
  let connection: Connection | undefined;
  let failed = false;
  try {
    const needLocal = opts.parts.has('stages') || opts.parts.has('sequential');
    const acts = needLocal
      ? createActivities({
          orthanc,
          classifier: await loadClassifier(opts.modelDir),
          zipLimits: loadConfig().zipLimits,
          resultKey: resultKeyOf(loadConfig()),
        })
      : undefined;
    if (opts.parts.has('stages')) {
      log(`stages alone, ${opts.stageN} instances each`);
      stages = await measureStages(acts!, orthanc, zip, zipSha256, opts.stageN);
      results.stages = stages;
      log(`removed ${await cleanupOrthanc(orthanc, zip)} benchmark patients from Orthanc`);
    }
    if (opts.parts.has('inference-micro')) {
      log('bench/inference (session only, fixtures)');
      results.inferenceMicro = await inferenceMicro(opts.modelDir, opts.smoke ? 4 : 40);
    }
    if (opts.parts.has('inference-txv')) {
      const txv = findTxvModel(opts.txvModelDir);
      if (txv === undefined) {
        const why =
          'no exported torchxrayvision DenseNet-121 (scripts/models/fetch-torchxrayvision all, or scripts/setup-models and the oracle test export one)';
        log(`inference-txv skipped: ${why}`);
        results.inferenceTxv = { skipped: why };
      } else {
        const n = opts.smoke ? 4 : 40;
        log(`inference stage: benchmark model, then the torchxrayvision export ${path.relative(PROJECT_ROOT, txv)}`);
        results.inferenceTxv = {
          model: path.relative(PROJECT_ROOT, txv),
          benchmark: await inferenceMicro(opts.modelDir, n),
          torchxrayvision: await inferenceMicro(txv, n),
        };
      }
    }
    if (opts.parts.has('sequential')) {
      log(`sequential baseline, ${zip.entries} instances`);
      const r = await runSequential(acts!, zip, zipSha256, services);
      runs.push(r);
      log(`sequential: ${r.seconds} s, ${r.perSecond} inst/s`);
      log(`removed ${await cleanupOrthanc(orthanc, zip)} benchmark patients from Orthanc`);
    }
    for (const count of [1, 2]) {
      if (!opts.parts.has(`pipeline${count}` as Part)) continue;
      connection ??= await Connection.connect(temporalConnectionOptions(config.temporal));
      client ??= new Client({ connection, namespace: config.temporal.namespace });
      const r = await runPipeline(client, opts, zip, zipSha256, seed, count, services);
      runs.push(r);
      if (r.done !== zip.entries) failed = true;
      log(`${r.name}: ${r.seconds} s, ${r.perSecond} inst/s, ${r.history?.perInstance} events/inst`);
      log(`removed ${await cleanupOrthanc(orthanc, zip)} benchmark patients from Orthanc`);
    }
  } catch (err) {
    failed = true;
    console.error(err);
    results.error = String((err as Error).stack ?? err);
    await cleanupOrthanc(orthanc, zip).catch(() => undefined);
  } finally {
    await connection?.close().catch(() => undefined);
    await archiveCache.clear();
    if (!opts.keepZip) fs.rmSync(dir, { recursive: true, force: true });
    else log(`zip kept at ${zip.file}`);
  }

  // Ratios. ideal time = inspect (once per zip) + N x ideal cost per instance; baseline = the sequential run.
  const seq = runs.find((r) => r.name.startsWith('sequential'));
  for (const r of runs) {
    if (stages) {
      const idealSeconds = (stages.inspectMs + r.instances * stages.idealMsPerInstance) / 1000;
      r.ofIdeal = Math.round((idealSeconds / r.seconds) * 1000) / 1000;
      r.overheadMsPerInstance = ms(((r.seconds - idealSeconds) * 1000) / r.instances);
    }
    if (seq && r !== seq) {
      r.vsSequential = Math.round((seq.seconds / seq.instances / (r.seconds / r.instances)) * 100) / 100;
      if (
        r.cpuMsPerInstance.temporal !== undefined &&
        r.cpuMsPerInstance.workers !== undefined &&
        seq.cpuMsPerInstance.bench !== undefined
      ) {
        r.orchestrationCpuMsPerInstance = ms(
          r.cpuMsPerInstance.temporal! + r.cpuMsPerInstance.workers - seq.cpuMsPerInstance.bench!,
        );
      }
    }
  }
  results.runs = runs;
  results.finishedAt = new Date().toISOString();
  results.loadavgAtEnd = load();
  fs.mkdirSync(opts.outDir, { recursive: true });
  const file = path.join(opts.outDir, `${started.toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(results, null, 2) + '\n');
  console.log(render(results, stages, runs));
  console.log(`\nresults: ${path.relative(process.cwd(), file)}`);
  if (failed) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
