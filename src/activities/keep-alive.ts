/**
 * Periodic heartbeats while an activity awaits something slow (an Orthanc request, an inflate, an ONNX
 * run). The heartbeat timeout, not the start-to-close timeout, is then what detects a dead worker: a
 * SIGKILLed worker's activity is retried elsewhere after ~heartbeatTimeout (10 s) instead of after its
 * start-to-close timeout, however long the step itself may legitimately take. The SDK throttles what it
 * sends to the server (at most one heartbeat per 0.8 x heartbeatTimeout), so a short local interval is cheap.
 */
import { Context } from '@temporalio/activity';

export const HEARTBEAT_EVERY_MS = 2000;

export async function keepAlive<T>(fn: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat();
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}
