/**
 * One DICOM entry of a zip: upload -> classify -> store report.
 * Deterministic and thin; every step is an activity that redeems the claim check itself.
 * Ends `done` or `skipped` (completes), or `failed` (the workflow fails with a typed
 * ApplicationFailure, so the Web UI shows it red with the reason).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  type LocalActivityOptions,
  metricMeter,
  proxyActivities,
  proxyLocalActivities,
  type RetryPolicy,
  setCurrentDetails,
  TimeoutFailure,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { PipelineActivities } from '../activities';
import { NON_RETRYABLE_TYPES, outcomeOf, type Reason, toReason } from '../reasons';
import { STATE } from './search-attributes';
import type { StudyImageNote } from './study';
import type { ClassifyOutput, EntryOutcome, InstanceInput, ModelRef, UploadOutput } from './types';

/** The study workflow's Signal-With-Start (src/activities/study.ts): a few tries, then the image's outcome stands. */
const { noteStudyImage } = proxyLocalActivities<PipelineActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '10 seconds' },
  summary: 'tell the study',
});

/** Survives an Orthanc outage of up to two hours per step; retries back off to one attempt every 30 s. */
const orthancRetry: RetryPolicy = {
  initialInterval: '1 second',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES],
};

// Timeouts, sized from measurements on a 2-core machine, idle to busy (idempotency.test.ts in
// test/integration/durability prints them on every run):
//   uploadInstance   64x64: 20-70 ms;  2500x2048 16-bit (10 MB): 110-330 ms
//   classifyInstance 64x64: 20-50 ms;  2500x2048: 250-670 ms with the demo model (pixel fetch 160-490 ms,
//                    preprocess 100-350 ms); DenseNet-121 adds 40-80 ms (docs/performance.md)
//   storeReport      100-340 ms for either size (the SR is small)
// Start-to-close bounds one attempt (a hung Orthanc request): >=100x the measured step, room for a 1 GB entry.
// Heartbeat timeout is what notices a dead worker: the activities heartbeat every 2 s (src/activities/keep-alive.ts),
// so a SIGKILLed worker's step is retried elsewhere after ~10 s, whatever the step's length.
const ioOptions = {
  startToCloseTimeout: '2 minutes',
  scheduleToCloseTimeout: '2 hours',
  heartbeatTimeout: '10 seconds',
  retry: orthancRetry,
} as const;

/**
 * The same steps as local activities (children started with `ioSteps: 'local'`, as every parent starts them): run
 * by the worker that runs this workflow task, recorded as one MarkerRecorded event each instead of
 * scheduled/started/completed plus a workflow task (docs/durability.md, "Local activities"). They cannot heartbeat:
 * a dead worker is noticed by the workflow task timeout instead (10 s), and the workflow task is retried elsewhere,
 * which runs the step again (idempotent). Start-to-close still bounds one attempt; backoffs up to 10 s are slept in
 * the worker, longer ones (attempt 5 on: 16, 30, 30 s ...) become durable timers, so a long Orthanc outage costs a
 * few events per retry and holds no workflow task.
 */
const localIoOptions: LocalActivityOptions = {
  startToCloseTimeout: ioOptions.startToCloseTimeout,
  scheduleToCloseTimeout: ioOptions.scheduleToCloseTimeout,
  localRetryThreshold: '10 seconds',
  retry: orthancRetry,
};

const inferenceOptions = {
  // Measured (above): <1 s for a full-size image. Start-to-close counts from pickup, not queueing.
  startToCloseTimeout: '1 minute',
  scheduleToCloseTimeout: '2 hours',
  heartbeatTimeout: '10 seconds',
  retry: orthancRetry,
} as const;

