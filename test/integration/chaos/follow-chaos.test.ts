/**
 * Chaos for `cxr follow`: chest X-rays arrive by C-STORE (dcmtk storescu) in small batches while the worker process is
 * SIGKILLed and restarted, and then Orthanc itself is SIGKILLed (a crash, not a clean stop) and started again on the
 * same storage. Every chest X-ray that arrived (is in Orthanc at the end) ends with exactly one SR, nothing fails, and
 * the follower's accounting matches. A CT sent alongside is never classified. Private Temporal + Orthanc + worker
 * process (test/helpers/chaos.ts).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../../src/config';
import { modelOf, startFollow, stopFollow } from '../../../src/cli/stored-runs';
import type { IngestResult } from '../../../src/workflows/types';
import { srCount, storescu, waitFor, writeFiles } from '../../helpers/arrivals';
import { type ChaosEnv, sleep, startChaosEnv } from '../../helpers/chaos';
import { syntheticCr, uidFrom } from '../../helpers/synthetic-dicom';

const N = Number(process.env.CXR_CHAOS_FOLLOW_INSTANCES ?? 40);
const BATCH = 4;

describe('chaos: follow while images arrive', () => {
  let env: ChaosEnv;
  let ok = false;
  before(async () => {
    env = await startChaosEnv('follow');
  });
  after(async () => env?.teardown({ keepData: !ok }));

  it(
    `every arrived chest X-ray of ${N} ends with exactly one SR across a worker SIGKILL and an Orthanc crash`,
    { timeout: 6 * 60_000 },
    async () => {
      const model = modelOf(path.join(PROJECT_ROOT, 'models', 'demo-cxr'));
      const seed = `chaos-follow-${Date.now()}`;
      const f = await startFollow(env.client, env.config, {
        model,
        options: { pageSize: 10, waitMs: 2000, window: 4 },
      });
      const sops = Array.from({ length: N }, (_, i) => uidFrom(`${seed}/sop/${i}`));
      const dir = path.join(env.dataDir, 'arrivals');
      let sent = 0;
      let refused = 0;
      const sender = (async () => {
        for (let b = 0; b < N; b += BATCH) {
          const files = writeFiles(
            dir,
            Array.from({ length: Math.min(BATCH, N - b) }, (_, k) => ({
              name: `img${b + k}.dcm`,
              data: syntheticCr({ seed, index: b + k, studyKey: `S${Math.floor((b + k) / 8)}` }),
            })),
          );
          if (!(await storescu(env.dicomPort, files))) refused++;
          sent = b + files.length;
          await sleep(500);
        }
      })();
      const ct = writeFiles(dir, [{ name: 'ct.dcm', data: syntheticCr({ seed, index: N, modality: 'CT' }) }]);
      assert.ok(await storescu(env.dicomPort, ct));

      while (sent < N / 4) await sleep(100);
      await env.worker.kill('SIGKILL');
      await sleep(3000);
      await env.worker.start();

      while (sent < N / 2) await sleep(100);
      const orthancPid = Number(fs.readFileSync(path.join(env.dataDir, 'run', 'orthanc.pid'), 'utf8').trim());
      process.kill(orthancPid, 'SIGKILL');
      await waitFor('Orthanc to be down', 10_000, async () => {
        try {
          await env.orthanc.getSystem();
          return false;
        } catch {
          return true;
        }
      });
      await sleep(4000);
      env.services('start', 'orthanc');
      await sender;

      // What arrived is what Orthanc holds now (a batch sent while it was down was refused).
      const arrived: string[] = [];
      for (const sop of sops) if ((await env.orthanc.lookup(sop, 'Instance')).length > 0) arrived.push(sop);
      assert.ok(arrived.length >= N / 2, `${arrived.length} of ${N} arrived`);
      const t0 = Date.now();
      for (const sop of arrived) {
        await waitFor(`the SR of ${sop}`, 3 * 60_000, async () => (await srCount(env.orthanc, sop, model)) === 1);
      }
      const settle = Date.now() - t0;
      const srs = await env.orthanc.find('Instance', { Modality: 'SR' });
      assert.equal(srs.length, arrived.length, 'exactly one SR per arrived chest X-ray, none for the CT');
      const result = (await stopFollow(env.client, f.started ? f.workflowId : '')) as IngestResult;
      assert.equal(result.counts.failed, 0, JSON.stringify(result.recentProblems));
      assert.equal(result.counts.done + (result.current ?? 0), arrived.length);
      assert.equal(result.counts.total, arrived.length + 1, 'the CT is counted, skipped');
      console.log(
        `follow-chaos: sent ${N} (+1 CT), ${refused} batch(es) refused while Orthanc was down, arrived ${arrived.length}, ` +
          `done ${result.counts.done}, already reported ${result.current}, ${result.runs} run(s), ` +
          `last SR ${settle} ms after the last send`,
      );
      ok = true;
    },
  );
});
