/**
 * The committed bad-input corpus is exactly what its generator makes: scripts/make-bad-corpus regenerates it into
 * a temporary folder and every zip and MANIFEST.json must be byte-identical to test/fixtures/bad. A hand-edited
 * zip, a generator change without regenerating, or a generator that stopped being deterministic (a timestamp, an
 * unseeded random) fails here. Needs Python with pydicom (scripts/setup makes .tools/venv); a missing one fails.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { BAD_DIR, PROJECT_ROOT, tmpDir } from './helpers';

const generated = (dir: string): string[] =>
  fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.zip') || f === 'MANIFEST.json')
    .sort();

describe('bad-input corpus regeneration', { timeout: 120_000 }, () => {
  const out = tmpDir('cxr-corpus-');
  after(() => fs.rmSync(out, { recursive: true, force: true }));

  it('scripts/make-bad-corpus regenerates the committed corpus byte for byte', async () => {
    await promisify(execFile)(path.join(PROJECT_ROOT, 'scripts', 'make-bad-corpus'), ['--out', out], {
      cwd: PROJECT_ROOT,
      timeout: 100_000,
    });
    const committed = generated(BAD_DIR);
    assert.ok(committed.length > 25, `${committed.length} committed files`);
    assert.deepEqual(generated(out), committed, 'the same files');
    const differ = committed.filter(
      (f) => !fs.readFileSync(path.join(out, f)).equals(fs.readFileSync(path.join(BAD_DIR, f))),
    );
    assert.deepEqual(differ, [], 'regenerate with scripts/make-bad-corpus and commit the result');
  });
});
