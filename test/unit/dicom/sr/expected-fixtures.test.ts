/**
 * Regression guard: the builder must still produce the committed fixtures in test/fixtures/sr/expected/.
 * The semantic check runs first so a failure says *what* changed; then the bytes must match too.
 * After an intended change: npx tsx test/fixtures/sr/make-expected.ts, and explain the change in the commit.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildReport } from '../../../../src/dicom/sr';
import { parseReport } from '../../../../src/dicom/sr';
import { validateSr } from '../../../helpers/dicom-validate';
import { EXPECTED } from '../../../fixtures/sr/inputs';

/** Works from test/ (tsx) and from the compiled dist/test/ alike: the .dcm files stay in the source tree. */
function fixtureDir(): string {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'test', 'fixtures', 'sr', 'expected');
    if (fs.existsSync(path.join(candidate, 'demo-all-labels.dcm'))) return candidate;
  }
  throw new Error('test/fixtures/sr/expected not found');
}
const DIR = fixtureDir();

for (const [name, input] of Object.entries(EXPECTED)) {
  test(`builder output still matches fixture ${name}`, { timeout: 60_000 }, async () => {
    const expected = fs.readFileSync(path.join(DIR, name));
    const actual = buildReport(input());
    assert.deepEqual(parseReport(actual), parseReport(expected), 'report content differs');
    const [a, e] = await Promise.all([validateSr(actual), validateSr(expected)]);
    assert.equal(a.dump, e.dump, 'dsrdump rendering differs');
    assert.ok(actual.equals(expected), 'same content but different bytes (header attributes or encoding changed)');
  });
}
