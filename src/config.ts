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
  /** PEM file of the CA that signed Orthanc's HTTPS certificate (ORTHANC_CA_FILE; production profile). */
  caFile?: string;
  username?: string;
  password?: string;
  /** Per-request timeout in milliseconds. */
  timeoutMs: number;
}

/** Mutual TLS to the Temporal frontend: the temporal CLI's own variables (TEMPORAL_TLS_*). */
export interface TemporalTlsConfig {
  clientCertPath: string;
  clientKeyPath: string;
  /** CA that signed the server's certificate; default: the system's roots. */
  serverCaCertPath?: string;
  /** Name to verify the server certificate against; default: the host of the address. */
  serverName?: string;
}

export interface TemporalConfig {
  address: string;
  /** Set when TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH are (production profile). */
  tls?: TemporalTlsConfig;
  namespace: string;
  taskQueue: string;
  /** Queue of the CPU-bound classify activity, so inference scales separately from I/O. */
  inferenceTaskQueue: string;
}

export interface PipelineConfig {
  temporal: TemporalConfig;
  orthanc: OrthancConfig;
  /** Folder holding model.onnx and manifest.json. */
  modelDir: string;
  /** Project data folder (services' storage, logs, credentials file). */
  dataDir: string;
  /** host:port for the worker's Prometheus endpoint (CXR_METRICS_ADDRESS); none when unset. */
  metricsAddress?: string;
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
  // The production profile (docs/deployment.md) keeps its own data folder, serves Orthanc over HTTPS and
  // requires mTLS to Temporal, with certificates from its private CA under <data>/tls (as scripts/lib.sh).
  const production = process.env.CXR_PROFILE === 'production';
  const dataDir = path.resolve(
    env('CXR_DATA_DIR', path.join(PROJECT_ROOT, '.data', ...(production ? ['production'] : []))),
  );
  const tlsDir = env('CXR_TLS_DIR', path.join(dataDir, 'tls'));
  const taskQueue = overrides.taskQueue ?? env('CXR_TASK_QUEUE', 'cxr-pipeline');
  const fileCreds = readCredentialsFile(env('ORTHANC_CREDENTIALS_FILE', path.join(dataDir, 'orthanc-credentials')));
  return {
    temporal: {
      address: env('TEMPORAL_ADDRESS', `127.0.0.1:${env('TEMPORAL_PORT', '7233')}`),
      tls: tlsFromEnv(production ? tlsDir : undefined),
      namespace: env('TEMPORAL_NAMESPACE', 'default'),
      taskQueue,
      inferenceTaskQueue: env('CXR_INFERENCE_TASK_QUEUE', `${taskQueue}-inference`),
    },
    orthanc: {
      url: (
        overrides.orthancUrl ??
        env('ORTHANC_URL', `${production ? 'https' : 'http'}://127.0.0.1:${env('ORTHANC_HTTP_PORT', '8042')}`)
      ).replace(/\/+$/, ''),
      caFile: process.env.ORTHANC_CA_FILE || (production ? path.join(tlsDir, 'ca.pem') : undefined),
      username: process.env.ORTHANC_USERNAME || fileCreds.username,
      password: process.env.ORTHANC_PASSWORD || fileCreds.password,
      timeoutMs: Number(env('ORTHANC_TIMEOUT_MS', '60000')),
    },
    modelDir: path.resolve(overrides.modelDir ?? env('CXR_MODEL_DIR', path.join(PROJECT_ROOT, 'models', 'demo-cxr'))),
    dataDir,
    metricsAddress: process.env.CXR_METRICS_ADDRESS || undefined,
  };
}

/** TEMPORAL_TLS_*; with a default folder (production profile), the certificates scripts/services made there. */
function tlsFromEnv(defaultDir: string | undefined): TemporalTlsConfig | undefined {
  const fallback = (file: string) => (defaultDir ? path.join(defaultDir, file) : undefined);
  const clientCertPath = process.env.TEMPORAL_TLS_CLIENT_CERT_PATH || fallback('temporal-client.pem');
  const clientKeyPath = process.env.TEMPORAL_TLS_CLIENT_KEY_PATH || fallback('temporal-client.key');
  if (!clientCertPath || !clientKeyPath) return undefined;
  return {
    clientCertPath,
    clientKeyPath,
    serverCaCertPath: process.env.TEMPORAL_TLS_SERVER_CA_CERT_PATH || fallback('ca.pem'),
    serverName: process.env.TEMPORAL_TLS_SERVER_NAME || undefined,
  };
}

/** Connection options for @temporalio/client and @temporalio/worker: the address, plus mTLS when configured. */
export function temporalConnectionOptions(t: TemporalConfig): {
  address: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair: { crt: Buffer; key: Buffer };
  };
} {
  if (!t.tls) return { address: t.address };
  return {
    address: t.address,
    tls: {
      serverNameOverride: t.tls.serverName,
      serverRootCACertificate: t.tls.serverCaCertPath ? fs.readFileSync(t.tls.serverCaCertPath) : undefined,
      clientCertPair: { crt: fs.readFileSync(t.tls.clientCertPath), key: fs.readFileSync(t.tls.clientKeyPath) },
    },
  };
}
