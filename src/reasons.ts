/**
 * The one vocabulary of operator-visible reasons. Every failure or skip type the pipeline records (the Temporal
 * failure type, the `reason.type` of an entry, what `cxr failures` prints) is declared here once, with its outcome
 * and whether Temporal retries it. Everything else is derived: the error classes' retryability (src/errors.ts), the
 * activities' non-retryable list, the skip-or-fail decision, `cxr failures --help` and the operator guide's table
 * (test/unit/reasons.test.ts keeps docs/operator-guide.md in step).
 *
 * Adding a reason is one line below. Pure and dependency-free: workflows import it.
 */

export type Outcome = 'failed' | 'skipped';

export interface ReasonSpec {
  /** failed: something is wrong with the input or the environment; skipped: deliberately not processed. */
  readonly outcome: Outcome;
  /** Temporal retries the step that raised it (the environment may heal); false: fails at once, every time. */
  readonly retryable: boolean;
  /** Where it is decided: the zip as a whole, one entry, the environment, or the workflow/CLI (synthetic). */
  readonly scope: 'zip' | 'entry' | 'environment' | 'workflow' | 'delivery';
  /** One sentence for the operator: what it means, what to do. */
  readonly meaning: string;
}

const zip = (meaning: string): ReasonSpec => ({ outcome: 'failed', retryable: false, scope: 'zip', meaning });
const failed = (meaning: string): ReasonSpec => ({ outcome: 'failed', retryable: false, scope: 'entry', meaning });
const skipped = (meaning: string): ReasonSpec => ({ outcome: 'skipped', retryable: false, scope: 'entry', meaning });
const retried = (meaning: string): ReasonSpec => ({
  outcome: 'failed',
  retryable: true,
  scope: 'environment',
  meaning,
});
/** Recorded by the workflows or the CLI, never raised by an activity. */
const synthetic = (meaning: string): ReasonSpec => ({
  outcome: 'failed',
  retryable: false,
  scope: 'workflow',
  meaning,
});

