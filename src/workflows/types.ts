/**
 * Workflow inputs, results and progress, shared by the workflows and the CLI. Pure types only: this module is
 * bundled into the deterministic workflow sandbox. Activity payloads live in src/contracts.ts (re-exported here).
 */
import type { ZipEntryRef, ZipLimitOverrides } from '../contracts';
import type { Reason } from '../reasons';

export type {
  Admission,
  ClassifyOutput,
  Eligibility,
  Finding,
  ModelIdentity,
  StoreReportInput,
  StoreReportOutput,
  UploadOutput,
  ZipEntryRef,
  ZipLimitOverrides,
  ZipListing,
} from '../contracts';

export type EntryStatus = 'done' | 'failed' | 'skipped';

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
