/**
 * uploadInstance: redeem the claim check (zip path + entry index), check the bytes are DICOM, store
 * them in Orthanc and report the identifiers and eligibility the next steps need.
 *
 * Idempotency: Orthanc's POST /instances answers AlreadyStored for a SOPInstanceUID it has, and the
 * instance ID is a hash of the UIDs, so running this twice stores one copy and returns the same
 * result. We tag what we store with the SHA-256 of the bytes (Orthanc user metadata
 * CxrSourceSha256) to tell our own earlier attempt apart from a *different* file that carries the
 * same SOPInstanceUID (a re-export, a transcoded copy): the latter is skipped, never overwritten.
 * A crash between Orthanc storing the file and the tag being written leaves an untagged copy, which
 * the retry claims after comparing Orthanc's MD5 of the stored file with its own (see isSameFile: the
 * same check keeps two concurrent uploads of different files with one UID from both claiming it). Tested in test/integration/durability/idempotency.test.ts,
 * including that crash window. Heartbeats (keepAlive) while reading the entry and talking to Orthanc.
 */
import crypto from 'node:crypto';
import { type AcceptedInput, decideEligibility } from '../dicom/eligibility';
import { encodingContradiction, sniffDicom } from '../dicom/sniff';
import { isValidUid } from '../dicom/uids';
import { parseDicom } from '../dicom/dataset';
import { checkImageStructure, DEFAULT_MAX_IMAGE_PIXELS } from '../dicom/structure';
import {
  asTemporalFailure,
  CorruptDicomError,
  ImageTooLargeError,
  NotDicomError,
  OrthancRejectedError,
  UnsafeImageStructureError,
} from '../errors';
import { type SimplifiedTags, tagString as tag } from '../dicom/tags';
import { type OrthancClient, SOURCE_SHA_METADATA } from '../orthanc/client';
import { readEntry } from '../zip';
import type { Eligibility, UploadOutput, ZipEntryRef, ZipLimitOverrides } from '../contracts';
import { acceptsOf, type ActivityDeps } from './deps';
import { heartbeat, keepAlive } from './keep-alive';
import { effectiveLimits } from './zip-activities';

export { SOURCE_SHA_METADATA };

/** SHA-256 of the bytes, computed off the event loop (WebCrypto runs digests on libuv's thread pool). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return Buffer.from(await crypto.webcrypto.subtle.digest('SHA-256', bytes)).toString('hex');
}

/**
 * The structural checks of src/dicom/structure.ts on bytes about to be stored; the refusal names the entry. A file
 * the reader finds truncated is CorruptDicom, a header that does not describe its data UnsafeImageStructure.
 */
export function checkStructure(bytes: Buffer, name: string, maxImagePixels: number): void {
  try {
    checkImageStructure(parseDicom(bytes), { maxImagePixels });
  } catch (err) {
    if (err instanceof CorruptDicomError) throw new CorruptDicomError(`"${name}": ${err.message}`, { cause: err });
    if (err instanceof UnsafeImageStructureError)
      throw new UnsafeImageStructureError(`"${name}": ${err.message}`, { cause: err });
    if (err instanceof ImageTooLargeError) throw new ImageTooLargeError(`"${name}": ${err.message}`, { cause: err });
    throw err;
  }
}

/** How long to wait for a concurrent upload of the same UID to record its fingerprint (no-meta files only). */
const CLAIM_SETTLE_MS = 2000;

/**
 * Orthanc answered AlreadyStored: is the stored file the one we hold (our own earlier attempt, or an identical
 * copy), or a different file with the same SOPInstanceUID?
 *  1. Our fingerprint (CxrSourceSha256) on the stored instance decides, when present.
 *  2. Without one (stored by another route, by us just before a crash, or by a concurrent upload that has not
 *     written it yet), compare Orthanc's MD5 of the stored file with ours: Orthanc keeps files as received,
 *     so equal means same file and we record our fingerprint; different means another file.
 *  3. Files without preamble/meta are rewritten by Orthanc on store, so their MD5 never matches: wait briefly
 *     for a concurrent upload's fingerprint, and claim the instance if none appears.
 */
async function isSameFile(
  orthanc: OrthancClient,
  id: string,
  bytes: Buffer,
  sha256: string,
  hasPreamble: boolean,
): Promise<boolean> {
  const previous = await orthanc.getInstanceMetadata(id, SOURCE_SHA_METADATA);
  if (previous !== null) return previous === sha256;
  if (hasPreamble) {
    const md5 = crypto.createHash('md5').update(bytes).digest('hex');
    if ((await orthanc.getStoredFileMd5(id)) !== md5) return false;
  } else {
    await new Promise((r) => setTimeout(r, CLAIM_SETTLE_MS));
    const settled = await orthanc.getInstanceMetadata(id, SOURCE_SHA_METADATA);
    if (settled !== null) return settled === sha256;
  }
  await orthanc.setInstanceMetadata(id, SOURCE_SHA_METADATA, sha256);
  return true;
}

