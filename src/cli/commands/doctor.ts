import fs from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { cliConfig } from '../cli-config';
import { type TemporalConfig, temporalConnectionOptions } from '../../config';
import { describeAccepts } from '../../dicom/eligibility';
import { readManifest } from '../../inference/manifest';
import { describeOrthancVersion } from '../../orthanc/advisories';
import { OrthancClient } from '../../orthanc/client';
import * as SA from '../../workflows/search-attributes';
import { EXIT, EXIT_HELP } from '../exit-codes';
import { exposureCheck } from '../exposure';
import { vulnerabilitiesOf } from '../known-vulnerabilities';

export interface Check {
  name: string;
  ok: boolean;
  /** Usable, but a risk to look at (printed WARN; does not change the exit code). */
  warn?: boolean;
  detail: string;
}

const POLLER_FRESH_MS = 2 * 60_000;

async function pollers(client: Client, queue: string, type: temporal.api.enums.v1.TaskQueueType): Promise<Check> {
  const kind = type === temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW ? 'workflow' : 'activity';
  const name = `worker polling ${queue} (${kind} tasks)`;
  try {
    const res = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: queue },
      taskQueueType: type,
    });
    const fresh = (res.pollers ?? []).filter((p) => {
      const s = p.lastAccessTime?.seconds;
      return s !== undefined && s !== null && Date.now() - Number(s) * 1000 < POLLER_FRESH_MS;
    });
    if (fresh.length === 0)
      return {
        name,
        ok: false,
        detail: `no worker has polled in the last 2 minutes: start one (scripts/services start, or npm run worker) with CXR_TASK_QUEUE=${queue.replace(/-inference$/, '')}`,
      };
    return {
      name,
      ok: true,
      detail: `${fresh.length} poller(s): ${[...new Set(fresh.map((p) => p.identity))].slice(0, 3).join(', ')}`,
    };
  } catch (err) {
    return { name, ok: false, detail: (err as Error).message };
  }
}

/** Humane duration: 7d, 36h, 90m. */
export function formatRetention(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  return `${Math.round(seconds / 60)}m`;
}

/** What the namespace retention means for an operator (informational: any retention works). */
export function retentionCheck(namespace: string, seconds: number): Check {
  const r = formatRetention(seconds);
  return {
    name: 'namespace retention',
    ok: seconds > 0,
    detail:
      seconds > 0
        ? `${r} (namespace ${namespace}): a finished ingest can be attached to, verified (cxr verify) and retried for ${r} after it closes; then Temporal deletes its history and the same zip starts a new ingest (set by scripts/services from CXR_NAMESPACE_RETENTION)`
        : `namespace ${namespace} reports no retention`,
  };
}

/** The Temporal server's version and the published vulnerabilities it carries (WARN; docs/security.md). */
export function temporalServerVersionCheck(version: string): Check {
  const vulns = vulnerabilitiesOf('temporal-server', version);
  return {
    name: 'Temporal server version',
    ok: true,
    warn: vulns.length > 0 || !version,
    detail: !version
      ? 'the server did not say its version'
      : vulns.length === 0
        ? `${version}: no known vulnerability listed for it (docs/security.md)`
        : `${version} carries ${vulns.map((v) => `${v.id} (${v.summary}; fixed in ${v.fixedIn})`).join(', ')}: upgrade it (docs/security.md)`,
  };
}

