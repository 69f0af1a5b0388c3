/**
 * Replay safety: the recorded histories of a real small ingest (test/fixtures/histories: every run of an
 * IngestZipWorkflow with continue-as-new, and ProcessInstanceWorkflow children that ended done, skipped and
 * failed) are replayed against the current workflow code. A change that makes the workflows issue different
 * commands for the same history (reordered activities, a new timer, a removed child, Math.random...) fails
 * here, before it breaks running ingests in production. Needs no services.
 * After a DELIBERATE incompatible change (behind patched() or a new workflow type, or once no old
 * execution is open), re-record with scripts/record-histories; see docs/durability.md.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import { historyFromJson } from '../../../src/cli/history-json';
import { PROJECT_ROOT } from '../../../src/config';
import { quietRuntime, workflowBundle } from '../../helpers/pipeline';
import { HISTORIES_DIR, type RecordedHistory } from '../../helpers/record-histories';

function loadFixtures() {
  // Recursive: older fixtures kept in subfolders (for executions started by older code) are replayed too.
  const files = (fs.readdirSync(HISTORIES_DIR, { recursive: true }) as string[])
    .filter((f) => f.endsWith('.json'))
    .sort();
  const recs = files.map((f) => ({
    file: f,
    rec: JSON.parse(fs.readFileSync(path.join(HISTORIES_DIR, f), 'utf8')) as RecordedHistory,
  }));
  return {
    files,
    recs,
    histories: recs.map(({ rec }) => ({ workflowId: rec.workflowId, history: historyFromJson(rec.history) })),
  };
}

describe('recorded histories replay against the current workflow code', { timeout: 10 * 60_000 }, () => {
  it('every fixture replays without a non-determinism error', async () => {
    quietRuntime();
    const { files, recs, histories } = loadFixtures();
    assert.ok(files.length >= 4, `fixtures in ${HISTORIES_DIR}`);
    assert.ok(recs.some((r) => r.rec.workflowType === 'ingestZipWorkflow'));
    assert.ok(recs.some((r) => r.rec.workflowType === 'processInstanceWorkflow'));
    const failures: string[] = [];
    let replayed = 0;
    let events = 0;
    for await (const r of Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories)) {
      replayed++;
      if (r.error) failures.push(`${r.workflowId}: ${r.error.name}: ${r.error.message}`);
    }
    for (const h of histories) events += h.history.events?.length ?? 0;
    console.log(
      `[replay] ${replayed} histories (${events} events) from ${files.join(', ')}: ${failures.length} failures`,
    );
    assert.equal(replayed, histories.length);
    assert.deepEqual(failures, []);
  });

  it('the check has teeth: a workflow that schedules one extra activity fails replay', async () => {
    quietRuntime();
    // A copy of src/ with one non-deterministic edit, bundled like the real thing (webpack resolves
    // node_modules from the repository, since the copy lives under test-output/).
    const dir = path.join(PROJECT_ROOT, 'test-output', `replay-negative-${process.pid}`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.cpSync(path.join(PROJECT_ROOT, 'src'), path.join(dir, 'src'), {
      recursive: true,
      filter: (f) => !f.endsWith('.js'),
    });
    try {
      const file = path.join(dir, 'src', 'workflows', 'process-instance.ts');
      const anchor = /export async function processInstanceWorkflow\([^)]*\)[^{]*\{/;
      const code = fs.readFileSync(file, 'utf8');
      assert.match(code, anchor);
      fs.writeFileSync(
        file,
        code.replace(
          anchor,
          (m) =>
            `${m}\n  await proxyActivities<PipelineActivities>({ startToCloseTimeout: '1 minute' }).classifyInstance({ orthancId: 'x' });`,
        ),
      );
      const bundle = await bundleWorkflowCode({
        workflowsPath: path.join(dir, 'src', 'workflows', 'index.ts'),
        logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
      });
      const { histories } = loadFixtures();
      const children = histories.filter((h) => /\/\d+$/.test(h.workflowId));
      const errors: string[] = [];
      for await (const r of Worker.runReplayHistories({ workflowBundle: bundle }, children))
        if (r.error) errors.push(r.error.name);
      console.log(
        `[replay] mutated workflow: ${errors.length}/${children.length} child histories rejected (${[...new Set(errors)].join(', ')})`,
      );
      assert.equal(errors.length, children.length);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
