/**
 * The compose stack as an operator runs it (compose profile only; .ci/run's third pass): a private project of
 * docker-compose.yml brought up with `up -d` on fresh volumes and the images `CXR_PROFILE=compose scripts/services
 * start` built. Checks what docs/deployment.md "Docker" promises:
 *  - Orthanc answers 401 without the password and 200 with it, over HTTPS with the private CA, on 127.0.0.1 only;
 *  - `docker compose exec worker-io node dist/src/client.js ingest /inbox/<zip>` classifies the bundled samples
 *    (one SR per classified image in Orthanc, nothing failed);
 *  - `docker compose down` then `up -d` keeps the ingest history (Temporal on PostgreSQL), the PACS and the SRs
 *    (named volumes), and re-submitting the zip attaches to the finished ingest instead of running it again.
 * Prints the start-up times ([compose:stack] cold = fresh volumes, warm = after down).
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import AdmZip from 'adm-zip';
import { Client, Connection } from '@temporalio/client';
import { ingestWorkflowId, sha256File } from '../../../src/cli/ingest-id';
import { loadConfig, PROJECT_ROOT, temporalConnectionOptions } from '../../../src/config';
import { OrthancClient } from '../../../src/orthanc/client';
import type { IngestResult } from '../../../src/workflows/types';
import { freePort } from '../../helpers/chaos';
import { COMPOSE, COMPOSE_DIR, ComposeProject } from '../../helpers/compose';

const skip = COMPOSE ? false : 'compose profile only (CXR_PROFILE=compose; .ci/run runs it)';

function get(url: string, ca: string, auth?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = https.get(
      url,
      { ca, headers: auth ? { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {} },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
  });
}

describe(
  'compose stack: up -d, the operator ingest, persistence across down/up',
  { skip, timeout: 15 * 60_000 },
  () => {
    const id = crypto.randomBytes(3).toString('hex');
    const dataDir = path.join(PROJECT_ROOT, 'test-output', `compose-stack-${id}`);
    let project: ComposeProject;
    let config: ReturnType<typeof loadConfig>;
    let orthancPort = 0;
    let ok = false;
    const zipName = 'sample-chest-xrays.zip';
    let first: IngestResult | undefined;
    let before1 = { instances: 0, srs: 0 };

    before(async () => {
      fs.mkdirSync(dataDir, { recursive: true });
      const zip = new AdmZip();
      const dir = path.join(PROJECT_ROOT, 'samples', 'dicom');
      for (const f of fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.dcm'))
        .sort())
        zip.addFile(`samples/${f}`, fs.readFileSync(path.join(dir, f)));
      zip.writeZip(path.join(dataDir, zipName));
      const [t, ui, o, d, v, m] = await Promise.all(Array.from({ length: 6 }, () => freePort()));
      orthancPort = o;
      project = new ComposeProject(`cxr-stack-${id}`, {
        TEMPORAL_PORT: String(t),
        TEMPORAL_UI_PORT: String(ui),
        ORTHANC_HTTP_PORT: String(o),
        ORTHANC_DICOM_PORT: String(d),
        CXR_VIEWER_PORT: String(v),
        TEMPORAL_METRICS_PORT: String(m),
        CXR_INBOX: dataDir,
        CXR_COMPOSE_DIR: COMPOSE_DIR,
      });
      const t0 = Date.now();
      await project.up();
      console.log(
        `[compose:stack] cold start (fresh volumes, built images): up -d to healthy in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      config = loadConfig(
        {},
        {
          ...process.env,
          CXR_PROFILE: 'compose',
          CXR_DATA_DIR: dataDir,
          CXR_TLS_DIR: path.join(COMPOSE_DIR, 'tls'),
          TEMPORAL_ADDRESS: `127.0.0.1:${t}`,
          ORTHANC_URL: `https://127.0.0.1:${o}`,
          ORTHANC_USERNAME: process.env.ORTHANC_USERNAME ?? 'cxr',
          ORTHANC_PASSWORD: fs.readFileSync(path.join(COMPOSE_DIR, 'secrets', 'orthanc-password'), 'utf8').trim(),
        },
      );
    });
    after(() => {
      if (!project) return;
      if (!ok) project.saveLogs(path.join(dataDir, 'compose.log'));
      project.down();
      if (ok) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    const counts = async () => {
      const orthanc = new OrthancClient(config.orthanc);
      const stats = await orthanc.getStatistics();
      return { instances: stats.CountInstances, srs: (await orthanc.find('Instance', { Modality: 'SR' })).length };
    };
    const ingest = () =>
      project.run(
        ['exec', '-T', 'worker-io', 'node', 'dist/src/client.js', 'ingest', `/inbox/${zipName}`, '--json'],
        5 * 60_000,
      );

    it('Orthanc answers 401 without the password and 200 with it (HTTPS, private CA)', async () => {
      const ca = fs.readFileSync(path.join(COMPOSE_DIR, 'tls', 'ca.pem'), 'utf8');
      const url = `https://127.0.0.1:${orthancPort}/system`;
      assert.equal(await get(url, ca), 401);
      assert.equal(await get(url, ca, `${config.orthanc.username}:wrong`), 401);
      assert.equal(await get(url, ca, `${config.orthanc.username}:${config.orthanc.password}`), 200);
    });

    it('docker compose exec worker-io ... ingest /inbox/<zip> classifies the bundled samples', async () => {
      const r = ingest();
      assert.equal(r.code, 0, `ingest exited ${r.code}:\n${r.stderr.slice(-3000)}`);
      [first] = JSON.parse(r.stdout) as IngestResult[];
      assert.equal(first.counts.failed, 0);
      assert.ok(first.counts.done > 0, JSON.stringify(first.counts));
      assert.equal(first.ingestId, ingestWorkflowId(await sha256File(path.join(dataDir, zipName))));
      before1 = await counts();
      assert.equal(before1.srs, first.counts.done, 'one SR per classified image');
      console.log(
        `[compose:stack] ingest ${JSON.stringify(first.counts)}; Orthanc ${before1.instances} instances, ${before1.srs} SRs`,
      );
    });

    it('keeps history, PACS and SRs across down/up; re-submitting attaches to the finished ingest', async () => {
      assert.ok(first, 'the ingest ran');
      project.compose(['down'], 3 * 60_000);
      assert.equal(project.compose(['ps', '-a', '-q']).trim(), '', 'down removed the containers');
      const t0 = Date.now();
      await project.up();
      console.log(
        `[compose:stack] warm start (after down, volumes kept): up -d to healthy in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
      );
      assert.deepEqual(await counts(), before1, 'the PACS and the SRs are still there');
      const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
      try {
        const d = await new Client({ connection, namespace: config.temporal.namespace }).workflow
          .getHandle(first.ingestId)
          .describe();
        assert.equal(d.status.name, 'COMPLETED', 'the ingest history is still there');
      } finally {
        await connection.close();
      }
      const r = ingest();
      assert.equal(r.code, 0, r.stderr.slice(-3000));
      assert.match(r.stderr, /attached to existing ingest .* it completed at/);
      const [again] = JSON.parse(r.stdout) as IngestResult[];
      assert.equal(again.ingestId, first.ingestId);
      assert.deepEqual(again.counts, first.counts);
      assert.deepEqual(await counts(), before1, 'nothing stored twice');
      ok = true;
    });
  },
);
