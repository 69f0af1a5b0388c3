/**
 * The bad-input corpus (test/fixtures/bad, made by scripts/make-bad-corpus) through the real pipeline:
 * every zip gets its typed outcome (rejected as a whole, or per entry failed/skipped with a reason),
 * the worker never crashes or hangs, memory stays bounded, and the valid files beside the bad ones
 * are processed.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { startOrAttachIngest } from '../../../src/cli/start-ingest';
import type { EntryOutcome } from '../../../src/workflows/types';
import { FIXTURES, startTestPipeline, type TestPipeline } from '../../helpers/pipeline';

type Expectation =
  | { zip: string; description: string; expect: 'rejected'; type: string; messageIncludes?: string }
  | {
      zip: string;
      description: string;
      /** Outcomes are right as a multiset; which entry gets which depends on scheduling. */
      anyOrder?: boolean;
      entries: { index: number; name: string; expect: EntryOutcome['status']; type?: string }[];
    };

const BAD = path.join(FIXTURES, 'bad');
const manifest = JSON.parse(fs.readFileSync(path.join(BAD, 'MANIFEST.json'), 'utf8')) as Expectation[];

describe('bad-input corpus through the real pipeline', { timeout: 10 * 60_000 }, () => {
  let p: TestPipeline;
  let peakRssGrowthMb = 0;
  let rssBefore = 0;
  let sampler: NodeJS.Timeout;

  before(async () => {
    p = await startTestPipeline();
    rssBefore = process.memoryUsage().rss;
    sampler = setInterval(() => {
      peakRssGrowthMb = Math.max(peakRssGrowthMb, (process.memoryUsage().rss - rssBefore) / 2 ** 20);
    }, 50);
  });
  after(async () => {
    clearInterval(sampler);
    console.log(
      `bad-input corpus: ${manifest.length} zips, worker process RSS growth peak ${peakRssGrowthMb.toFixed(0)} MiB`,
    );
    await p?.stop();
  });

  for (const z of manifest) {
    it(`${z.zip}: ${z.description}`, async () => {
      const s = await startOrAttachIngest(p.env.client, p.config, path.join(BAD, z.zip), { window: 4 });
      if ('expect' in z) {
        await assert.rejects(s.handle.result(), (err: unknown) => {
          assert.ok(err instanceof WorkflowFailedError);
          assert.ok(err.cause instanceof ApplicationFailure);
          assert.equal(err.cause.type, z.type);
          if (z.messageIncludes)
            assert.match(err.cause.message, new RegExp(z.messageIncludes.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i'));
          return true;
        });
        return;
      }
      const result = await s.handle.result();
      assert.equal(result.counts.done + result.counts.failed + result.counts.skipped, result.counts.total);
      const got: EntryOutcome[] = [];
      for (const e of z.entries) got.push(await outcomeOf(p, s.ingestId, e.index, result.recentProblems));
      for (const o of got)
        if (o.status !== 'done') assert.ok((o.reason?.message.length ?? 0) > 15, 'a readable reason');
      if (z.anyOrder) {
        const key = (status: string, type?: string): string => `${status}:${type ?? ''}`;
        assert.deepEqual(
          got.map((o) => key(o.status, o.status === 'done' ? undefined : o.reason?.type)).sort(),
          z.entries.map((e) => key(e.expect, e.type)).sort(),
        );
      } else {
        z.entries.forEach((e, i) => {
          const o = got[i];
          assert.equal(o.status, e.expect, `${z.zip} #${e.index} ${e.name}: ${JSON.stringify(o.reason)}`);
          if (e.type) assert.equal(o.reason?.type, e.type, `${z.zip} #${e.index} ${e.name}`);
        });
      }
      assert.equal(result.counts.total, z.entries.length, 'every file entry is listed in the manifest');
    });
  }

  it('kept the worker within bounded memory while reading bombs and huge images', () => {
    assert.ok(peakRssGrowthMb < 400, `RSS grew by ${peakRssGrowthMb.toFixed(0)} MiB`);
  });
});

async function outcomeOf(
  p: TestPipeline,
  ingestId: string,
  index: number,
  problems: EntryOutcome[],
): Promise<EntryOutcome> {
  try {
    return await p.env.client.workflow.getHandle(`${ingestId}/${index}`).result();
  } catch (err) {
    const o = problems.find((x) => x.index === index);
    if (!o) throw err;
    return o;
  }
}
