/**
 * The operator commands on a real ingest with problems: `failures` lists every failed and skipped
 * entry with its typed reason, `retry-failed` re-runs exactly those entries as a new ingest linked
 * to the original (CxrRetryOf), `results` prints the findings read back from the SRs in Orthanc
 * (the same the pipeline computed), `replay` passes on a real history and catches a tampered one,
 * `doctor` sees the test's workers. Compiled CLI; real dev server + Orthanc; workers in-process.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../../src/config';
import * as SA from '../../../src/workflows/search-attributes';
import type { EntryOutcome, IngestResult } from '../../../src/workflows/types';
import type { ReportSummary } from '../../../src/dicom/sr';
import { startTestPipeline, TEST_OUTPUT, type TestPipeline, uniqueQueue } from '../../helpers/pipeline';
import { syntheticCr, uidFrom } from '../../helpers/synthetic-dicom';
import { assertBuilt, runCli, writeZip } from './run-cli';

const N_GOOD = 3;
const execFileP = promisify(execFile);

describe('cxr failures / retry-failed / results / replay / doctor', { timeout: 10 * 60_000 }, () => {
  let p: TestPipeline;
  let env: Record<string, string>;
  let zip: string;
  let ingest: IngestResult;
  const seed = `cmds-${Date.now()}`;

  before(async () => {
    assertBuilt();
    p = await startTestPipeline({ taskQueue: uniqueQueue('cli-cmds') });
    env = { CXR_TASK_QUEUE: p.config.temporal.taskQueue };
    const good = syntheticCr({ seed, index: 900, studyKey: 'A' });
    zip = writeZip(`${seed}.zip`, seed, N_GOOD, [
      // A DICOM file cut off inside its header: corrupt.
      { name: 'study/corrupt.dcm', data: good.subarray(0, 300) },
      { name: 'study/readme.txt', data: Buffer.from('not an image\n') },
      { name: 'study/ct.dcm', data: syntheticCr({ seed, index: 901, modality: 'CT' }) },
    ]);
  });
  after(async () => p?.stop());

  it('ingest reports the failures with exit code 2', async () => {
    const run = await runCli(['ingest', zip, '--json'], env);
    assert.equal(run.code, 2, run.stderr);
    [ingest] = JSON.parse(run.stdout) as IngestResult[];
    assert.deepEqual(ingest.counts, { total: N_GOOD + 3, done: N_GOOD, failed: 2, skipped: 1 });
  });

  it('failures lists every failed and skipped entry with its reason', async () => {
    const run = await runCli(['failures', zip, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout) as {
      ingestId: string;
      failed: number;
      skipped: number;
      problems: EntryOutcome[];
    };
    assert.equal(out.ingestId, ingest.ingestId);
    assert.equal(out.failed, 2);
    assert.equal(out.skipped, 1);
    const byName = new Map(out.problems.map((o) => [o.name, o]));
    assert.equal(byName.get('study/corrupt.dcm')?.status, 'failed');
    assert.ok(byName.get('study/corrupt.dcm')?.reason?.type, 'typed reason');
    assert.equal(byName.get('study/readme.txt')?.reason?.type, 'NotDicom');
    assert.equal(byName.get('study/ct.dcm')?.status, 'skipped');
    assert.equal(byName.get('study/ct.dcm')?.reason?.type, 'NotChestXray');
    for (const o of out.problems) assert.ok((o.reason?.message ?? '').length > 10);

    const text = await runCli(['failures', ingest.ingestId, '--failed-only'], env);
    assert.match(text.stdout, /2 failed, 1 skipped \(skipped not listed\)/);
    assert.match(text.stdout, /NotDicom +study\/readme\.txt/);
    assert.doesNotMatch(text.stdout, /NotChestXray/);
  });

  it('retry-failed re-runs only the failed entries as a linked ingest', async () => {
    const run = await runCli(['retry-failed', zip, '--json'], env);
    assert.equal(run.code, 2, `the corrupt files fail again: ${run.stderr}`);
    const retry = JSON.parse(run.stdout) as IngestResult;
    assert.equal(retry.ingestId, `${ingest.ingestId}-retry-1`);
    assert.equal(retry.counts.total, ingest.counts.failed);
    assert.deepEqual(retry.counts, { total: 2, done: 0, failed: 2, skipped: 0 });
    assert.equal(retry.retryOf, ingest.ingestId);
    assert.deepEqual(retry.recentProblems.map((o) => o.name).sort(), ['study/corrupt.dcm', 'study/readme.txt']);
    const info = await p.env.client.workflow.getHandle(retry.ingestId).describe();
    assert.equal(info.typedSearchAttributes.get(SA.RETRY_OF), ingest.ingestId);

    const listed = JSON.parse((await runCli(['list', '--retries-of', ingest.ingestId, '--json'], env)).stdout) as {
      ingestId: string;
    }[];
    assert.deepEqual(
      listed.map((r) => r.ingestId),
      [retry.ingestId],
    );

    // With the skipped entry too, as the next free retry number.
    const withSkipped = await runCli(['retry-failed', ingest.ingestId, '--include-skipped', '--json'], env);
    const r2 = JSON.parse(withSkipped.stdout) as IngestResult;
    assert.equal(r2.ingestId, `${ingest.ingestId}-retry-2`);
    assert.deepEqual(r2.counts, { total: 3, done: 0, failed: 2, skipped: 1 });
  });

  it('results prints the findings the pipeline computed, read back from Orthanc', async () => {
    const run = await runCli(['results', zip, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const reports = JSON.parse(run.stdout) as ReportSummary[];
    assert.equal(reports.length, N_GOOD);
    // What the pipeline computed: the done children's outcomes.
    const outcomes: EntryOutcome[] = [];
    for await (const w of p.env.client.workflow.list({
      query: `WorkflowId STARTS_WITH '${ingest.ingestId}/' AND ExecutionStatus = 'Completed'`,
    })) {
      const o = (await p.env.client.workflow.getHandle(w.workflowId, w.runId).result()) as EntryOutcome;
      if (o.status === 'done') outcomes.push(o);
    }
    assert.equal(outcomes.length, N_GOOD);
    for (const o of outcomes) {
      const r = reports.find((x) => x.sopInstanceUid === o.reportSopInstanceUid);
      assert.ok(r, `report ${o.reportSopInstanceUid} for ${o.name}`);
      assert.equal(r.sourceSopInstanceUid, o.sopInstanceUid);
      for (const f of o.topFindings ?? []) {
        const g: ReportSummary['findings'][number] | undefined = r.findings.find((x) => x.label === f.label);
        assert.ok(g, f.label);
        assert.ok(Math.abs(g.probability - f.probability) < 1e-4, `${f.label}: ${g.probability} vs ${f.probability}`);
        assert.equal(g.positive, f.positive);
      }
    }
    // By Study Instance UID: the same reports (this seed's study holds only them).
    const byStudy = await runCli(['results', uidFrom(`${seed}/study/A`), '--json'], env);
    assert.deepEqual(
      (JSON.parse(byStudy.stdout) as ReportSummary[]).map((r) => r.sopInstanceUid).sort(),
      reports.map((r) => r.sopInstanceUid).sort(),
    );
    const text = await runCli(['results', ingest.ingestId, '--top', '2'], env);
    assert.match(text.stdout, new RegExp(`${N_GOOD} report\\(s\\) for ingest`));
    assert.match(text.stdout, /NOT DIAGNOSTIC/);
  });

  it('replay passes on the real history and catches a non-deterministic one', async () => {
    const ok = await runCli(['replay', ingest.ingestId, '--json'], env);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const runs = JSON.parse(ok.stdout) as { ok: boolean }[];
    assert.ok(runs.length >= 1 && runs.every((r) => r.ok));
    const child = await runCli(['replay', `${ingest.ingestId}/0`], env);
    assert.equal(child.code, 0, child.stdout + child.stderr);

    // The same history with its first activity renamed: what a changed workflow would meet.
    const exported = await execFileP(
      path.join(PROJECT_ROOT, '.tools', 'temporal'),
      [
        'workflow',
        'show',
        '--address',
        p.config.temporal.address,
        '--namespace',
        p.config.temporal.namespace,
        '-w',
        ingest.ingestId,
        '-o',
        'json',
      ],
      { maxBuffer: 64 << 20 },
    );
    const json = JSON.parse(exported.stdout) as {
      events: { activityTaskScheduledEventAttributes?: { activityType?: { name?: string } } }[];
    };
    const scheduled = json.events.find((e) => e.activityTaskScheduledEventAttributes)!;
    scheduled.activityTaskScheduledEventAttributes!.activityType!.name = 'someOtherActivity';
    const file = path.join(TEST_OUTPUT, `${seed}-tampered-history.json`);
    fs.writeFileSync(file, JSON.stringify(json));
    const bad = await runCli(['replay', ingest.ingestId, '--history-file', file], env);
    assert.equal(bad.code, 5, bad.stdout + bad.stderr);
    assert.match(bad.stdout, /NON-DETERMINISM/);
  });

  it('doctor sees Temporal, the search attributes, the workers on this queue, Orthanc and the model', async () => {
    const run = await runCli(['doctor', '--json'], env);
    const out = JSON.parse(run.stdout) as { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] };
    assert.equal(run.code, 0, JSON.stringify(out.checks.filter((c) => !c.ok)));
    assert.ok(out.ok);
    assert.equal(out.checks.filter((c) => c.name.startsWith('worker polling')).length, 3);
    // The Orthanc it talks to, by version, with the CVEs that version carries (Debian's 1.10.1 here: all nine).
    const cves = out.checks.find((c) => c.name === 'Orthanc version and its published CVEs');
    assert.match(
      cves?.detail ?? '',
      /^Orthanc \d+\.\d+\.\d+(?: carries CVE-2026-5437 \.\.\. 5445 .*fixed in 1\.12\.11|: none of)/,
    );
    const other = await runCli(['doctor', '--task-queue', uniqueQueue('nobody-polls')], env);
    assert.equal(other.code, 5);
    assert.match(other.stdout, /FAIL +worker polling/);
    // doctor connects with the same settings as every other command (issue 24: it ignored TLS and the API key, so it
    // called a secured cluster unreachable). Asked for TLS against this plaintext dev server, it must fail to connect,
    // as `cxr status` does; a doctor that ignores TEMPORAL_TLS would report Temporal reachable.
    const tls = await runCli(['doctor', '--json'], { ...env, TEMPORAL_TLS: 'true' });
    const tlsOut = JSON.parse(tls.stdout) as { checks: { name: string; ok: boolean; detail: string }[] };
    const reach = tlsOut.checks.find((c) => c.name === 'Temporal reachable');
    assert.equal(tls.code, 5, tls.stdout);
    assert.equal(reach?.ok, false, JSON.stringify(reach));
    assert.match(reach?.detail ?? '', /\(TLS\)/);
    const status = await runCli(['list', '--json'], { ...env, TEMPORAL_TLS: 'true' });
    assert.notEqual(status.code, 0, 'the other commands refuse the same settings');
  });
});
