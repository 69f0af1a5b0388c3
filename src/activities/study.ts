/**
 * The instance workflow's last step (src/workflows/study.ts): tell the study's workflow how this image ended, starting
 * that workflow if it is not running (Signal-With-Start on `study/<Study Instance UID>`). When the study's previous
 * run has closed (its reopen window passed), the new run continues the completion numbering from that run's result.
 * Idempotent: the study workflow ignores the same image reported twice with the same outcome.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Priority } from '@temporalio/common';
import type { StudySummary } from '../contracts';
import { isValidUid } from '../dicom/uids';
import { asTemporalFailure } from '../errors';
import { priorityName } from '../priority';
import * as SA from '../workflows/search-attributes';
import { type StudyImageNote, studyImageSignal, type StudyInput, studyWorkflowId } from '../workflows/study';
import type { ActivityDeps } from './deps';

export function makeStudyActivities(deps: ActivityDeps) {
  return {
    async noteStudyImage(input: {
      studyInstanceUid: string;
      note: StudyImageNote;
      priority?: Priority;
    }): Promise<void> {
      if (!isValidUid(input.studyInstanceUid)) return;
      return asTemporalFailure(async () => {
        const ctx = Context.current();
        const client = ctx.client;
        const workflowId = studyWorkflowId(input.studyInstanceUid);
        let previous: StudySummary | undefined;
        try {
          const d = await client.workflow.getHandle(workflowId).describe();
          if (d.status.name === 'COMPLETED')
            previous = (await client.workflow.getHandle(workflowId).result()) as StudySummary | undefined;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
        const args: StudyInput = {
          studyInstanceUid: input.studyInstanceUid,
          inactivityMs: deps.studies?.inactivityMs,
          reopenWindowMs: deps.studies?.reopenWindowMs,
          previous,
        };
        // The study runs at the level of the image that opened it (routine when that image had none).
        const level = priorityName(input.priority?.priorityKey);
        await client.workflow.signalWithStart('studyWorkflow', {
          workflowId,
          taskQueue: ctx.info.taskQueue,
          args: [args],
          signal: studyImageSignal,
          signalArgs: [input.note],
          ...(input.priority?.priorityKey ? { priority: { priorityKey: input.priority.priorityKey } } : {}),
          typedSearchAttributes: [
            { key: SA.STUDY_UID, value: input.studyInstanceUid },
            { key: SA.STATE, value: 'open' },
            { key: SA.PRIORITY, value: level },
          ],
          staticSummary: `Study ${input.studyInstanceUid}`,
          staticDetails: `CLI: \`cxr studies show ${input.studyInstanceUid}\` · \`cxr studies complete ${input.studyInstanceUid}\``,
        });
      });
    },
  };
}
