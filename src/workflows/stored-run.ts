/**
 * What `follow` and `reprocess` share: accounting like an ingest (counts, recent problems, search attributes,
 * current details, the progress query), and a bounded window of ProcessInstanceWorkflow children over instances that
 * are already in Orthanc. Child IDs are deterministic per (run, model, instance): `<run id>/<model>@<version>/<Orthanc
 * instance ID>`, so reading part of the feed again (a cursor from before a crash, a restart from an older position)
 * never starts a second child for the same instance and model; the reuse policy lets only a failed one run again.
 */
import {
  condition,
  executeChild,
  ParentClosePolicy,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { processInstanceWorkflow } from './process-instance';
import { progressQuery } from './queries';
import * as SA from './search-attributes';
import { failureOf, Tally } from './tally';
import type {
  EntryOutcome,
  IngestProgress,
  IngestState,
  ModelRef,
  StoredInstanceDecision,
  StoredRunCarry,
  StoredRunOptions,
} from './types';

export const STORED_DEFAULTS = { window: 8, pageSize: 50, continueAsNewEvery: 500, waitMs: 20_000 } as const;

export function modelKey(model: ModelRef): string {
  return `${model.id}@${model.version}`;
}

export interface StoredRun {
  readonly options: Required<StoredRunOptions>;
  state: IngestState;
  cursor: number;
  /** Children started by this workflow run (continue-as-new after options.continueAsNewEvery). */
  startedThisRun: number;
  /** Account for one decided instance: start its child (waiting for a window slot) or count the skip. */
  dispatch(d: StoredInstanceDecision, opts?: { dryRun?: boolean }): Promise<void>;
  drain(): Promise<void>;
  publish(): void;
  carry(): StoredRunCarry;
  progress(): IngestProgress;
}

export function startStoredRun(input: {
  kind: 'follow' | 'reprocess';
  label: string;
  model: ModelRef;
  inferenceTaskQueue: string;
  options?: StoredRunOptions;
  carry?: StoredRunCarry;
  cursor: number;
}): StoredRun {
  const runId = workflowInfo().workflowId;
  const o = input.options ?? {};
  const options: Required<StoredRunOptions> = {
    window: Math.max(1, o.window ?? STORED_DEFAULTS.window),
    pageSize: Math.max(1, o.pageSize ?? STORED_DEFAULTS.pageSize),
    continueAsNewEvery: Math.max(1, o.continueAsNewEvery ?? STORED_DEFAULTS.continueAsNewEvery),
    waitMs: Math.max(0, o.waitMs ?? STORED_DEFAULTS.waitMs),
  };
  const carry = input.carry;
  const tally = new Tally(carry, 10, () => run.publish());
  const counts = tally.counts;
  let current = carry?.current ?? 0;
  let pending = carry?.pending ?? 0;
  let inFlight = 0;
  const key = modelKey(input.model);

  const run: StoredRun = {
    options,
    state: 'running',
    cursor: input.cursor,
    startedThisRun: 0,
    progress: () => ({
      ingestId: runId,
      zipName: input.label,
      zipSha256: '',
      state: run.state,
      ...tally.progress(),
      inFlight,
      kind: input.kind,
      model: key,
      cursor: run.cursor,
      current,
      pending,
    }),
    publish() {
      tally.upsert(run.state);
      const c = counts;
      setCurrentDetails(
        `**${run.state}** ${input.label}: ${c.total} instances seen ` +
          `(${c.done} done, ${c.failed} failed, ${c.skipped} skipped of which ${current} already reported` +
          `${pending ? `, ${pending} to process` : ''}), ${inFlight} in flight, cursor ${run.cursor}, run ${tally.runs}`,
      );
    },
    carry: () => ({ ...tally.carry(), current, pending }),
    async dispatch(d, opts = {}) {
      if (d.action === 'ignore') return;
      counts.total += 1;
      if (d.action === 'skip') {
        if (d.reason?.type === 'AlreadyReported') current += 1;
        record({ index: d.index, name: d.name, orthancId: d.orthancId, status: 'skipped', reason: d.reason });
        return;
      }
      if (opts.dryRun) {
        pending += 1;
        return;
      }
      await condition(() => inFlight < options.window);
      inFlight++;
      run.startedThisRun++;
      void runChild(d).finally(() => {
        inFlight--;
      });
    },
    drain: () => condition(() => inFlight === 0),
  };
  setHandler(progressQuery, run.progress);

  function record(outcome: EntryOutcome): void {
    tally.record(outcome);
  }

  async function runChild(d: StoredInstanceDecision): Promise<void> {
    const base = { index: d.index, name: d.name, orthancId: d.orthancId };
    try {
      const outcome = await executeChild(processInstanceWorkflow, {
        workflowId: `${runId}/${key}/${d.orthancId}`,
        args: [
          {
            entry: { orthancId: d.orthancId, index: d.index, name: d.name },
            model: input.model,
            inferenceTaskQueue: input.inferenceTaskQueue,
            ioSteps: 'local',
            // Live arrivals feed their study's completion (src/workflows/study.ts); the archive's reprocess does not.
            ...(input.kind === 'follow' ? { studies: true as const } : {}),
          },
        ],
        staticSummary: `${input.label}: ${d.name}`,
        parentClosePolicy: ParentClosePolicy.TERMINATE,
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        typedSearchAttributes: [
          { key: SA.ENTRY_NAME, value: d.name.slice(0, 250) },
          { key: SA.STATE, value: 'processing' },
        ],
      });
      if (outcome.reason?.type === 'AlreadyReported') current += 1;
      record(outcome);
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // This run already processed this instance with this model (the feed was read again): never twice.
        current += 1;
        record({
          ...base,
          status: 'skipped',
          reason: { type: 'AlreadyReported', message: `Already processed by ${runId} with model ${key}.` },
        });
        return;
      }
      record({ ...base, ...failureOf(err) });
    }
  }

  return run;
}
