import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { deriveReportUids, deriveUid, isValidUid, UID_NAMESPACE } from '../../../src/dicom/uids';

function venvPython(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const p = path.join(dir, '.tools', 'venv', 'bin', 'python');
    if (fs.existsSync(p)) return p;
  }
  throw new Error('.tools/venv/bin/python not found: run scripts/setup');
}

test('deriveReportUids is deterministic and gives valid 2.25 UIDs', { timeout: 60_000 }, () => {
  const a = deriveReportUids('1.2.3.4.5.6', 'demo-cxr', '0.1.0');
  const b = deriveReportUids('1.2.3.4.5.6', 'demo-cxr', '0.1.0');
  assert.deepEqual(a, b);
  for (const uid of [a.sopInstanceUid, a.seriesInstanceUid]) {
    assert.match(uid, /^2\.25\.[1-9][0-9]*$/);
    assert.ok(isValidUid(uid) && uid.length <= 64, uid);
  }
  assert.notEqual(a.sopInstanceUid, a.seriesInstanceUid);
});

test('every input changes both UIDs', { timeout: 60_000 }, () => {
  const base = deriveReportUids('1.2.3.4.5.6', 'demo-cxr', '0.1.0');
  for (const other of [
    deriveReportUids('1.2.3.4.5.7', 'demo-cxr', '0.1.0'),
    deriveReportUids('1.2.3.4.5.6', 'demo-cxr2', '0.1.0'),
    deriveReportUids('1.2.3.4.5.6', 'demo-cxr', '0.1.1'),
  ]) {
    assert.notEqual(other.sopInstanceUid, base.sopInstanceUid);
    assert.notEqual(other.seriesInstanceUid, base.seriesInstanceUid);
  }
  // Parts are JSON-encoded, so moving a separator between parts cannot collide.
  assert.notEqual(deriveUid('a|b', 'c'), deriveUid('a', 'b|c'));
});

test('UIDs are RFC 4122 v5 UUIDs anyone can recompute (checked with Python uuid)', { timeout: 60_000 }, () => {
  const ours = deriveReportUids('1.2.840.113619.2.55.3', 'txv-densenet121-all', '1.0.0 β');
  const script = [
    'import json, sys, uuid',
    'ns = uuid.UUID(sys.argv[1])',
    'for kind in ("sr-instance", "sr-series"):',
    '    parts = [kind, "1.2.840.113619.2.55.3", "txv-densenet121-all", "1.0.0 β"]',
    '    print("2.25.%d" % uuid.uuid5(ns, json.dumps(parts, separators=(",", ":"), ensure_ascii=False)).int)',
  ].join('\n');
  const out = execFileSync(venvPython(), ['-c', script, UID_NAMESPACE], { encoding: 'utf8' }).trim().split('\n');
  assert.deepEqual(out, [ours.sopInstanceUid, ours.seriesInstanceUid]);
});

test('deriveReportUids refuses an invalid source UID or empty model identity', { timeout: 60_000 }, () => {
  assert.throws(() => deriveReportUids('1.2.03', 'm', '1'), /not a valid DICOM UID/);
  assert.throws(() => deriveReportUids('', 'm', '1'), /not a valid DICOM UID/);
  assert.throws(() => deriveReportUids('1.2.3', ' ', '1'), /must not be empty/);
  assert.throws(() => deriveReportUids('1.2.3', 'm', ''), /must not be empty/);
});

test('isValidUid follows PS3.5 9.1', { timeout: 60_000 }, () => {
  assert.ok(isValidUid('1.2.840.10008.5.1.4.1.1.88.34'));
  assert.ok(isValidUid('2.25.0'));
  assert.ok(!isValidUid('1.02.3'));
  assert.ok(!isValidUid('1..2'));
  assert.ok(!isValidUid('1.2.'));
  assert.ok(!isValidUid('1.2.a'));
  assert.ok(!isValidUid(`1.${'2'.repeat(63)}`));
});