/** How the connection is secured, as configured: " (mTLS)", " (TLS, API key)", or "" for plaintext. */
function security(t: TemporalConfig): string {
  const o = temporalConnectionOptions(t);
  const tls = !o.tls ? '' : typeof o.tls === 'object' && o.tls.clientCertPair ? 'mTLS' : 'TLS';
  const parts = [tls, o.apiKey !== undefined ? 'API key' : ''].filter(Boolean);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

export async function runChecks(opts: { taskQueue?: string } = {}): Promise<Check[]> {
  const config = cliConfig(opts.taskQueue ? { taskQueue: opts.taskQueue } : {});
  const checks: Check[] = [];
  const { address, namespace, taskQueue, inferenceTaskQueue } = config.temporal;

  let connection: Connection | undefined;
  try {
    // The same connection settings as every other command (TLS / mTLS, API key, gRPC metadata: src/config.ts), so
    // doctor reaches a secured cluster or Temporal Cloud exactly when `cxr ingest` does (issue 24).
    connection = await Connection.connect({
      ...temporalConnectionOptions(config.temporal),
      connectTimeout: '5 seconds',
    });
    const client = new Client({ connection, namespace });
    const sys = await client.workflowService.getSystemInfo({});
    const ns = await client.workflowService.describeNamespace({ namespace });
    checks.push({
      name: 'Temporal reachable',
      ok: true,
      detail: `${address}${security(config.temporal)}, namespace ${namespace}, server ${sys.serverVersion || '?'}`,
    });
    checks.push(temporalServerVersionCheck(sys.serverVersion ?? ''));
    checks.push(retentionCheck(namespace, Number(ns.config?.workflowExecutionRetentionTtl?.seconds ?? 0)));
    try {
      const res = await connection.operatorService.listSearchAttributes({ namespace });
      const have = new Set(Object.keys(res.customAttributes ?? {}));
      const want = [SA.ZIP_NAME, SA.ZIP_SHA256, SA.STATE, SA.TOTAL, SA.DONE, SA.FAILED, SA.ENTRY_NAME, SA.RETRY_OF].map(
        (k) => k.name,
      );
      const missing = want.filter((n) => !have.has(n));
      checks.push({
        name: 'search attributes registered',
        ok: missing.length === 0,
        detail:
          missing.length === 0
            ? want.join(', ')
            : `missing ${missing.join(', ')}: scripts/services registers them (temporal operator search-attribute create)`,
      });
    } catch (err) {
      checks.push({ name: 'search attributes registered', ok: false, detail: (err as Error).message });
    }
    checks.push(await pollers(client, taskQueue, temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW));
    checks.push(await pollers(client, taskQueue, temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY));
    checks.push(
      await pollers(client, inferenceTaskQueue, temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
    );
  } catch (err) {
    checks.push({
      name: 'Temporal reachable',
      ok: false,
      detail: `${address}${security(config.temporal)}: ${(err as Error).message} (set TEMPORAL_ADDRESS and TEMPORAL_TLS_* / TEMPORAL_API_KEY as for the temporal CLI, or scripts/services start)`,
    });
  } finally {
    await connection?.close();
  }

  const orthanc = new OrthancClient({ ...config.orthanc, timeoutMs: 5000 });
  try {
    const sys = await orthanc.getSystem();
    const stats = await orthanc.getStatistics();
    checks.push({
      name: 'Orthanc reachable with credentials',
      ok: true,
      detail: `${config.orthanc.url}, Orthanc ${String(sys.Version ?? '?')}, ${stats.CountInstances} instances${config.orthanc.username ? `, user ${config.orthanc.username}` : ', no credentials set'}`,
    });
    // Usable, but a risk to look at: the published CVEs of the version it runs (src/orthanc/advisories.ts).
    const cves = describeOrthancVersion(String(sys.Version ?? '?'));
    checks.push({
      name: 'Orthanc version and its published CVEs',
      ok: true,
      ...(cves.vulnerable !== false ? { warn: true } : {}),
      detail: cves.text,
    });
  } catch (err) {
    checks.push({ name: 'Orthanc reachable with credentials', ok: false, detail: (err as Error).message });
  }
  checks.push(await exposureCheck(config.dataDir));

  try {
    const m = readManifest(config.modelDir);
    const file = path.resolve(config.modelDir, m.file);
    const size = fs.statSync(file).size;
    checks.push({
      name: 'model present',
      ok: size > 0,
      detail: `${config.modelDir}: ${m.name} ${m.version} (${m.labels.length} labels, ${(size / 1e6).toFixed(1)} MB${m.diagnostic ? '' : ', NOT diagnostic'}); accepts ${describeAccepts(m.accepts)}`,
    });
  } catch (err) {
    checks.push({ name: 'model present', ok: false, detail: (err as Error).message });
  }
  return checks;
}

export function doctorCommand(): Command {
  return new Command('doctor')
    .description(
      'Check the environment: Temporal and its retention, search attributes, workers polling, Orthanc and its credentials, the model',
    )
    .option('--task-queue <name>', 'check this task queue (default CXR_TASK_QUEUE or cxr-pipeline)')
    .option('--json', 'print the checks as JSON')
    .addHelpText(
      'after',
      `
The network check reads the Orthanc configuration scripts/services wrote under the data folder and
warns (WARN, exit code unchanged) when the DICOM port accepts C-STORE from anyone, or the REST API
accepts remote clients without TLS, while the port answers on one of this machine's network addresses.
The model check reads the manifest of the model the CLI's environment names (CXR_MODEL_DIR); the
worker may run elsewhere with its own.

Examples:
  $ cxr doctor
  $ CXR_TASK_QUEUE=night-batch cxr doctor --json

${EXIT_HELP}`,
    )
    .action(async (opts: { taskQueue?: string; json?: boolean }) => {
      const checks = await runChecks({ taskQueue: opts.taskQueue });
      if (opts.json) console.log(JSON.stringify({ ok: checks.every((c) => c.ok), checks }, null, 2));
      else for (const c of checks) console.log(`${!c.ok ? 'FAIL' : c.warn ? 'WARN' : ' ok '}  ${c.name}: ${c.detail}`);
      process.exitCode = checks.every((c) => c.ok) ? EXIT.ok : EXIT.checkFailed;
    });
}
