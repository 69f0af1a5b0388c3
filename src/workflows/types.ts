/**
 * Workflow inputs, results and progress, shared by the workflows and the CLI. Pure types only: this module is
 * bundled into the deterministic workflow sandbox. Activity payloads live in src/contracts.ts (re-exported here).
 */
import type { ModelRef, WorkPriority, ZipEntryRef, ZipLimitOverrides } from '../contracts';
import type { Reason } from '../reasons';

export type {
  Admission,
  ClassifyOutput,
  Eligibility,
  Finding,
  ModelIdentity,
  ModelRef,
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
  /**
   * The priority the ingest was started with (src/priority.ts; Temporal holds the one in force, on the workflow and its
   * tasks): recorded so that its retries, repairs and re-runs start at the same level. Absent: routine.
   */
  priority?: WorkPriority;
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
  carry?: IngestProgressState & { fileEntryCount: number };
}

export type IngestState = 'listing' | 'running' | 'stopping' | 'completed' | 'rejected';

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
  /** follow / reprocess only: which run this is, its model, its cursor, and the instances found already reported. */
  kind?: 'ingest' | 'follow' | 'reprocess';
  model?: string;
  cursor?: number;
  /** Instances whose SR of this model already existed (counted in skipped). */
  current?: number;
  /** reprocess --dry-run: instances that would be classified. */
  pending?: number;
}

export interface IngestResult extends IngestProgress {
  finishedAt: string;
}

/**
 * An instance already stored in Orthanc (arrived by C-STORE / STOW-RS, or re-processed): the instance workflow starts
 * after the upload step. `index` orders it within its run (the /changes sequence number for `follow`).
 */
export interface StoredInstanceRef {
  orthancId: string;
  index: number;
  /** SOP Instance UID when known, else the Orthanc ID: what operators see as the entry's name. */
  name: string;
  problem?: undefined;
}

export interface InstanceInput {
  entry: ZipEntryRef | StoredInstanceRef;
  limits?: ZipLimitOverrides;
  inferenceTaskQueue?: string;
  /** Pin classification to this model (follow, reprocess): skip when its SR exists, fail on a worker with another. */
  model?: ModelRef;
  /**
   * `local`: the zip and Orthanc steps run as local activities, and a done entry keeps CxrState `processing`
   * (every parent sets it). Absent: activities and a `done` upsert, as older histories recorded them
   * (docs/durability.md says when that path may go).
   */
  ioSteps?: 'local';
  /**
   * Report the outcome to the study's workflow at the end (src/workflows/study.ts): set by ingests and followers since
   * study completion exists; absent in older histories (no such step) and for reprocess (the archive's studies).
   */
  studies?: true;
}

/**
 * What to do with one instance found in Orthanc (follow's /changes feed, reprocess's pages), decided by an activity
 * from its tags: classify it, skip it with the reason (not a chest X-ray, invalid UID, already reported by this model),
 * or ignore it (a structured report: our own output, never classified, not counted).
 */
export interface StoredInstanceDecision {
  orthancId: string;
  index: number;
  name: string;
  action: 'classify' | 'skip' | 'ignore';
  reason?: Reason;
}

export interface DecisionPage {
  items: StoredInstanceDecision[];
  /** Where the next page starts (a /changes sequence number, or an offset into the scope). */
  next: number;
  /** True when this page reached the end of what exists now. */
  done: boolean;
}

/** Which instances `reprocess` pages through (exactly one of these). */
export interface ReprocessScope {
  study?: string;
  /** Studies dated on or after this day (YYYYMMDD). */
  since?: string;
  all?: boolean;
  /** Explicit Orthanc instance IDs (retry of failures). */
  instances?: string[];
}

/** Options of the long-running runs over stored instances (follow, reprocess). */
export interface StoredRunOptions {
  /** Children in flight at once: the backpressure on Orthanc and the inference workers. Default 8. */
  window?: number;
  /** Instances decided per activity (a /changes or find page). Default 50. */
  pageSize?: number;
  /** Children per workflow run before continue-as-new. Default 500. */
  continueAsNewEvery?: number;
  /** follow: how long one feed read waits for arrivals when nothing is new (ms). Default 20000. */
  waitMs?: number;
}

/** State carried across continue-as-new by follow and reprocess. */
export interface StoredRunCarry {
  counts: Counts;
  recentProblems: EntryOutcome[];
  problemsDropped: number;
  runs: number;
  startedAt: string;
  current: number;
  pending: number;
}

interface StoredRunBase {
  /** What operators see (Web UI CxrZipName, `cxr status`): e.g. "follow http://host:8042 with model@1.0.0". */
  label: string;
  model: ModelRef;
  /** The model's own inference task queue (see modelTaskQueue in src/config.ts). */
  inferenceTaskQueue: string;
  options?: StoredRunOptions;
  carry?: StoredRunCarry;
  /** The priority the run was started with (recorded; Temporal holds the one in force). Absent: routine. */
  priority?: WorkPriority;
}

export interface FollowInput extends StoredRunBase {
  /** Orthanc /changes sequence number to read after (the cursor). */
  since: number;
}

export interface ReprocessInput extends StoredRunBase {
  scope: ReprocessScope;
  /** Count what would be processed and what is current; start no children. */
  dryRun?: boolean;
  /** Offset into the scope (the cursor). */
  offset: number;
}
