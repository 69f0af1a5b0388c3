/**
 * Runtime configuration, read once from environment variables.
 * Defaults match scripts/services and orthanc.json, so a newcomer needs no settings.
 * Credentials are never defaulted in code: ORTHANC_USERNAME / ORTHANC_PASSWORD come from the
 * environment, or from the file named by ORTHANC_CREDENTIALS_FILE (default .data/orthanc-credentials,
 * written by scripts/services from the same variables it starts Orthanc with).
 */
import fs from 'node:fs';
import path from 'node:path';

export interface OrthancConfig {
  url: string;
  username?: string;
  password?: string;
  /** Per-request timeout in milliseconds. */
  timeoutMs: number;
}

export interface TemporalConfig {
  address: string;
  namespace: string;
  taskQueue: string;
  /** Queue of the CPU-bound classify activity, so inference scales separately from I/O. */
  inferenceTaskQueue: string;
}

/** Where operator actions are recorded (src/audit). */
export interface AuditConfig {
  /** Append-only JSON-lines log (CXR_AUDIT_LOG, default <data dir>/audit/audit.jsonl). */
  logFile: string;
  /** Configured operator identity (CXR_OPERATOR); the OS user when unset. */
  operator?: string;
  /** Syslog collector for DICOM audit messages: udp://host:port or tcp://host:port (CXR_AUDIT_SYSLOG); none when unset. */
  syslog?: string;
}

export interface PipelineConfig {
  temporal: TemporalConfig;
  orthanc: OrthancConfig;
  audit: AuditConfig;
  /** Folder holding model.onnx and manifest.json. */
  modelDir: string;
  /** Project data folder (services' storage, logs, credentials file). */
  dataDir: string;
}

/** The repository root: the nearest folder above this file holding package.json (works from src/ and dist/src/). */
export const PROJECT_ROOT = findRoot(__dirname);

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'orthanc.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start, '..', '..');
  }
}

function env(name: string, fallback: string): string {
  const v = process.env[name];
  return v === undefined || v === '' ? fallback : v;
}

function readCredentialsFile(file: string): { username?: string; password?: string } {
  try {
    const text = fs.readFileSync(file, 'utf8').trim();
    const sep = text.indexOf(':');
    if (sep <= 0) return {};
    return { username: text.slice(0, sep), password: text.slice(sep + 1) };
  } catch {
    return {};
  }
}

export function loadConfig(
  overrides: Partial<{ modelDir: string; orthancUrl: string; taskQueue: string }> = {},
): PipelineConfig {
  const dataDir = path.resolve(env('CXR_DATA_DIR', path.join(PROJECT_ROOT, '.data')));
  const taskQueue = overrides.taskQueue ?? env('CXR_TASK_QUEUE', 'cxr-pipeline');
  const fileCreds = readCredentialsFile(env('ORTHANC_CREDENTIALS_FILE', path.join(dataDir, 'orthanc-credentials')));
  return {
    temporal: {
      address: env('TEMPORAL_ADDRESS', `127.0.0.1:${env('TEMPORAL_PORT', '7233')}`),
      namespace: env('TEMPORAL_NAMESPACE', 'default'),
      taskQueue,
      inferenceTaskQueue: env('CXR_INFERENCE_TASK_QUEUE', `${taskQueue}-inference`),
    },
    orthanc: {
      url: (overrides.orthancUrl ?? env('ORTHANC_URL', `http://127.0.0.1:${env('ORTHANC_HTTP_PORT', '8042')}`)).replace(
        /\/+$/,
        '',
      ),
      username: process.env.ORTHANC_USERNAME || fileCreds.username,
      password: process.env.ORTHANC_PASSWORD || fileCreds.password,
      timeoutMs: Number(env('ORTHANC_TIMEOUT_MS', '60000')),
    },
    audit: {
      logFile: path.resolve(env('CXR_AUDIT_LOG', path.join(dataDir, 'audit', 'audit.jsonl'))),
      operator: process.env.CXR_OPERATOR || undefined,
      syslog: process.env.CXR_AUDIT_SYSLOG || undefined,
    },
    modelDir: path.resolve(overrides.modelDir ?? env('CXR_MODEL_DIR', path.join(PROJECT_ROOT, 'models', 'demo-cxr'))),
    dataDir,
  };
}

/**
 * The task queue of one model version: runs pinned to a model (follow, reprocess) send their classify steps here, and
 * only a worker that loaded that model polls it. E.g. `cxr-pipeline-inference@cxr-pipeline-demo-cxr@1.0.0`.
 */
export function modelTaskQueue(inferenceTaskQueue: string, model: { id: string; version: string }): string {
  return `${inferenceTaskQueue}@${model.id}@${model.version}`;
}
