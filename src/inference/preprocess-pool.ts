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
import { ImageTooLargeError, PipelineError, UnsafeImageStructureError, UnsupportedPixelDataError } from '../errors';
import type { DecodeRoute, EncodedFrame } from '../dicom/decode';
import type { PixelModule, StoredFrame } from '../dicom/pixels';
import { preprocessFrame, type PreprocessSpec } from './preprocess';

export type PreprocessJob = {
  id: number;
  pixelModule: PixelModule;
  spec: PreprocessSpec;
} & (
  | { kind: 'frame'; rows: number; columns: number; values: Uint16Array | Uint8Array }
  /** A frame as stored in the file: decoded on the thread (src/dicom/decode.ts), then preprocessed. */
  | { kind: 'encoded'; encoded: EncodedFrame }
);

export type PreprocessReply =
  | { id: number; ok: true; input: Float32Array; route?: DecodeRoute; decodeMs?: number }
  | { id: number; ok: false; message: string; errorType?: string };

/** What a thread makes of an encoded frame: the model input, who decoded it, how long decoding took. */
export interface PreprocessedFrame {
  input: Float32Array;
  route: DecodeRoute;
  decodeMs: number;
}

interface Pending {
  job: PreprocessJob;
  transfer: ArrayBuffer[];
  resolve: (r: Extract<PreprocessReply, { ok: true }>) => void;
  reject: (e: Error) => void;
}

/** Node's Buffer pool hands out slices of shared 8 KiB slabs below this size: never transfer those. */
const POOLED_BELOW = Buffer.poolSize >>> 1;

interface Slot {
  worker: Worker;
  busy?: Pending;
}

/** A thread's typed failure, re-created on this side (the classes do not cross threads). */
function typedError(type: string | undefined, message: string): Error {
  for (const E of [UnsupportedPixelDataError, UnsafeImageStructureError, ImageTooLargeError])
    if (type === E.TYPE) return new E(message);
  return new Error(message);
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
      kind: 'frame',
      id: this.nextId++,
      rows: frame.rows,
      columns: frame.columns,
      values,
      pixelModule: pm,
      spec,
    };
    return this.submit(job, [values.buffer as ArrayBuffer]).then((r) => r.input);
  }

  /**
   * Decode (src/dicom/decode.ts) and preprocess a frame as stored, on a pool thread: neither blocks the event loop.
   * With `transfer`, the ArrayBuffer under `encoded.data` (e.g. the whole file fetched from Orthanc) moves to the
   * thread without a copy, and the caller must not read anything in it afterwards; otherwise the frame is copied.
   */
  runEncoded(
    encoded: EncodedFrame,
    pm: PixelModule,
    spec: PreprocessSpec,
    opts: { transfer?: boolean } = {},
  ): Promise<PreprocessedFrame> {
    if (this.closed) return Promise.reject(new Error('The preprocessing pool is closed'));
    const d = encoded.data;
    const movable = opts.transfer && d.buffer instanceof ArrayBuffer && d.buffer.byteLength >= POOLED_BELOW;
    const data = movable ? d : new Uint8Array(d);
    const job: PreprocessJob = {
      kind: 'encoded',
      id: this.nextId++,
      encoded: { ...encoded, data },
      pixelModule: pm,
      spec,
    };
    return this.submit(job, [data.buffer as ArrayBuffer]).then((r) => ({
      input: r.input,
      route: r.route ?? 'raw',
      decodeMs: r.decodeMs ?? 0,
    }));
  }

  private submit(job: PreprocessJob, transfer: ArrayBuffer[]): Promise<Extract<PreprocessReply, { ok: true }>> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, transfer, resolve, reject });
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
        if (r.ok) p.resolve(r);
        else p.reject(typedError(r.errorType, r.message));
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