export const REASONS = {
  // ---- the zip as a whole ----
  ZipRejected: zip('The zip was refused as a whole (not a zip, over a limit, changed since the ingest started).'),
  // ---- one entry: the zip entry itself ----
  UnsafeEntryName: failed('The entry name is unsafe as a path (absolute, "..", control characters); it was not read.'),
  EntryTooLarge: failed('The entry is above the per-file limit or expands like a zip bomb; it was not inflated.'),
  EntryUnreadable: failed('The entry cannot be read (unsupported compression, damaged zip, CRC mismatch).'),
  DuplicateEntryName: failed('The same name appears twice in the zip; only the first copy is processed.'),
  NestedArchive: failed('An archive inside the zip; it is not opened. Extract it and ingest its files as a zip.'),
  ZeroByteEntry: failed('The entry is empty (0 bytes).'),
  DanglingSymbolicLink: failed(
    'A symbolic link to a file that is not in the zip (zipped with links kept); zip the files themselves.',
  ),
  // ---- one entry: the DICOM file ----
  NotDicom: failed('The file is not DICOM.'),
  CorruptDicom: failed(
    'The file looks like DICOM but cannot be read (truncated, damaged, missing UIDs, header contradicts its data).',
  ),
  NoPixelData: failed('A radiograph without pixel data: there is no image to classify.'),
  UnsupportedPixelData: failed('The pixel data uses an encoding or layout the pipeline cannot decode.'),
  UnsafeImageStructure: failed(
    'The header does not describe its pixel data (dimensions, bits, frames vs the Pixel Data length, VRs, LUT descriptors, meta-header length): a decoder would overflow or misread it, so it was not stored.',
  ),
  ImageTooLarge: failed('Rows x Columns is above the ceiling (CXR_MAX_IMAGE_PIXELS); it was not stored or decoded.'),
  InvalidUid: failed('A UID is not a valid DICOM UID, so no report can reference the image; fix it at the source.'),
  // ---- one entry: Orthanc, the model, the report ----
  OrthancRejected: failed('Orthanc refused to store the file.'),
  OrthancNotFound: failed(
    'The instance vanished from Orthanc mid-ingest (deleted?); `cxr retry-failed` uploads it again (a zip entry).',
  ),
  OrthancBadRequest: failed('Orthanc answered HTTP 400 to a request about this instance; retrying cannot help.'),
  ModelError: failed('The model could not classify the image (no model loaded, bad output).'),
  ReportBuildError: failed('The structured report could not be built for this image.'),
  ModelMismatch: failed(
    'A step pinned to one model version (follow, reprocess) reached a worker with another model; nothing was stored. Run a worker with that model on its queue.',
  ),
  InferenceResultUnverified: failed(
    "The classification did not carry the MAC of the workers' shared key (a worker that is not ours answered on the inference queue, or the keys differ); nothing was stored. Check which workers poll the queue and CXR_WORKER_RESULT_KEY.",
  ),
  // ---- skipped: fine files this pipeline does not process ----
  NotChestXray: skipped('Not a chest radiograph (modality or body part); stored in Orthanc, not classified.'),
  DicomDir: skipped('A DICOMDIR index, not an image.'),
  SystemFile: skipped('Operating-system metadata (macOS resource forks, .DS_Store, Thumbs.db), not an image.'),
  SymbolicLink: skipped('A symbolic link to another file or folder in the zip, which is processed as its own entry.'),
  DuplicateSopInstanceUid: skipped('Orthanc already holds a different file with this SOP Instance UID; not stored.'),
  InstanceDeleted: skipped(
    'follow / reprocess / retry-failed: the instance was deleted from Orthanc before it was read; nothing to classify.',
  ),
  AlreadyReported: skipped(
    'follow / reprocess: the SR of this model version for the image is already in Orthanc; not classified again.',
  ),
  // ---- skipped: outside the model's intended input (its manifest's `accepts`; src/dicom/eligibility.ts) ----
  ForProcessingImage: skipped(
    'A raw detector image (Presentation Intent Type FOR PROCESSING); send the processed one.',
  ),
  PhotometricNotAccepted: skipped('A Photometric Interpretation the model does not read (it reads greyscale films).'),
  NotFrontalView: skipped('A view the model was not made for (e.g. a lateral); the message names the attribute.'),
  NonHumanPatient: skipped(
    'A veterinary image (Patient Species, a breed, or a protocol naming an animal); the message names the attribute.',
  ),
  ImageTooSmall: skipped('Smaller than the model accepts (a thumbnail or reduced copy); send the full-size image.'),
  OutsideAgeRange: skipped("The patient's age is outside the model's range; the message names the bound, not the age."),
  // ---- the environment: Temporal retries the step for up to two hours ----
  OrthancUnavailable: retried('Orthanc did not answer, failed (5xx) or refused the credentials; retried.'),
  ZipMissing: retried('The zip is not at its path on the worker (yet); retried.'),
  // ---- result delivery: a completed study's result to a configured sink (src/workflows/deliver-study.ts) ----
  DeliveryUnavailable: retried(
    'A delivery receiver (webhook, HL7 MLLP listener, FHIR server) did not answer, timed out or failed (5xx, 429); retried for 24 hours.',
  ),
  DeliveryNegativeAck: retried(
    'The HL7 receiver answered AE or AR (the message names MSA and ERR); retried for 24 hours, then the sink is failed.',
  ),
  DeliveryRejected: {
    outcome: 'failed',
    retryable: false,
    scope: 'delivery',
    meaning:
      'The receiver refused the message (HTTP 4xx: bad signature, invalid FHIR resource); fix the sink, then redeliver.',
  },
  DeliveryMisconfigured: {
    outcome: 'failed',
    retryable: false,
    scope: 'delivery',
    meaning:
      "A sink of this delivery is not configured on the worker (or its secret is missing); see the worker's CXR_DELIVER_*.",
  },
  // ---- recorded by the workflows and the CLI ----
  StepTimedOut: synthetic('A step gave up after its two-hour retry window (an outage outlasted it); retry later.'),
  ChildWorkflowFailed: synthetic('The entry workflow ended without a typed reason (see the message).'),
  Terminated: synthetic('The workflow was terminated by an operator or a policy.'),
  TimedOut: synthetic('The workflow ran past its execution timeout.'),
  Cancelled: synthetic('The workflow was cancelled.'),
  Unexpected: synthetic('An error the pipeline has no type for (a bug): the message names the original error.'),
} as const satisfies Record<string, ReasonSpec>;

export type ReasonType = keyof typeof REASONS;

/** What an entry (or a rejected ingest) records: a declared type and a message an operator can act on. */
export interface Reason {
  type: ReasonType;
  message: string;
}

export const REASON_TYPES = Object.keys(REASONS) as ReasonType[];

export function isReasonType(type: string | null | undefined): type is ReasonType {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(REASONS, type);
}

/** Failure types no retry policy may retry: derived, never kept by hand. */
export const NON_RETRYABLE_TYPES: readonly ReasonType[] = REASON_TYPES.filter((t) => !REASONS[t].retryable);

/** Reasons that mean "skipped" rather than "failed": derived. */
export const SKIP_TYPES: ReadonlySet<ReasonType> = new Set(
  REASON_TYPES.filter((t) => REASONS[t].outcome === 'skipped'),
);

/** Skipped or failed: the one place that decides. An undeclared type is a failure. */
export function outcomeOf(type: string): Outcome {
  return isReasonType(type) ? REASONS[type].outcome : 'failed';
}

/**
 * A reason from a failure type seen on the wire (an ApplicationFailure's type). An undeclared type (a plain
 * `TypeError` from a bug, say) becomes `Unexpected`, keeping the original type in the message.
 */
export function toReason(type: string | null | undefined, message: string): Reason {
  if (isReasonType(type)) return { type, message };
  return { type: 'Unexpected', message: type ? `[${type}] ${message}` : message };
}
