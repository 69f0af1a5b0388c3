/** The audit record: one JSON line per operator action (the shape of the log file, version 1). */

/** Every operator action the CLI records. Adding one: a line here and a row in AUDIT_EVENTS (dicom-audit.ts). */
export type AuditAction =
  | 'ingest'
  | 'ingest-again'
  | 'retry-failed'
  | 'reprocess'
  | 'verify-repair'
  | 'follow-start'
  | 'follow-stop'
  /** Recorded by the worker: a study's result taken by a sink (its receipt), or refused for good. */
  | 'result-delivery';

/** PS3.15 EventOutcomeIndicator: success 0, minor failure 4 (e.g. some entries failed), serious 8, major 12. */
export type AuditOutcome = 'success' | 'minor-failure' | 'serious-failure' | 'major-failure';

export type AuditValue = string | number | boolean | null | undefined | Record<string, number | string>;

/**
 * What the action was about. Known keys become DICOM participant objects: ingestId / workflowId (the
 * Temporal workflow), zipSha256 + zipPath (the file), studyInstanceUid; every other key (counts, retryOf,
 * options) becomes a detail of the first object.
 */
export interface AuditWhat {
  ingestId?: string;
  workflowId?: string;
  zipSha256?: string;
  zipPath?: string;
  studyInstanceUid?: string;
  counts?: Record<string, number>;
  [key: string]: AuditValue;
}

export interface AuditRecord {
  v: 1;
  /** ISO 8601 UTC. */
  time: string;
  /** The operator: CXR_OPERATOR when configured, else the OS user. */
  who: string;
  /** The OS account that ran the command (always recorded, so a configured identity cannot hide it). */
  osUser: string;
  /** The user sudo was invoked by, when run under sudo. */
  sudoUser?: string;
  host: string;
  pid: number;
  /** The identity the CLI gave its Temporal client: it appears in the workflow history's start events. */
  temporalIdentity: string;
  action: AuditAction;
  what: AuditWhat;
  outcome: AuditOutcome;
  /** A short human-readable outcome (exit code, error message). */
  message?: string;
}
