/**
 * scripts/models/export_torchxrayvision.py without the model environment: it says what it needs. (The export itself,
 * for every weights set, is tested in txv-oracle.test.ts with the model environment.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { PYTHON, ROOT } from './helpers';

test(
  'export_torchxrayvision.py run by the light venv (no torch) names the command that installs it',
  { timeout: 60_000 },
  () => {
    const r = spawnSync(
      PYTHON,
      [path.join(ROOT, 'scripts', 'models', 'export_torchxrayvision.py'), '--weights', 'all', '--out', os.tmpdir()],
      { encoding: 'utf8' },
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /needs torch and torchxrayvision/);
    assert.match(r.stderr, /scripts\/setup-models/);
  },
);
