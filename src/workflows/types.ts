/**
 * Payload types shared by workflows, activities and the CLI. Pure types only: this module is
 * bundled into the deterministic workflow sandbox. Payloads carry references (zip path + entry
 * index, Orthanc IDs, DICOM UIDs), never DICOM bytes, pixels or patient demographics.
 */
import type { Reason } from '../reasons';

export type EntryStatus = 'done' | 'failed' | 'skipped';

/** Where one DICOM file lives: the claim check every activity redeems itself. */
export interface ZipEntryRef {
  zipPath: string;
  zipSha256: string;
  index: number;
  name: string;
  size: number;
  compressedSize: number;
  crc32: number;
  /** Problem pre-flagged when listing (unsafe name, bomb, ...): the child fails/skips without reading. */
  problem?: Reason;
}

/** Optional overrides of the worker's zip limits (tests use small ones). */
export interface ZipLimitOverrides {
  maxEntries?: number;
  maxEntryBytes?: number;
  maxTotalUncompressedBytes?: number;
  maxCompressionRatio?: number;
  maxZipBytes?: number;
}

export interface IngestOptions {
  /** Children in flight at once (sliding window). Default 16. */
  window?: number;
  /** Entries handled per workflow run before continue-as-new. Default 500. */
  continueAsNewEvery?: number;
  /** Entries fetched per listing activity. Default 250. */
  pageSize?: number;
  /** Only these entry indexes (retry of failures). */
  onlyEntries?: number[];
  /** Workflow ID of the ingest this one retries. */
  retryOf?: string;
  limits?: ZipLimitOverrides;
  /** Task queue for the CPU-bound classify activity (defaults to the worker's inference queue). */
  inferenceTaskQueue?: string;
}

export interface Counts {
  total: number;
  done: number;
  failed: number;
  skipped: number;
}

export interface EntryOutcome {
  index: number;
  name: string;
  status: EntryStatus;
  /** Failure or skip type (stable string) and a message an operator can act on. */
  reason?: Reason;
  /** Present when done. */
  sopInstanceUid?: string;
  studyInstanceUid?: string;
  orthancId?: string;
  reportSopInstanceUid?: string;
  /** SHA-256 of the source file's bytes as uploaded (also Orthanc metadata CxrSourceSha256): `cxr verify` compares them. */
  sourceSha256?: string;
  topFindings?: { label: string; probability: number; positive: boolean }[];
  alreadyStored?: boolean;
}

/** Carried across continue-as-new. */
export interface IngestProgressState {
  nextOffset: number;
  counts: Counts;
  /** Most recent failures/skips (bounded; the full list is in visibility, see `failures`). */
  recentProblems: EntryOutcome[];
  problemsDropped: number;
  runs: number;
  startedAt: string;
}

export interface IngestInput {
  zipPath: string;
  zipSha256: string;
  zipName: string;
  options?: IngestOptions;
  /** Internal: state carried over by continue-as-new. */
  carry?: IngestProgressState & { fileEntryCount: number; retryQueue?: number[] };
}

export type IngestState = 'listing' | 'running' | 'completed' | 'rejected';

export interface IngestProgress {
  ingestId: string;
  zipName: string;
  zipSha256: string;
  state: IngestState;
  counts: Counts;
  inFlight: number;
  runs: number;
  startedAt: string;
  updatedAt: string;
  recentProblems: EntryOutcome[];
  problemsDropped: number;
  retryOf?: string;
}

export interface IngestResult extends IngestProgress {
  finishedAt: string;
}

export interface InstanceInput {
  entry: ZipEntryRef;
  limits?: ZipLimitOverrides;
  inferenceTaskQueue?: string;
}

// ---- activity payloads ----

export type Eligibility = { classify: true } | ({ classify: false } & Reason);

export interface UploadOutput {
  orthancId: string;
  alreadyStored: boolean;
  sopInstanceUid: string;
  sopClassUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  modality: string;
  /** SHA-256 of the entry's bytes (the fingerprint recorded on the Orthanc instance). */
  sourceSha256: string;
  eligibility: Eligibility;
}

export interface FindingScore {
  label: string;
  probability: number;
  threshold: number;
  positive: boolean;
}

/** The model that produced a classification (type-only import: nothing of the inference code enters the sandbox). */
import type { ModelIdentity } from '../inference/classify-instance';
export type { ModelIdentity };

export interface ClassifyOutput {
  model: ModelIdentity;
  findings: FindingScore[];
  timingsMs: Record<string, number>;
}

export interface StoreReportInput {
  orthancId: string;
  sourceSopInstanceUid: string;
  classification: ClassifyOutput;
  /** Content date/time of the SR (ISO), fixed by the workflow so every retry builds identical bytes. */
  reportedAt: string;
}

export interface StoreReportOutput {
  reportSopInstanceUid: string;
  reportOrthancId: string;
  alreadyStored: boolean;
}

export interface ZipListing {
  zipSha256: string;
  fileEntryCount: number;
  directoryCount: number;
  sizeBytes: number;
}
