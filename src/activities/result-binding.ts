/**
 * The inference result is bound to the request that asked for it. classifyInstance runs on the inference task queue,
 * where any worker that reaches Temporal can poll; storeReport (on the io worker) stores its findings as an AI report
 * on a real patient's study. So classifyInstance signs its result with a key the pipeline's workers share
 * (<data dir>/secrets/worker-result-key, or CXR_WORKER_RESULT_KEY): HMAC-SHA-256 over the workflow ID, the Orthanc
 * instance, the model identity and everything the SR and heatmaps are built from. storeReport and storeHeatmaps check
 * it before anything is stored; a result without it, or with one that does not match (a rogue worker's made-up
 * findings, or a genuine result of another image), fails the entry with InferenceResultUnverified and stores nothing.
 * Pure (node:crypto).
 */
import crypto from 'node:crypto';
import { Context } from '@temporalio/activity';
import type { ClassifyOutput } from '../contracts';
import { InferenceResultUnverifiedError } from '../errors';

/** What the MAC covers: the request (workflow, instance) and the result (all but timings and the MAC itself). */
function material(workflowId: string, orthancId: string, c: ClassifyOutput): string {
  return canonicalJson({
    v: 1,
    workflowId,
    orthancId,
    model: c.model,
    findings: c.findings,
    inputArea: c.inputArea ?? null,
    activationMaps: c.activationMaps ?? null,
  });
}

/** JSON with object keys sorted at every level: the same value gives the same text on both workers. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The MAC of one classification (hex). */
export function bindResult(key: Buffer, workflowId: string, orthancId: string, c: ClassifyOutput): string {
  return crypto
    .createHmac('sha256', key)
    .update(material(workflowId, orthancId, c), 'utf8')
    .digest('hex');
}

/** Does the classification carry the MAC this request's result must have? (constant time) */
export function resultIsBound(key: Buffer, workflowId: string, orthancId: string, c: ClassifyOutput): boolean {
  if (typeof c.binding !== 'string' || !/^[0-9a-f]{64}$/.test(c.binding)) return false;
  const want = Buffer.from(bindResult(key, workflowId, orthancId, c), 'hex');
  return crypto.timingSafeEqual(want, Buffer.from(c.binding, 'hex'));
}

/** In storeReport / storeHeatmaps: refuse (non-retryably) a classification that is not bound to this request. */
export function assertResultBound(key: Buffer, orthancId: string, c: ClassifyOutput): void {
  const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
  if (resultIsBound(key, workflowId, orthancId, c)) return;
  throw new InferenceResultUnverifiedError(
    `The classification of Orthanc instance ${orthancId} (model ${c.model?.id}@${c.model?.version}) ${c.binding === undefined ? 'carries no' : 'does not carry the right'} MAC of the workers' shared key: it did not come from one of this pipeline's inference workers, or the workers' keys differ (CXR_WORKER_RESULT_KEY / <data dir>/secrets/worker-result-key). Nothing was stored.`,
  );
}
