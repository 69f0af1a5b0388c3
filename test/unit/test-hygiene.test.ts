/**
 * Tests that can fail: every test file sets its own time limit (scripts/test adds a cap for all), and the
 * documented expected skips are the only ones scripts/test lets through. Unit tests mirror src/.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../../src/config';

function testFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? testFiles(p) : e.name.endsWith('.test.ts') ? [p] : [];
  });
}

describe('test hygiene', { timeout: 10_000 }, () => {
  const files = testFiles(path.join(PROJECT_ROOT, 'test'));

  it('every test file sets a timeout', () => {
    assert.ok(files.length > 30, `found ${files.length} test files`);
    const without = files.filter((f) => !/\btimeout:\s/.test(fs.readFileSync(f, 'utf8')));
    assert.deepEqual(
      without.map((f) => path.relative(PROJECT_ROOT, f)),
      [],
    );
  });

  it('scripts/test enforces the expected-skip count and a per-test cap', () => {
    const script = fs.readFileSync(path.join(PROJECT_ROOT, 'scripts', 'test'), 'utf8');
    assert.match(script, /--test-timeout=/);
    assert.match(script, /EXPECTED_SKIPS/);
    const expected = fs
      .readFileSync(path.join(PROJECT_ROOT, 'test', 'EXPECTED_SKIPS'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    // A short, justified list: the model-environment skip, and the tests of one profile each (production, compose),
    // which .ci/run runs in that profile's pass.
    assert.ok(expected.length <= 5, 'a short, justified list (one line per skip)');
  });

  it('unit test folders mirror src/ (test/unit/X/ tests src/X/; docs/ checks the documentation)', () => {
    const unit = path.join(PROJECT_ROOT, 'test', 'unit');
    const folders = (dir: string): string[] =>
      fs
        .readdirSync(dir, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .flatMap((e) => [e.name, ...folders(path.join(dir, e.name)).map((sub) => `${e.name}/${sub}`)]);
    const orphans = folders(unit).filter((f) => f !== 'docs' && !fs.existsSync(path.join(PROJECT_ROOT, 'src', f)));
    assert.deepEqual(orphans, []);
  });
});
