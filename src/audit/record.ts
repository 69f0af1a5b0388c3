/**
 * The audit record: one JSON line per operator action (the shape of the log file). Version 2 adds the hash chain
 * (`seq`, `prev`: src/audit/chain.ts), the numeric uid, and says which identity fields were asserted rather than
 * established (`asserted`). Version 1 lines (written before the chain) are read but not protected.
 */

/** Every operator action the CLI records. Adding one: a line here and a row in AUDIT_EVENTS (dicom-audit.ts). */
export type AuditAction =
  | 'ingest'
  | 'ingest-again'
  | 'retry-failed'
  | 'reprocess'
  | 'verify-repair'
  | 'follow-start'
  | 'follow-stop'
  /** An operator completed a study (cxr studies complete). */
  | 'study-complete'
  /** The viewer served a study (or a study list) to a logged-in user (src/viewer/server.ts). */
  | 'viewer-study'
  /** A viewer login: success, or a refused password. */
  | 'viewer-login'
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

/** An identity field whose value was asserted (told to the process), not established by it. */
export type AssertedField = 'who' | 'sudoUser';

export interface AuditRecord {
  v: 1 | 2;
  /** Position in the log's hash chain (1-based; version 2). */
  seq?: number;
  /** SHA-256 of the previous line as written, or 64 zeros for the first record (version 2). */
  prev?: string;
  /** ISO 8601 UTC. */
  time: string;
  /**
   * The operator: CXR_OPERATOR when configured (asserted), the viewer's logged-in user, the user a trusted proxy
   * named (asserted), else the OS user.
   */
  who: string;
  /** Where `who` came from: the OS account, CXR_OPERATOR, a viewer login, a trusted proxy's header. */
  whoSource?: 'os' | 'cxr-operator' | 'viewer-login' | 'trusted-proxy';
  /** Fields whose values the process was told (environment, a proxy's header) and could not check. */
  asserted?: AssertedField[];
  /** The OS account of the process, from its uid (never from the environment): a configured name cannot hide it. */
  osUser: string;
  /** The process's effective uid (version 2). */
  uid?: number;
  /** The login uid the kernel keeps across sudo and su (/proc/self/loginuid), with its name, when set. */
  loginUser?: string;
  /** The user sudo was invoked by (SUDO_USER, from the environment: asserted), when run under sudo. */
  sudoUser?: string;
  /** The client address, for requests over the network (the viewer). */
  client?: string;
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
