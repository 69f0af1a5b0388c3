/**
 * The sliding window of ProcessInstanceWorkflow children that ingests, `follow` and `reprocess` share, and the one
 * way they start a child. Workflow code: deterministic, no I/O.
 */
import type { SearchAttributePair } from '@temporalio/common';
import { condition, executeChild, ParentClosePolicy } from '@temporalio/workflow';
import { keyword } from './policies';
import { processInstanceWorkflow } from './process-instance';
import * as SA from './search-attributes';
import type { EntryOutcome, InstanceInput } from './types';

/**
 * At most `size` children in flight. With `refill` 0 a slot is taken as soon as one frees; with `refill` > 0 the
 * window waits until `refill` slots are free and then fills them all (one wake-up of the parent for several starts).
 */
export class ChildWindow {
  inFlight = 0;
  private startNow = 0;

  constructor(
    readonly size: number,
    /** Set before the first start (where the workflow decides it, e.g. behind a patch). */
    public refill = 0,
  ) {}

  /** Wait for a free slot, then run `child` in it (not awaited: the window tracks it). */
  async start(child: () => Promise<void>): Promise<void> {
    if (!this.refill) await condition(() => this.inFlight < this.size);
    else if (this.startNow === 0) {
      await condition(() => this.inFlight <= this.size - this.refill);
      this.startNow = this.size - this.inFlight;
    }
    if (this.refill) this.startNow--;
    this.inFlight++;
    void child().finally(() => {
      this.inFlight--;
    });
  }

  /** Every child has reported (before continue-as-new: children report to the run that started them). */
  drain(): Promise<void> {
    return condition(() => this.inFlight === 0);
  }
}

/**
 * Start one instance child and wait for its outcome. Its I/O steps run as local activities (`ioSteps: 'local'`);
 * it is terminated with its parent; its search attributes are the entry's name, `extra`, and CxrState `processing`.
 */
export function executeInstanceChild(opts: {
  workflowId: string;
  input: Omit<InstanceInput, 'ioSteps'>;
  summary: string;
  extraSearchAttributes?: SearchAttributePair[];
  workflowIdReusePolicy?: 'ALLOW_DUPLICATE_FAILED_ONLY';
}): Promise<EntryOutcome> {
  return executeChild(processInstanceWorkflow, {
    workflowId: opts.workflowId,
    args: [{ ...opts.input, ioSteps: 'local' }],
    staticSummary: opts.summary,
    parentClosePolicy: ParentClosePolicy.TERMINATE,
    ...(opts.workflowIdReusePolicy ? { workflowIdReusePolicy: opts.workflowIdReusePolicy } : {}),
    typedSearchAttributes: [
      { key: SA.ENTRY_NAME, value: keyword(opts.input.entry.name) },
      ...(opts.extraSearchAttributes ?? []),
      { key: SA.STATE, value: 'processing' },
    ],
  });
}
