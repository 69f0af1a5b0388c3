/**
 * docker-compose.yml runs the native production profile as containers (docs/deployment.md "Docker"). The compose
 * pass of CI runs it; this test (every pass, no Docker daemon needed) keeps the two from drifting apart:
 * `docker-compose config` accepts the file with the versions scripts/lib.sh exports and nothing else (no .env), the
 * images are built from this repository's Dockerfiles with those versions as build args (no second copy of a
 * version anywhere under docker/), and the containers run the native profile's own functions and files.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../../src/config';

type Service = {
  image?: string;
  build?: { context?: string; dockerfile?: string; args?: Record<string, string> };
  command?: string[];
  environment?: Record<string, string | null>;
  ports?: (string | { host_ip?: string; published?: string | number; target?: number })[];
  networks?: Record<string, unknown> | string[];
  secrets?: (string | { source: string })[];
  healthcheck?: { test?: unknown; disable?: boolean };
  restart?: string;
};
type Compose = { services: Record<string, Service>; networks: Record<string, { internal?: boolean }> };

const read = (...p: string[]) => fs.readFileSync(path.join(PROJECT_ROOT, ...p), 'utf8');

/** Values of the native profile, read from the scripts themselves. */
function native(): Record<string, string> {
  const out = execFileSync(
    'bash',
    [
      '-c',
      'source scripts/lib.sh && source scripts/production.sh && ' +
        'printf "%s\\n" "TEMPORAL_SERVER_VERSION=$TEMPORAL_SERVER_VERSION" "TEMPORAL_UI_SERVER_VERSION=$TEMPORAL_UI_SERVER_VERSION" ' +
        '"TEMPORAL_VERSION=$TEMPORAL_VERSION" "OHIF_VERSION=$OHIF_VERSION" "OHIF_INTEGRITY=$OHIF_INTEGRITY" ' +
        '"retention=$CXR_NAMESPACE_RETENTION" "pgbin=$PG_BIN"',
    ],
    { cwd: PROJECT_ROOT, encoding: 'utf8', env: { ...process.env, CXR_PROFILE: 'production', ORTHANC_PASSWORD: 'x' } },
  );
  return Object.fromEntries(
    out
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe('docker-compose.yml runs the native production profile as containers', { timeout: 60_000 }, () => {
  const n = native();
  const versions = [
    'TEMPORAL_SERVER_VERSION',
    'TEMPORAL_UI_SERVER_VERSION',
    'TEMPORAL_VERSION',
    'OHIF_VERSION',
    'OHIF_INTEGRITY',
  ];
  // As scripts/docker/init writes .env: the versions from scripts/lib.sh, nothing else (ports and paths default).
  const emptyEnv = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-compose-')), 'empty.env');
  fs.writeFileSync(emptyEnv, '');
  const yaml = execFileSync('docker-compose', ['--env-file', emptyEnv, '-f', 'docker-compose.yml', 'config'], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      ...Object.fromEntries(versions.map((v) => [v, n[v]])),
    },
  });
  const c = JSON.parse(
    execFileSync('python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin)))'], {
      input: yaml,
      encoding: 'utf8',
    }),
  ) as Compose;
  const svc = (name: string): Service => {
    assert.ok(c.services[name], `service ${name} in docker-compose.yml`);
    return c.services[name];
  };

  it('builds every image from this repository on Debian, with the versions of scripts/lib.sh as build args', () => {
    for (const [name, s] of Object.entries(c.services)) {
      assert.ok(s.build?.dockerfile, `${name} is built from a Dockerfile here`);
      const file = read(s.build.dockerfile);
      assert.match(
        file,
        /^FROM \$\{DEBIAN_(BOOKWORM|TRIXIE)\}/m,
        `${s.build.dockerfile} builds on a Debian base image`,
      );
    }
    const t = svc('temporal');
    assert.deepEqual(t.build?.args, {
      TEMPORAL_SERVER_VERSION: n.TEMPORAL_SERVER_VERSION,
      TEMPORAL_UI_SERVER_VERSION: n.TEMPORAL_UI_SERVER_VERSION,
      TEMPORAL_VERSION: n.TEMPORAL_VERSION,
    });
    assert.ok(t.image?.endsWith(`:${n.TEMPORAL_SERVER_VERSION}`), `temporal image ${t.image}`);
    assert.deepEqual(svc('worker-io').build?.args, { OHIF_VERSION: n.OHIF_VERSION, OHIF_INTEGRITY: n.OHIF_INTEGRITY });
    // No second copy of a version: the Dockerfiles declare the build args without defaults.
    for (const f of ['docker/temporal/Dockerfile', 'Dockerfile', 'docker-compose.yml']) {
      const text = read(f);
      for (const v of [n.TEMPORAL_SERVER_VERSION, n.TEMPORAL_UI_SERVER_VERSION, n.TEMPORAL_VERSION, n.OHIF_VERSION])
        assert.ok(!text.includes(v), `${f} repeats version ${v}`);
    }
    // The same Go build as natively: the image calls install_production_binaries from scripts/production.sh.
    assert.match(read('docker/temporal/Dockerfile'), /install_production_binaries/);
    const pgMajor = /postgresql\/(\d+)\//.exec(n.pgbin)?.[1];
    assert.ok(pgMajor, `native PostgreSQL found (${n.pgbin})`);
    assert.match(
      read('docker/postgres/Dockerfile'),
      new RegExp(`postgresql-${pgMajor}\\b`),
      'PostgreSQL major version',
    );
  });

  it('runs the native profile functions and files: schema tool, server config, namespace, roles, orthanc.json family', () => {
    const temporal = read('docker', 'temporal', 'entrypoint.sh');
    for (const f of [
      'temporal_schema temporal temporal',
      'temporal_schema temporal_visibility visibility',
      'write_temporal_server_config',
      'temporal_namespace_setup',
      'write_temporal_ui_config',
    ])
      assert.ok(temporal.includes(f), `docker/temporal/entrypoint.sh runs ${f}`);
    assert.match(read('docker', 'postgres', 'entrypoint.sh'), /^pg_setup_roles$/m);
    const orthanc = read('docker', 'orthanc', 'entrypoint.sh');
    assert.match(orthanc, /runtime-config\.js \/cxr\/orthanc\.json .* \/cxr\/orthanc\.production\.json/s);
    assert.match(
      read('scripts', 'services'),
      /scripts\/orthanc\/runtime-config\.js/,
      'native writes it with the same script',
    );
    assert.equal(svc('temporal-init').environment?.CXR_NAMESPACE_RETENTION, n.retention);
    assert.deepEqual(svc('temporal').command, ['server']);
  });

  it('runs io and inference workers as separate services over mTLS and HTTPS, with metrics', () => {
    for (const [name, role] of [
      ['worker-io', 'io'],
      ['worker-inference', 'inference'],
    ] as const) {
      const e = svc(name).environment ?? {};
      assert.equal(e.CXR_WORKER_ROLE, role);
      assert.ok(e.TEMPORAL_TLS_CLIENT_CERT_PATH && e.TEMPORAL_TLS_CLIENT_KEY_PATH, `${name}: client certificate`);
      assert.match(e.ORTHANC_URL ?? '', /^https:/);
      assert.ok(e.ORTHANC_CA_FILE && e.CXR_METRICS_ADDRESS);
    }
    assert.ok(!c.services.worker, 'no all-role worker service');
  });

  it('publishes on 127.0.0.1 only, keeps db and app networks internal, passes secrets as files', () => {
    for (const [name, s] of Object.entries(c.services)) {
      for (const p of s.ports ?? []) {
        const hostIp = typeof p === 'string' ? p.split(':')[0] : p.host_ip;
        assert.equal(hostIp, '127.0.0.1', `${name} publishes ${JSON.stringify(p)}`);
      }
      for (const [k, v] of Object.entries(s.environment ?? {}))
        assert.ok(!/PASSWORD|SECRET/.test(k) || v === null, `${name}: ${k} in the environment (use a secret file)`);
      if (s.restart !== 'no') assert.ok(s.healthcheck?.test && !s.healthcheck.disable, `${name} has a healthcheck`);
    }
    assert.equal(c.networks.db?.internal, true);
    assert.equal(c.networks.app?.internal, true);
    assert.deepEqual(
      Object.keys(svc('postgresql').networks ?? {}),
      ['db'],
      'PostgreSQL only on the internal db network',
    );
    assert.ok((svc('orthanc').secrets ?? []).length > 0 && (svc('postgresql').secrets ?? []).length > 0);
  });
});
