/**
 * Chaos, production profile only: PostgreSQL (the store of the Temporal server's persistence and visibility AND
 * of Orthanc's index) is SIGKILLed mid-ingest: no shutdown, no checkpoint, every connection cut. It stays down
 * for a while, then is started again on the same data folder (crash recovery replays its WAL). The Temporal
 * server and Orthanc stay up and reconnect by themselves; activities that failed meanwhile are retried and are
 * idempotent. Nothing is lost or stored twice (checkAccounting), and the fault is shown to have happened: the
 * postmaster is gone, its port refuses connections, and Temporal's visibility stops answering.
 * Runs against a private PostgreSQL + Temporal server + Orthanc (test/helpers/chaos.ts); in the compose profile
 * the fault is `docker kill` of the postgresql container (gone: the engine reports it stopped, pg_isready in it
 * cannot answer) and the restart is `docker start`.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startOrAttachIngest } from '../../../src/cli/start-ingest';
import {
  type ChaosEnv,
  checkAccounting,
  closedChildren,
  figuresLine,
  killService,
  PRODUCTION,
  sleep,
  startChaosEnv,
  syntheticZip,
  waitForIngest,
} from '../../helpers/chaos';

const N = Number(process.env.CXR_CHAOS_INSTANCES ?? 200);
const DOWN_S = Number(process.env.CXR_CHAOS_POSTGRES_DOWN_S ?? 10);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe(
  'chaos: PostgreSQL SIGKILLed mid-ingest (production profile)',
  { skip: PRODUCTION ? false : 'production profile only (CXR_PROFILE=production; .ci/run runs it)' },
  () => {
    let env: ChaosEnv;
    let ok = false;
    before(async () => {
      env = await startChaosEnv('postgres-kill');
    });
    after(async () => env?.teardown({ keepData: !ok }));

    it(`completes an ingest of ${N} instances across a PostgreSQL SIGKILL`, { timeout: 6 * 60_000 }, async () => {
      const z = syntheticZip(env.dataDir, `chaos-postgres-${Date.now()}`, N);
      const t0 = Date.now();
      const s = await startOrAttachIngest(env.client, env.config, z.zipPath, { continueAsNewEvery: 100, pageSize: 50 });
      // Kill mid-ingest: once a few entries are done, well before the end.
      while (((await closedChildren(env.client)) ?? 0) < Math.min(30, Math.floor(N / 3))) await sleep(250);
      const closedAtKill = await closedChildren(env.client);
      const down = Date.now();
      const kill = await killService(env, 'postgres');
      // The fault really happened: the postmaster is gone and PostgreSQL refuses connections ...
      for (let i = 0; i < 50 && alive(kill.pid); i++) await sleep(100);
      const postmasterGone = !alive(kill.pid);
      const portRefused = !kill.answeringAfterKill;
      // ... and Temporal's visibility (PostgreSQL) stops answering.
      let visibilityDown = false;
      for (let i = 0; i < 10 && !visibilityDown; i++) {
        visibilityDown = (await closedChildren(env.client)) === undefined;
        if (!visibilityDown) await sleep(500);
      }
      await sleep(Math.max(0, DOWN_S * 1000 - (Date.now() - down)));
      const closedDuring = await closedChildren(env.client);
      env.services('start', 'postgres');
      const outage = (Date.now() - down) / 1000;
      const up = Date.now();
      let resumedAfter = NaN;
      for (;;) {
        const c = await closedChildren(env.client);
        if (c !== undefined && closedAtKill !== undefined && c > closedAtKill) {
          resumedAfter = (Date.now() - up) / 1000;
          break;
        }
        if (Date.now() - up > 3 * 60_000) break;
        await sleep(250);
      }
      const result = await waitForIngest(env.client, s.ingestId, 4 * 60_000);
      const wall = (Date.now() - t0) / 1000;
      const { figures, problems } = await checkAccounting(env, s.ingestId, z, result);
      console.log(
        figuresLine('postgres-kill', {
          ...figures,
          faults: 1,
          outage_s: outage.toFixed(1),
          postmasterGone,
          portRefused,
          visibilityDown,
          closedAtKill: `${closedAtKill}/${N}`,
          closedDuringOutage: closedDuring ?? 'unanswered',
          resumed_s_after_restart: resumedAfter.toFixed(1),
          workerUnexpectedExits: env.worker.unexpectedExits,
          runs: result.runs,
          wall_s: wall.toFixed(1),
        }),
      );
      assert.ok(postmasterGone, 'the SIGKILLed postmaster is gone');
      assert.ok(portRefused, 'PostgreSQL refused connections while down');
      assert.ok(visibilityDown, 'Temporal visibility stopped answering while PostgreSQL was down');
      assert.ok(figures.retriedSteps > 0, 'steps were retried (the outage reached the work)');
      assert.deepEqual(problems, []);
      assert.equal(figures.duplicates, 0);
      assert.equal(figures.lost, 0);
      ok = true;
    });
  },
);
