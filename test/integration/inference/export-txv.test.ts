/** scripts/models/export_torchxrayvision.py, offline (--weights none), when torch and torchxrayvision are installed. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadClassifier } from '../../../src/inference';
import { PYTHON, ROOT } from './helpers';

const importable =
  fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torch, torchxrayvision'], { stdio: 'ignore' }).status === 0;

test(
  'export_torchxrayvision.py --weights none writes a model whose manifest the pipeline accepts',
  {
    timeout: 10 * 60_000,
    skip:
      !importable &&
      `torch and torchxrayvision are not importable from ${PYTHON} (they are not installable offline; pip install torch torchxrayvision to run this test)`,
  },
  async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'txv-export-'));
    execFileSync(
      PYTHON,
      [path.join(ROOT, 'scripts', 'models', 'export_torchxrayvision.py'), '--weights', 'none', '--out', out],
      { stdio: 'pipe' },
    );
    const c = await loadClassifier(out);
    assert.equal(c.manifest.labels.length, 18);
    assert.equal(c.model.diagnostic, false);
    const raw = await c.session.infer(new Float32Array(224 * 224));
    assert.equal(raw.length, 18);
  },
);

test(
  'export_torchxrayvision.py explains what it needs when torch is missing',
  { timeout: 60_000, skip: importable && 'torch is installed here' },
  () => {
    if (!fs.existsSync(PYTHON)) return;
    const r = spawnSync(
      PYTHON,
      [path.join(ROOT, 'scripts', 'models', 'export_torchxrayvision.py'), '--weights', 'none', '--out', os.tmpdir()],
      { encoding: 'utf8' },
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /needs torch and torchxrayvision/);
  },
);
