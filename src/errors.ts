/**
 * The error classes activities throw. Each one carries a reason type declared in src/reasons.ts, which becomes
 * the Temporal failure type and the reason an operator sees; its retryability is read from that declaration.
 *
 * Rule of thumb: anything about the *input* (the zip, the file, the pixels) will fail the same way
 * every time -> non-retryable. Anything about the *environment* (Orthanc down, timeouts, 5xx)
 * may heal -> retryable.
 */
import { ApplicationFailure } from '@temporalio/common';
import { REASONS, type ReasonType } from './reasons';

export { NON_RETRYABLE_TYPES } from './reasons';

export abstract class PipelineError extends Error {
  abstract readonly type: ReasonType;
  abstract readonly retryable: boolean;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
  /** Convert into the failure Temporal records (activity side). */
  toFailure(): ApplicationFailure {
    return ApplicationFailure.create({
      type: this.type,
      message: this.message,
      nonRetryable: !this.retryable,
      cause: this.cause instanceof Error ? this.cause : undefined,
    });
  }
}

/** An error class for a declared reason: its retryability comes from src/reasons.ts, never from here. */
function defineError<T extends ReasonType>(type: T) {
  return class extends PipelineError {
    static readonly TYPE: T = type;
    readonly type: T = type;
    readonly retryable: boolean = REASONS[type].retryable;
  };
}

// ---- Zip level (reject the whole archive) ----
export class ZipRejectedError extends defineError('ZipRejected') {}
// ---- Entry level (one file in the zip) ----
export class UnsafeEntryNameError extends defineError('UnsafeEntryName') {}
export class EntryTooLargeError extends defineError('EntryTooLarge') {}
export class EntryUnreadableError extends defineError('EntryUnreadable') {}
export class DuplicateEntryNameError extends defineError('DuplicateEntryName') {}
export class NestedArchiveError extends defineError('NestedArchive') {}
export class ZeroByteEntryError extends defineError('ZeroByteEntry') {}
export class DanglingSymbolicLinkError extends defineError('DanglingSymbolicLink') {}
export class NotDicomError extends defineError('NotDicom') {}
export class CorruptDicomError extends defineError('CorruptDicom') {}
export class NoPixelDataError extends defineError('NoPixelData') {}
export class UnsupportedPixelDataError extends defineError('UnsupportedPixelData') {}
/** A header that does not describe its pixel data (src/dicom/structure.ts): refused before upload and decode. */
export class UnsafeImageStructureError extends defineError('UnsafeImageStructure') {}
export class ImageTooLargeError extends defineError('ImageTooLarge') {}
export class OrthancRejectedError extends defineError('OrthancRejected') {}
/** HTTP 404 from Orthanc about an instance the pipeline stored earlier: it was deleted meanwhile. */
export class OrthancNotFoundError extends defineError('OrthancNotFound') {}
/** HTTP 400 (other than a refused upload or decode): the same request fails the same way every time. */
export class OrthancBadRequestError extends defineError('OrthancBadRequest') {}
export class ModelError extends defineError('ModelError') {}
export class ReportBuildError extends defineError('ReportBuildError') {}
/** A step pinned to one model version reached a worker loaded with another: the SR must name the model that ran. */
export class ModelMismatchError extends defineError('ModelMismatch') {}
/** A classification whose MAC does not match its request (src/activities/result-binding.ts): never stored. */
export class InferenceResultUnverifiedError extends defineError('InferenceResultUnverified') {}
// ---- Environment (retry) ----
export class OrthancUnavailableError extends defineError('OrthancUnavailable') {}
export class ZipMissingError extends defineError('ZipMissing') {}

// ---- Result delivery (src/activities/deliver.ts) ----
export class DeliveryUnavailableError extends defineError('DeliveryUnavailable') {}
/** An HL7 ACK with MSA-1 AE or AR: retried per the delivery policy; the message carries the code and its text. */
export class DeliveryNegativeAckError extends defineError('DeliveryNegativeAck') {}
export class DeliveryRejectedError extends defineError('DeliveryRejected') {}
export class DeliveryMisconfiguredError extends defineError('DeliveryMisconfigured') {}

/** Wrap an activity body so typed errors reach Temporal with their type and retryability. */
export async function asTemporalFailure<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PipelineError) throw err.toFailure();
    throw err;
  }
}
