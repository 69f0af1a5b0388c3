/**
 * Configuration in one place: loadConfig() returns everything a process reads (environment + flags + defaults):
 * Temporal (the ecosystem way, through @temporalio/envconfig: TEMPORAL_ADDRESS / _NAMESPACE / _API_KEY / _TLS_*,
 * TEMPORAL_PROFILE and the `temporal` CLI's profile file), Orthanc, the model, the zip limits and archive cache,
 * the worker's role and concurrency, payload encryption and the Web UI URL. Nothing else reads process.env.
 * Flags are passed as overrides (they win over the environment) and are never written into process.env.
 * Defaults match scripts/services and orthanc.json, so a newcomer needs no settings.
 * Credentials are never defaulted in code: ORTHANC_USERNAME / ORTHANC_PASSWORD come from the
 * environment, or from the file named by ORTHANC_CREDENTIALS_FILE (default .data/orthanc-credentials,
 * written by scripts/services from the same variables it starts Orthanc with).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ClientConfigTLS, loadClientConfigProfile, toClientOptions } from '@temporalio/envconfig';
import type { PayloadKeySettings } from './codec/encryption';
import { type ArchiveCacheOptions, archiveCacheOptionsFromEnv } from './zip/cache';
import { type ZipLimits, zipLimitsFromEnv } from './zip/limits';
import { DEFAULT_MAX_IMAGE_PIXELS } from './dicom/structure';

export interface OrthancConfig {
  url: string;
  /** PEM file of the CA that signed Orthanc's HTTPS certificate (ORTHANC_CA_FILE; production profile). */
  caFile?: string;
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
  /**
   * How long `cxr ingest`, `watch`, `status` and `verify` keep waiting (with backoff) for a Temporal server that
   * stopped answering before they give up with exit 69 (CXR_TEMPORAL_WAIT_S or --temporal-wait; default 300 s).
   */
  unreachableWaitMs: number;
  /** Profile of the `temporal` CLI's config file that was read (TEMPORAL_PROFILE / --profile), if any. */
  profile?: string;
  /** Temporal Cloud API key (TEMPORAL_API_KEY or the profile); implies TLS. */
  apiKey?: string;
  /** TLS / mTLS (TEMPORAL_TLS, TEMPORAL_TLS_CLIENT_CERT_PATH, ... or the profile's [tls] table). */
  tls?: ClientConfigTLS;
  /** Extra gRPC headers (TEMPORAL_GRPC_META_* or the profile). */
  grpcMeta?: Record<string, string>;
}

/** Where operator actions are recorded (src/audit). */
export interface AuditConfig {
  /** Append-only JSON-lines log (CXR_AUDIT_LOG, default <data dir>/audit/audit.jsonl). */
  logFile: string;
  /** Configured operator identity (CXR_OPERATOR); the OS user when unset. */
  operator?: string;
  /** Syslog collector for DICOM audit messages: udp://host:port or tcp://host:port (CXR_AUDIT_SYSLOG); none when unset. */
  syslog?: string;
  /** The account that ran sudo (SUDO_USER, from the environment: recorded as asserted), next to the OS user. */
  sudoUser?: string;
}

/**
 * `all`: both queues and this model's own queue. `io`: workflows and Orthanc I/O only. `inference`: the shared
 * inference queue and this model's queue. `model`: only this model's queue (a second model version side by side,
 * which must not take the shared queue's work; see modelTaskQueue).
 */
export type WorkerRole = 'all' | 'io' | 'inference' | 'model';

