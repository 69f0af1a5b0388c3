/**
 * loadConfig: one loader for environment + flags + defaults. Flags win and never touch process.env; Temporal is
 * read the ecosystem way (@temporalio/envconfig: TEMPORAL_* variables and the temporal CLI's profile file).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { operatorOf } from '../../src/audit';
import { loadConfig, temporalConnectionOptions } from '../../src/config';
import { DEFAULT_ZIP_LIMITS } from '../../src/zip';

/** An environment with no config file to find (HOME points nowhere), so only what a test sets counts. */
const bare = (vars: Record<string, string> = {}) => ({ HOME: '/nonexistent', ...vars });

describe('loadConfig', { timeout: 10_000 }, () => {
  it('defaults match scripts/services', () => {
    const c = loadConfig({}, bare());
    assert.equal(c.temporal.address, '127.0.0.1:7233');
    assert.equal(c.temporal.namespace, 'default');
    assert.equal(c.temporal.taskQueue, 'cxr-pipeline');
    assert.equal(c.temporal.inferenceTaskQueue, 'cxr-pipeline-inference');
    assert.equal(c.orthanc.url, 'http://127.0.0.1:8042');
    assert.equal(c.webUiUrl, 'http://127.0.0.1:8233');
    assert.equal(c.worker.role, 'all');
    assert.equal(c.worker.maxConcurrentIo, 8);
    assert.equal(c.heatmapsMax, 3);
    assert.deepEqual(c.zipLimits, { ...DEFAULT_ZIP_LIMITS });
    assert.equal(c.temporal.tls, undefined);
  });

  it('reads the environment; an empty variable counts as unset', () => {
    const c = loadConfig(
      {},
      bare({
        TEMPORAL_PORT: '7333',
        TEMPORAL_UI_PORT: '8333',
        TEMPORAL_NAMESPACE: '',
        ORTHANC_HTTP_PORT: '8142',
        CXR_WORKER_ROLE: 'io',
        CXR_MAX_CONCURRENT_IO: '3',
        CXR_ZIP_MAX_ENTRIES: '10',
        CXR_ZIP_CACHE_MAX_OPEN: '4',
        CXR_PAYLOAD_KEY_FILE: '/keys',
      }),
    );
    assert.equal(c.temporal.address, '127.0.0.1:7333');
    assert.equal(c.temporal.namespace, 'default');
    assert.equal(c.orthanc.url, 'http://127.0.0.1:8142');
    assert.equal(c.webUiUrl, 'http://127.0.0.1:8333');
    assert.equal(c.worker.role, 'io');
    assert.equal(c.worker.maxConcurrentIo, 3);
    assert.equal(c.zipLimits.maxEntries, 10);
    assert.equal(c.archiveCache.maxOpen, 4);
    assert.equal(c.payloadKeys.keyFile, '/keys');
  });

  it('flags win over the environment and are not written into it', () => {
    const env = bare({ TEMPORAL_ADDRESS: 'env:1', ORTHANC_URL: 'http://env:1/', CXR_WORKER_ROLE: 'io' });
    const before = { ...env };
    const c = loadConfig({ address: 'flag:2', orthancUrl: 'http://flag:2/', role: 'inference', taskQueue: 'q' }, env);
    assert.equal(c.temporal.address, 'flag:2');
    assert.equal(c.orthanc.url, 'http://flag:2');
    assert.equal(c.worker.role, 'inference');
    assert.equal(c.temporal.inferenceTaskQueue, 'q-inference');
    assert.deepEqual(env, before);
  });

  it('reads the audit identity (CXR_OPERATOR, SUDO_USER) here, and src/audit uses what it is given', () => {
    const c = loadConfig({}, bare({ LOGNAME: 'ln', USER: 'u', SUDO_USER: 'alice', CXR_OPERATOR: 'dr-who' }));
    assert.deepEqual([c.audit.operator, c.audit.sudoUser], ['dr-who', 'alice']);
    assert.equal(loadConfig({}, bare()).audit.sudoUser, undefined, 'an empty or missing SUDO_USER is no sudo');
    const op = operatorOf(c.audit);
    assert.equal(op.sudoUser, 'alice', 'not process.env.SUDO_USER');
    assert.equal(op.who, 'dr-who');
    assert.deepEqual(op.asserted, ['who', 'sudoUser'], 'told, not established: flagged');
    assert.equal(op.whoSource, 'cxr-operator');
    // The OS account comes from the process's uid, whatever USER / LOGNAME say.
    assert.equal(op.osUser, os.userInfo().username);
    assert.notEqual(op.osUser, 'u');
    assert.equal(op.uid, process.geteuid?.());
    assert.equal(op.temporalIdentity, `dr-who@${os.hostname()}`);
    assert.deepEqual(operatorOf(loadConfig({}, bare()).audit).asserted, [], 'the OS account is not asserted');
  });

  it('refuses unreadable values', () => {
    assert.throws(() => loadConfig({}, bare({ CXR_WORKER_ROLE: 'gpu' })), /must be all, io, inference or model/);
    assert.equal(loadConfig({}, bare({ CXR_WORKER_ROLE: 'model' })).worker.role, 'model');
    assert.throws(() => loadConfig({}, bare({ CXR_MAX_CONCURRENT_IO: '0' })), /positive integer/);
    assert.throws(() => loadConfig({}, bare({ CXR_ZIP_MAX_ENTRIES: 'lots' })), /CXR_ZIP_MAX_ENTRIES/);
    assert.equal(loadConfig({}, bare({ CXR_HEATMAPS_MAX: '0' })).heatmapsMax, 0);
    assert.equal(loadConfig({}, bare({ CXR_HEATMAPS_MAX: '12' })).heatmapsMax, 12);
    assert.deepEqual(loadConfig({}, bare({})).studies, { inactivityMs: 120_000, reopenWindowMs: 7 * 24 * 3600_000 });
    assert.equal(loadConfig({}, bare({ CXR_STUDY_INACTIVITY_S: '30' })).studies.inactivityMs, 30_000);
    assert.throws(() => loadConfig({}, bare({ CXR_STUDY_INACTIVITY_S: '0' })), /CXR_STUDY_INACTIVITY_S/);
    assert.throws(() => loadConfig({}, bare({ CXR_HEATMAPS_MAX: '-1' })), /CXR_HEATMAPS_MAX/);
  });

  it('TEMPORAL_API_KEY and TEMPORAL_TLS_* reach the connection (TLS on with an API key)', () => {
    const c = loadConfig({}, bare({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'k' }));
    const o = temporalConnectionOptions(c.temporal);
    assert.equal(o.address, 'ns.acct.tmprl.cloud:7233');
    assert.equal(o.apiKey, 'k');
    assert.ok(o.tls, 'TLS is on');
    const plain = temporalConnectionOptions(loadConfig({}, bare()).temporal);
    assert.equal(plain.tls, undefined);
    assert.equal(plain.apiKey, undefined);
  });

  it("reads a profile of the temporal CLI's config file (TEMPORAL_CONFIG_FILE, TEMPORAL_PROFILE / --profile)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-config-'));
    try {
      const file = path.join(dir, 'temporal.toml');
      fs.writeFileSync(
        file,
        [
          '[profile.default]',
          'address = "localhost:7233"',
          '[profile.prod]',
          'address = "prod.example:7233"',
          'namespace = "cxr-prod"',
          '[profile.prod.tls]',
          'server_name = "prod.example"',
          '',
        ].join('\n'),
      );
      const env = bare({ TEMPORAL_CONFIG_FILE: file });
      assert.equal(loadConfig({}, env).temporal.address, 'localhost:7233');
      for (const c of [loadConfig({ profile: 'prod' }, env), loadConfig({}, { ...env, TEMPORAL_PROFILE: 'prod' })]) {
        assert.equal(c.temporal.address, 'prod.example:7233');
        assert.equal(c.temporal.namespace, 'cxr-prod');
        assert.equal(c.temporal.profile, 'prod');
        assert.equal(c.temporal.tls?.serverName, 'prod.example');
        assert.ok(temporalConnectionOptions(c.temporal).tls);
      }
      // The environment still overrides the profile, and a flag the environment.
      const c = loadConfig({ namespace: 'flag-ns' }, { ...env, TEMPORAL_PROFILE: 'prod', TEMPORAL_ADDRESS: 'env:1' });
      assert.equal(c.temporal.address, 'env:1');
      assert.equal(c.temporal.namespace, 'flag-ns');
      assert.throws(() => loadConfig({ profile: 'nope' }, env), /nope/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('delivery sinks: none by default; each from its variable; malformed values refused', () => {
    const none = loadConfig({}, bare({ CXR_DATA_DIR: '/d' })).delivery;
    assert.deepEqual(none, { timeoutMs: 30000 });
    const c = loadConfig(
      {},
      bare({
        CXR_DATA_DIR: '/d',
        CXR_DELIVER_WEBHOOK_URL: 'https://ris.example/hook',
        CXR_DELIVER_HL7_MLLP: 'ris.example:2575',
        CXR_DELIVER_HL7_RECEIVER: 'PACS^WARD7',
        CXR_DELIVER_FHIR_URL: 'https://fhir.example/r4/',
        CXR_DELIVER_TIMEOUT_MS: '5000',
      }),
    ).delivery;
    assert.deepEqual(c, {
      timeoutMs: 5000,
      webhook: { url: 'https://ris.example/hook', secretFile: '/d/secrets/webhook-secret' },
      hl7: {
        host: 'ris.example',
        port: 2575,
        sendingApplication: 'CXR-PIPELINE',
        sendingFacility: 'CXR',
        receivingApplication: 'PACS',
        receivingFacility: 'WARD7',
      },
      fhir: { url: 'https://fhir.example/r4' },
    });
    assert.throws(() => loadConfig({}, bare({ CXR_DELIVER_HL7_MLLP: 'no-port' })), /host:port/);
    assert.throws(
      () => loadConfig({}, bare({ CXR_DELIVER_HL7_MLLP: 'h:1', CXR_DELIVER_HL7_SENDER: 'A|B^C' })),
      /APPLICATION\^FACILITY/,
    );
    assert.throws(() => loadConfig({}, bare({ CXR_DELIVER_FHIR_URL: 'fhir.example' })), /http/);
    assert.throws(() => loadConfig({}, bare({ CXR_DELIVER_WEBHOOK_URL: 'ftp://x' })), /http/);
  });
});
