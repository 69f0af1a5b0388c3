/**
 * The production profile as scripts/services runs it (CXR_PROFILE=production scripts/services start, then
 * `start worker`): the Temporal frontend refuses clients without a certificate signed by the deployment's CA,
 * the io and inference workers run as separate processes and finish a real ingest together, and the three
 * Prometheus endpoints (workers, Temporal server, Orthanc) answer with the metrics docs/deployment.md names.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { vulnerabilitiesOf } from '../../../src/cli/known-vulnerabilities';
import { startOrAttachIngest } from '../../../src/cli/start-ingest';
import { loadConfig, temporalConnectionOptions } from '../../../src/config';
import type { IngestResult } from '../../../src/workflows/types';
import { syntheticZip } from '../../helpers/chaos';
import { TEST_OUTPUT } from '../../helpers/pipeline';
import { assertBuilt, runCli } from '../cli/run-cli';

// The native profile's processes and ports (the compose stack has its own test: test/integration/deploy/compose-stack).
const skip =
  process.env.CXR_PROFILE === 'production'
    ? false
    : 'production profile only (CXR_PROFILE=production; .ci/run runs it)';

async function scrape(url: string, opts: { ca?: string; auth?: string } = {}): Promise<string> {
  if (url.startsWith('http://')) {
    const res = await fetch(url);
    assert.equal(res.status, 200, `${url} answered HTTP ${res.status}`);
    return res.text();
  }
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: opts.ca, auth: opts.auth }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () =>
          res.statusCode === 200 ? resolve(body) : reject(new Error(`${url}: HTTP ${res.statusCode}`)),
        );
      })
      .on('error', reject);
  });
}

/** Sum of a metric's samples (any labels) whose label set includes every `match` pair. */
function metricSum(text: string, name: string, match: Record<string, string> = {}): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = m[2] ?? '';
    if (!Object.entries(match).every(([k, v]) => labels.includes(`${k}="${v}"`))) continue;
    sum = (sum ?? 0) + Number(m[3]);
  }
  return sum;
}