export interface WorkerConfig {
  /** Which queues this worker serves (CXR_WORKER_ROLE). */
  role: WorkerRole;
  /** Concurrent I/O activities (CXR_MAX_CONCURRENT_IO, default 8): Orthanc's store saturates at ~4 in flight. */
  maxConcurrentIo: number;
  /**
   * Concurrent classify activities (CXR_MAX_CONCURRENT_INFERENCE, default max(2, ceil(cores / 2))): the session runs
   * one inference at a time, so a second slot overlaps the next image's fetch + preprocessing (docs/performance.md).
   */
  maxConcurrentInference: number;
  /** ONNX intra-op threads (CXR_INTRA_OP_THREADS, default max(1, floor(cores / 2))): the rest needs the other cores. */
  intraOpThreads: number;
  /**
   * Preprocessing threads (CXR_PREPROCESS_THREADS, default max(1, floor(cores / 2))): frame -> model input runs on a
   * node:worker_threads pool, off the event loop the SDK polls on; 0 = on the main thread (src/inference/preprocess-pool.ts).
   */
  preprocessThreads: number;
  /** host:port of the worker's Prometheus endpoint (CXR_METRICS_ADDRESS, src/metrics.ts); none when unset. */
  metricsAddress?: string;
  /**
   * The key io and inference workers share to bind inference results to their requests (CXR_WORKER_RESULT_KEY;
   * unset: <data dir>/secrets/worker-result-key, generated once; src/activities/result-binding.ts).
   */
  resultKey?: string;
}

export interface ViewerConfig {
  /** Interface and port the viewer (OHIF + DICOMweb proxy, src/viewer) listens on. */
  host: string;
  port: number;
  /** OHIF's static build (index.html, bundles): .tools/ohif/dist, put there by scripts/setup. */
  distDir: string;
  /** The viewer's own account (CXR_VIEWER_USERNAME, default `viewer`; src/viewer/auth.ts). */
  username: string;
  /** Its password (CXR_VIEWER_PASSWORD); unset: the secret generated in <data dir>/secrets/viewer-password. */
  password?: string;
  /** Hours a login lasts (CXR_VIEWER_SESSION_HOURS, default 8). */
  sessionHours: number;
  /** Session cookies marked Secure (CXR_VIEWER_SECURE_COOKIES, default true; browsers keep them on localhost). */
  secureCookies: boolean;
  /** Host names the viewer answers for besides localhost / 127.0.0.1 / ::1 (CXR_VIEWER_ALLOWED_HOSTS, comma list). */
  allowedHosts: string[];
  /** SSO through a reverse proxy: the header naming the user (CXR_VIEWER_TRUSTED_USER_HEADER); off when unset. */
  trustedUserHeader?: string;
  /** Addresses of the proxies whose user header is believed (CXR_VIEWER_TRUSTED_PROXIES, comma list). */
  trustedProxies: string[];
  /** Largest instance the 1-bit frames fallback reads (CXR_VIEWER_MAX_INSTANCE_BYTES, default 64 MiB). */
  maxInstanceBytes: number;
}

/**
 * Where a completed study's result is delivered (issue 25; src/activities/deliver.ts). No sink by default: each is
 * switched on by its variable. One sink of each kind, named by its kind (webhook, hl7, fhir).
 */
export interface DeliveryConfig {
  /** CXR_DELIVER_WEBHOOK_URL: JSON POST signed with HMAC-SHA256 (src/delivery/webhook.ts). */
  webhook?: {
    url: string;
    /** CXR_DELIVER_WEBHOOK_SECRET_FILE, default <data dir>/secrets/webhook-secret (scripts/services makes it). */
    secretFile: string;
  };
  /** CXR_DELIVER_HL7_MLLP=host:port: HL7 v2.5 ORU^R01 over MLLP (src/delivery/hl7.ts). */
  hl7?: {
    host: string;
    port: number;
    /** MSH-3/4 (CXR_DELIVER_HL7_SENDER, APP^FACILITY, default CXR-PIPELINE^CXR). */
    sendingApplication: string;
    sendingFacility: string;
    /** MSH-5/6 (CXR_DELIVER_HL7_RECEIVER, APP^FACILITY, default RIS^HOSPITAL). */
    receivingApplication: string;
    receivingFacility: string;
  };
  /** CXR_DELIVER_FHIR_URL: base URL of a FHIR R4 server, which receives a transaction Bundle (src/delivery/fhir.ts). */
  fhir?: { url: string };
  /** One attempt's bound (connect + send + answer), CXR_DELIVER_TIMEOUT_MS, default 30000. */
  timeoutMs: number;
}

