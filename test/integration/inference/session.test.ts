/** The ONNX session against real onnxruntime-node and the committed demo model (no Orthanc needed). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModelError } from '../../../src/errors';
import { createSession, loadClassifier, readManifest } from '../../../src/inference';
import { DEMO_MODEL } from './helpers';

function copyDemoWith(edit: (m: Record<string, unknown>) => void): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-model-'));
  fs.copyFileSync(path.join(DEMO_MODEL, 'model.onnx'), path.join(dir, 'model.onnx'));
  const m = JSON.parse(fs.readFileSync(path.join(DEMO_MODEL, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  edit(m);
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
  return dir;
}

test(
  'a manifest that disagrees with the model is refused at load with ModelError',
  { timeout: 10 * 60_000 },
  async () => {
    const wrongInput = copyDemoWith((m) => {
      (m.input as { name: string }).name = 'image';
    });
    await assert.rejects(
      loadClassifier(wrongInput),
      (e: unknown) => e instanceof ModelError && /manifest input "image"/.test(e.message),
    );
    const wrongLabels = copyDemoWith((m) => {
      const kept = (m.labels as string[]).slice(0, 14);
      m.labels = kept;
      // Thresholds keyed by a dropped label would be refused first, for another reason.
      const thresholds = m.thresholds as { perLabel?: Record<string, number> };
      thresholds.perLabel = Object.fromEntries(
        Object.entries(thresholds.perLabel ?? {}).filter(([label]) => kept.includes(label)),
      );
    });
    await assert.rejects(
      loadClassifier(wrongLabels),
      (e: unknown) => e instanceof ModelError && /14 labels/.test(e.message),
    );
    const wrongSize = copyDemoWith((m) => {
      (m.input as { shape: unknown[] }).shape = ['batch', 1, 256, 256];
      (m.preprocessing as { resize: { size: number } }).resize.size = 256;
    });
    await assert.rejects(loadClassifier(wrongSize), (e: unknown) => e instanceof ModelError && /256/.test(e.message));
  },
);

test('loadClassifier shares one session per model folder', { timeout: 10 * 60_000 }, async () => {
  const a = await loadClassifier(DEMO_MODEL);
  const b = await loadClassifier(path.join(DEMO_MODEL, '..', 'demo-cxr'));
  assert.equal(a, b);
  assert.equal(a.session.intraOpThreads, os.availableParallelism());
});

test(
  'concurrent and micro-batched inferences give the same outputs as one at a time',
  { timeout: 10 * 60_000 },
  async () => {
    const manifest = readManifest(DEMO_MODEL);
    const inputs = Array.from({ length: 6 }, (_, k) =>
      Float32Array.from({ length: 224 * 224 }, (_, i) => ((i * (k + 3)) % 2049) - 1024),
    );
    const serial = await createSession(DEMO_MODEL, manifest, { intraOpThreads: 1 });
    const one: Float32Array[] = [];
    for (const x of inputs) one.push(await serial.infer(x));
    const batched = await createSession(DEMO_MODEL, manifest, { maxBatch: 4 });
    const many = await Promise.all(inputs.map((x) => batched.infer(x)));
    many.forEach((out, i) => out.forEach((v, j) => assert.ok(Math.abs(v - one[i][j]) < 1e-5, `image ${i} label ${j}`)));
    assert.notDeepEqual(Array.from(one[0]), Array.from(one[1])); // outputs depend on the image
    await assert.rejects(serial.infer(new Float32Array(10)), ModelError);
    await serial.release();
    await batched.release();
  },
);
