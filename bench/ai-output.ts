/**
 * How much the AI output of one image weighs in Orthanc next to its source, on full-size images: a synthetic zip of
 * 2500x2048 radiographs (bench/lib/synthetic-zip.ts) through the pipeline's own activities with a CAM model (the demo
 * model: SR + one heatmap SEG per chosen positive finding, CXR_HEATMAPS_MAX), then Orthanc's FileSize of every
 * object the run stored. Writes bench/results/ai-output-<timestamp>.json.
 *   npm run build && node dist/bench/ai-output.js [--n 4] [--model models/demo-cxr]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../src/activities';
import { loadConfig, PROJECT_ROOT } from '../src/config';
import { loadClassifier } from '../src/inference';
import { OrthancClient } from '../src/orthanc/client';
import { resultKeyOf } from '../src/pipeline-worker';
import { writeSyntheticZip } from './lib/synthetic-zip';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

/** One activity function as the worker runs it, minus Temporal (as bench/run.ts does). */
function run<A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A): Promise<R> {
  return new MockActivityEnvironment().run(fn, ...args) as Promise<R>;
}

async function main(): Promise<void> {
  const n = Number(arg('n', '4'));
  const modelDir = path.resolve(PROJECT_ROOT, arg('model', 'models/demo-cxr'));
  const config = loadConfig();
  const orthanc = new OrthancClient(config.orthanc);
  const classifier = await loadClassifier(modelDir);
  const acts = createActivities({
    orthanc,
    classifier,
    zipLimits: config.zipLimits,
    heatmapsMax: config.heatmapsMax,
    resultKey: resultKeyOf(config),
  });
  const seed = `ai-output-${Date.now().toString(36)}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cxr-ai-output-'));
  const zip = writeSyntheticZip({ file: path.join(dir, 'bench.zip'), seed, count: n, rows: 2500, columns: 2048 });
  const rows: { source: number; sr: number; segs: number[]; buildMs: number }[] = [];
  try {
    const listed = await run(acts.listZipEntries, { zipPath: zip.file, zipSha256: '', offset: 0, limit: n });
    for (const entry of listed) {
      const up = await run(acts.uploadInstance, { entry });
      const classification = await run(acts.classifyInstance, { orthancId: up.orthancId });
      const input = {
        orthancId: up.orthancId,
        sourceSopInstanceUid: up.sopInstanceUid,
        classification,
        reportedAt: new Date().toISOString(),
      };
      const report = await run(acts.storeReport, input);
      const t = performance.now();
      const heatmaps = await run(acts.storeHeatmaps, input);
      const buildMs = performance.now() - t;
      const size = async (id: string) => (await orthanc.getInstance(id)).FileSize;
      const segIds = (
        await Promise.all(heatmaps.heatmapSopInstanceUids.map((uid) => orthanc.lookup(uid, 'Instance')))
      ).flat();
      rows.push({
        source: await size(up.orthancId),
        sr: await size(report.reportOrthancId),
        segs: await Promise.all(segIds.map(size)),
        buildMs: Math.round(buildMs),
      });
    }
  } finally {
    const patients = await orthanc.find('Patient', { PatientID: `${zip.patientIdPrefix}*` });
    for (const id of patients) await orthanc.deleteResource('Patient', id);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const share = rows.map((r) => (r.sr + r.segs.reduce((a, b) => a + b, 0)) / r.source);
  const result = {
    date: new Date().toISOString(),
    model: classifier.model.id,
    heatmapsMax: config.heatmapsMax,
    load: os.loadavg(),
    images: rows,
    aiOutputShareOfSource: { max: Math.max(...share), mean: share.reduce((a, b) => a + b, 0) / share.length },
  };
  const file = path.join(PROJECT_ROOT, 'bench', 'results', `ai-output-${result.date.replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  for (const r of rows)
    console.log(
      `source ${r.source} B, SR ${r.sr} B, SEGs ${r.segs.join(' + ')} B: AI output ${(((r.sr + r.segs.reduce((a, b) => a + b, 0)) / r.source) * 100).toFixed(2)} % of the source (storeHeatmaps ${r.buildMs} ms)`,
    );
  console.log(`wrote ${path.relative(PROJECT_ROOT, file)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
