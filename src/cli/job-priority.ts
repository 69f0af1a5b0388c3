/**
 * How the CLI starts a job with its priority (src/priority.ts): the `--priority` option, the fairness key derived
 * from the job's workflow ID, and the CxrPriority search attribute the Web UI and `cxr list` / `cxr studies` show.
 */
import { createHash } from 'node:crypto';
import type { Priority, SearchAttributePair } from '@temporalio/common';
import { Option } from 'commander';
import { MAX_FAIRNESS_KEY_BYTES, taskPriority, WORK_PRIORITIES, type WorkPriority } from '../priority';
import { PRIORITY } from '../workflows/search-attributes';

/** `--priority urgent|routine|backfill`, with the command's own default. */
export function priorityOption(defaultPriority: WorkPriority, help: string): Option {
  return new Option('--priority <level>', help).choices([...WORK_PRIORITIES]).default(defaultPriority);
}

/**
 * A job's fairness key: its workflow ID when that fits Temporal's 64 bytes, else a readable prefix and a digest of
 * the whole ID (an ingest ID is `ingest-` + 64 hex digits). Deterministic, so a job's runs and retries agree.
 */
export function fairnessKeyOf(workflowId: string): string {
  if (Buffer.byteLength(workflowId) <= MAX_FAIRNESS_KEY_BYTES) return workflowId;
  const digest = createHash('sha256').update(workflowId).digest('hex').slice(0, 16);
  return `${Buffer.from(workflowId)
    .subarray(0, 40)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '_')}~${digest}`;
}

/** The start options a job gets from its priority: Temporal's priority and the CxrPriority search attribute. */
export function jobPriority(
  p: WorkPriority,
  workflowId: string,
): { priority: Priority; typedSearchAttributes: SearchAttributePair[] } {
  return {
    priority: taskPriority(p, fairnessKeyOf(workflowId)),
    typedSearchAttributes: [{ key: PRIORITY, value: p }],
  };
}
