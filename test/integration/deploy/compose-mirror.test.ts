/**
 * docker-compose.yml is the mirror of the native production profile (docs/deployment.md). It cannot run here
 * (no Docker daemon), so this test keeps the two from drifting apart: `docker-compose config` must accept the
 * file, and its versions and settings must equal the ones scripts/lib.sh and scripts/production.sh use.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../../src/config';

type Service = {
  image?: string;
  environment?: Record<string, string | null>;
  volumes?: (string | { source?: string; target?: string })[];
  healthcheck?: { test?: unknown; disable?: boolean };
  restart?: string;
  depends_on?: unknown;
};

/** Values of the native profile, read from the scripts themselves. */
function native(): Record<string, string> {
  const out = execFileSync(
    'bash',
    [
      '-c',
      'source scripts/lib.sh && CXR_PROFILE=production source scripts/production.sh && ' +
        'printf "%s\\n" "server=$TEMPORAL_SERVER_VERSION" "ui=$TEMPORAL_UI_SERVER_VERSION" "cli=$TEMPORAL_VERSION" ' +
        '"retention=$CXR_NAMESPACE_RETENTION" "shards=$TEMPORAL_HISTORY_SHARDS" "pgbin=$PG_BIN" ' +
        '"attrs=${CXR_SEARCH_ATTRIBUTES[*]}"',
    ],
    { cwd: PROJECT_ROOT, encoding: 'utf8', env: { ...process.env, CXR_PROFILE: 'production' } },
  );
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** The fully resolved compose file (anchors, merges and ${VAR:-default} applied) as JSON. */
function composeConfig(): { services: Record<string, Service> } {
  const yaml = execFileSync('docker-compose', ['-f', 'docker-compose.yml', 'config'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    // Defaults as a user without an .env file gets them, except the passwords, which have none (docs/security.md).
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      ORTHANC_PASSWORD: 'x',
      POSTGRES_PASSWORD: 'x',
      TEMPORAL_DB_PASSWORD: 'x',
      ORTHANC_DB_PASSWORD: 'x',
    },
  });
  const json = execFileSync('python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], {
    input: yaml,
    encoding: 'utf8',
  });
  return JSON.parse(json) as { services: Record<string, Service> };
}

const tag = (image: string | undefined) => (image ?? '').slice((image ?? '').lastIndexOf(':') + 1);
const volumeTargets = (s: Service) =>
  (s.volumes ?? []).map((v) => (typeof v === 'string' ? (v.split(':')[1] ?? '') : (v.target ?? '')));
const volumeSources = (s: Service) =>
  (s.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':')[0] : (v.source ?? '')));

