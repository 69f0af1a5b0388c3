/**
 * Pure functions that had no test of their own: reading an ingest's progress back from its search attributes (what
 * `cxr status` shows when no worker answers the query), the workflows' shared tally and failure mapping, and the
 * stored-run keys.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure, ChildWorkflowFailure, RetryState, TypedSearchAttributes } from '@temporalio/common';
import { progressFromSearchAttributes } from '../../../src/cli/ingests';
import { scopeKey } from '../../../src/cli/stored-runs';
import * as SA from '../../../src/workflows/search-attributes';
import { modelKey } from '../../../src/contracts';
import { failureOf, MAX_RECENT_PROBLEMS, Tally } from '../../../src/workflows/tally';
import type { EntryOutcome } from '../../../src/workflows/types';

const started = new Date('2026-11-27T10:00:00Z');
const closed = new Date('2026-11-27T10:05:00Z');
const info = (
  attrs: ConstructorParameters<typeof TypedSearchAttributes>[0],
  status: 'RUNNING' | 'COMPLETED' | 'FAILED',
  closeTime?: Date,
) => ({
  workflowId: 'ingest-abc',
  typedSearchAttributes: new TypedSearchAttributes(attrs),
  status: { code: 0, name: status },
  startTime: started,
  closeTime,
});

describe('progressFromSearchAttributes', { timeout: 10_000 }, () => {
  it('reads state, counts, zip and retry-of; skipped is derived only once the ingest completed', () => {
    const attrs = [
      { key: SA.STATE, value: 'completed' },
      { key: SA.TOTAL, value: 10 },
      { key: SA.DONE, value: 6 },
      { key: SA.FAILED, value: 3 },
      { key: SA.ZIP_NAME, value: 'batch.zip' },
      { key: SA.ZIP_SHA256, value: 'f'.repeat(64) },
      { key: SA.RETRY_OF, value: 'ingest-old' },
    ];
    const p = progressFromSearchAttributes(info(attrs, 'COMPLETED', closed));
    assert.equal(p.ingestId, 'ingest-abc');
    assert.equal(p.state, 'completed');
    assert.deepEqual(p.counts, { total: 10, done: 6, failed: 3, skipped: 1 });
    assert.equal(p.zipName, 'batch.zip');
    assert.equal(p.zipSha256, 'f'.repeat(64));
    assert.equal(p.retryOf, 'ingest-old');
    assert.equal(p.startedAt, started.toISOString());
    assert.equal(p.updatedAt, closed.toISOString());

    const running = progressFromSearchAttributes(info(attrs.slice(1, 4), 'RUNNING'));
    assert.deepEqual(running.counts, { total: 10, done: 6, failed: 3, skipped: 0 }, 'the rest may still be running');
    assert.equal(running.state, 'running', 'no CxrState yet reads as running');
    assert.equal(running.retryOf, undefined);
  });

  it('an ingest with no attributes yet reads as zero counts; more done+failed than total never gives negative skips', () => {
    assert.deepEqual(progressFromSearchAttributes(info([], 'RUNNING')).counts, {
      total: 0,
      done: 0,
      failed: 0,
      skipped: 0,
    });
    const odd = [
      { key: SA.TOTAL, value: 2 },
      { key: SA.DONE, value: 2 },
      { key: SA.FAILED, value: 1 },
    ];
    assert.equal(progressFromSearchAttributes(info(odd, 'COMPLETED', closed)).counts.skipped, 0);
  });
});

describe('workflow tally (shared by ingest, follow and reprocess)', { timeout: 10_000 }, () => {
  const problem = (i: number): EntryOutcome => ({
    index: i,
    name: `e${i}`,
    status: 'failed',
    reason: { type: 'CorruptDicom', message: 'x' },
  });

  it('counts outcomes, keeps the last MAX_RECENT_PROBLEMS problems, and publishes every N records', () => {
    let published = 0;
    const t = new Tally(undefined, 25, () => published++);
    t.record({ index: 0, name: 'ok', status: 'done' });
    for (let i = 1; i <= MAX_RECENT_PROBLEMS + 5; i++) t.record(problem(i));
    assert.deepEqual(t.counts, { total: 0, done: 1, failed: MAX_RECENT_PROBLEMS + 5, skipped: 0 });
    assert.equal(t.recentProblems.length, MAX_RECENT_PROBLEMS);
    assert.equal(t.recentProblems[0].index, 6, 'the oldest are dropped');
    assert.equal(t.problemsDropped, 5);
    assert.equal(published, Math.floor((MAX_RECENT_PROBLEMS + 6) / 25));
    assert.equal(t.runs, 1);
  });

  it('continues from a carry: counts copied (not shared), run number advanced, start time kept', () => {
    const carry = {
      counts: { total: 5, done: 2, failed: 1, skipped: 0 },
      recentProblems: [problem(1)],
      problemsDropped: 3,
      runs: 2,
      startedAt: '2026-11-27T09:00:00.000Z',
    };
    const t = new Tally(carry, 10, () => undefined);
    t.record({ index: 2, name: 's', status: 'skipped', reason: { type: 'NotChestXray', message: 'CT' } });
    assert.deepEqual(carry.counts, { total: 5, done: 2, failed: 1, skipped: 0 });
    assert.equal(carry.recentProblems.length, 1);
    const next = t.carry();
    assert.deepEqual(next.counts, { total: 5, done: 2, failed: 1, skipped: 1 });
    assert.equal(next.recentProblems.length, 2);
    assert.equal(next.problemsDropped, 3);
    assert.equal(next.runs, 3);
    assert.equal(next.startedAt, carry.startedAt);
    const p = t.progress();
    assert.notEqual(p.counts, t.counts, 'the query answer is a copy');
    assert.equal(p.runs, 3);
  });

  it('failureOf: a child failure keeps its typed reason (skip or fail by the vocabulary); anything else fails', () => {
    const child = (type: string) =>
      new ChildWorkflowFailure(
        'default',
        { workflowId: 'w', runId: 'r' },
        'processInstanceWorkflow',
        RetryState.NON_RETRYABLE_FAILURE,
        ApplicationFailure.nonRetryable('why', type),
      );
    assert.deepEqual(failureOf(child('NotChestXray')), {
      status: 'skipped',
      reason: { type: 'NotChestXray', message: 'why' },
    });
    assert.equal(failureOf(child('CorruptDicom')).status, 'failed');
    assert.equal(failureOf(child('NoSuchType')).reason.type, 'Unexpected');
    assert.deepEqual(failureOf(new Error('boom')), {
      status: 'failed',
      reason: { type: 'ChildWorkflowFailed', message: 'boom' },
    });
  });
});

describe('stored-run keys', { timeout: 10_000 }, () => {
  it('modelKey and scopeKey name a run the same way every time', () => {
    assert.equal(modelKey({ id: 'demo-cxr', version: '1.2.0' }), 'demo-cxr@1.2.0');
    assert.equal(scopeKey({ study: '1.2.3' }), 'study-1.2.3');
    assert.equal(scopeKey({ since: '20261101' }), 'since-20261101');
    assert.equal(scopeKey({ instances: ['a', 'b'] }), 'instances-2');
    assert.equal(scopeKey({}), 'all');
  });
});
