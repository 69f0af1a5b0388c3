/**
 * Preprocessing micro-benchmark: one 2500x2048 16-bit frame (12 bits stored, window VOI) -> the 224x224 model input,
 *
 *   two-step   preprocess(toGrey(frame, pm), m)      the former route (a full-size float64 grey image, then resample)
 *   one-pass   preprocessFrame(frame, pm, m)          inline, on the main thread
 *   pool       PreprocessPool(2).run(...), 2 in flight  off the main thread
 *
 * Modes run in turn (A B C A B C ...) so that load drifting on a shared machine hits each alike; the figures are
 * process CPU time per frame (user + system, all threads: not wall, which the machine's load inflates), wall time,
 * and the main thread's event-loop delay while the mode runs (what the Temporal SDK's polling would feel).
 *
 *   npm run build && node dist/bench/preprocess.js [--rounds 10] [--per 4] [--out bench/results/preprocess-X.json]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { packedFromRawLE, readPixelModule, toGrey } from '../src/dicom/pixels';
import { preprocess, preprocessFrame, type PreprocessSpec } from '../src/inference/preprocess';
import { PreprocessPool } from '../src/inference/preprocess-pool';
import { PROJECT_ROOT } from '../src/config';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const rounds = Number(arg('rounds', '10'));
const per = Number(arg('per', '4'));
const out = arg(
  'out',
  path.join(PROJECT_ROOT, 'bench/results', `preprocess-${new Date().toISOString().replace(/[:.]/g, '-')}.json`),
);

const rows = 2500;
const columns = 2048;
const pm = readPixelModule({
  Rows: String(rows),
  Columns: String(columns),
  PhotometricInterpretation: 'MONOCHROME2',
  BitsAllocated: '16',
  BitsStored: '12',
  PixelRepresentation: '0',
  SamplesPerPixel: '1',
  WindowCenter: '2048',
  WindowWidth: '4096',
});
const bytes = Buffer.alloc(rows * columns * 2);
for (let i = 0, s = 7; i < rows * columns; i++) {
  s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  bytes.writeUInt16LE(s >>> 20, i * 2);
}
const frame = packedFromRawLE(bytes, pm);
const spec: PreprocessSpec = {
  input: { shape: ['batch', 1, 224, 224] },
  preprocessing: {
    intensityRange: [-1024, 1024],
    crop: 'center-square',
    resize: { method: 'area', size: 224 },
    voi: 'dicom-first',
    modalityTransform: 'apply',
  },
};

type Mode = 'two-step' | 'one-pass' | 'pool';
const pool = new PreprocessPool(2);
const tick = () => new Promise((res) => setImmediate(res));
/** Fresh copies of the frame's words, made outside the measured window: the worker hands Orthanc's own buffer over. */
let copies: Uint16Array[] = [];
const run: Record<Mode, () => Promise<unknown>> = {
  // One frame per macrotask, as separate classify steps would be: the event-loop histogram sees each block.
  'two-step': async () => {
    for (let i = 0; i < per; i++, await tick()) preprocess(toGrey(frame, pm), spec);
  },
  'one-pass': async () => {
    for (let i = 0; i < per; i++, await tick()) preprocessFrame(frame, pm, spec);
  },
  pool: async () => {
    // 2 in flight, as the worker's two classify slots give it; each frame's buffer is transferred, as in the worker.
    const job = () => pool.run({ ...frame, values: copies.pop()! }, pm, spec, { transfer: true });
    for (let i = 0; i < per; i += 2) await Promise.all([job(), job()]);
  },
};

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const modes = Object.keys(run) as Mode[];
  for (const m of modes) {
    copies = Array.from({ length: per + 1 }, () => (frame.values as Uint16Array).slice());
    await run[m](); // warm-up (JIT, weight tables, threads)
  }
  const samples: Record<Mode, { cpuMs: number[]; wallMs: number[]; loopMaxMs: number[]; loopP99Ms: number[] }> = {
    'two-step': { cpuMs: [], wallMs: [], loopMaxMs: [], loopP99Ms: [] },
    'one-pass': { cpuMs: [], wallMs: [], loopMaxMs: [], loopP99Ms: [] },
    pool: { cpuMs: [], wallMs: [], loopMaxMs: [], loopP99Ms: [] },
  };
  for (let r = 0; r < rounds; r++) {
    for (const m of modes) {
      copies = m === 'pool' ? Array.from({ length: per + 1 }, () => (frame.values as Uint16Array).slice()) : [];
      const h = monitorEventLoopDelay({ resolution: 1 });
      h.enable();
      await new Promise((res) => setTimeout(res, 5));
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      await run[m]();
      // let the histogram see the loop again after a blocking mode
      await new Promise((res) => setTimeout(res, 5));
      const t1 = performance.now();
      const c = process.cpuUsage(c0);
      h.disable();
      samples[m].cpuMs.push((c.user + c.system) / 1000 / per);
      samples[m].wallMs.push((t1 - t0 - 10) / per);
      samples[m].loopMaxMs.push(h.max / 1e6);
      samples[m].loopP99Ms.push(h.percentile(99) / 1e6);
    }
  }
  await pool.close();
  const r2 = (x: number) => Math.round(x * 100) / 100;
  const summary = Object.fromEntries(
    modes.map((m) => [
      m,
      {
        cpuMsPerFrame: r2(median(samples[m].cpuMs)),
        wallMsPerFrame: r2(median(samples[m].wallMs)),
        eventLoopMaxDelayMs: r2(median(samples[m].loopMaxMs)),
        eventLoopP99DelayMs: r2(median(samples[m].loopP99Ms)),
      },
    ]),
  );
  const result = {
    bench: 'preprocess',
    at: new Date().toISOString(),
    frame: { rows, columns, bitsAllocated: 16, bitsStored: 12, output: '1x224x224, centre square, area' },
    rounds,
    framesPerRound: per,
    machine: { cpus: os.cpus().length, loadavg: os.loadavg().map(r2), node: process.version },
    summary,
    samples,
  };
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  for (const m of modes) console.log(m.padEnd(9), JSON.stringify(summary[m]));
  console.log(`load average ${result.machine.loadavg.join(' ')}; written ${path.relative(PROJECT_ROOT, out)}`);
}

void main();
