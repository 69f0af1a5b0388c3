/**
 * Chaos, compose profile only: Orthanc is cut off the stack's "app" network (`docker network disconnect`, the
 * network the workers and Temporal share with it) for CXR_CHAOS_CUT_S seconds (25 by default, at least 20)
 * mid-ingest, then connected again under its service name. A partition, not a crash: Orthanc keeps running and
 * keeps answering on its published port, but the workers can neither resolve nor reach it; their uploads,
 * classifications and SR stores fail as OrthancUnavailable (or time out on connections the cut left hanging) and are
 * retried with backoff. After the cut the ingest completes with every entry accounted once, one copy of each image
 * and one SR per image (checkAccounting). The fault is shown to have happened: from inside the io worker's container
 * Orthanc's port is reachable before the cut and unreachable during it, and steps were retried.
 * Runs against a private compose project (test/helpers/chaos.ts, test/helpers/compose.ts).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ingestWorkflowId, sha256File } from '../../../src/cli/ingest-id';
import type { IngestResult } from '../../../src/workflows/types';
import {
  type ChaosEnv,
  checkAccounting,
  closedChildren,
  COMPOSE,
  figuresLine,
  sleep,
  startChaosEnv,
  syntheticZip,
  waitForIngest,
} from '../../helpers/chaos';

const N = Number(process.env.CXR_CHAOS_INSTANCES ?? 200);
const CUT_S = Math.max(20, Number(process.env.CXR_CHAOS_CUT_S ?? 25));

/** Can the io worker's container open a TCP connection to orthanc:8042 (3 s)? */
const REACH = `const s = require('net').connect(8042, 'orthanc'); s.setTimeout(3000);
s.on('connect', () => process.exit(0)); s.on('timeout', () => process.exit(3)); s.on('error', () => process.exit(3));`;

describe(
  'chaos: Orthanc cut off the network mid-ingest (compose profile)',
  { skip: COMPOSE ? false : 'compose profile only (CXR_PROFILE=compose; .ci/run runs it)' },
  () => {
    let env: ChaosEnv;
    let ok = false;
    before(async () => {
      env = await startChaosEnv('network-cut');
    });
    after(async () => env?.teardown({ keepData: !ok }));

    it(
      `completes an ingest of ${N} instances across a ${CUT_S} s network cut of Orthanc`,
      { timeout: 6 * 60_000 },
      async () => {
        const project = env.project!;
        const reach = () => project.exec('worker-io', ['node', '-e', REACH], 90_000).code === 0;
        const z = syntheticZip(env.dataDir, `chaos-netcut-${Date.now()}`, N);
        const ingestId = ingestWorkflowId(await sha256File(z.zipPath));
        const t0 = Date.now();
        const cli = env.cli(['ingest', z.zipPath, '--json', '--continue-as-new-every', '100']);
        const reachableBefore = reach();
        while (((await closedChildren(env.client)) ?? 0) < Math.min(20, Math.floor(N / 4))) await sleep(250);
        const closedAtCut = await closedChildren(env.client);
        const cut = Date.now();
        project.disconnect('orthanc', 'app');
        const reachableDuring = reach();
        const orthancAliveDuring = await env.answering('orthanc');
        await sleep(Math.max(0, CUT_S * 1000 - (Date.now() - cut)));
        const closedDuring = (await closedChildren(env.client)) ?? 0;
        const stillRunning = (await env.client.workflow.getHandle(ingestId).describe()).status.name === 'RUNNING';
        const reachableAtEnd = reach();
        project.reconnect('orthanc', 'app');
        const cutS = (Date.now() - cut) / 1000;
        const up = Date.now();
        while (((await closedChildren(env.client)) ?? 0) <= closedDuring && Date.now() - up < 4 * 60_000)
          await sleep(250);
        const resumedAfter = (Date.now() - up) / 1000;
        const reachableAfter = reach();
        const run = await cli.done;
        const result = await waitForIngest(env.client, ingestId, 60_000);
        const wall = (Date.now() - t0) / 1000;
        const { figures, problems } = await checkAccounting(env, ingestId, z, result);
        console.log(
          figuresLine('orthanc-network-cut', {
            ...figures,
            cut_s: cutS.toFixed(1),
            closedAtCut: `${closedAtCut}/${N}`,
            closedAtEndOfCut: closedDuring,
            reachableBefore,
            reachableDuring,
            reachableAtEnd,
            reachableAfter,
            orthancAliveDuring,
            resumed_s_after_reconnect: resumedAfter.toFixed(1),
            cliExit: run.code,
            runs: result.runs,
            faults: 1,
            wall_s: wall.toFixed(1),
          }),
        );
        // The fault really happened: reachable before, unreachable for the whole cut, reachable again; Orthanc lived.
        assert.ok(reachableBefore, 'the io worker reached orthanc:8042 before the cut');
        assert.equal(reachableDuring, false, 'the io worker still reached Orthanc after the disconnect');
        assert.equal(reachableAtEnd, false, 'the io worker reached Orthanc before the reconnect');
        assert.ok(reachableAfter, 'the io worker reaches Orthanc again after the reconnect');
        assert.ok(orthancAliveDuring, 'Orthanc kept running during the cut (a partition, not a crash)');
        assert.ok(cutS >= 20, `the cut lasted ${cutS} s`);
        assert.ok(stillRunning, 'the cut hit while the ingest was running');
        assert.equal(run.code, 0, `cxr ingest exited ${run.code}:\n${run.stderr.slice(-3000)}`);
        const [report] = JSON.parse(run.stdout) as IngestResult[];
        assert.deepEqual(report.counts, { total: N, done: N, failed: 0, skipped: 0 });
        assert.deepEqual(problems, []);
        assert.equal(figures.duplicates, 0);
        assert.equal(figures.lost, 0);
        assert.ok(figures.retriedSteps > 0, 'no step was retried: the cut did not hit any work');
        ok = true;
      },
    );
  },
);
