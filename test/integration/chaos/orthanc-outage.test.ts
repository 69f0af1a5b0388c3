/**
 * Chaos: Orthanc is crashed mid-ingest with SIGKILL and stays down longer than the activities' first retries
 * (25 s by default), then is started again on the same storage. Activities fail with OrthancUnavailable
 * (retryable) and back off (1, 2, 4, 8, 16, 30 s); after the outage the next attempts succeed, up to 30 s later.
 * Uploads that Orthanc stored just before it died answer AlreadyStored on retry. Nothing is lost or stored twice.
 * The ingest is started and followed by `cxr ingest <zip> --json` as an operator runs it; the test asserts its exit
 * code and accounting, that the crash happened (Orthanc stopped answering) and that steps were retried.
 * Runs against a private Temporal dev server and Orthanc (test/helpers/chaos.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ingestWorkflowId, sha256File } from '../../../src/cli/ingest-id';
import type { IngestResult } from '../../../src/workflows/types';
import {
  type ChaosEnv,
  checkAccounting,
  closedChildren,
  figuresLine,
  killService,
  sleep,
  startChaosEnv,
  syntheticZip,
  waitForIngest,
} from '../../helpers/chaos';

const N = Number(process.env.CXR_CHAOS_INSTANCES ?? 200);
const OUTAGE_S = Number(process.env.CXR_CHAOS_OUTAGE_S ?? 25);

describe('chaos: Orthanc crashed (SIGKILL) mid-ingest', () => {
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
      const ingestId = ingestWorkflowId(await sha256File(z.zipPath));
      const t0 = Date.now();
      const cli = env.cli(['ingest', z.zipPath, '--json', '--continue-as-new-every', '100']);
      // Let some entries finish, then crash it.
      while (((await closedChildren(env.client)) ?? 0) < 20) await sleep(250);
      const closedAtKill = await closedChildren(env.client);
      const down = Date.now();
      const kill = await killService(env, 'orthanc');
      await sleep(OUTAGE_S * 1000);
      const answeringWhileDown = await env.answering('orthanc');
      const closedDuring = (await closedChildren(env.client)) ?? 0;
      const stillRunning = (await env.client.workflow.getHandle(ingestId).describe()).status.name === 'RUNNING';
      env.services('start', 'orthanc');
      const outage = (Date.now() - down) / 1000;
      const up = Date.now();
      // First child to finish after Orthanc came back: how long the retries' backoff kept us waiting.
      while (((await closedChildren(env.client)) ?? 0) <= closedDuring) await sleep(250);
      const resumedAfter = (Date.now() - up) / 1000;
      const run = await cli.done;
      const result = await waitForIngest(env.client, ingestId, 60_000);
      const wall = (Date.now() - t0) / 1000;
      const { figures, problems } = await checkAccounting(env, ingestId, z, result);
      console.log(
        figuresLine('orthanc-outage', {
          ...figures,
          outage_s: outage.toFixed(1),
          closedAtKill: `${closedAtKill}/${N}`,
          answeringAfterKill: kill.answeringAfterKill,
          closedDuringOutage: closedDuring,
          resumed_s_after_restart: resumedAfter.toFixed(1),
          cliExit: run.code,
          runs: result.runs,
          kills: 1,
          wall_s: wall.toFixed(1),
        }),
      );
      assert.equal(kill.answeringAfterKill, false, 'Orthanc still answered after SIGKILL');
      assert.equal(answeringWhileDown, false, 'Orthanc answered during the outage');
      assert.ok(stillRunning, 'the outage hit while the ingest was running');
      assert.equal(run.code, 0, `cxr ingest exited ${run.code}:\n${run.stderr.slice(-3000)}`);
      const [report] = JSON.parse(run.stdout) as IngestResult[];
      assert.deepEqual(report.counts, { total: N, done: N, failed: 0, skipped: 0 });
      assert.deepEqual(problems, []);
      assert.equal(figures.duplicates, 0);
      assert.equal(figures.lost, 0);
      assert.ok(figures.retriedSteps > 0, 'no step was retried: the outage did not hit any work');
      ok = true;
    },
  );
});
