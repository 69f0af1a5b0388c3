/**
 * One workflow per study (ID `study/<Study Instance UID>`): it hears of each image of the study as that image's own
 * workflow ends (the instance workflow's last step signals it with Signal-With-Start, so the first image starts it),
 * and decides when the study is complete: after `inactivityMs` without a new image (CXR_STUDY_INACTIVITY_S), or at
 * once when an operator asks (`cxr studies complete <uid>`, the `completeStudy` update). It then records one summary:
 * which images, which were skipped or failed and why, the highest findings (StudySummary, src/contracts.ts), in its
 * memo (`summary`), its search attributes (CxrState completed, CxrTotal / CxrDone / CxrFailed) and its query.
 *
 * A late image re-opens a completed study (CxrState open again) and the next completion gets the next number
 * (`completion`). After completion the workflow waits `reopenWindowMs` (CXR_STUDY_REOPEN_S) for late images, then
 * closes with the last summary as its result; an image after that starts a new run that continues the numbering from
 * the previous run's result. The same image reported twice with the same outcome (a retried signal, a re-sent image)
 * changes nothing. Deterministic: the clock is the workflow's; one timer at a time, not one per image.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  setCurrentDetails,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Finding, StudyImageOutcome, StudySummary } from '../contracts';
import * as SA from './search-attributes';

export const DEFAULT_STUDY_INACTIVITY_MS = 120_000;
export const DEFAULT_STUDY_REOPEN_WINDOW_MS = 7 * 24 * 3600_000;
/** Images kept per study (a chest X-ray study has a handful; a synthetic bulk zip may put hundreds in one). */
export const MAX_STUDY_IMAGES = 500;
const TOP_FINDINGS = 5;

export function studyWorkflowId(studyInstanceUid: string): string {
  return `study/${studyInstanceUid}`;
}

/** What one image's workflow reports when it ends. */
export interface StudyImageNote {
  image: StudyImageOutcome;
  /** The image's most probable findings, positive or not (at most 5; done images only). */
  topFindings: Finding[];
  /** The model that classified it (done), or the model it was judged for (follow's pinned model). */
  model?: { id: string; version: string };
}

export type StudyState = 'open' | 'completed';

interface ImageRecord extends StudyImageOutcome {
  topFindings: Finding[];
}

export interface StudyCarry {
  completion: number;
  state: StudyState;
  images: ImageRecord[];
  imagesDropped: number;
  lastImageAt: number;
  model?: { id: string; version: string };
  summary?: StudySummary;
}

export interface StudyInput {
  studyInstanceUid: string;
  inactivityMs?: number;
  reopenWindowMs?: number;
  /** The summary of the study's previous (closed) run: completion numbering and images continue from it. */
  previous?: StudySummary;
  /** Internal: carried by continue-as-new. */
  carry?: StudyCarry;
}

export interface StudyView {
  studyInstanceUid: string;
  state: StudyState;
  /** Completions so far (the last summary's number). */
  completion: number;
  counts: { total: number; done: number; failed: number; skipped: number };
  images: StudyImageOutcome[];
  imagesDropped: number;
  /** When the study completes if no image arrives (ISO; open only). */
  completesAt?: string;
  summary?: StudySummary;
}

export const studyImageSignal = defineSignal<[StudyImageNote]>('studyImage');
export const completeStudyUpdate = defineUpdate<StudySummary>('completeStudy');
export const studyQuery = defineQuery<StudyView>('study');

/** Per label, the highest probability over the images; most probable first. */
export function highestFindings(images: readonly { topFindings: Finding[] }[], n = TOP_FINDINGS): Finding[] {
  const best = new Map<string, Finding>();
  for (const img of images)
    for (const f of img.topFindings) {
      const b = best.get(f.label);
      if (!b || f.probability > b.probability) best.set(f.label, f);
    }
  return [...best.values()].sort((a, b) => b.probability - a.probability).slice(0, n);
}

function sameOutcome(a: StudyImageOutcome, b: StudyImageOutcome): boolean {
  return (
    a.status === b.status && a.reason?.type === b.reason?.type && a.reportSopInstanceUid === b.reportSopInstanceUid
  );
}