/** The steps, each labelled with the file it works on (shown per activity in the Web UI). */
function steps(entryName: string, inferenceTaskQueue: string | undefined, localIo: boolean) {
  const io = (summary: string) =>
    localIo
      ? proxyLocalActivities<PipelineActivities>({ ...localIoOptions, summary })
      : proxyActivities<PipelineActivities>({ ...ioOptions, summary });
  return {
    uploadInstance: io(`upload ${entryName}`).uploadInstance,
    inspectStoredInstance: io(`read ${entryName} from Orthanc`).inspectStoredInstance,
    classifyInstance: proxyActivities<PipelineActivities>({
      ...inferenceOptions,
      taskQueue: inferenceTaskQueue,
      summary: `classify ${entryName}`,
    }).classifyInstance,
    storeReport: io(`store SR for ${entryName}`).storeReport,
    storeHeatmaps: io(`store heatmaps for ${entryName}`).storeHeatmaps,
  };
}

export async function processInstanceWorkflow(input: InstanceInput): Promise<EntryOutcome> {
  const { entry } = input;
  const base = { index: entry.index, name: entry.name };
  // The history's own input decides the shape, so a child replays the commands it was recorded with: children of
  // older parents (no ioSteps) keep the activity steps and the `done` upsert. Chosen by input rather than patched():
  // a patch costs a marker and a TemporalChangeVersion upsert in every child (docs/durability.md).
  const localIo = input.ioSteps === 'local';

  const end = (status: 'done' | 'failed' | 'skipped', details: string, reason = ''): void => {
    // A completed child whose CxrState is still `processing` is done (src/cli/ingests.ts reads it so): the upsert is
    // kept for the outcomes operators filter on (failed, skipped), not paid for every done entry. When the workflow
    // fails in the same workflow task as a local step's result (e.g. NotDicom at upload),
    // the `failed` upsert issued just before the failure is not recorded (test/fixtures/histories/instance-failed.json),
    // so failed entries are found by ExecutionStatus = 'Failed' (the CLI and docs/operator-guide.md do).
    if (status !== 'done' || !localIo) upsertSearchAttributes([{ key: STATE, value: status }]);
    setCurrentDetails(details);
    // Prometheus (src/metrics.ts); the SDK emits nothing while replaying.
    metricMeter
      .createCounter('cxr_instances', 'instances', 'Finished instances by outcome and reason')
      .add(1, { outcome: status, reason });
  };

  /** Skip (returns the outcome) or fail (throws the typed failure): decided by the reason's declared outcome. */
  const settle = (reason: Reason, extra: Partial<EntryOutcome> = {}): EntryOutcome => {
    const status = outcomeOf(reason.type);
    end(
      status,
      status === 'failed' ? `**failed** (${reason.type}): ${reason.message}` : `**skipped**: ${reason.message}`,
      reason.type,
    );
    if (status === 'failed') throw ApplicationFailure.nonRetryable(reason.message, reason.type);
    return { ...base, ...extra, status, reason };
  };

  if (entry.problem) return settle(entry.problem);

  // Children of ingests and followers started since the study workflow exists (input.studies) report how they ended
  // to their study's workflow (src/workflows/study.ts); older histories have no such step. Not for AlreadyReported.
  let up: UploadOutput | undefined;
  const tellStudy = async (
    status: StudyImageNote['image']['status'],
    extra: { reason?: Reason; reportSopInstanceUid?: string; findings?: ClassifyOutput['findings']; model?: ModelRef },
  ): Promise<void> => {
    if (!input.studies || !up?.studyInstanceUid) return;
    const top = [...(extra.findings ?? [])].sort((a, b) => b.probability - a.probability).slice(0, 5);
    const note: StudyImageNote = {
      image: {
        sopInstanceUid: up.sopInstanceUid,
        seriesInstanceUid: up.seriesInstanceUid,
        status,
        ...(extra.reason ? { reason: extra.reason } : {}),
        ...(extra.reportSopInstanceUid ? { reportSopInstanceUid: extra.reportSopInstanceUid } : {}),
        positiveFindings: top.filter((f) => f.positive),
      },
      topFindings: top,
    };
    const model = extra.model ?? input.model;
    if (model) note.model = { id: model.id, version: model.version };
    try {
      await noteStudyImage({ studyInstanceUid: up.studyInstanceUid, note, priority: workflowInfo().priority });
    } catch {
      // The image's own outcome (and its SR) stand; the study hears of the study's next image.
    }
  };

  const { uploadInstance, inspectStoredInstance, classifyInstance, storeReport, storeHeatmaps } = steps(
    entry.name,
    input.inferenceTaskQueue,
    localIo,
  );
  try {
    // A zip entry is uploaded first; an instance already in Orthanc (follow, reprocess) starts after that step.
    setCurrentDetails(
      'orthancId' in entry ? `reading \`${entry.name}\` from Orthanc` : `uploading \`${entry.name}\` to Orthanc`,
    );
    up =
      'orthancId' in entry
        ? await inspectStoredInstance({ orthancId: entry.orthancId, model: input.model })
        : await uploadInstance({ entry, limits: input.limits });
    if (up.reportExists) {
      return settle(
        {
          type: 'AlreadyReported',
          message: `The SR of model ${input.model?.id}@${input.model?.version} for this image is already in Orthanc.`,
        },
        { sopInstanceUid: up.sopInstanceUid, orthancId: up.orthancId },
      );
    }
    if (!up.eligibility.classify) {
      const { type, message } = up.eligibility;
      await tellStudy('skipped', { reason: { type, message } });
      return settle(
        { type, message },
        { sopInstanceUid: up.sopInstanceUid, orthancId: up.orthancId, alreadyStored: up.alreadyStored },
      );
    }

    setCurrentDetails(`classifying Orthanc instance ${up.orthancId}`);
    const classification = await classifyInstance({ orthancId: up.orthancId, expectedModel: input.model });

    setCurrentDetails(`storing the structured report for ${up.sopInstanceUid}`);
    const reportInput = {
      orthancId: up.orthancId,
      sourceSopInstanceUid: up.sopInstanceUid,
      classification,
      reportedAt: new Date(Date.now()).toISOString(), // workflow time: deterministic on replay
      admission: up.eligibility.admission,
    };
    const report = await storeReport(reportInput);
    // Heatmaps only for models with class activation maps and positive findings (none in older histories).
    if (Object.keys(classification.activationMaps ?? {}).length > 0) {
      setCurrentDetails(`storing the heatmaps for ${up.sopInstanceUid}`);
      await storeHeatmaps(reportInput);
    }

    await tellStudy('done', {
      reportSopInstanceUid: report.reportSopInstanceUid,
      findings: classification.findings,
      model: classification.model,
    });
    const topFindings = [...classification.findings]
      .sort((a, b) => b.probability - a.probability)
      .slice(0, 3)
      .map(({ label, probability, positive }) => ({ label, probability, positive }));
    end(
      'done',
      `**done**: SR ${report.reportSopInstanceUid}; top: ${topFindings.map((f) => `${f.label} ${f.probability.toFixed(2)}`).join(', ')}`,
    );
    return {
      ...base,
      status: 'done',
      sopInstanceUid: up.sopInstanceUid,
      studyInstanceUid: up.studyInstanceUid,
      orthancId: up.orthancId,
      reportSopInstanceUid: report.reportSopInstanceUid,
      sourceSha256: up.sourceSha256,
      topFindings,
      alreadyStored: up.alreadyStored,
    };
  } catch (err) {
    if (err instanceof ApplicationFailure && err.nonRetryable) throw err; // already classified above
    const reason = describeFailure(err);
    if (reason === undefined) throw err;
    await tellStudy(outcomeOf(reason.type), { reason });
    return settle(reason);
  }
}

/** Turn an activity failure into the typed reason shown to operators. */
function describeFailure(err: unknown): Reason | undefined {
  if (!(err instanceof ActivityFailure)) return undefined;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) return toReason(cause.type, cause.message);
  if (cause instanceof TimeoutFailure) {
    const last = cause.cause instanceof ApplicationFailure ? ` Last error: ${cause.cause.message}` : '';
    return {
      type: 'StepTimedOut',
      message: `Step ${err.activityType} gave up after its retry window (${cause.timeoutType}).${last}`,
    };
  }
  return toReason(undefined, cause?.message ?? err.message);
}