export interface PipelineConfig {
  temporal: TemporalConfig;
  orthanc: OrthancConfig;
  audit: AuditConfig;
  /** Folder holding model.onnx and manifest.json. */
  modelDir: string;
  /** Project data folder (services' storage, logs, credentials file). */
  dataDir: string;
  /** Zip limits (CXR_ZIP_MAX_*, src/zip/limits.ts). */
  zipLimits: ZipLimits;
  /** The worker's archive cache (CXR_ZIP_CACHE_*, src/zip/cache.ts). */
  archiveCache: ArchiveCacheOptions;
  worker: WorkerConfig;
  /** Payload encryption keys (CXR_PAYLOAD_KEY / _KEY_ID / _KEY_FILE, docs/security.md); none set: no encryption. */
  payloadKeys: PayloadKeySettings;
  /** Temporal Web UI base URL for links (TEMPORAL_UI_URL, default the dev server's UI on TEMPORAL_UI_PORT). */
  webUiUrl: string;
  /** The codec server (src/codec/server.ts): CXR_CODEC_HOST / _PORT / _CORS_ORIGIN. */
  codecServer: { host: string; port: number; corsOrigin: string };
  viewer: ViewerConfig;
  /**
   * Heatmap SEGs stored per image (CXR_HEATMAPS_MAX, default 3; 0 = none): the positive findings with a class
   * activation map, most probable first (src/dicom/heatmap.ts heatmapFindings). Each is ~20 KB for a 2500x2048 CR (deflated).
   */
  heatmapsMax: number;
  /** Result delivery sinks (CXR_DELIVER_*); none by default. */
  delivery: DeliveryConfig;
  /** Ceiling of Rows x Columns an image may declare (CXR_MAX_IMAGE_PIXELS, default 8192 x 8192; src/dicom/structure.ts). */
  maxImagePixels: number;
  /**
   * Study completion (src/workflows/study.ts): a study completes after CXR_STUDY_INACTIVITY_S (default 120) without a
   * new image; a completed study waits CXR_STUDY_REOPEN_S (default 7 days) for late images before its workflow closes.
   */
  studies: { inactivityMs: number; reopenWindowMs: number };
}

/** Flags of the worker and the CLI: each wins over the environment variable of the same meaning. */
export interface ConfigOverrides {
  address?: string;
  namespace?: string;
  /** A profile of the `temporal` CLI's config file (like `temporal --profile`). */
  profile?: string;
  taskQueue?: string;
  orthancUrl?: string;
  modelDir?: string;
  role?: WorkerRole;
  /** Seconds the CLI waits for an unreachable Temporal (--temporal-wait). */
  temporalWaitS?: number;
}

type Env = Record<string, string | undefined>;

/** Heatmaps per image unless CXR_HEATMAPS_MAX says otherwise: the top findings, not one per positive label. */
export const DEFAULT_HEATMAPS_MAX = 3;

/** The repository root: the nearest folder above this file holding package.json (works from src/ and dist/src/). */
export const PROJECT_ROOT = findRoot(__dirname);

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'orthanc.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start, '..', '..');
  }
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

/** The variables set to a non-empty value (an empty variable counts as unset, as in the shell scripts). */
function setOnly(env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

function positiveInt(env: Record<string, string>, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${JSON.stringify(text)} must be a positive integer`);
  return n;
}

function countOf(env: Record<string, string>, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}=${JSON.stringify(text)} must be an integer >= 0`);
  return n;
}

