/**
 * Preprocessing off the main thread: a small pool of node:worker_threads running preprocessFrame, so the CPU-heavy
 * part of a classify step (a 2500x2048 frame -> 224x224 tensor) uses another core and never blocks the event loop
 * the Temporal SDK needs for polling, heartbeats and completions. The frame's words go to the thread by transfer
 * (zero-copy) when the caller gives them up, else as one copy; the tensor comes back by transfer.
 *
 * Frames that are not packed 8/16-bit words (32-bit data, decoded floats; rare) are preprocessed inline.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { PipelineError, UnsupportedPixelDataError } from '../errors';
import type { PixelModule, StoredFrame } from '../dicom/pixels';
import { preprocessFrame, type PreprocessSpec } from './preprocess';

export interface PreprocessJob {
  id: number;
  rows: number;
  columns: number;
  values: Uint16Array | Uint8Array;
  pixelModule: PixelModule;
  spec: PreprocessSpec;
}

export type PreprocessReply =
  { id: number; ok: true; input: Float32Array } | { id: number; ok: false; message: string; errorType?: string };

interface Pending {
  job: PreprocessJob;
  transfer: ArrayBuffer[];
  resolve: (t: Float32Array) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy?: Pending;
}

const THREAD_SCRIPT = path.join(__dirname, 'preprocess-thread.js');

export class PreprocessPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  /** `size` threads, started on first use. */
  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`A preprocessing pool needs 1 or more threads, not ${size}`);
  }

  /**
   * The model input for `frame`, computed on a pool thread. With `transfer`, the frame's buffer moves to the thread
   * when it can (the caller must not read the frame afterwards); without it, the words are copied.
   */
  run(
    frame: StoredFrame,
    pm: PixelModule,
    spec: PreprocessSpec,
    opts: { transfer?: boolean } = {},
  ): Promise<Float32Array> {
    const v = frame.values;
    if (!frame.packed || !(v instanceof Uint16Array || v instanceof Uint8Array)) {
      return new Promise((resolve) => resolve(preprocessFrame(frame, pm, spec)));
    }
    if (this.closed) return Promise.reject(new Error('The preprocessing pool is closed'));
    if (v.length !== frame.rows * frame.columns) {
      return Promise.reject(
        new UnsupportedPixelDataError(
          `Decoded frame holds ${v.length} values for ${frame.rows}x${frame.columns} pixels`,
        ),
      );
    }
    const whole = v.byteOffset === 0 && v.byteLength === v.buffer.byteLength && v.buffer instanceof ArrayBuffer;
    const values = opts.transfer && whole ? v : v.slice();
    const job: PreprocessJob = {
      id: this.nextId++,
      rows: frame.rows,
      columns: frame.columns,
      values,
      pixelModule: pm,
      spec,
    };
    return new Promise((resolve, reject) => {
      this.queue.push({ job, transfer: [values.buffer as ArrayBuffer], resolve, reject });
      this.pump();
    });
  }

  /** Stop every thread; queued and running jobs are rejected. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('The preprocessing pool was closed'));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => s.busy === undefined);
      if (slot === undefined && this.slots.length < this.size) slot = this.spawn();
      if (slot === undefined) return;
      const p = this.queue.shift()!;
      slot.busy = p;
      slot.worker.ref();
      slot.worker.postMessage(p.job, p.transfer);
    }
  }

  private spawn(): Slot {
    const slot: Slot = { worker: new Worker(THREAD_SCRIPT) };
    slot.worker.unref();
    slot.worker.on('message', (r: PreprocessReply) => {
      const p = slot.busy;
      slot.busy = undefined;
      slot.worker.unref();
      if (p !== undefined && p.job.id === r.id) {
        if (r.ok) p.resolve(r.input);
        else
          p.reject(
            r.errorType === UnsupportedPixelDataError.TYPE
              ? new UnsupportedPixelDataError(r.message)
              : new Error(r.message),
          );
      }
      this.pump();
    });
    const lost = (err: Error) => {
      const i = this.slots.indexOf(slot);
      if (i >= 0) this.slots.splice(i, 1);
      slot.busy?.reject(
        err instanceof PipelineError ? err : new Error(`A preprocessing thread failed: ${err.message}`),
      );
      slot.busy = undefined;
      if (!this.closed) this.pump();
    };
    slot.worker.on('error', lost);
    slot.worker.on('exit', (code) => lost(new Error(`exited with code ${code}`)));
    this.slots.push(slot);
    return slot;
  }
}
