/**
 * TemporalWait: the CLI's patience with an unreachable Temporal. Unreachable errors are retried with backoff and
 * announced, the first success after an outage is announced, other errors pass through untouched, and the bound
 * ends the wait with exit 69. A fake clock (sleep) keeps it instant; the real outage is in the chaos test.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError, EXIT } from '../../../src/cli/exit-codes';
import { isTemporalUnreachable, TemporalWait } from '../../../src/cli/temporal-wait';

const unavailable = (): Error => Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 });

describe('TemporalWait', { timeout: 10_000 }, () => {
  it('recognises unreachable errors, also as causes, and nothing else', () => {
    assert.ok(isTemporalUnreachable(unavailable()));
    assert.ok(isTemporalUnreachable(new Error('Failed to get history', { cause: unavailable() })));
    assert.ok(isTemporalUnreachable(new Error('Failed to connect to Temporal server')));
    assert.ok(!isTemporalUnreachable(new Error('Workflow execution not found')));
    assert.ok(!isTemporalUnreachable(Object.assign(new Error('denied'), { code: 7 })));
    assert.ok(!isTemporalUnreachable(undefined));
  });

  it('backs off while unreachable, says so, and resumes', async () => {
    const lines: string[] = [];
    const slept: number[] = [];
    const wait = new TemporalWait(
      't:7233',
      300_000,
      (l) => lines.push(l),
      async (ms) => {
        slept.push(ms);
      },
    );
    let calls = 0;
    const v = await wait.call('following x', async () => {
      if (++calls <= 4) throw unavailable();
      return 42;
    });
    assert.equal(v, 42);
    assert.deepEqual(slept, [1000, 2000, 4000, 8000]);
    assert.equal(lines.filter((l) => /Temporal at t:7233 is unreachable while following x/.test(l)).length, 4);
    assert.match(lines.at(-1)!, /answers again after \d+ s; resuming/);
    assert.equal(wait.outages, 1);
    // A later outage starts its backoff afresh.
    calls = 0;
    slept.length = 0;
    await wait.call('following x', async () => {
      if (++calls <= 1) throw unavailable();
      return 0;
    });
    assert.deepEqual(slept, [1000]);
    assert.equal(wait.outages, 2);
  });

  it('passes other errors through at once', async () => {
    const wait = new TemporalWait(
      't:7233',
      300_000,
      () => undefined,
      async () => undefined,
    );
    await assert.rejects(
      wait.call('x', async () => {
        throw new Error('not found');
      }),
      /not found/,
    );
  });

  it('gives up with exit 69 once the bound is spent (bound 0: at once)', async () => {
    const wait = new TemporalWait(
      't:7233',
      0,
      () => undefined,
      async () => undefined,
    );
    await assert.rejects(
      wait.call('x', async () => {
        throw unavailable();
      }),
      (err: unknown) =>
        err instanceof CliError && err.exitCode === EXIT.unavailable && /--temporal-wait/.test(err.message),
    );
  });
});
