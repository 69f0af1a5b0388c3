/**
 * Inference throughput on this machine: the DenseNet-121-shaped benchmark model through the session alone, then
 * the whole classifyOrthancInstance path (fetch from Orthanc + DICOM transforms + preprocessing + inference).
 *   scripts/models/ensure-models && node --import tsx bench/inference.ts [--model models/bench-densenet121] [--n 40]
 * Uploads one fixture (a 440x440 CR chest and the 1024x1024 NIH image) to the configured Orthanc.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config';
import { OrthancClient } from '../src/orthanc/client';
import { classifyOrthancInstance, createSession, loadClassifier, readManifest } from '../src/inference';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function main(): Promise<void> {
  const root = path.resolve(__dirname, fs.existsSync(path.resolve(__dirname, '..', 'package.json')) ? '..' : '../..');
  const modelDir = path.resolve(root, arg('model', 'models/bench-densenet121'));
  const n = Number(arg('n', '40'));
  const manifest = readManifest(modelDir);
  const [, , h, w] = manifest.input.shape;
  const input = Float32Array.from({ length: h * w }, (_, i) => (i % 2048) - 1024);
  const { method } = manifest.preprocessing.resize;
  console.log(
    `model ${manifest.id} (${h}x${w}, resize ${method}), ${os.availableParallelism()} cores, ${n} images per measurement`,
  );

  for (const threads of [1, os.availableParallelism()]) {
    const s = await createSession(modelDir, manifest, { intraOpThreads: threads });
    await s.infer(input); // warm-up
    let t = performance.now();
    for (let i = 0; i < n; i++) await s.infer(input);
    const serial = (performance.now() - t) / 1000;
    t = performance.now();
    await Promise.all(Array.from({ length: n }, () => s.infer(input)));
    const concurrent = (performance.now() - t) / 1000;
    console.log(
      `session only, ${threads} intra-op thread(s): ${(n / serial).toFixed(1)} img/s serial (${((serial / n) * 1000).toFixed(1)} ms/img), ${(n / concurrent).toFixed(1)} img/s with ${n} queued`,
    );
    await s.release();
  }

  const orthanc = new OrthancClient(loadConfig().orthanc);
  const classifier = await loadClassifier(modelDir);
  for (const name of ['derived_CR-MONO1-10-chest_explicitLE.dcm', 'nih_chestxray14_DX_8bit_SC.dcm']) {
    const { id } = await orthanc.uploadInstance(fs.readFileSync(path.join(root, 'test', 'fixtures', 'cxr', name)));
    await classifyOrthancInstance(orthanc, classifier, id);
    const sum = { fetch: 0, preprocess: 0, infer: 0 };
    let t = performance.now();
    for (let i = 0; i < n; i++) {
      const c = await classifyOrthancInstance(orthanc, classifier, id);
      sum.fetch += c.timingsMs.fetch;
      sum.preprocess += c.timingsMs.preprocess;
      sum.infer += c.timingsMs.infer;
    }
    const serial = (performance.now() - t) / 1000;
    t = performance.now();
    // 4 in flight, like a worker running several classify activities at once.
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next++ < n) await classifyOrthancInstance(orthanc, classifier, id);
      }),
    );
    const concurrent = (performance.now() - t) / 1000;
    const ms = (x: number) => (x / n).toFixed(1);
    console.log(
      `classifyOrthancInstance ${name}: ${(n / serial).toFixed(1)} img/s serial (fetch ${ms(sum.fetch)} + preprocess ${ms(sum.preprocess)} + infer ${ms(sum.infer)} ms), ${(n / concurrent).toFixed(1)} img/s with 4 in flight`,
    );
  }
  await classifier.session.release();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
