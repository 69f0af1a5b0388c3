/**
 * Chaos: the worker process is SIGKILLed at random moments during an ingest of a few hundred small synthetic
 * radiographs, and restarted each time. Abandoned workflow tasks time out (10 s) and move to the new worker;
 * abandoned activities are retried after their heartbeat / start-to-close timeout. The ingest must complete
 * with every entry accounted once, one copy of each image and one SR per image in Orthanc.
 * The ingest is started and followed by `cxr ingest <zip> --json` as an operator runs it (exit code and accounting
 * asserted); each kill is checked to have really stopped the worker, and the kills must have cost retried steps.
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
  prng,
  sleep,
  startChaosEnv,
  syntheticZip,
  waitForIngest,
} from '../../helpers/chaos';

const N = Number(process.env.CXR_CHAOS_INSTANCES ?? 240);
const KILLS = Number(process.env.CXR_CHAOS_KILLS ?? 3);

describe('chaos: worker SIGKILLed mid-ingest', () => {
  let env: ChaosEnv;
  let ok = false;
  before(async () => {
    env = await startChaosEnv('worker-kill');
  });
  after(async () => env?.teardown({ keepData: !ok }));

  it(
    `completes an ingest of ${N} instances with ${KILLS} worker kills, nothing lost or duplicated`,
    { timeout: 6 * 60_000 },
    async () => {
      const seed = Number(process.env.CXR_CHAOS_SEED ?? Date.now() % 100_000);
      const rnd = prng(seed);
      const z = syntheticZip(env.dataDir, `chaos-kill-${seed}`, N);
      const t0 = Date.now();
      const ingestId = ingestWorkflowId(await sha256File(z.zipPath));
      const cli = env.cli(['ingest', z.zipPath, '--json', '--continue-as-new-every', '100']);
      const s = { ingestId };
      const kills: string[] = [];
      const stillAnswering: number[] = [];
      for (let k = 0; k < KILLS; k++) {
        // Kill k lands at a random point of the k-th slice of 5%..85% progress, so kills hit early work,
        // later runs (after continue-as-new) and everything between; plus a random sub-second offset.
        const target = Math.floor(N * (0.05 + (0.8 * (k + rnd())) / KILLS));
        while (((await closedChildren(env.client)) ?? 0) < target) await sleep(200);
        await sleep(rnd() * 1000);
        const closed = await closedChildren(env.client);
        if ((await env.client.workflow.getHandle(s.ingestId).describe()).status.name !== 'RUNNING') break;
        if ((await killService(env, 'worker')).answeringAfterKill) stillAnswering.push(k);
        kills.push(`${((Date.now() - t0) / 1000).toFixed(1)}s@${closed ?? '?'}/${N}`);
        await sleep(rnd() * 3000);
        await env.worker.start();
      }
      const run = await cli.done;
      const result = await waitForIngest(env.client, s.ingestId, 60_000);
      const wall = (Date.now() - t0) / 1000;
      const { figures, problems } = await checkAccounting(env, s.ingestId, z, result);
      console.log(
        figuresLine('worker-kill', {
          seed,
          ...figures,
          kills: kills.length,
          killedAt: kills,
          runs: result.runs,
          unexpectedWorkerExits: env.worker.unexpectedExits,
          cliExit: run.code,
          outage_s: 0,
          wall_s: wall.toFixed(1),
        }),
      );
      assert.deepEqual(stillAnswering, [], 'the worker was still running after SIGKILL');
      assert.equal(run.code, 0, `cxr ingest exited ${run.code}:\n${run.stderr.slice(-3000)}`);
      const [report] = JSON.parse(run.stdout) as IngestResult[];
      assert.deepEqual(report.counts, { total: N, done: N, failed: 0, skipped: 0 });
      assert.deepEqual(problems, []);
      assert.equal(kills.length, KILLS, 'every kill landed while the ingest was running');
      assert.ok(figures.retriedSteps > 0, 'no step was retried: the kills did not hit any work');
      assert.equal(figures.duplicates, 0);
      assert.equal(figures.lost, 0);
      ok = true;
    },
  );
});
