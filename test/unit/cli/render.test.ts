import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { looksLikeIngestId, resolveIngestRef, webUiUrl } from '../../../src/cli/ingest-id';
import { q } from '../../../src/cli/ingests';
import { summariseIndexes } from '../../../src/cli/commands/retry-failed';
import { formatDuration, ingestListTable, progressBar, resultTable } from '../../../src/cli/render';
import type { IngestProgress } from '../../../src/workflows/types';

const SHA = 'a'.repeat(64);
const progress = (over: Partial<IngestProgress> = {}): IngestProgress => ({
  ingestId: `ingest-${SHA}`,
  zipName: 'x.zip',
  zipSha256: SHA,
  state: 'running',
  counts: { total: 10, done: 4, failed: 1, skipped: 0 },
  inFlight: 2,
  runs: 1,
  startedAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:05Z',
  recentProblems: [],
  problemsDropped: 0,
  ...over,
});

describe('cli rendering and references', { timeout: 60_000 }, () => {
  it('draws a bar with counts and ETA, and a listing notice before the count is known', () => {
    const bar = progressBar(progress(), 2, 2.5, 10);
    assert.match(bar, /^█████░░░░░ 5\/10 {2}50% \| done 4 failed 1 skipped 0 \| 2\.0\/s ETA 3s$/);
    assert.match(progressBar(progress({ state: 'listing' }), 0, NaN), /listing and checking x\.zip/);
  });

  it('formats durations and tables', () => {
    assert.equal(formatDuration(3725), '1h02m');
    assert.equal(formatDuration(NaN), '--');
    assert.match(resultTable(progress()), /entries 10 +done 4 +failed 1 +skipped 0 +accounted 5\/10/);
    assert.match(ingestListTable([]), /No ingests/);
  });

  it('resolves ingest references', async () => {
    assert.equal((await resolveIngestRef(SHA)).ingestId, `ingest-${SHA}`);
    assert.equal((await resolveIngestRef(`ingest-${SHA}-retry-2`)).ingestId, `ingest-${SHA}-retry-2`);
    assert.ok(looksLikeIngestId(`ingest-${SHA}-retry-2`));
    assert.ok(!looksLikeIngestId('1.2.840.1'));
    assert.equal(
      webUiUrl('http://127.0.0.1:8233', 'default', 'ingest-x/3'),
      'http://127.0.0.1:8233/namespaces/default/workflows/ingest-x%2F3',
    );
  });

  it('quotes visibility values and summarises index lists', () => {
    assert.equal(q("it's"), "'it\\'s'");
    assert.equal(summariseIndexes([9, 1, 2, 3, 5]), '1-3, 5, 9');
  });
});