function nonNegative(env: Record<string, string>, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}=${JSON.stringify(text)} must be a number of seconds >= 0`);
  return n;
}

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function workerRole(value: string): WorkerRole {
  if (value === 'all' || value === 'io' || value === 'inference' || value === 'model') return value;
  throw new Error(`CXR_WORKER_ROLE / --role must be all, io, inference or model (got ${value})`);
}

function appAndFacility(name: string, text: string): [string, string] {
  const [app, facility, ...rest] = text.split('^');
  if (!app || !facility || rest.length > 0 || /[|~\\&\r\n]/.test(text))
    throw new Error(`${name}=${JSON.stringify(text)} must be APPLICATION^FACILITY (no | ~ \\ &)`);
  return [app, facility];
}

function deliveryFrom(env: Record<string, string>, dataDir: string): DeliveryConfig {
  const out: DeliveryConfig = { timeoutMs: positiveInt(env, 'CXR_DELIVER_TIMEOUT_MS', 30000) };
  const webhook = env.CXR_DELIVER_WEBHOOK_URL;
  if (webhook !== undefined) {
    if (!/^https?:\/\//.test(webhook))
      throw new Error(`CXR_DELIVER_WEBHOOK_URL must be an http(s) URL (got ${webhook})`);
    out.webhook = {
      url: webhook,
      secretFile: path.resolve(env.CXR_DELIVER_WEBHOOK_SECRET_FILE ?? path.join(dataDir, 'secrets', 'webhook-secret')),
    };
  }
  const mllp = env.CXR_DELIVER_HL7_MLLP;
  if (mllp !== undefined) {
    const m = /^(.+):(\d+)$/.exec(mllp);
    if (!m) throw new Error(`CXR_DELIVER_HL7_MLLP must be host:port (got ${mllp})`);
    const [sendingApplication, sendingFacility] = appAndFacility(
      'CXR_DELIVER_HL7_SENDER',
      env.CXR_DELIVER_HL7_SENDER ?? 'CXR-PIPELINE^CXR',
    );
    const [receivingApplication, receivingFacility] = appAndFacility(
      'CXR_DELIVER_HL7_RECEIVER',
      env.CXR_DELIVER_HL7_RECEIVER ?? 'RIS^HOSPITAL',
    );
    out.hl7 = {
      host: m[1],
      port: Number(m[2]),
      sendingApplication,
      sendingFacility,
      receivingApplication,
      receivingFacility,
    };
  }
  const fhir = env.CXR_DELIVER_FHIR_URL;
  if (fhir !== undefined) {
    if (!/^https?:\/\//.test(fhir)) throw new Error(`CXR_DELIVER_FHIR_URL must be an http(s) URL (got ${fhir})`);
    out.fhir = { url: fhir.replace(/\/+$/, '') };
  }
  return out;
}

/**
 * The webhook's HMAC key: the secret file's contents (trimmed), read at each delivery so a rotated secret is used
 * without a restart. Undefined when the file is missing or empty.
 */
export function readWebhookSecret(secretFile: string): string | undefined {
  try {
    const text = fs.readFileSync(secretFile, 'utf8').trim();
    return text === '' ? undefined : text;
  } catch {
    return undefined;
  }
}

/** Temporal connection settings: envconfig's profile (file + TEMPORAL_* variables), then flags, then defaults. */
function temporalFrom(
  env: Record<string, string>,
  o: ConfigOverrides,
): Omit<TemporalConfig, 'taskQueue' | 'inferenceTaskQueue' | 'unreachableWaitMs'> {
  const profileName = o.profile ?? env.TEMPORAL_PROFILE;
  const profile = loadClientConfigProfile({ profile: profileName, overrideEnvVars: env });
  return {
    address: o.address ?? profile.address ?? `127.0.0.1:${env.TEMPORAL_PORT ?? '7233'}`,
    namespace: o.namespace ?? profile.namespace ?? 'default',
    ...(profileName !== undefined ? { profile: profileName } : {}),
    ...(profile.apiKey !== undefined ? { apiKey: profile.apiKey } : {}),
    ...(profile.tls !== undefined ? { tls: profile.tls } : {}),
    ...(profile.grpcMeta !== undefined ? { grpcMeta: profile.grpcMeta } : {}),
  };
}

/**
 * Everything a process reads. `overrides` are the command-line flags; `env` defaults to the process environment
 * (tests pass their own).
 */
export function loadConfig(overrides: ConfigOverrides = {}, environment: Env = process.env): PipelineConfig {
  const env = setOnly(environment);
  const get = (name: string, fallback: string): string => env[name] ?? fallback;
  // The production profile (CXR_PROFILE=production, docs/deployment.md) keeps its own data folder, serves Orthanc
  // over HTTPS and requires mTLS to Temporal, with the certificates scripts/services made under <data>/tls. The
  // compose profile (CXR_PROFILE=compose: the same topology as containers, docs/deployment.md "Docker") reaches the
  // stack's published ports the same way, with the secrets and certificates scripts/docker/init made.
  const profile = env.CXR_PROFILE === 'production' || env.CXR_PROFILE === 'compose' ? env.CXR_PROFILE : undefined;
  const production = profile !== undefined;
  const dataDir = path.resolve(get('CXR_DATA_DIR', path.join(PROJECT_ROOT, '.data', ...(profile ? [profile] : []))));
  if (production) {
    const tlsDir = get('CXR_TLS_DIR', path.join(dataDir, 'tls'));
    env.TEMPORAL_TLS_CLIENT_CERT_PATH ??= path.join(tlsDir, 'temporal-client.pem');
    env.TEMPORAL_TLS_CLIENT_KEY_PATH ??= path.join(tlsDir, 'temporal-client.key');
    env.TEMPORAL_TLS_SERVER_CA_CERT_PATH ??= path.join(tlsDir, 'ca.pem');
    env.ORTHANC_CA_FILE ??= path.join(tlsDir, 'ca.pem');
  }
  const taskQueue = overrides.taskQueue ?? get('CXR_TASK_QUEUE', 'cxr-pipeline');
  const credentialsFile = path.join(dataDir, ...(profile === 'compose' ? ['secrets'] : []), 'orthanc-credentials');
  const fileCreds = readCredentialsFile(get('ORTHANC_CREDENTIALS_FILE', credentialsFile));
  const cores = os.availableParallelism();
  const uiUrl = get('TEMPORAL_UI_URL', `http://127.0.0.1:${get('TEMPORAL_UI_PORT', '8233')}`).replace(/\/+$/, '');
  return {
    temporal: {
      ...temporalFrom(env, overrides),
      taskQueue,
      inferenceTaskQueue: get('CXR_INFERENCE_TASK_QUEUE', `${taskQueue}-inference`),
      unreachableWaitMs: (overrides.temporalWaitS ?? nonNegative(env, 'CXR_TEMPORAL_WAIT_S', 300)) * 1000,
    },
    orthanc: {
      url: (
        overrides.orthancUrl ??
        get('ORTHANC_URL', `${production ? 'https' : 'http'}://127.0.0.1:${get('ORTHANC_HTTP_PORT', '8042')}`)
      ).replace(/\/+$/, ''),
      caFile: env.ORTHANC_CA_FILE,
      username: env.ORTHANC_USERNAME ?? fileCreds.username,
      password: env.ORTHANC_PASSWORD ?? fileCreds.password,
      timeoutMs: positiveInt(env, 'ORTHANC_TIMEOUT_MS', 60000),
    },
    audit: {
      logFile: path.resolve(get('CXR_AUDIT_LOG', path.join(dataDir, 'audit', 'audit.jsonl'))),
      operator: env.CXR_OPERATOR,
      syslog: env.CXR_AUDIT_SYSLOG,
      sudoUser: env.SUDO_USER || undefined,
    },
    modelDir: path.resolve(overrides.modelDir ?? get('CXR_MODEL_DIR', path.join(PROJECT_ROOT, 'models', 'demo-cxr'))),
    dataDir,
    viewer: {
      host: get('CXR_VIEWER_HOST', '127.0.0.1'),
      port: positiveInt(env, 'CXR_VIEWER_PORT', 8044),
      distDir: path.resolve(get('CXR_VIEWER_DIST', path.join(PROJECT_ROOT, '.tools', 'ohif', 'dist'))),
      username: get('CXR_VIEWER_USERNAME', 'viewer'),
      password: env.CXR_VIEWER_PASSWORD,
      sessionHours: positiveInt(env, 'CXR_VIEWER_SESSION_HOURS', 8),
      secureCookies: get('CXR_VIEWER_SECURE_COOKIES', 'true') !== 'false',
      allowedHosts: list(env.CXR_VIEWER_ALLOWED_HOSTS),
      trustedUserHeader: env.CXR_VIEWER_TRUSTED_USER_HEADER,
      trustedProxies: list(env.CXR_VIEWER_TRUSTED_PROXIES),
      maxInstanceBytes: positiveInt(env, 'CXR_VIEWER_MAX_INSTANCE_BYTES', 64 * 1024 * 1024),
    },
    heatmapsMax: countOf(env, 'CXR_HEATMAPS_MAX', DEFAULT_HEATMAPS_MAX),
    delivery: deliveryFrom(env, dataDir),
    maxImagePixels: positiveInt(env, 'CXR_MAX_IMAGE_PIXELS', DEFAULT_MAX_IMAGE_PIXELS),
    studies: {
      inactivityMs: positiveInt(env, 'CXR_STUDY_INACTIVITY_S', 120) * 1000,
      reopenWindowMs: positiveInt(env, 'CXR_STUDY_REOPEN_S', 7 * 24 * 3600) * 1000,
    },
    zipLimits: zipLimitsFromEnv(env),
    archiveCache: archiveCacheOptionsFromEnv(env),
    worker: {
      role: workerRole(overrides.role ?? get('CXR_WORKER_ROLE', 'all')),
      maxConcurrentIo: positiveInt(env, 'CXR_MAX_CONCURRENT_IO', 8),
      maxConcurrentInference: positiveInt(env, 'CXR_MAX_CONCURRENT_INFERENCE', Math.max(2, Math.ceil(cores / 2))),
      intraOpThreads: positiveInt(env, 'CXR_INTRA_OP_THREADS', Math.max(1, Math.floor(cores / 2))),
      preprocessThreads: countOf(env, 'CXR_PREPROCESS_THREADS', Math.max(1, Math.floor(cores / 2))),
      metricsAddress: env.CXR_METRICS_ADDRESS,
      resultKey: env.CXR_WORKER_RESULT_KEY,
    },
    payloadKeys: { key: env.CXR_PAYLOAD_KEY, keyId: env.CXR_PAYLOAD_KEY_ID, keyFile: env.CXR_PAYLOAD_KEY_FILE },
    webUiUrl: uiUrl,
    codecServer: {
      host: get('CXR_CODEC_HOST', '127.0.0.1'),
      port: positiveInt(env, 'CXR_CODEC_PORT', 8888),
      corsOrigin: get('CXR_CODEC_CORS_ORIGIN', `http://127.0.0.1:${get('TEMPORAL_UI_PORT', '8233')}`),
    },
  };
}

/** Connection options for @temporalio/client's Connection and @temporalio/worker's NativeConnection (TLS, API key). */
export function temporalConnectionOptions(t: TemporalConfig) {
  const { connectionOptions } = toClientOptions({
    address: t.address,
    namespace: t.namespace,
    apiKey: t.apiKey,
    tls: t.tls,
    grpcMeta: t.grpcMeta,
  });
  return {
    address: t.address,
    ...(connectionOptions.tls !== undefined ? { tls: connectionOptions.tls } : {}),
    ...(connectionOptions.apiKey !== undefined ? { apiKey: connectionOptions.apiKey } : {}),
    ...(connectionOptions.metadata !== undefined ? { metadata: connectionOptions.metadata } : {}),
  };
}

/**
 * The task queue of one model version: runs pinned to a model (follow, reprocess) send their classify steps here, and
 * only a worker that loaded that model polls it. E.g. `cxr-pipeline-inference@cxr-pipeline-demo-cxr@1.0.0`.
 */
export function modelTaskQueue(inferenceTaskQueue: string, model: { id: string; version: string }): string {
  return `${inferenceTaskQueue}@${model.id}@${model.version}`;
}
