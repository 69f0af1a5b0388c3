/**
 * One preprocessing thread of PreprocessPool (src/inference/preprocess-pool.ts): stored frame in, model input out.
 * Pure computation; the tensor's buffer is transferred back, not copied.
 */
import { parentPort } from 'node:worker_threads';
import { PipelineError } from '../errors';
import { preprocessFrame } from './preprocess';
import type { PreprocessJob, PreprocessReply } from './preprocess-pool';

const port = parentPort;
if (port === null) throw new Error('preprocess-thread.js runs as a worker thread of PreprocessPool only');
port.on('message', (job: PreprocessJob) => {
  let reply: PreprocessReply;
  try {
    const frame = { rows: job.rows, columns: job.columns, values: job.values, packed: true };
    const input = preprocessFrame(frame, job.pixelModule, job.spec);
    port.postMessage({ id: job.id, ok: true, input } satisfies PreprocessReply, [input.buffer as ArrayBuffer]);
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
  port.postMessage(reply);
});