describe('production profile: mTLS, workers by role, metrics', { skip }, () => {
  const config = loadConfig();
  let client: Client;
  let connection: Connection;

  before(async () => {
    connection = await Connection.connect(temporalConnectionOptions(config.temporal));
    client = new Client({ connection, namespace: config.temporal.namespace });
  });
  after(async () => connection?.close());

  it('cxr doctor is green over mTLS (the CLI connection settings, issue 24)', { timeout: 120_000 }, async () => {
    assertBuilt();
    let out: { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] } = { ok: false, checks: [] };
    // The workers scripts/services started poll within seconds; allow a loaded machine a minute.
    for (let i = 0; i < 12; i++) {
      const run = await runCli(['doctor', '--json'], {});
      out = JSON.parse(run.stdout) as typeof out;
      if (out.ok) break;
      await new Promise((r) => setTimeout(r, 5000));
    }
    assert.ok(out.ok, JSON.stringify(out.checks.filter((c) => !c.ok)));
    const reach = out.checks.find((c) => c.name === 'Temporal reachable');
    assert.match(reach?.detail ?? '', /\(mTLS\)/);
    console.log(`[production:doctor] ${out.checks.length} checks green; ${reach?.detail}`);
  });

  it('the Temporal frontend refuses clients without a client certificate', { timeout: 60_000 }, async () => {
    const { address, tls } = temporalConnectionOptions(config.temporal);
    assert.ok(
      tls && tls !== true && tls.clientCertPair,
      'the production profile sets a client certificate (TEMPORAL_TLS_*)',
    );
    // With the certificate: served.
    const info = await connection.workflowService.getSystemInfo({});
    assert.ok(info.serverVersion, 'server answers a client with a certificate');
    assert.deepEqual(
      vulnerabilitiesOf('temporal-server', info.serverVersion).map((v) => v.id),
      [],
      `Temporal server ${info.serverVersion} carries no known vulnerability (docs/security.md)`,
    );
    // TLS, trusting the CA, but no client certificate: the handshake is refused.
    const noCert = Connection.connect({
      address,
      tls: { serverRootCACertificate: tls.serverRootCACertificate, serverNameOverride: tls.serverNameOverride },
      connectTimeout: '5 seconds',
    }).then(async (c) => {
      try {
        await c.workflowService.getSystemInfo({});
      } finally {
        await c.close();
      }
    });
    await assert.rejects(noCert, 'a client without a certificate must be refused');
    // Plain text: refused too.
    const plain = Connection.connect({ address, connectTimeout: '5 seconds' }).then(async (c) => {
      try {
        await c.workflowService.getSystemInfo({});
      } finally {
        await c.close();
      }
    });
    await assert.rejects(plain, 'a plaintext client must be refused');
    // A certificate from another CA: refused.
    fs.mkdirSync(TEST_OUTPUT, { recursive: true });
    const dir = fs.mkdtempSync(path.join(TEST_OUTPUT, 'rogue-ca-'));
    try {
      const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
      const key = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
      fs.writeFileSync(path.join(dir, 'k.pem'), key);
      const { execFileSync } = await import('node:child_process');
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-key',
          path.join(dir, 'k.pem'),
          '-subj',
          '/CN=rogue',
          '-days',
          '1',
          '-out',
          path.join(dir, 'c.pem'),
        ],
        { stdio: 'ignore' },
      );
      const rogue = Connection.connect({
        address,
        tls: {
          serverRootCACertificate: tls.serverRootCACertificate,
          clientCertPair: { crt: fs.readFileSync(path.join(dir, 'c.pem')), key: Buffer.from(key) },
        },
        connectTimeout: '5 seconds',
      }).then(async (c) => {
        try {
          await c.workflowService.getSystemInfo({});
        } finally {
          await c.close();
        }
      });
      await assert.rejects(rogue, 'a certificate from another CA must be refused');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it(
    'io and inference workers (separate processes) ingest, and all three metrics endpoints answer',
    { timeout: 180_000 },
    async () => {
      // An ingest on the default queues, served only by the services' worker-io and worker-inference.
      fs.mkdirSync(TEST_OUTPUT, { recursive: true });
      const z = syntheticZip(TEST_OUTPUT, `prod-metrics-${Date.now()}`, 4, 2);
      const s = await startOrAttachIngest(client, config, z.zipPath);
      const result = (await s.handle.result()) as IngestResult;
      fs.rmSync(z.zipPath, { force: true });
      assert.equal(result.counts.done, 4, JSON.stringify(result.counts));

      const ioPort = process.env.CXR_IO_METRICS_PORT;
      const infPort = process.env.CXR_INFERENCE_METRICS_PORT;
      const io = await scrape(`http://127.0.0.1:${ioPort}/metrics`);
      const inf = await scrape(`http://127.0.0.1:${infPort}/metrics`);
      // SDK runtime metrics.
      assert.ok(
        (metricSum(io, 'temporal_workflow_task_execution_latency_count') ?? 0) > 0,
        'io worker: SDK workflow task metrics',
      );
      assert.ok(
        (metricSum(inf, 'temporal_activity_execution_latency_count', { activity_type: 'classifyInstance' }) ?? 0) > 0,
        'inference worker: SDK activity metrics',
      );
      // Pipeline metrics: outcomes (emitted where the workflows run: the io worker) and step durations.
      assert.ok(
        (metricSum(io, 'cxr_instances', { outcome: 'done' }) ?? 0) >= 4,
        'io worker: cxr_instances{outcome="done"}',
      );
      assert.ok(
        (metricSum(io, 'cxr_step_duration_ms_count', { step: 'uploadInstance' }) ?? 0) >= 4,
        'io worker: upload step durations',
      );
      assert.ok(
        (metricSum(inf, 'cxr_step_duration_ms_count', { step: 'classifyInstance' }) ?? 0) >= 4,
        'inference worker: classify step durations',
      );
      assert.equal(
        metricSum(inf, 'cxr_step_duration_ms_count', { step: 'uploadInstance' }),
        undefined,
        'no uploads on the inference worker',
      );

      const server = await scrape(`http://127.0.0.1:${process.env.TEMPORAL_METRICS_PORT}/metrics`);
      assert.ok((metricSum(server, 'persistence_requests') ?? 0) > 0, 'Temporal server: persistence_requests');
      assert.ok((metricSum(server, 'service_requests') ?? 0) > 0, 'Temporal server: service_requests');

      const orthanc = await scrape(`${config.orthanc.url}/tools/metrics-prometheus`, {
        ca: fs.readFileSync(config.orthanc.caFile!, 'utf8'),
        auth: `${config.orthanc.username}:${config.orthanc.password}`,
      });
      assert.ok((metricSum(orthanc, 'orthanc_count_instances') ?? 0) >= 8, 'Orthanc: orthanc_count_instances');
      console.log(
        `[production:metrics] io ${io.split('\n').length} lines, inference ${inf.split('\n').length}, server ${server.split('\n').length}, orthanc ${orthanc.split('\n').length}`,
      );
    },
  );
});
