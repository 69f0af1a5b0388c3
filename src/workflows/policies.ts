/**
 * Workflow policy in one place: how steps retry, how often progress is published, how long a keyword search
 * attribute may be. Changing a value here changes what new executions record; replay is unaffected (Temporal does
 * not compare retry policies or search-attribute values on replay).
 */
import type { RetryPolicy } from '@temporalio/workflow';
import { NON_RETRYABLE_TYPES } from '../reasons';

/**
 * Every step's retry: 1 s, x2, at most 30 s between attempts; input problems (src/reasons.ts) fail at once. How long
 * a step may retry in all is its schedule-to-close (2 hours for the zip and Orthanc steps; none for the follower).
 */
export const STEP_RETRY: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
};

/** Progress is published (search attributes, current details) after this many outcomes. */
export const PUBLISH_EVERY = {
  /** An ingest of a zip. */
  ingest: 25,
  /** `follow` and `reprocess` (fewer, slower instances: published sooner). */
  storedRun: 10,
} as const;

/** Longest value written into a Keyword search attribute (Temporal's limit is 255 bytes; names are cut to this). */
export const KEYWORD_MAX_CHARS = 250;

/** A keyword search attribute's value, cut to KEYWORD_MAX_CHARS. */
export function keyword(value: string): string {
  return value.slice(0, KEYWORD_MAX_CHARS);
}
