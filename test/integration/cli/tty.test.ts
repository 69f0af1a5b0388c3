/**
 * The compiled CLI as an operator runs it: `cxr ingest` under a real pseudo-terminal draws a live
 * progress bar and ends with the final table; through a pipe it prints plain timestamped lines;
 * with --json it prints parseable JSON; `watch` / `status` follow an ingest started by another
 * process. Real dev server + Orthanc; the workers run in this test process on a private queue.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { IngestResult } from '../../../src/workflows/types';
import { startTestPipeline, type TestPipeline, uniqueQueue } from '../../helpers/pipeline';
import { assertBuilt, runCli, runCliTty, writeZip } from './run-cli';

const N = 8;

describe('cxr CLI on a terminal and through pipes', { timeout: 10 * 60_000 }, () => {
  let p: TestPipeline;
  let env: Record<string, string>;
  const seed = `tty-${Date.now()}`;

  before(async () => {
    assertBuilt();
    p = await startTestPipeline({ taskQueue: uniqueQueue('cli-tty') });
    env = { CXR_TASK_QUEUE: p.config.temporal.taskQueue };
  });
  after(async () => p?.stop());

  it('draws a progress bar on a TTY and ends with the final table', async () => {
    const zip = writeZip(`${seed}-tty.zip`, `${seed}-a`, N);
    const run = await runCliTty(['ingest', zip, '--window', '2'], env);
    assert.equal(run.code, 0, run.stdout);
    const out = run.stdout;
    assert.match(out, /[█░]{10,}/, 'bar characters');
    assert.match(out, /ETA /, 'ETA shown');
    // eslint-disable-next-line no-control-regex -- the ANSI escape is what is tested
    assert.match(out, /\r\x1b\[2K/, 'the bar is redrawn in place');
    // Final table last: the header line, then the counts.
    const tail = out.slice(out.lastIndexOf('Ingest ingest-'));
    assert.match(tail, /^Ingest ingest-[0-9a-f]{64} {2}\(.*-tty\.zip\) {2}state: completed/);
    assert.match(tail, new RegExp(`entries ${N} +done ${N} +failed 0 +skipped 0 +accounted ${N}/${N}`));
    assert.doesNotMatch(tail, /[█░]/, 'no bar after the table');
  });

  it('prints plain lines (no bar, no escape codes) when stderr is not a terminal', async () => {
    const zip = writeZip(`${seed}-plain.zip`, `${seed}-b`, N);
    const run = await runCli(['ingest', zip, '--window', '2'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /^started ingest ingest-[0-9a-f]{64} for /m);
    assert.match(
      run.stderr,
      /^\[\d{4}-\d\d-\d\dT[^\]]+\] ingest-[0-9a-f]{64} (listing|running|completed): \d+\/\d+ \(done \d+, failed \d+, skipped \d+, in flight \d+\)/m,
    );
    // eslint-disable-next-line no-control-regex -- no ANSI escapes off a TTY
    assert.doesNotMatch(run.stderr + run.stdout, /\x1b|\r|█/);
    assert.match(run.stdout, /state: completed/);
  });

  it('--json prints parseable JSON only', async () => {
    const zip = writeZip(`${seed}-json.zip`, `${seed}-c`, 3);
    const run = await runCli(['ingest', zip, '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const results = JSON.parse(run.stdout) as IngestResult[];
    assert.equal(results.length, 1);
    assert.deepEqual(results[0].counts, { total: 3, done: 3, failed: 0, skipped: 0 });
    assert.equal(results[0].state, 'completed');
    // The same zip again attaches to the finished ingest: same ID, same accounting.
    const again = JSON.parse((await runCli(['ingest', zip, '--json'], env)).stdout) as IngestResult[];
    assert.equal(again[0].ingestId, results[0].ingestId);
    assert.deepEqual(again[0].counts, results[0].counts);
  });

  it('watch and status follow an ingest started by another CLI process (--no-wait)', async () => {
    const zip = writeZip(`${seed}-watch.zip`, `${seed}-d`, N);
    const start = await runCli(['ingest', zip, '--no-wait'], env);
    assert.equal(start.code, 0, start.stderr);
    const ingestId = start.stdout.trim();
    assert.match(ingestId, /^ingest-[0-9a-f]{64}$/);

    const status = await runCli(['status', zip, '--json'], env);
    assert.ok(status.code === 10 || status.code === 0, `status exit ${status.code}: ${status.stderr}`);
    const view = JSON.parse(status.stdout) as { kind: string; ingestId: string; webUi: string };
    assert.equal(view.ingestId, ingestId);
    assert.ok(['running', 'completed'].includes(view.kind));
    assert.match(view.webUi, /\/namespaces\/default\/workflows\/ingest-/);

    const watch = await runCli(['watch', ingestId, '--json'], env);
    assert.equal(watch.code, 0, watch.stderr);
    assert.deepEqual((JSON.parse(watch.stdout) as IngestResult).counts, { total: N, done: N, failed: 0, skipped: 0 });

    const done = await runCli(['status', zip], env);
    assert.equal(done.code, 0);
    assert.match(done.stdout, new RegExp(`state: completed\\n  entries ${N} +done ${N}`));
  });

  it('exits 4 for an unknown ingest and 64 for bad arguments', async () => {
    const missing = await runCli(['status', `ingest-${'0'.repeat(64)}`], env);
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /No ingest/);
    const usage = await runCli(['list', '--limit', 'zero'], env);
    assert.equal(usage.code, 64);
    const noFile = await runCli(['ingest', '/nonexistent/x.zip'], env);
    assert.equal(noFile.code, 64);
  });
});
