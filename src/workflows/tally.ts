/**
 * The accounting an ingest and a stored run (follow, reprocess) share: counts, a bounded list of recent problems, the
 * run number and timestamps carried across continue-as-new, the progress search attributes, and how a failed child
 * becomes an outcome. Deterministic (workflow code): the clock is the workflow's.
 */
import { ApplicationFailure, ChildWorkflowFailure, upsertSearchAttributes } from '@temporalio/workflow';
import { outcomeOf, type Reason, toReason } from '../reasons';
import * as SA from './search-attributes';
import type { Counts, EntryOutcome, IngestProgress, IngestState, TallyCarry } from './types';

/** Problems kept in workflow state (and the query); the complete list is in visibility (CLI `failures`). */
export const MAX_RECENT_PROBLEMS = 200;

export class Tally {
  readonly counts: Counts;
  recentProblems: EntryOutcome[];
  problemsDropped: number;
  /** This workflow run's number, 1 for the first (continue-as-new adds one). */
  readonly runs: number;
  readonly startedAt: string;
  updatedAt: string;
  private sinceUpsert = 0;

  /** `publish` is called after every `publishEvery` outcomes recorded since the last `upsert`; it should call `upsert`. */
  constructor(
    carry: TallyCarry | undefined,
    private readonly publishEvery: number,
    private readonly publish: () => void,
  ) {
    this.counts = carry ? { ...carry.counts } : { total: 0, done: 0, failed: 0, skipped: 0 };
    this.recentProblems = carry ? [...carry.recentProblems] : [];
    this.problemsDropped = carry?.problemsDropped ?? 0;
    this.runs = (carry?.runs ?? 0) + 1;
    this.startedAt = carry?.startedAt ?? new Date(Date.now()).toISOString();
    this.updatedAt = new Date(Date.now()).toISOString();
  }

  record(outcome: EntryOutcome): void {
    this.counts[outcome.status] += 1;
    if (outcome.status !== 'done') {
      this.recentProblems.push(outcome);
      if (this.recentProblems.length > MAX_RECENT_PROBLEMS) {
        this.problemsDropped += this.recentProblems.length - MAX_RECENT_PROBLEMS;
        this.recentProblems = this.recentProblems.slice(-MAX_RECENT_PROBLEMS);
      }
    }
    this.updatedAt = new Date(Date.now()).toISOString();
    if (++this.sinceUpsert >= this.publishEvery) {
      this.sinceUpsert = 0;
      this.publish();
    }
  }

  /** Publishes the state and counts as search attributes (the Web UI's and `cxr status`'s columns). */
  upsert(state: IngestState): void {
    this.sinceUpsert = 0;
    upsertSearchAttributes([
      { key: SA.STATE, value: state },
      { key: SA.TOTAL, value: this.counts.total },
      { key: SA.DONE, value: this.counts.done },
      { key: SA.FAILED, value: this.counts.failed },
    ]);
  }

  /** The tally's part of the progress query's answer. */
  progress(): Pick<
    IngestProgress,
    'counts' | 'runs' | 'startedAt' | 'updatedAt' | 'recentProblems' | 'problemsDropped'
  > {
    const { runs, startedAt, updatedAt, recentProblems, problemsDropped } = this;
    return { counts: { ...this.counts }, runs, startedAt, updatedAt, recentProblems, problemsDropped };
  }

  carry(): TallyCarry {
    const { counts, recentProblems, problemsDropped, runs, startedAt } = this;
    return { counts, recentProblems, problemsDropped, runs, startedAt };
  }
}

/** The outcome of a child that threw: its typed reason, skipped or failed as the vocabulary says. */
export function failureOf(err: unknown): { status: 'failed' | 'skipped'; reason: Reason } {
  if (err instanceof ChildWorkflowFailure && err.cause instanceof ApplicationFailure) {
    const reason = toReason(err.cause.type, err.cause.message);
    return { status: outcomeOf(reason.type), reason };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { status: 'failed', reason: { type: 'ChildWorkflowFailed', message } };
}
