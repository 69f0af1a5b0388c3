/**
 * Trust but verify (issue 16), on the real dev server and Orthanc with the compiled CLI:
 *  - `verify` names exactly the sources and SRs deleted through Orthanc's REST API, and a fingerprint mismatch;
 *  - `verify --repair` re-runs exactly the missing entries as a linked ingest (<ingest>-repair-1, CxrRetryOf),
 *    Orthanc ends with every image and one SR each, nothing duplicated; a second verify is clean and a second
 *    --repair starts nothing;
 *  - re-submitting the zip attaches and says when the ingest completed and how to verify or re-run it;
 *    `ingest --again` starts <ingest>-again-1, which re-runs every entry and stores nothing new;
 *  - after the retention deleted the ingest's history (simulated with DeleteWorkflowExecution, the deletion the
 *    retention timer performs), the same zip starts a fresh ingest under the same ID and stores nothing new.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WorkflowNotFoundError } from '@temporalio/client';
import { readManifest } from '../../../src/inference/manifest';
import { deriveReportUids } from '../../../src/dicom/uids';
import { SOURCE_SHA_METADATA } from '../../../src/orthanc/client';
import type { VerifyOutput } from '../../../src/cli/commands/verify';
import { formatRetention } from '../../../src/cli/commands/doctor';
import * as SA from '../../../src/workflows/search-attributes';
import type { EntryOutcome, IngestResult } from '../../../src/workflows/types';
import { startTestPipeline, type TestPipeline, uniqueQueue } from '../../helpers/pipeline';
import { studyObjects } from '../../helpers/study-objects';
import { assertBuilt, runCli, writeZip } from './run-cli';

const N = 6;

describe('cxr verify / verify --repair / ingest --again', { timeout: 8 * 60_000 }, () => {
  let p: TestPipeline;
  let env: Record<string, string>;
  let zip: string;
  let ingest: IngestResult;
  let outcomes: EntryOutcome[];
  const seed = `verify-${Date.now()}`;

  /** Orthanc IDs holding a UID (instance level). */
  const holders = (uid: string): Promise<string[]> => p.orthanc.lookup(uid, 'Instance');
  const srUid = (sop: string): string => {
    const m = readManifest(p.config.modelDir);
    return deriveReportUids(sop, m.id, m.version).sopInstanceUid;
  };
  /** Every image once and its SR once, and the study holds exactly those 2N instances (besides the heatmaps). */
  const assertOrthancComplete = async (): Promise<void> => {
    for (const o of outcomes) {
      assert.equal((await holders(o.sopInstanceUid!)).length, 1, `source of #${o.index}`);
      assert.equal((await holders(srUid(o.sopInstanceUid!))).length, 1, `SR of #${o.index}`);
    }
    const [study] = await p.orthanc.lookup(outcomes[0].studyInstanceUid!, 'Study');
    assert.equal((await studyObjects(p.orthanc, study)).instances.length, 2 * N, 'study holds N images + N SRs');
  };

  before(async () => {
    assertBuilt();
    p = await startTestPipeline({ taskQueue: uniqueQueue('cli-verify') });
    env = { CXR_TASK_QUEUE: p.config.temporal.taskQueue };
    zip = writeZip(`${seed}.zip`, seed, N);
    const run = await runCli(['ingest', zip, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    [ingest] = JSON.parse(run.stdout) as IngestResult[];
    assert.equal(ingest.counts.done, N);
    outcomes = [];
    for (let i = 0; i < N; i++)
      outcomes.push((await p.env.client.workflow.getHandle(`${ingest.ingestId}/${i}`).result()) as EntryOutcome);
    for (const o of outcomes)
      assert.match(o.sourceSha256 ?? '', /^[0-9a-f]{64}$/, 'the outcome records the fingerprint');
  });
  after(async () => p?.stop());

  it('verify is clean right after the ingest', async () => {
    const run = await runCli(['verify', zip, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const v = JSON.parse(run.stdout) as VerifyOutput;
    assert.equal(v.ingestId, ingest.ingestId);
    assert.equal(v.checked, N);
    assert.equal(v.ok, N);
    assert.deepEqual(v.problems, []);
  });

  it('verify names exactly the deleted sources and SRs and a mismatch; --repair restores exactly those', async () => {
    // Sources of #1 and #3 deleted, SRs of #3 and #4 deleted, the fingerprint of #0 altered.
    for (const i of [1, 3]) await p.orthanc.deleteResource('Instance', outcomes[i].orthancId!);
    for (const i of [3, 4])
      for (const id of await holders(srUid(outcomes[i].sopInstanceUid!)))
        await p.orthanc.deleteResource('Instance', id);
    const realSha = outcomes[0].sourceSha256!;
    await p.orthanc.setInstanceMetadata(outcomes[0].orthancId!, SOURCE_SHA_METADATA, '0'.repeat(64));

    const run = await runCli(['verify', ingest.ingestId, '--json'], env);
    assert.equal(run.code, 5, run.stderr);
    const v = JSON.parse(run.stdout) as VerifyOutput;
    assert.equal(v.checked, N);
    assert.deepEqual(
      v.problems.map((f) => [f.index, f.name, f.source, f.report]),
      [
        [0, outcomes[0].name, 'mismatch', 'present'],
        [1, outcomes[1].name, 'missing', 'present'],
        [3, outcomes[3].name, 'missing', 'missing'],
        [4, outcomes[4].name, 'present', 'missing'],
      ],
    );
    assert.deepEqual([v.missingSource, v.missingReport, v.mismatched, v.ok], [2, 2, 1, 2]);
    const text = await runCli(['verify', zip], env);
    assert.equal(text.code, 5);
    assert.match(text.stdout, /missing source 2 +missing SR 2 +mismatched 1/);
    assert.match(text.stdout, /--repair/);

    await p.orthanc.setInstanceMetadata(outcomes[0].orthancId!, SOURCE_SHA_METADATA, realSha);
    const rep = await runCli(['verify', zip, '--repair', '--json'], env);
    assert.equal(rep.code, 0, rep.stderr);
    const r = JSON.parse(rep.stdout) as VerifyOutput;
    assert.equal(r.repair?.ingestId, `${ingest.ingestId}-repair-1`);
    assert.equal(r.repair?.attached, false);
    const report = r.repair?.report as IngestResult;
    assert.deepEqual(report.counts, { total: 3, done: 3, failed: 0, skipped: 0 });
    assert.equal(report.retryOf, ingest.ingestId);
    const info = await p.env.client.workflow.getHandle(r.repair!.ingestId).describe();
    assert.equal(info.typedSearchAttributes.get(SA.RETRY_OF), ingest.ingestId);
    // Exactly the missing entries were re-run.
    const children: string[] = [];
    for await (const w of p.env.client.workflow.list({ query: `WorkflowId STARTS_WITH '${r.repair!.ingestId}/'` }))
      children.push(w.workflowId.split('/')[1]);
    assert.deepEqual(children.sort(), ['1', '3', '4']);
    await assertOrthancComplete();

    const again = await runCli(['verify', zip, '--json'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual((JSON.parse(again.stdout) as VerifyOutput).problems, []);
    const noop = await runCli(['verify', zip, '--repair'], env);
    assert.equal(noop.code, 0, noop.stderr);
    assert.match(noop.stdout, /Nothing to repair/);
    await assert.rejects(
      p.env.client.workflow.getHandle(`${ingest.ingestId}-repair-2`).describe(),
      WorkflowNotFoundError,
    );
    // The repair ingest is verifiable too.
    const vr = await runCli(['verify', r.repair!.ingestId, '--json'], env);
    assert.equal(vr.code, 0, vr.stderr);
    assert.equal((JSON.parse(vr.stdout) as VerifyOutput).checked, 3);
  });

  it('re-submitting attaches and says when it completed; --again re-runs and stores nothing new', async () => {
    const attach = await runCli(['ingest', zip], env);
    assert.equal(attach.code, 0, attach.stderr);
    assert.match(attach.stderr, /attached to existing ingest .* it completed at \d{4}-\d\d-\d\dT/);
    assert.match(attach.stderr, /cxr verify /);
    assert.match(attach.stderr, /cxr ingest --again /);

    const before = (await p.orthanc.getStatistics()).CountInstances;
    const run = await runCli(['ingest', zip, '--again', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const [again] = JSON.parse(run.stdout) as IngestResult[];
    assert.equal(again.ingestId, `${ingest.ingestId}-again-1`);
    assert.equal(again.retryOf, ingest.ingestId);
    assert.deepEqual(again.counts, { total: N, done: N, failed: 0, skipped: 0 });
    for (let i = 0; i < N; i++) {
      const o = (await p.env.client.workflow.getHandle(`${again.ingestId}/${i}`).result()) as EntryOutcome;
      assert.equal(o.alreadyStored, true, `#${i} was already in Orthanc`);
    }
    assert.equal((await p.orthanc.getStatistics()).CountInstances, before, 'nothing new stored');
    await assertOrthancComplete();
  });

  it('after the retention removed the history, the same zip starts a fresh ingest that stores nothing new', async () => {
    // doctor shows the retention in force (scripts/services sets it from CXR_NAMESPACE_RETENTION).
    const ns = await p.env.client.workflowService.describeNamespace({ namespace: p.config.temporal.namespace });
    const seconds = Number(ns.config?.workflowExecutionRetentionTtl?.seconds ?? 0);
    const doctor = JSON.parse((await runCli(['doctor', '--json'], env)).stdout) as {
      checks: { name: string; ok: boolean; detail: string }[];
    };
    const check = doctor.checks.find((c) => c.name === 'namespace retention');
    assert.ok(check?.ok, JSON.stringify(check));
    assert.ok(check.detail.startsWith(`${formatRetention(seconds)} `), check.detail);

    // What the namespace retention does to a closed execution: delete it (parent and children).
    const ids = [ingest.ingestId, ...outcomes.map((o) => `${ingest.ingestId}/${o.index}`)];
    for (const workflowId of ids)
      await p.env.client.workflowService.deleteWorkflowExecution({
        namespace: p.config.temporal.namespace,
        workflowExecution: { workflowId },
      });
    for (const workflowId of ids) {
      for (let t = 0; ; t++) {
        try {
          await p.env.client.workflow.getHandle(workflowId).describe();
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) break;
          throw err;
        }
        assert.ok(t < 100, `${workflowId} still there after 20 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    const gone = await runCli(['verify', ingest.ingestId], env);
    assert.equal(gone.code, 4);
    assert.match(gone.stderr, /retention/);

    const before = (await p.orthanc.getStatistics()).CountInstances;
    const run = await runCli(['ingest', zip, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const [fresh] = JSON.parse(run.stdout) as IngestResult[];
    assert.equal(fresh.ingestId, ingest.ingestId, 'same ID: a new execution');
    assert.deepEqual(fresh.counts, { total: N, done: N, failed: 0, skipped: 0 });
    assert.equal((await p.orthanc.getStatistics()).CountInstances, before, 'nothing new stored');
    const v = await runCli(['verify', zip, '--json'], env);
    assert.equal(v.code, 0, v.stderr);
    assert.equal((JSON.parse(v.stdout) as VerifyOutput).checked, N);
  });
});