describe('docker-compose.yml mirrors the native production profile', { timeout: 60_000 }, () => {
  const n = native();
  const { services } = composeConfig();
  const svc = (name: string): Service => {
    assert.ok(services[name], `service ${name} in docker-compose.yml`);
    return services[name];
  };

  it('uses the same version line', () => {
    assert.equal(tag(svc('temporal').image), n.server, 'temporalio/server tag = TEMPORAL_SERVER_VERSION');
    assert.equal(tag(svc('temporal-ui').image), n.ui, 'temporalio/ui tag = TEMPORAL_UI_SERVER_VERSION');
    for (const job of ['temporal-schema', 'temporal-init']) {
      const t = tag(svc(job).image);
      assert.ok(t.startsWith(`${n.server}-`), `${job}: admin-tools ${t} of server ${n.server}`);
      const cli = /cli-(\d+\.\d+)/.exec(t)?.[1];
      assert.equal(cli, n.cli.split('.').slice(0, 2).join('.'), `${job}: its temporal CLI line = the native CLI's`);
    }
    const pgMajor = /postgresql\/(\d+)\//.exec(n.pgbin)?.[1];
    assert.ok(pgMajor, `native PostgreSQL found (${n.pgbin})`);
    assert.equal(tag(svc('postgresql').image).split(/[.-]/)[0], pgMajor, 'PostgreSQL major version');
  });

  it('keeps persistence and visibility on PostgreSQL, with mTLS, shards, retention and search attributes', () => {
    const t = svc('temporal').environment ?? {};
    assert.equal(t.DB, 'postgres12');
    assert.equal(t.POSTGRES_SEEDS, 'postgresql');
    assert.ok(!t.ENABLE_ES && !t.ES_SEEDS, 'no Elasticsearch: visibility on PostgreSQL as natively');
    assert.equal(t.NUM_HISTORY_SHARDS, n.shards);
    assert.equal(t.TEMPORAL_TLS_REQUIRE_CLIENT_AUTH, 'true');
    assert.ok(volumeSources(svc('temporal')).some((s) => s.endsWith('docker/temporal/dynamicconfig.yaml')));
    const production = fs.readFileSync(path.join(PROJECT_ROOT, 'scripts', 'production.sh'), 'utf8');
    assert.match(
      production,
      /filepath: \$ROOT\/docker\/temporal\/dynamicconfig\.yaml/,
      'native uses the same dynamic config',
    );
    assert.equal(svc('temporal-init').environment?.TEMPORAL_NAMESPACE_RETENTION, n.retention);
    const init = fs.readFileSync(path.join(PROJECT_ROOT, 'docker', 'temporal', 'init.sh'), 'utf8');
    const attrs = /ATTRS="\$\{CXR_SEARCH_ATTRIBUTES:-([^}]*)\}"/.exec(init)?.[1];
    assert.ok(attrs, 'docker/temporal/init.sh names its search attributes');
    assert.deepEqual(attrs.split(/\s+/).sort(), n.attrs.split(/\s+/).sort(), 'same search attributes and types');
    for (const client of ['temporal-init', 'worker-io', 'worker-inference']) {
      const e = svc(client).environment ?? {};
      assert.ok(
        e.TEMPORAL_TLS_CLIENT_CERT_PATH && e.TEMPORAL_TLS_CLIENT_KEY_PATH,
        `${client} connects with a client certificate`,
      );
    }
    assert.ok(svc('temporal-ui').environment?.TEMPORAL_TLS_CERT, 'UI server connects with a client certificate');
  });

  it('runs Orthanc on PostgreSQL over HTTPS from the same two configuration files', () => {
    const o = svc('orthanc');
    const targets = volumeTargets(o);
    assert.ok(
      targets.includes('/etc/orthanc/orthanc.json') && targets.includes('/etc/orthanc/orthanc.production.json'),
    );
    assert.equal(o.environment?.POSTGRESQL_PLUGIN_ENABLED, 'true');
    const overlay = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'orthanc.production.json'), 'utf8')) as {
      PostgreSQL: { EnableIndex: boolean; EnableStorage: boolean };
      SslEnabled: boolean;
    };
    assert.equal(overlay.PostgreSQL.EnableIndex, true);
    assert.equal(overlay.PostgreSQL.EnableStorage, false, 'storage on the filesystem');
    assert.equal(overlay.SslEnabled, true);
    assert.ok(o.environment?.ORTHANC__SSL_CERTIFICATE, 'HTTPS certificate');
  });

  it('runs io and inference workers as separate services, trusting the CA, with metrics', () => {
    const roles = { 'worker-io': 'io', 'worker-inference': 'inference' } as const;
    for (const [name, role] of Object.entries(roles)) {
      const e = svc(name).environment ?? {};
      assert.equal(e.CXR_WORKER_ROLE, role);
      assert.match(e.ORTHANC_URL ?? '', /^https:/);
      assert.ok(e.ORTHANC_CA_FILE);
      assert.ok(e.CXR_METRICS_ADDRESS);
    }
    assert.ok(!services.worker, 'no all-role worker service');
  });

  it('gives every long-running service a healthcheck', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.restart === 'no') continue; // one-shot jobs
      assert.ok(s.healthcheck?.test && !s.healthcheck.disable, `${name} has a healthcheck`);
    }
  });
});
