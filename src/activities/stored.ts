/**
 * Activities for instances that are already in Orthanc: images that arrived by C-STORE or STOW-RS (`cxr follow`)
 * and the archive re-processed with another model (`cxr reprocess`). They read Orthanc only; every decision is
 * made from the instance's tags with the same eligibility rules as zips (eligibilityOfTags), plus:
 *  - structured reports are ignored outright (our own output is never classified: no loop is possible);
 *  - with a pinned model, an image whose SR from that model version exists is skipped as AlreadyReported. The SR
 *    UID is derived from the source UID and the model id/version, so this is one lookup, not a scan.
 * Idempotent: pure reads (same Orthanc content, same answer).
 */
import { deriveReportUids, isValidUid } from '../dicom/uids';
import { asTemporalFailure, CorruptDicomError, OrthancNotFoundError } from '../errors';
import { type SimplifiedTags, tagString as tag } from '../dicom/tags';
import { type OrthancClient, SOURCE_SHA_METADATA } from '../orthanc/client';
import type {
  Eligibility,
  DecisionPage,
  ModelRef,
  ReprocessScope,
  StoredInstanceDecision,
  UploadOutput,
} from '../workflows/types';
import { acceptsOf, type ActivityDeps } from './deps';
import { heartbeat, keepAlive } from './keep-alive';
import { eligibilityOfTags } from './upload';

/**
 * Our own output and its kin, never classified and not counted: structured reports (1.2.840.10008.5.1.4.1.1.88.x),
 * segmentations such as the heatmap SEGs (…1.66.x, Modality SEG) and parametric maps (…1.30).
 */
function isStructuredReport(tags: SimplifiedTags): boolean {
  const sopClass = tag(tags, 'SOPClassUID') ?? '';
  const modality = tag(tags, 'Modality') ?? '';
  return (
    sopClass.startsWith('1.2.840.10008.5.1.4.1.1.88.') ||
    sopClass.startsWith('1.2.840.10008.5.1.4.1.1.66.') ||
    sopClass === '1.2.840.10008.5.1.4.1.1.30' ||
    modality === 'SR' ||
    modality === 'SEG'
  );
}

export function modelKey(model: ModelRef): string {
  return `${model.id}@${model.version}`;
}

/** Does the SR of `model` for this source image exist in Orthanc? */
export async function reportExists(orthanc: OrthancClient, sourceSopInstanceUid: string, model: ModelRef) {
  if (!isValidUid(sourceSopInstanceUid)) return false;
  const { sopInstanceUid } = deriveReportUids(sourceSopInstanceUid, model.id, model.version);
  return (await orthanc.lookup(sopInstanceUid, 'Instance')).length > 0;
}

export async function decideStored(
  deps: ActivityDeps,
  orthancId: string,
  index: number,
  model: ModelRef | undefined,
): Promise<StoredInstanceDecision> {
  let tags: SimplifiedTags;
  try {
    tags = await deps.orthanc.getInstanceTags(orthancId);
  } catch (err) {
    // Deleted since it was listed (a change log entry, a page of a study, an instance a retry names): accounted as
    // skipped with the reason, never a failure of the whole follow / reprocess run (issue 24). The client raises
    // OrthancNotFoundError for a 404 (src/orthanc/client.ts); compared by class, never by name (eslint forbids it).
    if (err instanceof OrthancNotFoundError) {
      return {
        orthancId,
        index,
        name: orthancId,
        action: 'skip',
        reason: {
          type: 'InstanceDeleted',
          message: `Orthanc instance ${orthancId} was deleted before it was read; nothing to classify.`,
        },
      };
    }
    throw err;
  }
  const sop = tag(tags, 'SOPInstanceUID') ?? '';
  const base = { orthancId, index, name: sop || orthancId };
  if (isStructuredReport(tags)) return { ...base, action: 'ignore' };
  const eligibility = eligibilityOfTags(model?.accepts ?? acceptsOf(deps), tags, `Instance ${sop || orthancId}`);
  if (!eligibility.classify) {
    return { ...base, action: 'skip', reason: { type: eligibility.type, message: eligibility.message } };
  }
  if (model && (await reportExists(deps.orthanc, sop, model))) {
    return {
      ...base,
      action: 'skip',
      reason: {
        type: 'AlreadyReported',
        message: `The SR of model ${modelKey(model)} for this image is already in Orthanc; not classified again.`,
      },
    };
  }
  return { ...base, action: 'classify' };
}

