import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ModelError } from '../../../src/errors';
import {
  labelledOutputs,
  outputWidth,
  parseManifest,
  scoresFromOutputs,
  thresholdFor,
} from '../../../src/inference/manifest';
import { findingsFromOutputs } from '../../../src/inference/classify-instance';

const ROOT = path.resolve(
  __dirname,
  '..',
  '..',
  '..',
  fs.existsSync(path.resolve(__dirname, '../../../models')) ? '' : '..',
);
const demo = JSON.parse(fs.readFileSync(path.join(ROOT, 'models', 'demo-cxr', 'manifest.json'), 'utf8')) as Record<
  string,
  unknown
>;

test(
  'the committed demo manifest is valid, non-diagnostic, with the 18 torchxrayvision labels',
  { timeout: 60_000 },
  () => {
    const m = parseManifest(demo);
    assert.equal(m.diagnostic, false);
    assert.equal(m.labels.length, 18);
    assert.deepEqual(m.preprocessing.intensityRange, [-1024, 1024]);
  },
);

test('errors name the offending field', { timeout: 60_000 }, () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ ...demo, diagnostic: 'no' }, /"diagnostic"/],
    [{ ...demo, labels: [] }, /"labels"/],
    [{ ...demo, input: { ...(demo.input as object), shape: [1, 3, 224, 224] } }, /"input.shape\[1\]"/],
    [{ ...demo, output: { name: 'logits', activation: 'relu' } }, /"output.activation"/],
    [{ ...demo, thresholds: { default: 0.5, perLabel: { Pneumonitis: 0.3 } } }, /"thresholds.perLabel.Pneumonitis"/],
    [{ ...demo, manufacturer: '' }, /"manufacturer"/],
  ];
  for (const [raw, re] of cases)
    assert.throws(
      () => parseManifest(raw),
      (e: unknown) => e instanceof ModelError && re.test(e.message),
    );
});

test('op_norm calibration maps each operating point to 0.5 and keeps order', { timeout: 60_000 }, () => {
  const m = parseManifest({
    ...demo,
    output: { name: 'logits', activation: 'none' },
    calibration: { method: 'op_norm', operatingPoints: { Atelectasis: 0.2, Consolidation: 0.9 } },
  });
  const raw = new Array(18).fill(0.2);
  raw[1] = 0.9;
  const p = scoresFromOutputs(m, raw);
  assert.equal(p[0], 0.5);
  assert.equal(p[1], 0.5);
  assert.equal(p[2], 0.2); // no operating point: unchanged
  const q = scoresFromOutputs(m, [0.1, 0.95, ...new Array(16).fill(0)]);
  assert.equal(q[0], 0.25);
  assert.ok(Math.abs(q[1] - 0.75) < 1e-12);
});

test('findings apply per-label thresholds on the final probability', { timeout: 60_000 }, () => {
  const m = parseManifest({ ...demo, thresholds: { default: 0.5, perLabel: { Effusion: 0.9 } } });
  assert.equal(thresholdFor(m, 'Effusion'), 0.9);
  const f = findingsFromOutputs(m, new Array(18).fill(Math.log(0.8 / 0.2))); // sigmoid -> 0.8
  assert.equal(f.find((x) => x.label === 'Effusion')?.positive, false);
  assert.equal(f.find((x) => x.label === 'Edema')?.positive, true);
  assert.ok(Math.abs(f[0].probability - 0.8) < 1e-12);
});

test('texts written into LO attributes of every SR are refused at load when they cannot fit', () => {
  const long = 'torchxrayvision (Cohen et al., mlmed/torchxrayvision); exported by cxr-pipeline';
  for (const [raw, re] of [
    [
      { ...demo, manufacturer: long },
      /"manufacturer" must be a valid LO value for the report's Manufacturer \(79 characters/,
    ],
    [{ ...demo, name: 'n'.repeat(65) }, /"name" must be a valid LO value/],
    [{ ...demo, version: '1\\2' }, /"version" must be a valid LO value .*backslash/],
    [
      { ...demo, labels: ['A label that is far too long for a code', ...(demo.labels as string[]).slice(1)] },
      /"labels\[0\]"/,
    ],
  ] as [Record<string, unknown>, RegExp][]) {
    assert.throws(
      () => parseManifest(raw),
      (e: unknown) => e instanceof ModelError && re.test(e.message),
    );
  }
});

test('output.labelIndices picks the named outputs of a model with unnamed ones; policies default to apply', () => {
  const m = parseManifest({
    ...demo,
    labels: ['Pneumonia', 'Lung Opacity'],
    thresholds: { default: 0.5 }, // the demo's per-label thresholds name its 18 labels
    output: { name: 'logits', activation: 'none', labelIndices: [8, 16], size: 18 },
  });
  assert.equal(outputWidth(m), 18);
  const all = Float32Array.from({ length: 18 }, (_, i) => i);
  assert.deepEqual(Array.from(labelledOutputs(m, all)), [8, 16]);
  assert.equal(m.preprocessing.modalityTransform, 'apply');
  for (const output of [
    { name: 'logits', activation: 'none', labelIndices: [8, 18], size: 18 },
    { name: 'logits', activation: 'none', labelIndices: [8], size: 18 },
    { name: 'logits', activation: 'none', labelIndices: [8, 8], size: 18 },
    { name: 'logits', activation: 'none', labelIndices: [8, 16] },
  ]) {
    assert.throws(() => parseManifest({ ...demo, labels: ['Pneumonia', 'Lung Opacity'], output }), /output\./);
  }
});
