/**
 * One preprocessing thread of PreprocessPool (src/inference/preprocess-pool.ts): a stored or still encoded frame in
 * (decoded here, src/dicom/decode.ts), model input out.
 * Pure computation; the tensor's buffer is transferred back, not copied.
 */
import { parentPort } from 'node:worker_threads';
import { PipelineError } from '../errors';
import { decodeFrame, type DecodeRoute } from '../dicom/decode';
import { preprocessFrame } from './preprocess';
import type { PreprocessJob, PreprocessReply } from './preprocess-pool';

const port = parentPort;
if (port === null) throw new Error('preprocess-thread.js runs as a worker thread of PreprocessPool only');
port.on('message', (job: PreprocessJob) => {
  void handle(job);
});

async function handle(job: PreprocessJob): Promise<void> {
  let reply: PreprocessReply;
  try {
    let input: Float32Array;
    let extra: { route?: DecodeRoute; decodeMs?: number } = {};
    if (job.kind === 'encoded') {
      const t0 = performance.now();
      const { frame, route } = await decodeFrame(job.encoded, job.pixelModule);
      extra = { route, decodeMs: performance.now() - t0 };
      input = preprocessFrame(frame, job.pixelModule, job.spec);
    } else {
      const frame = { rows: job.rows, columns: job.columns, values: job.values, packed: true };
      input = preprocessFrame(frame, job.pixelModule, job.spec);
    }
    port!.postMessage({ id: job.id, ok: true, input, ...extra } satisfies PreprocessReply, [
      input.buffer as ArrayBuffer,
    ]);
    return;
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    reply = {
      id: job.id,
      ok: false,
      message: err.message,
      errorType: err instanceof PipelineError ? err.type : undefined,
    };
  }
  port!.postMessage(reply);
}
