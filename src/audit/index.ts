/**
 * The audit trail of operator actions: who (CXR_OPERATOR or the OS user), when, what (workflow, zip hash,
 * study, counts) and the outcome, appended as one JSON line to an owner-only log (CXR_AUDIT_LOG, default
 * <data dir>/audit/audit.jsonl) and, when CXR_AUDIT_SYSLOG names a collector, sent as a DICOM audit message
 * (PS3.15 A.5) over syslog. The same identity is the CLI's Temporal client identity, so the workflow
 * histories' start and signal events name the same person.
 *
 * One line at a call site:
 *   await audited(config, 'reprocess', { studyInstanceUid }, async (a) => { ...; a.what.workflowId = id; });
 *   await audit(config, 'follow-stop', { workflowId }, 'success');
 * `audited` checks first that the log is writable (no unrecorded action), records `success` when the body
 * returns (or whatever outcome the body set on `a`), `serious-failure` with the message when it throws, and on
 * Ctrl-C records what it knows so far before exiting with 130.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditConfig, PipelineConfig } from '../config';
import { dicomAuditMessage, OUTCOME_INDICATOR } from './dicom-audit';
import type { AuditAction, AuditOutcome, AuditRecord, AuditWhat } from './record';
import { parseSyslogTarget, rfc5424, sendSyslog } from './syslog';

export type { AuditAction, AuditOutcome, AuditRecord, AuditWhat } from './record';
export { dicomAuditMessage } from './dicom-audit';

export class AuditLogError extends Error {
  readonly type = 'AuditLogUnwritable';
}

export interface Operator {
  who: string;
  osUser: string;
  sudoUser?: string;
  host: string;
  /** `<who>@<host>`: the Temporal client identity of the CLI. */
  temporalIdentity: string;
}

function osUserName(config: AuditConfig): string {
  try {
    return os.userInfo().username;
  } catch {
    return config.envUser || `uid-${process.getuid?.() ?? '?'}`;
  }
}

/** The person behind this process, as the audit log and Temporal see it (the environment's part read by loadConfig). */
export function operatorOf(config: AuditConfig): Operator {
  const osUser = osUserName(config);
  const sudoUser = config.sudoUser;
  const who = config.operator ?? osUser;
  const host = os.hostname();
  return { who, osUser, sudoUser, host, temporalIdentity: `${who}@${host}` };
}

function auditConfig(config: PipelineConfig | AuditConfig): AuditConfig {
  return 'audit' in config ? config.audit : config;
}

/** Fails (AuditLogError) unless the log can be appended to; creates it owner-only. */
export async function assertAuditLogWritable(config: PipelineConfig | AuditConfig): Promise<void> {
  const file = auditConfig(config).logFile;
  try {
    await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    const fh = await fs.promises.open(file, 'a', 0o600);
    await fh.close();
  } catch (err) {
    throw new AuditLogError(
      `cannot write the audit log ${file} (${(err as Error).message}): fix its permissions or set CXR_AUDIT_LOG; nothing was done`,
    );
  }
}

/** Record one action: append the JSON line, then send the DICOM audit message if a collector is configured. */
export async function audit(
  config: PipelineConfig | AuditConfig,
  action: AuditAction,
  what: AuditWhat,
  outcome: AuditOutcome,
  message?: string,
): Promise<AuditRecord> {
  const cfg = auditConfig(config);
  const op = operatorOf(cfg);
  const record: AuditRecord = {
    v: 1,
    time: new Date().toISOString(),
    who: op.who,
    osUser: op.osUser,
    ...(op.sudoUser ? { sudoUser: op.sudoUser } : {}),
    host: op.host,
    pid: process.pid,
    temporalIdentity: op.temporalIdentity,
    action,
    what,
    outcome,
    ...(message ? { message } : {}),
  };
  await fs.promises.mkdir(path.dirname(cfg.logFile), { recursive: true, mode: 0o700 });
  // One write per line on an O_APPEND descriptor: concurrent CLIs never interleave within a line.
  await fs.promises.appendFile(cfg.logFile, JSON.stringify(record) + '\n', { mode: 0o600, flag: 'a' });
  if (cfg.syslog) {
    try {
      const msg = rfc5424({
        time: record.time,
        host: record.host,
        pid: record.pid,
        severity: OUTCOME_INDICATOR[outcome] === 0 ? 5 : 4,
        msgId: 'IHE+RFC-3881',
        msg: dicomAuditMessage(record),
      });
      await sendSyslog(parseSyslogTarget(cfg.syslog), msg);
    } catch (err) {
      // The JSON log already holds the record; a collector outage must not undo or block the action.
      process.stderr.write(
        `cxr: audit: could not send to ${cfg.syslog}: ${(err as Error).message} (recorded in ${cfg.logFile})\n`,
      );
    }
  }
  return record;
}

/** What the body of an audited action may fill in as it learns it. */
export interface AuditEntry {
  what: AuditWhat;
  outcome?: AuditOutcome;
  message?: string;
}

/**
 * Fill an entry from a followed ingest-like run ({ report, exit } of src/cli/follow): counts, and the outcome
 * (exit 2, some entries failed: minor-failure; rejected: serious-failure with the reason).
 */
export function auditReport(
  entry: AuditEntry,
  followed: { report: object; exit: number },
  extraCounts: Record<string, number> = {},
): void {
  const r = followed.report as { counts?: Record<string, number>; reason?: { type: string; message: string } };
  if (r.counts) entry.what.counts = { ...extraCounts, ...r.counts };
  if (followed.exit === 2) entry.outcome = 'minor-failure';
  if (r.reason) {
    entry.outcome = 'serious-failure';
    entry.message = `rejected: [${r.reason.type}] ${r.reason.message}`;
  }
}

/** Run an operator action and record it (see the module comment). */
export async function audited<T>(
  config: PipelineConfig | AuditConfig,
  action: AuditAction,
  what: AuditWhat,
  fn: (entry: AuditEntry) => Promise<T>,
): Promise<T> {
  await assertAuditLogWritable(config);
  const entry: AuditEntry = { what: { ...what } };
  let recorded = false;
  const onSigint = (): void => {
    recorded = true;
    const message = ['interrupted (SIGINT)', entry.message].filter(Boolean).join('; ');
    audit(config, action, entry.what, entry.outcome ?? 'minor-failure', message)
      .catch((err: Error) => process.stderr.write(`cxr: audit: ${err.message}\n`))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  try {
    const result = await fn(entry);
    if (!recorded) await audit(config, action, entry.what, entry.outcome ?? 'success', entry.message);
    return result;
  } catch (err) {
    if (!recorded) {
      const message = [entry.message, (err as Error).message].filter(Boolean).join('; ');
      await audit(config, action, entry.what, 'serious-failure', message);
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/** Every record in a log (for tests and `cxr audit`-style tooling); skips a torn last line. */
export function readAuditLog(file: string): AuditRecord[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: AuditRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as AuditRecord);
    } catch {
      // a line being written right now
    }
  }
  return out;
}