async function decideAll(
  deps: ActivityDeps,
  refs: { id: string; index: number }[],
  model: ModelRef | undefined,
): Promise<StoredInstanceDecision[]> {
  const out: StoredInstanceDecision[] = [];
  // A few requests at a time: a burst of arrivals must not flood Orthanc (the workflow bounds pages, this bounds I/O).
  for (let i = 0; i < refs.length; i += 4) {
    const part = await Promise.all(refs.slice(i, i + 4).map((r) => decideStored(deps, r.id, r.index, model)));
    out.push(...part);
    heartbeat(i);
  }
  return out;
}

function scopeQuery(scope: ReprocessScope): Record<string, string> {
  if (scope.study) return { StudyInstanceUID: scope.study };
  if (scope.since) return { StudyDate: `${scope.since}-` };
  return {};
}

export function makeStoredActivities(deps: ActivityDeps) {
  const { orthanc } = deps;
  return {
    /**
     * The next new instances from Orthanc's /changes after `since`, with what to do with each. When nothing is new,
     * waits up to `waitMs` for arrivals (a long poll: an idle follower writes a few history events per wait, not per
     * second).
     */
    async readChanges(input: {
      since: number;
      limit: number;
      waitMs: number;
      model?: ModelRef;
    }): Promise<DecisionPage> {
      return keepAlive(() =>
        asTemporalFailure(async () => {
          const deadline = Date.now() + input.waitMs;
          for (;;) {
            const page = await orthanc.getChanges(input.since, input.limit);
            const refs = page.changes
              .filter((c) => c.changeType === 'NewInstance' && c.resourceType === 'Instance')
              .map((c) => ({ id: c.id, index: c.seq }));
            if (refs.length > 0 || page.last > input.since || Date.now() >= deadline) {
              return { items: await decideAll(deps, refs, input.model), next: page.last, done: page.done };
            }
            await new Promise((r) => setTimeout(r, 1000));
          }
        }),
      );
    },

    /** The sequence number of Orthanc's latest change: where `follow start` begins by default. */
    async lastChangeSeq(): Promise<number> {
      return asTemporalFailure(() => orthanc.getLastChangeSeq());
    },

    /** One page of the instances in `scope`, with what to do with each (reprocess). */
    async listStoredInstances(input: {
      scope: ReprocessScope;
      offset: number;
      limit: number;
      model?: ModelRef;
    }): Promise<DecisionPage> {
      return keepAlive(() =>
        asTemporalFailure(async () => {
          const ids = input.scope.instances
            ? input.scope.instances.slice(input.offset, input.offset + input.limit)
            : await orthanc.findInstancesPage(scopeQuery(input.scope), input.offset, input.limit);
          const refs = ids.map((id, i) => ({ id, index: input.offset + i }));
          const items = await decideAll(deps, refs, input.model);
          return { items, next: input.offset + ids.length, done: ids.length < input.limit };
        }),
      );
    },

    /** uploadInstance's counterpart for an instance already in Orthanc: identifiers and eligibility. */
    async inspectStoredInstance(input: { orthancId: string; model?: ModelRef }): Promise<UploadOutput> {
      return keepAlive(() =>
        asTemporalFailure(async () => {
          const tags = await orthanc.getInstanceTags(input.orthancId);
          const sopInstanceUid = tag(tags, 'SOPInstanceUID');
          const studyInstanceUid = tag(tags, 'StudyInstanceUID');
          if (!sopInstanceUid || !studyInstanceUid) {
            throw new CorruptDicomError(
              `Orthanc instance ${input.orthancId} lacks a SOP Instance UID or Study Instance UID.`,
            );
          }
          const eligibility: Eligibility = isStructuredReport(tags)
            ? {
                classify: false,
                type: 'NotChestXray',
                message: "A structured report (possibly this pipeline's own output): never classified.",
              }
            : eligibilityOfTags(input.model?.accepts ?? acceptsOf(deps), tags, `Instance ${sopInstanceUid}`);
          return {
            orthancId: input.orthancId,
            alreadyStored: true,
            sopInstanceUid,
            sopClassUid: tag(tags, 'SOPClassUID') ?? '',
            studyInstanceUid,
            seriesInstanceUid: tag(tags, 'SeriesInstanceUID') ?? '',
            modality: tag(tags, 'Modality') ?? '',
            // The fingerprint an upload recorded, if this instance came through a zip; '' for C-STORE / STOW-RS
            // arrivals (`cxr verify` then checks presence only).
            sourceSha256: (await orthanc.getInstanceMetadata(input.orthancId, SOURCE_SHA_METADATA)) ?? '',
            eligibility,
            reportExists:
              eligibility.classify && input.model
                ? await reportExists(orthanc, sopInstanceUid, input.model)
                : undefined,
          };
        }),
      );
    },
  };
}
