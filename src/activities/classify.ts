/**
 * classifyInstance: fetch the decoded pixels from Orthanc, preprocess as the model's manifest says,
 * run the worker's one ONNX session.
 *
 * Idempotency: a pure read of Orthanc plus a deterministic model (fixed weights, no sampling), so a retry
 * returns the same findings (timings aside) and changes nothing anywhere. Tested twice-in-a-row in
 * test/integration/durability/idempotency.test.ts. Heartbeats (keepAlive) while fetching and inferring.
 */
import { asTemporalFailure, ModelError } from '../errors';
import { classifyOrthancInstance } from '../inference';
import type { ClassifyOutput } from '../contracts';
import type { ActivityDeps } from './deps';
import { keepAlive } from './keep-alive';

export function makeClassifyActivities(deps: ActivityDeps) {
  return {
    async classifyInstance(input: { orthancId: string }): Promise<ClassifyOutput> {
      return keepAlive(() =>
        asTemporalFailure(async () => {
          if (!deps.classifier) throw new ModelError('This worker has no model loaded (it was started for I/O only).');
          const c = await classifyOrthancInstance(deps.orthanc, deps.classifier, input.orthancId);
          // The classification's model and findings are the contract types themselves: passed on, never copied.
          return { model: c.model, findings: c.findings, timingsMs: { ...c.timingsMs } };
        }),
      );
    },
  };
}