export async function studyWorkflow(input: StudyInput): Promise<StudySummary | undefined> {
  const uid = input.studyInstanceUid;
  const inactivityMs = Math.max(1000, input.inactivityMs ?? DEFAULT_STUDY_INACTIVITY_MS);
  const reopenWindowMs = Math.max(0, input.reopenWindowMs ?? DEFAULT_STUDY_REOPEN_WINDOW_MS);
  const prev = input.previous;
  const c: StudyCarry = input.carry ?? {
    completion: prev?.completion ?? 0,
    state: 'open',
    images: (prev?.images ?? []).map((i) => ({ ...i, topFindings: i.positiveFindings })),
    imagesDropped: 0,
    lastImageAt: Date.now(),
    model: prev?.model,
  };
  let { completion, state, imagesDropped, lastImageAt, model, summary } = c;
  const images = new Map(c.images.map((i) => [i.sopInstanceUid, i]));
  let operatorAsked = 0;
  let operatorAnswered = 0;
  let signals = 0;

  const counts = () => {
    const out = { total: images.size + imagesDropped, done: 0, failed: 0, skipped: 0 };
    for (const i of images.values()) out[i.status]++;
    return out;
  };
  const publish = (): void => {
    const n = counts();
    upsertSearchAttributes([
      { key: SA.STUDY_UID, value: uid.slice(0, 250) },
      { key: SA.STATE, value: state },
      { key: SA.TOTAL, value: n.total },
      { key: SA.DONE, value: n.done },
      { key: SA.FAILED, value: n.failed },
    ]);
    setCurrentDetails(
      `**${state}** study ${uid}: ${n.total} image(s) (${n.done} done, ${n.failed} failed, ${n.skipped} skipped)` +
        (completion ? `, completion ${completion}` : ''),
    );
  };

  setHandler(studyImageSignal, (note) => {
    signals++;
    const key = note.image.sopInstanceUid;
    const before = images.get(key);
    if (before && sameOutcome(before, note.image)) return; // the same report again: nothing new
    if (!before && images.size >= MAX_STUDY_IMAGES) imagesDropped++;
    else images.set(key, { ...note.image, topFindings: note.topFindings.slice(0, TOP_FINDINGS) });
    if (note.model && (note.image.status === 'done' || !model)) model = note.model;
    lastImageAt = Date.now();
    if (state === 'completed') state = 'open'; // a late image re-opens the study
    publish();
  });
  setHandler(
    completeStudyUpdate,
    async () => {
      const ticket = ++operatorAsked;
      await condition(() => operatorAnswered >= ticket);
      return summary as StudySummary;
    },
    {
      validator: () => {
        if (images.size === 0 && !summary) throw new Error(`Study ${uid} has no image yet`);
      },
    },
  );
  setHandler(studyQuery, () => ({
    studyInstanceUid: uid,
    state,
    completion,
    counts: counts(),
    images: [...images.values()].map(({ topFindings: _t, ...i }) => i),
    imagesDropped,
    completesAt: state === 'open' ? new Date(lastImageAt + inactivityMs).toISOString() : undefined,
    summary,
  }));

  const complete = (by: StudySummary['completedBy']): void => {
    completion++;
    const list = [...images.values()].sort(
      (a, b) =>
        a.seriesInstanceUid.localeCompare(b.seriesInstanceUid) || a.sopInstanceUid.localeCompare(b.sopInstanceUid),
    );
    summary = {
      studyInstanceUid: uid,
      completion,
      completedAt: new Date(Date.now()).toISOString(),
      completedBy: by,
      model: model ?? { id: 'unknown', version: 'unknown' },
      images: list.map(({ topFindings: _t, ...i }) => i),
      highestFindings: highestFindings(list.filter((i) => i.status === 'done')),
    };
    state = 'completed';
    upsertMemo({ summary });
    publish();
  };

  if (input.carry) publish();
  for (;;) {
    if (state === 'open') {
      // One timer for the whole quiet period: images arriving meanwhile move the deadline, not the timer.
      const wait = lastImageAt + inactivityMs - Date.now();
      const asked = wait > 0 ? await condition(() => operatorAsked > operatorAnswered, wait) : false;
      if (asked) complete('operator');
      else if (Date.now() >= lastImageAt + inactivityMs) complete('inactivity');
    } else {
      const late = await condition(
        () => state === 'open' || operatorAsked > operatorAnswered,
        Math.max(1, lastImageAt + reopenWindowMs - Date.now()),
      );
      if (!late) break;
    }
    // Completed (now or before): every operator request so far is answered with the current summary.
    if (state === 'completed') operatorAnswered = operatorAsked;
    if (signals > 2000 || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof studyWorkflow>({
        ...input,
        previous: undefined,
        carry: { completion, state, images: [...images.values()], imagesDropped, lastImageAt, model, summary },
      });
    }
  }
  await condition(allHandlersFinished);
  return summary;
}
