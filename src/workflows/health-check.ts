/** A trivial workflow that proves a worker is polling the queue (used by the smoke test and `cxr doctor`). */
import { workflowInfo } from '@temporalio/workflow';

export async function healthCheckWorkflow(greeting: string): Promise<string> {
  return `${greeting}: worker on ${workflowInfo().taskQueue} is alive`;
}
