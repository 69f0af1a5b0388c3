/**
 * Chaos: the Temporal dev server is crashed mid-ingest with SIGKILL (no shutdown, no flush) and started again on
 * the same SQLite file (--db-filename). The workflow state lives in that file, so the ingest resumes where it
 * was; the worker process keeps running and reconnects by itself (the test records whether it had to be
 * restarted); activities caught by the crash are retried and are idempotent.
 * The ingest is started and followed by the operator's own command, `cxr ingest <zip> --json`, as a child
 * process: it must say that Temporal is unreachable, wait, resume following, and exit 0 with the full accounting.
 * The test asserts the crash happened (the server stopped answering) and that work was retried.
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
const DOWN_S = Number(process.env.CXR_CHAOS_TEMPORAL_DOWN_S ?? 15);

describe('chaos: Temporal server crashed (SIGKILL) mid-ingest', () => {
  let env: ChaosEnv;
  let ok = false;
  before(async () => {
    env = await startChaosEnv('temporal-restart');
  });
  after(async () => env?.teardown({ keepData: !ok }));

  it(
    `completes an ingest of ${N} instances across a Temporal server crash; the CLI follows it through`,
    { timeout: 6 * 60_000 },
    async () => {
      const z = syntheticZip(env.dataDir, `chaos-temporal-${Date.now()}`, N);
      const ingestId = ingestWorkflowId(await sha256File(z.zipPath));
      const t0 = Date.now();
      const cli = env.cli(['ingest', z.zipPath, '--json', '--continue-as-new-every', '100'], {
        env: { CXR_TEMPORAL_WAIT_S: '180' },
      });
      // Kill with most of the ingest still to do: after 30 children (a quarter of a small run, e.g. the production
      // pass's 40), so the crash meets work in flight rather than the last few entries.
      const killAfter = Math.min(30, Math.floor(N / 4));
      while (((await closedChildren(env.client)) ?? 0) < killAfter) await sleep(250);
      // A second operator follows the same ingest with `watch`.
      const watch = env.cli(['watch', ingestId, '--json'], { env: { CXR_TEMPORAL_WAIT_S: '180' } });
      await sleep(1000);
      const closedAtKill = await closedChildren(env.client);
      const down = Date.now();
      const kill = await killService(env, 'temporal');
      // A third asks for the status while the server is down: it must wait for it, not fail.
      const status = env.cli(['status', ingestId, '--json'], { env: { CXR_TEMPORAL_WAIT_S: '180' } });
      await sleep(DOWN_S * 1000);
      const answeringWhileDown = await env.answering('temporal');
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
      const run = await cli.done.finally(() => {
        finished = true;
      });
      await watchdog;
      const [watched, stat] = [await watch.done, await status.done];
      const result = await waitForIngest(env.client, ingestId, 60_000);
      const wall = (Date.now() - t0) / 1000;
      const { figures, problems } = await checkAccounting(env, ingestId, z, result);
      const notices = run.stderr.split('\n').filter((l) => /unreachable|answers again/.test(l));
      console.log(
        figuresLine('temporal-restart', {
          ...figures,
          outage_s: outage.toFixed(1),
          closedAtKill: `${closedAtKill}/${N}`,
          answeringAfterKill: kill.answeringAfterKill,
          cliExit: run.code,
          cliOutageNotices: notices.length,
          watchExit: watched.code,
          statusExit: stat.code,
          workerSurvivedRestart: workerAlive,
          workerRestartsNeeded: workerRestarts,
          unexpectedWorkerExits: env.worker.unexpectedExits,
          runs: result.runs,
          kills: 1,
          wall_s: wall.toFixed(1),
        }),
      );
      // The fault really happened.
      assert.equal(kill.answeringAfterKill, false, 'Temporal still answered after SIGKILL');
      assert.equal(answeringWhileDown, false, 'Temporal answered during the outage');
      // The operator's command survived it, said so, and reported the complete accounting.
      assert.equal(run.code, 0, `cxr ingest exited ${run.code}:\n${run.stderr.slice(-3000)}`);
      assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
      assert.ok(
        notices.some((l) => /Temporal at .* is unreachable/.test(l)),
        run.stderr.slice(-3000),
      );
      assert.ok(
        notices.some((l) => /answers again/.test(l)),
        run.stderr.slice(-3000),
      );
      const [report] = JSON.parse(run.stdout) as IngestResult[];
      assert.equal(report.ingestId, ingestId);
      assert.deepEqual(report.counts, { total: N, done: N, failed: 0, skipped: 0 });
      // Nothing lost, nothing duplicated, and the crash cost retries that then succeeded.
      assert.deepEqual(problems, []);
      assert.equal(figures.duplicates, 0);
      assert.equal(figures.lost, 0);
      assert.ok(figures.retriedSteps > 0, 'no step was retried: the crash did not hit any work');
      ok = true;
    },
  );
});
