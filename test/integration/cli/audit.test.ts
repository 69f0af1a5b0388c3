/**
 * The audit trail after real CLI runs: `cxr ingest` and `cxr retry-failed` (compiled CLI, real dev server,
 * real Orthanc, workers in-process) each append one JSON line naming the operator (the OS user, or
 * CXR_OPERATOR), the ingest, the zip's SHA-256, the counts and the outcome; the same identity is the Temporal
 * client identity in the workflow's start event; a DICOM audit message (PS3.15 A.5) reaches a real local
 * syslog collector over UDP and over TCP (RFC 5424; octet counting on TCP). Ctrl-C while following still
 * records the start. An unwritable log refuses the action before anything starts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readAuditLog, type AuditRecord } from '../../../src/audit';
import { PROJECT_ROOT } from '../../../src/config';
import type { IngestResult } from '../../../src/workflows/types';
import { startTestPipeline, TEST_OUTPUT, type TestPipeline, uniqueQueue } from '../../helpers/pipeline';
import { syntheticCr } from '../../helpers/synthetic-dicom';
import { assertBuilt, CLI, runCli, writeZip } from './run-cli';

interface Collector {
  port: number;
  messages: string[];
  close(): Promise<void>;
}

async function udpCollector(): Promise<Collector> {
  const sock = dgram.createSocket('udp4');
  const messages: string[] = [];
  sock.on('message', (m) => messages.push(m.toString('utf8')));
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve));
  return { port: sock.address().port, messages, close: () => new Promise((r) => sock.close(() => r())) };
}

/** RFC 6587 octet-counting: "<len> <msg>" repeated on each connection. */
async function tcpCollector(): Promise<Collector> {
  const messages: string[] = [];
  const server = net.createServer((c) => {
    let buf = Buffer.alloc(0);
    c.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const sp = buf.indexOf(0x20);
        if (sp < 0) break;
        const len = Number(buf.subarray(0, sp).toString('ascii'));
        if (buf.length < sp + 1 + len) break;
        messages.push(buf.subarray(sp + 1, sp + 1 + len).toString('utf8'));
        buf = buf.subarray(sp + 1 + len);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    messages,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function waitFor(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
}

describe('audit trail of operator actions', { timeout: 300_000 }, () => {
  let p: TestPipeline;
  let udp: Collector;
  let tcp: Collector;
  let zip: string;
  let log: string;
  const seed = `audit-${Date.now()}`;
  const osUser = os.userInfo().username;

  before(async () => {
    assertBuilt();
    p = await startTestPipeline({ taskQueue: uniqueQueue('audit') });
    udp = await udpCollector();
    tcp = await tcpCollector();
    fs.mkdirSync(TEST_OUTPUT, { recursive: true });
    log = path.join(fs.mkdtempSync(path.join(TEST_OUTPUT, 'audit-')), 'audit.jsonl');
    zip = writeZip(`${seed}.zip`, seed, 2, [
      { name: 'study/corrupt.dcm', data: syntheticCr({ seed, index: 9 }).subarray(0, 300) },
    ]);
  });
  after(async () => {
    await p?.stop();
    await udp?.close();
    await tcp?.close();
  });

  const env = (extra: Record<string, string>): Record<string, string> => ({
    CXR_TASK_QUEUE: p.config.temporal.taskQueue,
    CXR_AUDIT_LOG: log,
    CXR_OPERATOR: '',
    ...extra,
  });

  it('ingest and retry-failed are recorded with who, what, counts and outcome', async () => {
    const run = await runCli(['ingest', zip, '--json'], env({ CXR_AUDIT_SYSLOG: `udp://127.0.0.1:${udp.port}` }));
    assert.equal(run.code, 2, run.stderr);
    const [ingest] = JSON.parse(run.stdout) as IngestResult[];
    const retry = await runCli(
      ['retry-failed', ingest.ingestId, '--json'],
      env({ CXR_OPERATOR: 'dr.alice', CXR_AUDIT_SYSLOG: `tcp://127.0.0.1:${tcp.port}` }),
    );
    assert.equal(retry.code, 2, retry.stderr);

    assert.equal(fs.statSync(log).mode & 0o777, 0o600, 'owner-only log');
    const records = readAuditLog(log);
    console.log(`[audit] ${records.length} records:\n${records.map((r) => JSON.stringify(r)).join('\n')}`);
    assert.equal(records.length, 2);
    const [a, b] = records as [AuditRecord, AuditRecord];
    assert.equal(a.action, 'ingest');
    assert.equal(a.who, osUser);
    assert.equal(a.osUser, osUser);
    assert.equal(a.what.ingestId, ingest.ingestId);
    assert.equal(a.what.zipSha256, ingest.ingestId.replace(/^ingest-/, ''));
    assert.equal(a.what.zipPath, zip);
    assert.deepEqual(a.what.counts, { total: 3, done: 2, failed: 1, skipped: 0 });
    assert.equal(a.outcome, 'minor-failure', 'some entries failed');
    assert.ok(Math.abs(Date.parse(a.time) - Date.now()) < 300_000);

    assert.equal(b.action, 'retry-failed');
    assert.equal(b.who, 'dr.alice', 'the configured identity');
    assert.equal(b.osUser, osUser, 'and still the OS account');
    assert.deepEqual(b.asserted, ['who'], 'CXR_OPERATOR is flagged as asserted');
    assert.equal(a.asserted, undefined, 'the OS account is not');
    assert.equal(b.prev?.length, 64, 'hash-chained');
    const verified = await runCli(['audit', 'verify'], env({}));
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    assert.match(verified.stdout, /audit log intact: 2 chained records/);
    assert.equal(b.what.retryOf, ingest.ingestId);
    assert.equal(b.what.ingestId, `${ingest.ingestId}-retry-1`);
    assert.deepEqual(b.what.counts, { retried: 1, total: 1, done: 0, failed: 1, skipped: 0 });

    // The same person in Temporal's own record of who started the workflows.
    const started = async (id: string): Promise<string> => {
      const h = await p.env.client.workflow.getHandle(id).fetchHistory();
      return h.events?.[0]?.workflowExecutionStartedEventAttributes?.identity ?? '';
    };
    assert.equal(await started(ingest.ingestId), a.temporalIdentity);
    assert.equal(a.temporalIdentity, `${osUser}@${os.hostname()}`);
    assert.equal(await started(b.what.ingestId), `dr.alice@${os.hostname()}`);

    // DICOM audit messages at the collectors.
    await waitFor(() => udp.messages.length >= 1 && tcp.messages.length >= 1);
    assert.equal(udp.messages.length, 1);
    assert.equal(tcp.messages.length, 1);
    const rfc5424 = /^<(\d+)>1 (\S+) (\S+) cxr-pipeline (\d+) IHE\+RFC-3881 - \uFEFF(<\?xml.*<\/AuditMessage>)$/s;
    const mu = rfc5424.exec(udp.messages[0]);
    assert.ok(mu, udp.messages[0]);
    assert.equal(mu[1], String(10 * 8 + 4), 'authpriv, warning (entries failed)');
    assert.equal(mu[2], a.time);
    const xml = mu[5];
    assert.match(xml, /<EventID csd-code="110107" codeSystemName="DCM" originalText="Import"\/>/);
    assert.match(xml, /EventOutcomeIndicator="4"/);
    assert.match(xml, new RegExp(`<ActiveParticipant UserID="${osUser}"[^>]*UserIsRequestor="true"`));
    assert.match(xml, new RegExp(`ParticipantObjectID="${ingest.ingestId}"`));
    assert.match(xml, new RegExp(`ParticipantObjectID="${a.what.zipSha256 as string}"`));
    assert.match(xml, new RegExp(`type="counts.failed" value="${Buffer.from('1').toString('base64')}"`));
    const mt = rfc5424.exec(tcp.messages[0]);
    assert.ok(mt, tcp.messages[0]);
    assert.match(mt[5], /<ActiveParticipant UserID="dr.alice" AlternativeUserID="[^"]+"/);
    assert.match(mt[5], /csd-code="retry-failed" codeSystemName="99CXR"/);
  });

  it('Ctrl-C while following records what was done, then exits 130', async () => {
    // A queue no worker polls: the ingest starts and stays running while the CLI follows it.
    const queue = uniqueQueue('audit-idle');
    const idle = writeZip(`${seed}-idle.zip`, `${seed}-idle`, 1);
    const child = spawn(process.execPath, [CLI, 'ingest', idle], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env({ CXR_TASK_QUEUE: queue }) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
    await waitFor(() => /started ingest (\S+)/.test(stderr), 60_000);
    const ingestId = /started ingest (\S+)/.exec(stderr)?.[1] ?? '';
    assert.ok(ingestId, stderr);
    child.kill('SIGINT');
    assert.equal(await closed, 130, stderr);
    const last = readAuditLog(log).at(-1);
    assert.equal(last?.what.ingestId, ingestId);
    assert.equal(last?.outcome, 'success', 'the ingest was started; only the watching stopped');
    assert.match(last?.message ?? '', /interrupted \(SIGINT\)/);
    await p.env.client.workflow.getHandle(ingestId).terminate('test cleanup');
  });

  it('a collector that is down does not block the action; an unwritable log refuses it', async () => {
    const closed = await tcpCollector();
    await closed.close();
    const again = await runCli(['ingest', zip, '--json'], env({ CXR_AUDIT_SYSLOG: `tcp://127.0.0.1:${closed.port}` }));
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, /audit: could not send to tcp:\/\/127\.0\.0\.1/);
    const last = readAuditLog(log).at(-1);
    assert.equal(last?.action, 'ingest');
    assert.equal(last?.what.started, false, 'attached to the existing ingest');

    const other = writeZip(`${seed}-refused.zip`, `${seed}-r`, 1);
    const refused = await runCli(['ingest', other], env({ CXR_AUDIT_LOG: path.join(log, 'not-a-dir', 'audit.jsonl') }));
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /cannot write the audit log .*nothing was done/);
    const sha = crypto.createHash('sha256').update(fs.readFileSync(other)).digest('hex');
    await assert.rejects(p.env.client.workflow.getHandle(`ingest-${sha}`).describe(), 'no ingest was started');
    // A log that keeps nothing (/dev/null passes a plain writability check) is refused the same way.
    const devNull = await runCli(['ingest', other], env({ CXR_AUDIT_LOG: '/dev/null' }));
    assert.equal(devNull.code, 1, devNull.stderr);
    assert.match(devNull.stderr, /cannot write the audit log \/dev\/null \(not a regular file.*nothing was done/);
    await assert.rejects(p.env.client.workflow.getHandle(`ingest-${sha}`).describe(), 'still no ingest');
  });
});
