/**
 * Periodic heartbeats while an activity awaits something slow (an Orthanc request, an inflate, an ONNX
 * run). The heartbeat timeout, not the start-to-close timeout, is then what detects a dead worker: a
 * SIGKILLed worker's activity is retried elsewhere after ~heartbeatTimeout (10 s) instead of after its
 * start-to-close timeout, however long the step itself may legitimately take. The SDK throttles what it
 * sends to the server (at most one heartbeat per 0.8 x heartbeatTimeout), so a short local interval is cheap.
 * Local activities (the I/O steps of newer instance workflows) run the function without heartbeats.
 */
import { Context } from '@temporalio/activity';

export const HEARTBEAT_EVERY_MS = 2000;

/**
 * Context.heartbeat with details (progress shown in the Web UI), skipped in a local activity: it has no heartbeat
 * (the SDK would only log that it found no such activity).
 */
export function heartbeat(details?: unknown): void {
  const ctx = Context.current();
  if (!ctx.info.isLocal) ctx.heartbeat(details);
}

export async function keepAlive<T>(fn: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  // A local activity cannot heartbeat (it runs inside a workflow task, whose own timeout notices a dead worker).
  if (ctx.info.isLocal) return fn();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
