/**
 * Work priority (issue 25): live arrivals before backfill, on the same workers, with Temporal's task-queue priority.
 * Pure (bundled into the workflow sandbox too). The priority is set once, where a job starts (the CLI's workflow
 * starts); Temporal records it on the workflow and copies it onto every task the job creates: its workflow tasks (so
 * the local activities they run), its activities on any queue (the inference queues included), its children and
 * theirs, and its continue-as-new runs. It lives on the server's tasks, so it survives worker and server restarts.
 *
 *   urgent    priority key 1   `cxr follow` (images arriving from the modalities), `cxr ingest --priority urgent`
 *   routine   priority key 3   `cxr ingest` (Temporal's default level: anything started without a priority)
 *   backfill  priority key 5   `cxr reprocess`, `cxr ingest --priority backfill` (bulk imports)
 *
 * Within one level, the fairness key is the job's own workflow ID (shortened to Temporal's 64 bytes by the CLI), so
 * two bulk jobs share the workers in turn instead of the first one started taking them all (docs/operator-guide.md).
 */
import type { WorkPriority } from './contracts';

export type { WorkPriority };

export const WORK_PRIORITIES = ['urgent', 'routine', 'backfill'] as const satisfies readonly WorkPriority[];

/** Temporal priority keys: 1 is served first; the server's default for an unset key is 3 (of 5 levels). */
export const PRIORITY_KEYS: Readonly<Record<WorkPriority, number>> = { urgent: 1, routine: 3, backfill: 5 };

/** Temporal's limit on a fairness key. */
export const MAX_FAIRNESS_KEY_BYTES = 64;

export function isWorkPriority(v: unknown): v is WorkPriority {
  return typeof v === 'string' && (WORK_PRIORITIES as readonly string[]).includes(v);
}

/** The Temporal priority of a job: its level, and its own fairness key within the level. */
export function taskPriority(p: WorkPriority, fairnessKey: string): { priorityKey: number; fairnessKey: string } {
  if (fairnessKey.length === 0 || new TextEncoder().encode(fairnessKey).length > MAX_FAIRNESS_KEY_BYTES)
    throw new RangeError(`fairness key must be 1-${MAX_FAIRNESS_KEY_BYTES} bytes: ${JSON.stringify(fairnessKey)}`);
  return { priorityKey: PRIORITY_KEYS[p], fairnessKey };
}

/** The level of a Temporal priority key as operators name it (unset: the server's default, routine). */
export function priorityName(priorityKey: number | undefined): WorkPriority {
  if (priorityKey === undefined || priorityKey === 0) return 'routine';
  if (priorityKey <= PRIORITY_KEYS.urgent) return 'urgent';
  if (priorityKey >= PRIORITY_KEYS.backfill) return 'backfill';
  return 'routine';
}
