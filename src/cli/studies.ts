/**
 * Reading and completing study workflows (src/workflows/study.ts) for `cxr studies`: the list from visibility
 * (search attributes and the memo's summary, no worker needed), one study's live view (query) or final summary
 * (result), and the operator's "complete now" (the completeStudy update).
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { StudySummary } from '../contracts';
import * as SA from '../workflows/search-attributes';
import { completeStudyUpdate, studyQuery, type StudyView, studyWorkflowId } from '../workflows/study';
import { CliError, EXIT } from './exit-codes';
import { q } from './ingests';

export interface StudyRow {
  studyInstanceUid: string;
  /** open | completed (CxrState); `closed` once the workflow ended (its reopen window passed). */
  state: string;
  completion: number;
  total: number;
  done: number;
  failed: number;
  skipped: number;
  priority: string;
  startTime: string;
  completedAt?: string;
}

export async function listStudies(
  client: Client,
  opts: { limit: number; state?: string; filter?: string },
): Promise<StudyRow[]> {
  const filters = [`WorkflowType = 'studyWorkflow'`];
  if (opts.state) filters.push(`CxrState = ${q(opts.state)}`);
  if (opts.filter) filters.push(`(${opts.filter})`);
  const rows: StudyRow[] = [];
  for await (const w of client.workflow.list({ query: filters.join(' AND ') })) {
    const sa = w.typedSearchAttributes;
    const summary = (await w.memo)?.summary as StudySummary | undefined;
    const total = Number(sa.get(SA.TOTAL) ?? 0);
    const done = Number(sa.get(SA.DONE) ?? 0);
    const failed = Number(sa.get(SA.FAILED) ?? 0);
    rows.push({
      studyInstanceUid: String(sa.get(SA.STUDY_UID) ?? w.workflowId.replace(/^study\//, '')),
      state: w.status.name === 'RUNNING' ? String(sa.get(SA.STATE) ?? 'open') : 'closed',
      completion: summary?.completion ?? 0,
      total,
      done,
      failed,
      skipped: Math.max(0, total - done - failed),
      priority: String(sa.get(SA.PRIORITY) ?? 'routine'),
      startTime: w.startTime.toISOString(),
      completedAt: summary?.completedAt,
    });
    if (rows.length >= opts.limit) break;
  }
  return rows;
}

/** The live view of a running study, or the final summary of a closed one. */
export async function getStudy(
  client: Client,
  studyInstanceUid: string,
): Promise<{ running: true; view: StudyView } | { running: false; summary?: StudySummary }> {
  const handle = client.workflow.getHandle(studyWorkflowId(studyInstanceUid));
  try {
    const d = await handle.describe();
    if (d.status.name === 'RUNNING') return { running: true, view: await handle.query(studyQuery) };
    const summary = d.status.name === 'COMPLETED' ? ((await handle.result()) as StudySummary | undefined) : undefined;
    return { running: false, summary };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new CliError(`No study workflow for ${studyInstanceUid} (no image of it was processed)`, EXIT.notFound);
    throw err;
  }
}

/** Complete the study now (or get its summary, when it is complete already). */
export async function completeStudy(client: Client, studyInstanceUid: string): Promise<StudySummary> {
  const handle = client.workflow.getHandle(studyWorkflowId(studyInstanceUid));
  try {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') {
      const summary = d.status.name === 'COMPLETED' ? ((await handle.result()) as StudySummary | undefined) : undefined;
      if (summary) return summary;
      throw new CliError(`The workflow of study ${studyInstanceUid} ended ${d.status.name}`, EXIT.error);
    }
  } catch (err) {
    if (err instanceof WorkflowNotFoundError)
      throw new CliError(`No study workflow for ${studyInstanceUid} (no image of it was processed)`, EXIT.notFound);
    throw err;
  }
  return handle.executeUpdate(completeStudyUpdate);
}
