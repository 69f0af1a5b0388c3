/**
 * The pipeline's error taxonomy. Every error has a stable `type` string which becomes the Temporal
 * failure type and the reason an operator sees. `retryable` decides whether Temporal tries again.
 *
 * Rule of thumb: anything about the *input* (the zip, the file, the pixels) will fail the same way
 * every time -> non-retryable. Anything about the *environment* (Orthanc down, timeouts, 5xx)
 * may heal -> retryable.
 */
import { ApplicationFailure } from '@temporalio/common';

export abstract class PipelineError extends Error {
  abstract readonly type: string;
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

function defineError(type: string, retryable: boolean) {
  return class extends PipelineError {
    static readonly TYPE = type;
    readonly type = type;
    readonly retryable = retryable;
  };
}

// ---- Zip level (reject the whole archive) ----
export class ZipRejectedError extends defineError('ZipRejected', false) {}
// ---- Entry level (one file in the zip) ----
export class UnsafeEntryNameError extends defineError('UnsafeEntryName', false) {}
export class EntryTooLargeError extends defineError('EntryTooLarge', false) {}
export class EntryUnreadableError extends defineError('EntryUnreadable', false) {}
export class NotDicomError extends defineError('NotDicom', false) {}
export class CorruptDicomError extends defineError('CorruptDicom', false) {}
export class NoPixelDataError extends defineError('NoPixelData', false) {}
export class UnsupportedPixelDataError extends defineError('UnsupportedPixelData', false) {}
export class OrthancRejectedError extends defineError('OrthancRejected', false) {}
export class ModelError extends defineError('ModelError', false) {}
export class ReportBuildError extends defineError('ReportBuildError', false) {}
/** A step pinned to one model version reached a worker loaded with another: the SR must name the model that ran. */
export class ModelMismatchError extends defineError('ModelMismatch', false) {}
// ---- Environment (retry) ----
export class OrthancUnavailableError extends defineError('OrthancUnavailable', true) {}
export class ZipMissingError extends defineError('ZipMissing', true) {}
// ---- Entry level, added with the zip reader (src/zip): pre-flagged by listEntries ----
export class DuplicateEntryNameError extends defineError('DuplicateEntryName', false) {}
export class NestedArchiveError extends defineError('NestedArchive', false) {}
export class ZeroByteEntryError extends defineError('ZeroByteEntry', false) {}

/** Failure types the activities' retry policies must never retry. Kept next to the classes. */
export const NON_RETRYABLE_TYPES: readonly string[] = [
  ZipRejectedError.TYPE,
  UnsafeEntryNameError.TYPE,
  EntryTooLargeError.TYPE,
  EntryUnreadableError.TYPE,
  NotDicomError.TYPE,
  CorruptDicomError.TYPE,
  NoPixelDataError.TYPE,
  UnsupportedPixelDataError.TYPE,
  OrthancRejectedError.TYPE,
  ModelError.TYPE,
  ReportBuildError.TYPE,
  ModelMismatchError.TYPE,
  DuplicateEntryNameError.TYPE,
  NestedArchiveError.TYPE,
  ZeroByteEntryError.TYPE,
];

/** Wrap an activity body so typed errors reach Temporal with their type and retryability. */
export async function asTemporalFailure<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof PipelineError) throw err.toFailure();
    throw err;
  }
}