/**
 * Whether a stored instance is classified, from its tags and the model's intended input (`accepts`): the same rules
 * for zips, arrivals (follow) and re-processing. `what` names the file in messages.
 */
export function eligibilityOfTags(accepts: AcceptedInput, tags: SimplifiedTags, what: string): Eligibility {
  const sopInstanceUid = tag(tags, 'SOPInstanceUID') ?? '';
  const studyInstanceUid = tag(tags, 'StudyInstanceUID') ?? '';
  // A report must reference the image and file under its study by UID: with an invalid UID no valid SR can
  // exist, so say so now rather than after classifying.
  const badUid = [sopInstanceUid, studyInstanceUid].find((u) => !isValidUid(u));
  if (badUid !== undefined) {
    return {
      classify: false,
      type: 'InvalidUid',
      message: `${what} carries the invalid UID ${badUid} (DICOM UIDs are dot-separated numbers without leading zeros, at most 64 characters); it is stored in Orthanc, but no report can reference it. Fix the UID at the source and re-export.`,
    };
  }
  // What the model was made for (its manifest's accepts) decides; see src/dicom/eligibility.ts.
  return decideEligibility(accepts, tags);
}

export function makeUploadActivities(deps: ActivityDeps) {
  const { orthanc } = deps;
  const accepts = acceptsOf(deps);
  return {
    async uploadInstance(input: { entry: ZipEntryRef; limits?: ZipLimitOverrides }): Promise<UploadOutput> {
      return keepAlive(() =>
        asTemporalFailure(async () => {
          const { entry } = input;
          const bytes = await readEntry(
            entry.zipPath,
            entry.index,
            { name: entry.name, size: entry.size, crc32: entry.crc32 },
            effectiveLimits(deps.zipLimits, input.limits),
            deps.archives,
          );
          heartbeat('read');
          const sniff = sniffDicom(bytes);
          if (!sniff.ok) throw new NotDicomError(`"${entry.name}" is not a DICOM file (${sniff.reason}).`);
          const contradiction = encodingContradiction(bytes);
          if (contradiction) throw new CorruptDicomError(`"${entry.name}" ${contradiction}.`);
          // Before Orthanc (or any decoder) sees it: the header must describe the pixel data it carries.
          checkStructure(bytes, entry.name, deps.maxImagePixels ?? DEFAULT_MAX_IMAGE_PIXELS);
          // On libuv's thread pool (WebCrypto), not the event loop: ~25 ms for a 10 MB file.
          const sha256 = await sha256Hex(bytes);

          let stored;
          try {
            stored = await orthanc.uploadInstance(bytes);
          } catch (err) {
            if (err instanceof OrthancRejectedError) {
              throw new CorruptDicomError(
                `"${entry.name}" looks like DICOM but cannot be read (truncated or damaged?). ${err.message}`,
              );
            }
            throw err;
          }
          heartbeat('stored');

          const alreadyStored = stored.status === 'AlreadyStored';
          if (!alreadyStored) await orthanc.setInstanceMetadata(stored.id, SOURCE_SHA_METADATA, sha256);
          const duplicate = alreadyStored && !(await isSameFile(orthanc, stored.id, bytes, sha256, sniff.hasPreamble));

          const tags = await orthanc.getInstanceTags(stored.id);
          const sopInstanceUid = tag(tags, 'SOPInstanceUID');
          const studyInstanceUid = tag(tags, 'StudyInstanceUID');
          const output = (eligibility: Eligibility): UploadOutput => ({
            orthancId: stored.id,
            alreadyStored,
            sopInstanceUid: sopInstanceUid ?? '?',
            sopClassUid: tag(tags, 'SOPClassUID') ?? '',
            studyInstanceUid: studyInstanceUid ?? '',
            seriesInstanceUid: tag(tags, 'SeriesInstanceUID') ?? '',
            modality: tag(tags, 'Modality') ?? '',
            sourceSha256: sha256,
            eligibility,
          });
          if (duplicate) {
            return output({
              classify: false,
              type: 'DuplicateSopInstanceUid',
              message: `Orthanc already holds a different file with SOP Instance UID ${sopInstanceUid ?? '?'}; this copy was not stored and not classified (the stored one is). Check for a re-export or transcoded duplicate.`,
            });
          }
          if (!sopInstanceUid || !studyInstanceUid) {
            throw new CorruptDicomError(`"${entry.name}" lacks a SOP Instance UID or Study Instance UID.`);
          }
          return output(eligibilityOfTags(accepts, tags, `"${entry.name}"`));
        }),
      );
    },
  };
}
