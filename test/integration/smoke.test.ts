/** Foundation smoke test: the real dev server runs a workflow; the real Orthanc stores, serves and guards. */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import axios from 'axios';
import { Worker } from '@temporalio/worker';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { vulnerabilitiesOf } from '../../src/cli/known-vulnerabilities';
import { loadConfig } from '../../src/config';
import { OrthancClient } from '../../src/orthanc/client';
import { healthCheckWorkflow } from '../../src/workflows';
import { FIXTURES, quietRuntime, uniqueQueue, workflowBundle } from '../helpers/pipeline';

describe('smoke: real services', { timeout: 10 * 60_000 }, () => {
  const config = loadConfig();

  it('a worker on a real task queue runs a workflow started by a real client', async () => {
    quietRuntime();
    const env = await TestWorkflowEnvironment.createFromExistingServer({ address: config.temporal.address });
    const taskQueue = uniqueQueue('smoke');
    const worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
    });
    const answer = await worker.runUntil(
      env.client.workflow.execute(healthCheckWorkflow, { taskQueue, workflowId: `${taskQueue}-ping`, args: ['ping'] }),
    );
    assert.equal(answer, `ping: worker on ${taskQueue} is alive`);
    // The dev server the CLI embeds is off the versions with published vulnerabilities (CVE-2025-14986: 1.24.0-1.29.1).
    const { serverVersion } = await env.client.workflowService.getSystemInfo({});
    console.log(`[smoke] Temporal server ${serverVersion}`);
    assert.deepEqual(
      vulnerabilitiesOf('temporal-server', serverVersion ?? '').map((v) => v.id),
      [],
      `dev server ${serverVersion}`,
    );
    assert.ok(serverVersion?.startsWith('1.'), `server version reported (${serverVersion})`);
    await env.teardown();
  });

  it('uploads a real DICOM to Orthanc with axios and reads it back', async () => {
    const orthanc = new OrthancClient(config.orthanc);
    const bytes = fs.readFileSync(path.join(FIXTURES, 'smoke', 'highdicom_dx_image_forpresentation_thorax.dcm'));
    const up = await orthanc.uploadInstance(bytes);
    assert.match(up.status, /^(Success|AlreadyStored)$/);
    const tags = await orthanc.getInstanceTags(up.id);
    assert.equal(tags.Modality, 'DX');
    const file = await orthanc.getInstanceFile(up.id);
    assert.equal(file.length > 1000, true);
    assert.equal(file.subarray(128, 132).toString('latin1'), 'DICM');
  });

  it('Orthanc refuses requests without credentials (401)', async () => {
    const res = await axios.get(`${config.orthanc.url}/system`, { validateStatus: () => true });
    assert.equal(res.status, 401);
    const wrong = await axios.get(`${config.orthanc.url}/system`, {
      auth: { username: 'cxr', password: 'wrong' },
      validateStatus: () => true,
    });
    assert.equal(wrong.status, 401);
  });
});
