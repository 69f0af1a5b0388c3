/**
 * classifyInstance: fetch the stored file from Orthanc, decode its first frame here (src/dicom/decode.ts, on the
 * preprocessing threads), preprocess as the model's manifest says,
 * run the worker's one ONNX session.
 *
 * Idempotency: a pure read of Orthanc plus a deterministic model (fixed weights, no sampling), so a retry
 * returns the same findings (timings aside) and changes nothing anywhere. Tested twice-in-a-row in
 * test/integration/durability/idempotency.test.ts. Heartbeats (keepAlive) while fetching and inferring.
 */
import { Context } from '@temporalio/activity';
import { asTemporalFailure, ModelError, ModelMismatchError } from '../errors';
import { classifyOrthancInstance } from '../inference';
import type { ClassifyOutput, ModelRef } from '../contracts';
import type { ActivityDeps } from './deps';
import { keepAlive } from './keep-alive';
import { bindResult } from './result-binding';

export function makeClassifyActivities(deps: ActivityDeps) {
  return {
    /**
     * `expectedModel` (follow, reprocess): the run is pinned to that model version. Work is routed to that model's own
     * task queue; this check is the guard behind the routing, so a report can never name a model that did not run.
     */
    async classifyInstance(input: { orthancId: string; expectedModel?: ModelRef }): Promise<ClassifyOutput> {
      return keepAlive(() =>
        asTemporalFailure(async () => {
          if (!deps.classifier) throw new ModelError('This worker has no model loaded (it was started for I/O only).');
          const loaded = deps.classifier.model;
          const want = input.expectedModel;
          if (want && (want.id !== loaded.id || want.version !== loaded.version)) {
            throw new ModelMismatchError(
              `This step must run model ${want.id}@${want.version}, but the worker that took it has ${loaded.id}@${loaded.version} loaded. Start a worker with that model (CXR_MODEL_DIR) on the model's task queue, then retry.`,
            );
          }
          const c = await classifyOrthancInstance(deps.orthanc, deps.classifier, input.orthancId, {
            pool: deps.preprocessPool,
            ...(deps.maxImagePixels ? { limits: { maxImagePixels: deps.maxImagePixels } } : {}),
          });
          // The classification's model and findings are the contract types themselves: passed on, never copied.
          const out: ClassifyOutput = {
            model: c.model,
            findings: c.findings,
            timingsMs: { ...c.timingsMs },
            inputArea: c.inputArea,
            ...(c.activationMaps ? { activationMaps: c.activationMaps } : {}),
          };
          // Signed for the io worker that stores it (result-binding.ts).
          const workflowId = Context.current().info.workflowExecution?.workflowId ?? '';
          return { ...out, binding: bindResult(deps.resultKey, workflowId, input.orthancId, out) };
        }),
      );
    },
  };
}
