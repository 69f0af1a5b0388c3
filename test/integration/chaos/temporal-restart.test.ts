/**
 * Chaos: the Temporal dev server is stopped mid-ingest and started again on the same SQLite file
 * (--db-filename). The workflow state lives in that file, so the ingest resumes where it was; the worker
 * process keeps running and reconnects by itself (the test records whether it had to be restarted);
 * activities that completed while the server was down are retried and are idempotent.
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
const DOWN_S = Number(process.env.CXR_CHAOS_TEMPORAL_DOWN_S ?? 10);

describe('chaos: Temporal server restarted mid-ingest', () => {
  let env: ChaosEnv;
  let ok = false;
  before(async () => {
    env = await startChaosEnv('temporal-restart');
  });
  after(async () => env?.teardown({ keepData: !ok }));

  it(`completes an ingest of ${N} instances across a Temporal server restart`, { timeout: 5 * 60_000 }, async () => {
    const z = syntheticZip(env.dataDir, `chaos-temporal-${Date.now()}`, N);
    const t0 = Date.now();
    const s = await startOrAttachIngest(env.client, env.config, z.zipPath, { continueAsNewEvery: 100, pageSize: 50 });
    while (((await closedChildren(env.client)) ?? 0) < 30) await sleep(250);
    const closedAtStop = await closedChildren(env.client);
    const down = Date.now();
    env.services('stop', 'temporal');
    await sleep(DOWN_S * 1000);
    env.services('start', 'temporal');
    const outage = (Date.now() - down) / 1000;
    const workerAlive = env.worker.running;
    let workerRestarts = 0;
    let finished = false;
    const watchdog = (async () => {
      // If the worker gave up on the server while it was down, restart it (and report it).
      while (!finished) {
        await sleep(1000);
        if (!finished && !env.worker.running) {
          workerRestarts++;
          await env.worker.start();
        }
      }
    })();
    const result = await waitForIngest(env.client, s.ingestId, 4 * 60_000).finally(() => {
      finished = true;
    });
    await watchdog;
    const wall = (Date.now() - t0) / 1000;
    const { figures, problems } = await checkAccounting(env, s.ingestId, z, result);
    console.log(
      figuresLine('temporal-restart', {
        ...figures,
        outage_s: outage.toFixed(1),
        closedAtStop: `${closedAtStop}/${N}`,
        workerSurvivedRestart: workerAlive,
        workerRestartsNeeded: workerRestarts,
        unexpectedWorkerExits: env.worker.unexpectedExits,
        runs: result.runs,
        kills: 0,
        wall_s: wall.toFixed(1),
      }),
    );
    assert.deepEqual(problems, []);
    assert.equal(figures.duplicates, 0);
    assert.equal(figures.lost, 0);
    ok = true;
  });
});
