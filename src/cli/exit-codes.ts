/**
 * Exit codes of every `cxr` command (documented in docs/operator-guide.md and each command's --help).
 * Scripts can tell "the pipeline worked but some files were bad" (2) from "the zip was refused" (3)
 * and from "the tool or a service is broken" (1, 69).
 */
export const EXIT = {
  /** Everything asked for was done (entries done or skipped; checks passed; replay deterministic). */
  ok: 0,
  /** Unexpected error (a bug, or a service answering something unexpected). */
  error: 1,
  /** The ingest finished, but some entries failed (see `cxr failures`). */
  failures: 2,
  /** The zip itself was rejected (not a zip, too big, changed since it was submitted...), or the ingest was terminated. */
  rejected: 3,
  /** No such ingest, workflow or study. */
  notFound: 4,
  /** A check did not pass: `doctor` found a problem, `replay` found non-determinism. */
  checkFailed: 5,
  /** The ingest is still running (`status`, and `watch`/`ingest`/`retry-failed` with --no-wait semantics never use it). */
  running: 10,
  /** Bad arguments or unreadable input file. */
  usage: 64,
  /** Temporal could not be reached. */
  unavailable: 69,
} as const;

export const EXIT_HELP = `Exit codes: 0 ok, 1 unexpected error, 2 some entries failed, 3 zip rejected or ingest terminated,
4 not found, 5 check failed (doctor, replay), 10 still running (status), 64 usage, 69 Temporal unreachable.`;

/** An error that ends the command with a given exit code and a one-line message (no stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
