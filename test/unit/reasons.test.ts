/**
 * The reason vocabulary (src/reasons.ts) is the only source of outcome and retryability: the error classes, the
 * non-retryable list, the skip list, `cxr failures --help` and the operator guide all follow it.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { reasonsHelp, reasonsMarkdown, withReasonsTable } from '../../src/cli/reason-docs';
import { PROJECT_ROOT } from '../../src/config';
import * as errors from '../../src/errors';
import {
  NON_RETRYABLE_TYPES,
  outcomeOf,
  REASON_TYPES,
  REASONS,
  SKIP_TYPES,
  toReason,
  isReasonType,
} from '../../src/reasons';

type ErrorClass = { TYPE: string } & (new (message: string) => errors.PipelineError);
const errorClasses = (Object.values(errors) as unknown[]).filter(
  (v): v is ErrorClass => typeof v === 'function' && typeof (v as { TYPE?: unknown }).TYPE === 'string',
);

describe('reason vocabulary', { timeout: 10_000 }, () => {
  it('every error class carries a declared type and takes its retryability from the declaration', () => {
    assert.ok(errorClasses.length >= 18, `found ${errorClasses.length} error classes`);
    for (const E of errorClasses) {
      assert.ok(isReasonType(E.TYPE), `${E.name}: ${E.TYPE} is declared in src/reasons.ts`);
      const e = new E('x');
      assert.equal(e.type, E.TYPE);
      assert.equal(e.retryable, REASONS[e.type].retryable, E.TYPE);
      assert.equal(e.toFailure().nonRetryable, !REASONS[e.type].retryable, E.TYPE);
    }
  });

  it('the non-retryable and skip lists are derived from the declarations', () => {
    assert.deepEqual([...NON_RETRYABLE_TYPES].sort(), REASON_TYPES.filter((t) => !REASONS[t].retryable).sort());
    assert.deepEqual([...SKIP_TYPES].sort(), [
      'AlreadyReported',
      'DicomDir',
      'DuplicateSopInstanceUid',
      'ForProcessingImage',
      'ImageTooSmall',
      'InstanceDeleted',
      'NonHumanPatient',
      'NotChestXray',
      'NotFrontalView',
      'OutsideAgeRange',
      'PhotometricNotAccepted',
      'SymbolicLink',
      'SystemFile',
    ]);
    // Environment trouble is retried; input problems and skips are not.
    for (const t of ['OrthancUnavailable', 'ZipMissing']) assert.ok(!NON_RETRYABLE_TYPES.includes(t as never), t);
    for (const t of ['NotDicom', 'OrthancNotFound', 'OrthancBadRequest', 'NestedArchive', 'InvalidUid'])
      assert.ok(NON_RETRYABLE_TYPES.includes(t as never), t);
  });

  it('skip or fail is decided by outcomeOf; undeclared types fail', () => {
    assert.equal(outcomeOf('NotChestXray'), 'skipped');
    assert.equal(outcomeOf('NestedArchive'), 'failed');
    assert.equal(outcomeOf('DuplicateEntryName'), 'failed');
    assert.equal(outcomeOf('TypeError'), 'failed');
    for (const t of REASON_TYPES) assert.equal(outcomeOf(t), REASONS[t].outcome);
  });

  it('toReason keeps declared types and names undeclared ones in the message', () => {
    assert.deepEqual(toReason('NotDicom', 'm'), { type: 'NotDicom', message: 'm' });
    assert.deepEqual(toReason('TypeError', 'boom'), { type: 'Unexpected', message: '[TypeError] boom' });
    assert.deepEqual(toReason(undefined, 'boom'), { type: 'Unexpected', message: 'boom' });
    assert.equal(isReasonType('hasOwnProperty'), false);
  });

  it('every declaration has a sentence for the operator', () => {
    for (const t of REASON_TYPES) assert.ok(REASONS[t].meaning.length > 15, t);
  });
});

describe('reason docs', { timeout: 10_000 }, () => {
  it('cxr failures --help lists every reason under its outcome', () => {
    const help = reasonsHelp();
    const [failed, skipped] = help.split('Reason types, skipped:');
    for (const t of REASON_TYPES) {
      const section = REASONS[t].outcome === 'skipped' ? skipped : failed;
      assert.match(section, new RegExp(`\\b${t}\\b`), `${t} under ${REASONS[t].outcome}`);
    }
  });

  it('docs/operator-guide.md carries the generated table (npm run docs:reasons rewrites it)', () => {
    const guide = fs.readFileSync(path.join(PROJECT_ROOT, 'docs', 'operator-guide.md'), 'utf8');
    assert.ok(guide.includes(reasonsMarkdown()), 'the table is stale: run `npm run docs:reasons`');
    assert.equal(withReasonsTable(guide), guide);
    for (const t of REASON_TYPES) assert.ok(guide.includes(`\`${t}\``), t);
  });
});
