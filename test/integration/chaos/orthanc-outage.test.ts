/**
 * Chaos: Orthanc is stopped mid-ingest for longer than the activities' first retries (25 s by default), then
 * started again on the same storage. Activities fail with OrthancUnavailable (retryable) and back off
 * (1, 2, 4, 8, 16, 30 s); after the outage the next attempts succeed, up to 30 s later. Uploads that Orthanc
 * stored just before it went down answer AlreadyStored on retry. Nothing is lost or stored twice.
 * Runs against a private Temporal dev server and Orthanc (test/helpers/chaos.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startOrAttachIngest } from '../../../src/cli/start-ingest';
import {
  type ChaosEnv,
  checkAccounting,
  closedChildren,
  figuresLine,
  sleep,
  startChaosEnv,
  syntheticZip,
  waitForIngest,
} from '../../helpers/chaos';

const N = Number(process.env.CXR_CHAOS_INSTANCES ?? 200);
const OUTAGE_S = Number(process.env.CXR_CHAOS_OUTAGE_S ?? 25);

describe('chaos: Orthanc down mid-ingest', () => {
  let env: ChaosEnv;
  let ok = false;
  before(async () => {
    env = await startChaosEnv('orthanc-outage');
  });
  after(async () => env?.teardown({ keepData: !ok }));

  it(
    `completes an ingest of ${N} instances across a ${OUTAGE_S} s Orthanc outage`,
    { timeout: 5 * 60_000 },
    async () => {
      const z = syntheticZip(env.dataDir, `chaos-orthanc-${Date.now()}`, N);
      const t0 = Date.now();
      const s = await startOrAttachIngest(env.client, env.config, z.zipPath, { continueAsNewEvery: 100, pageSize: 50 });
      // Let some entries finish, then pull the plug.
      while (((await closedChildren(env.client)) ?? 0) < 20) await sleep(250);
      const closedAtStop = await closedChildren(env.client);
      const down = Date.now();
      env.services('stop', 'orthanc');
      await sleep(OUTAGE_S * 1000);
      const closedDuring = (await closedChildren(env.client)) ?? 0;
      const stillRunning = (await env.client.workflow.getHandle(s.ingestId).describe()).status.name === 'RUNNING';
      env.services('start', 'orthanc');
      const outage = (Date.now() - down) / 1000;
      const up = Date.now();
      // First child to finish after Orthanc came back: how long the retries' backoff kept us waiting.
      while (((await closedChildren(env.client)) ?? 0) <= closedDuring) await sleep(250);
      const resumedAfter = (Date.now() - up) / 1000;
      const result = await waitForIngest(env.client, s.ingestId, 4 * 60_000);
      const wall = (Date.now() - t0) / 1000;
      const { figures, problems } = await checkAccounting(env, s.ingestId, z, result);
      console.log(
        figuresLine('orthanc-outage', {
          ...figures,
          outage_s: outage.toFixed(1),
          closedAtStop: `${closedAtStop}/${N}`,
          closedDuringOutage: closedDuring,
          resumed_s_after_restart: resumedAfter.toFixed(1),
          runs: result.runs,
          kills: 0,
          wall_s: wall.toFixed(1),
        }),
      );
      assert.ok(stillRunning, 'the outage hit while the ingest was running');
      assert.deepEqual(problems, []);
      assert.equal(figures.duplicates, 0);
      assert.equal(figures.lost, 0);
      ok = true;
    },
  );
});
