/**
 * Prometheus metrics of a worker process (CXR_METRICS_ADDRESS, e.g. 127.0.0.1:9464): the Temporal SDK runtime's
 * own (temporal_* : task latencies, slots, polls, sticky cache, ...) plus the pipeline's:
 *  - cxr_instances{outcome, reason}: counter, one per finished instance (emitted by processInstanceWorkflow, so
 *    by the workers that run workflows: the io role)
 *  - cxr_step_duration_ms{step, outcome}: histogram of every activity attempt (this interceptor), on the worker
 *    that ran it (uploadInstance/storeReport/zip steps on io, classifyInstance on inference)
 * Every sample also carries the SDK's namespace / taskQueue / activityType or workflowType labels.
 * The runtime is process-wide: install it before the first connection.
 */
import type { Context } from '@temporalio/activity';
import { type ActivityInterceptors, Runtime } from '@temporalio/worker';

export function installMetricsRuntime(address: string | undefined): void {
  if (!address) return;
  Runtime.install({ telemetryOptions: { metrics: { prometheus: { bindAddress: address } } } });
}

/** Activity interceptor recording the duration and outcome of every step attempt. */
export function stepMetrics(ctx: Context): ActivityInterceptors {
  const histogram = ctx.metricMeter.createHistogram(
    'cxr_step_duration_ms',
    'int',
    'ms',
    'Pipeline step attempt duration',
  );
  return {
    inbound: {
      async execute(input, next) {
        const started = performance.now();
        let outcome = 'error';
        try {
          const result = await next(input);
          outcome = 'ok';
          return result;
        } finally {
          histogram.record(Math.round(performance.now() - started), { step: ctx.info.activityType, outcome });
        }
      },
    },
  };
}
