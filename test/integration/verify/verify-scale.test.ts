/**
 * verify at scale, against the real Orthanc: a stream of N recorded entries (default 2,000; the issue's 100,000 with
 * CXR_VERIFY_SCALE_N=100000) none of which Orthanc holds (the worst case: 3 requests each). The source is pulled
 * lazily, so at most `window` records exist at once and at most `window` entries are checked concurrently; every
 * entry is reported missing; the figures (entries/s, Orthanc requests/s, heap) are printed.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config';
import { OrthancClient } from '../../../src/orthanc/client';
import { type EntryLoader, verifyEntries } from '../../../src/verify/verify';

const N = Number(process.env.CXR_VERIFY_SCALE_N ?? 2000);
const WINDOW = 16;

describe('verify: bounded window and memory over a large ingest', { timeout: 30 * 60_000 }, () => {
  it(`checks ${N} entries with at most ${WINDOW} in flight`, async () => {
    const orthanc = new OrthancClient(loadConfig().orthanc);
    const run = crypto.randomBytes(4).toString('hex');
    let pulled = 0;
    let started = 0;
    let maxAhead = 0;
    let loading = 0;
    let maxLoading = 0;
    async function* source(): AsyncGenerator<EntryLoader> {
      for (let i = 0; i < N; i++) {
        // Pulled only when the window has room: the records before it were handed to a load already.
        maxAhead = Math.max(maxAhead, pulled - started);
        pulled++;
        yield {
          index: i,
          name: `scale/${run}/img${i}.dcm`,
          load: async () => {
            started++;
            loading++;
            maxLoading = Math.max(maxLoading, loading);
            await new Promise((r) => setImmediate(r));
            loading--;
            return {
              index: i,
              name: `scale/${run}/img${i}.dcm`,
              sopInstanceUid: `1.2.3.${parseInt(run, 16)}.${i}`,
              orthancId: crypto.createHash('sha1').update(`${run}/${i}`).digest('hex'),
              sourceSha256: '0'.repeat(64),
              reportSopInstanceUid: `1.2.3.${parseInt(run, 16)}.${i}.1`,
            };
          },
        };
      }
    }
    const gc = (globalThis as { gc?: () => void }).gc; // with node --expose-gc: retained memory, not garbage
    gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = Date.now();
    let maxHeap = heap0;
    const summary = await verifyEntries(orthanc, source(), {
      window: WINDOW,
      progressEveryMs: 1000,
      onProgress: (s) => {
        maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
        if (N >= 20_000) console.log(`  ... ${s.checked}/${N}`);
      },
    });
    const secs = (Date.now() - t0) / 1000;
    maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
    gc?.();
    const retained = process.memoryUsage().heapUsed - heap0;
    console.log(
      `[verify-scale] entries=${N} window=${WINDOW} wall_s=${secs.toFixed(1)} entries_per_s=${(N / secs).toFixed(0)} ` +
        `orthanc_requests_per_s=${((3 * N) / secs).toFixed(0)} max_loading=${maxLoading} max_ahead=${maxAhead} ` +
        `peak_heap_growth_MB=${((maxHeap - heap0) / 1e6).toFixed(1)} ${gc ? `retained_heap_MB=${(retained / 1e6).toFixed(1)} ` : ''}rss_MB=${(process.memoryUsage().rss / 1e6).toFixed(0)} problems=${summary.problems.length}`,
    );
    assert.equal(summary.checked, N);
    assert.equal(summary.missingSource, N);
    assert.equal(summary.missingReport, N);
    assert.equal(summary.problems.length, N);
    assert.ok(maxLoading <= WINDOW, `${maxLoading} records loading at once > window ${WINDOW}`);
    assert.ok(maxAhead <= 1, `the source was read ${maxAhead} entries ahead of the checks`);
  });
});
