/**
 * Work priority (src/priority.ts): the levels and their Temporal keys, the fairness key limit, and that both
 * profiles switch the server's priority matcher on with the same settings (the dev server's CXR_DYNAMIC_CONFIG in
 * scripts/lib.sh, and docker/temporal/dynamicconfig.yaml for the production profile and compose).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fairnessKeyOf, jobPriority } from '../../src/cli/job-priority';
import { PROJECT_ROOT } from '../../src/config';
import { PRIORITY_KEYS, priorityName, taskPriority, WORK_PRIORITIES } from '../../src/priority';
import { PRIORITY } from '../../src/workflows/search-attributes';

describe('work priority', { timeout: 10_000 }, () => {
  it('maps urgent < routine < backfill onto Temporal keys 1..5 (3 is the server default) and back', () => {
    assert.deepEqual(PRIORITY_KEYS, { urgent: 1, routine: 3, backfill: 5 });
    for (const p of WORK_PRIORITIES) assert.equal(priorityName(PRIORITY_KEYS[p]), p);
    assert.equal(priorityName(undefined), 'routine');
    assert.equal(priorityName(0), 'routine');
  });

  it('keeps fairness keys within 64 bytes, deterministic per job', () => {
    const ingest = `ingest-${'a'.repeat(64)}`;
    const key = fairnessKeyOf(ingest);
    assert.ok(Buffer.byteLength(key) <= 64, key);
    assert.equal(fairnessKeyOf(ingest), key);
    assert.notEqual(fairnessKeyOf(`ingest-${'b'.repeat(64)}`), key);
    assert.equal(fairnessKeyOf('follow-127.0.0.1:8042'), 'follow-127.0.0.1:8042');
    assert.throws(() => taskPriority('urgent', 'x'.repeat(65)), RangeError);
    assert.throws(() => taskPriority('urgent', ''), RangeError);
    const j = jobPriority('backfill', ingest);
    assert.deepEqual(j.priority, { priorityKey: 5, fairnessKey: key });
    assert.deepEqual(j.typedSearchAttributes, [{ key: PRIORITY, value: 'backfill' }]);
  });

  it('both profiles give the Temporal server the same priority settings', () => {
    const lib = fs.readFileSync(path.join(PROJECT_ROOT, 'scripts', 'lib.sh'), 'utf8');
    const m = /^CXR_DYNAMIC_CONFIG=\(([^)]*)\)/m.exec(lib);
    assert.ok(m, 'CXR_DYNAMIC_CONFIG in scripts/lib.sh');
    const dev = Object.fromEntries(
      m[1]
        .trim()
        .split(/\s+/)
        .map((kv) => kv.split('=') as [string, string]),
    );
    const yaml = fs.readFileSync(path.join(PROJECT_ROOT, 'docker', 'temporal', 'dynamicconfig.yaml'), 'utf8');
    for (const [key, value] of Object.entries(dev)) {
      const entry = new RegExp(`^${key.replace(/\./g, '\\.')}:\\n\\s+- value: (\\S+)`, 'm').exec(yaml);
      assert.ok(entry, `${key} in docker/temporal/dynamicconfig.yaml`);
      assert.equal(entry[1], value, key);
    }
    assert.equal(dev['matching.useNewMatcher'], 'true');
    assert.equal(dev['matching.numTaskqueueWritePartitions'], '1');
  });
});
