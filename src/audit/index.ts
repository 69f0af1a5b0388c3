/**
 * The audit trail of operator actions: who (CXR_OPERATOR or the OS user), when, what (workflow, zip hash,
 * study, counts) and the outcome, appended as one hash-chained JSON line (chain.ts) to an owner-only regular file
 * (CXR_AUDIT_LOG, default
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
import { type AuditHead, type ChainVerdict, lineHash, nextLink, verifyAuditText } from './chain';
import type { AssertedField, AuditAction, AuditOutcome, AuditRecord, AuditWhat } from './record';
import { parseSyslogTarget, rfc5424, sendSyslog } from './syslog';

export type { AuditAction, AuditOutcome, AuditRecord, AuditWhat } from './record';
export type { ChainProblem, ChainVerdict } from './chain';
export { dicomAuditMessage } from './dicom-audit';

export class AuditLogError extends Error {
  readonly type = 'AuditLogUnwritable';
}

export interface Operator {
  who: string;
  /** Where `who` came from (record.ts). */
  whoSource: NonNullable<AuditRecord['whoSource']>;
  /** Fields that were told to the process, not established by it. */
  asserted: AssertedField[];
  /** The OS account of the process's effective uid (never read from the environment). */
  osUser: string;
  uid?: number;
  /** The kernel's login uid (kept across sudo/su) with its name, when the system records one. */
  loginUser?: string;
  sudoUser?: string;
  host: string;
  /** `<who>@<host>`: the Temporal client identity of the CLI. */
  temporalIdentity: string;
}

/** Someone other than the process's operator (the viewer's logged-in user, a user named by a trusted proxy). */
export interface Actor {
  who: string;
  whoSource: 'viewer-login' | 'trusted-proxy';
  /** The client's address. */
  client?: string;
}

/** The name of a uid from /etc/passwd (no environment involved); undefined when it has none. */
function passwdName(uid: number): string | undefined {
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length > 2 && Number(f[2]) === uid && f[2] !== '') return f[0];
    }
  } catch {
    // no passwd file (containers): the number is recorded instead
  }
  return undefined;
}

/** The account of the effective uid: os.userInfo() asks the passwd database for it, not USER/LOGNAME. */
function osUserName(): string {
  try {
    return os.userInfo().username;
  } catch {
    const uid = process.geteuid?.();
    return (uid !== undefined && passwdName(uid)) || `uid-${uid ?? '?'}`;
  }
}

/** /proc/self/loginuid: who logged in, whatever sudo or su did since (4294967295: not set). */
function loginUserName(): string | undefined {
  try {
    const uid = Number(fs.readFileSync('/proc/self/loginuid', 'utf8').trim());
    if (!Number.isInteger(uid) || uid < 0 || uid === 4294967295) return undefined;
    return passwdName(uid) ?? `uid-${uid}`;
  } catch {
    return undefined;
  }
}

/** The person behind this process, as the audit log and Temporal see it (the environment's part read by loadConfig). */
export function operatorOf(config: AuditConfig): Operator {
  const osUser = osUserName();
  const sudoUser = config.sudoUser;
  const who = config.operator ?? osUser;
  const host = os.hostname();
  const asserted: AssertedField[] = [];
  if (config.operator !== undefined) asserted.push('who');
  if (sudoUser !== undefined) asserted.push('sudoUser');
  const loginUser = loginUserName();
  return {
    who,
    whoSource: config.operator !== undefined ? 'cxr-operator' : 'os',
    asserted,
    osUser,
    uid: process.geteuid?.(),
    ...(loginUser !== undefined ? { loginUser } : {}),
    ...(sudoUser !== undefined ? { sudoUser } : {}),
    host,
    temporalIdentity: `${who}@${host}`,
  };
}

function auditConfig(config: PipelineConfig | AuditConfig): AuditConfig {
  return 'audit' in config ? config.audit : config;
}

/**
 * Open the log for appending, refusing anything but a regular file (CXR_AUDIT_LOG=/dev/null, a FIFO, a folder, a
 * symbolic link): a record written to such a file is not kept. Creates the folder 0700 and the file 0600.
 */
async function openLog(file: string): Promise<fs.promises.FileHandle> {
  await fs.promises.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const st = await fs.promises.lstat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (st !== undefined && !st.isFile()) throw new Error('not a regular file (a device, FIFO, folder or link)');
  const { O_WRONLY, O_APPEND, O_CREAT, O_NOFOLLOW } = fs.constants;
  const fh = await fs.promises.open(file, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW, 0o600);
  try {
    // Checked again on the open descriptor: nothing can swap the file between the check and the open.
    if (!(await fh.stat()).isFile()) throw new Error('not a regular file');
  } catch (err) {
    await fh.close();
    throw err;
  }
  return fh;
}

function unwritable(file: string, err: unknown): AuditLogError {
  return new AuditLogError(
    `cannot write the audit log ${file} (${(err as Error).message}): fix its permissions or set CXR_AUDIT_LOG; nothing was done`,
    { cause: err },
  );
}

/** Fails (AuditLogError) unless the log is a regular file that can be appended to; creates it owner-only. */
export async function assertAuditLogWritable(config: PipelineConfig | AuditConfig): Promise<void> {
  const file = auditConfig(config).logFile;
  try {
    await (await openLog(file)).close();
  } catch (err) {
    throw unwritable(file, err);
  }
}

/** The head file of a log: the last record's seq and hash (chain.ts). */
export function headFileOf(logFile: string): string {
  return `${logFile}.head`;
}

const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 20_000;

/**
 * Run `fn` holding the log's lock (a folder next to it: mkdir is atomic), so that the CLI, the viewer and other
 * processes appending to the same log chain their records one after the other. A lock older than 30 s is a dead
 * holder's and is taken over.
 */
async function withLogLock<T>(logFile: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${logFile}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
    try {
      await fs.promises.mkdir(lock, { mode: 0o700 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const st = await fs.promises.stat(lock).catch(() => undefined);
      if (st && Date.now() - st.mtimeMs > LOCK_STALE_MS) {
        await fs.promises.rmdir(lock).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline)
        throw new Error(`the audit log lock ${lock} is held for more than 20 s`, { cause: err });
      await new Promise((r) => setTimeout(r, wait));
    }
  }
  try {
    return await fn();
  } finally {
    await fs.promises.rmdir(lock).catch(() => undefined);
  }
}

/** The last line of a file (reading only its end), or undefined when it is empty. */
async function lastLine(file: string): Promise<string | undefined> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    for (let span = 64 * 1024; ; span *= 4) {
      const start = Math.max(0, size - span);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, 0, buf.length, start);
      const text = buf.toString('utf8').replace(/\n+$/, '');
      const nl = text.lastIndexOf('\n');
      if (nl >= 0 || start === 0) return text === '' ? undefined : text.slice(nl + 1);
    }
  } finally {
    await fh.close();
  }
}

/** Record one action: append the chained JSON line, then send the DICOM audit message if a collector is configured. */
export async function audit(
  config: PipelineConfig | AuditConfig,
  action: AuditAction,
  what: AuditWhat,
  outcome: AuditOutcome,
  message?: string,
  actor?: Actor,
): Promise<AuditRecord> {
  const cfg = auditConfig(config);
  const op = operatorOf(cfg);
  const identity = actor
    ? {
        who: actor.who,
        whoSource: actor.whoSource,
        asserted: actor.whoSource === 'trusted-proxy' ? (['who'] as AssertedField[]) : [],
      }
    : { who: op.who, whoSource: op.whoSource, asserted: op.asserted };
  const body = {
    time: new Date().toISOString(),
    who: identity.who,
    whoSource: identity.whoSource,
    ...(identity.asserted.length > 0 ? { asserted: identity.asserted } : {}),
    osUser: op.osUser,
    ...(op.uid !== undefined ? { uid: op.uid } : {}),
    ...(op.loginUser ? { loginUser: op.loginUser } : {}),
    ...(op.sudoUser ? { sudoUser: op.sudoUser } : {}),
    ...(actor?.client ? { client: actor.client } : {}),
    host: op.host,
    pid: process.pid,
    temporalIdentity: actor ? `${identity.who}@${op.host}` : op.temporalIdentity,
    action,
    what,
    outcome,
    ...(message ? { message } : {}),
  };
  let record: AuditRecord;
  try {
    // Opened (and checked to be a regular file) before the lock is taken next to it.
    const fh = await openLog(cfg.logFile);
    try {
      record = await withLogLock(cfg.logFile, async () => {
        const link = nextLink(await lastLine(cfg.logFile));
        const r: AuditRecord = { v: 2, seq: link.seq, prev: link.prev, ...body };
        const line = JSON.stringify(r);
        // One write per line on an O_APPEND descriptor, under the lock: lines never interleave.
        await fh.appendFile(line + '\n');
        await fh.datasync();
        const head = headFileOf(cfg.logFile);
        const tmp = `${head}.${process.pid}.tmp`;
        const h: AuditHead = { seq: link.seq, hash: lineHash(line) };
        await fs.promises.writeFile(tmp, JSON.stringify(h) + '\n', { mode: 0o600 });
        await fs.promises.rename(tmp, head);
        return r;
      });
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof AuditLogError) throw err;
    throw unwritable(cfg.logFile, err);
  }
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

/** Check a log's hash chain against its head file (`cxr audit verify`). */
export function verifyAuditLog(file: string): ChainVerdict {
  const st = fs.lstatSync(file, { throwIfNoEntry: false });
  if (st === undefined) throw new AuditLogError(`no audit log at ${file}`);
  if (!st.isFile()) throw new AuditLogError(`the audit log ${file} is not a regular file`);
  const text = fs.readFileSync(file, 'utf8');
  let head: AuditHead | undefined;
  try {
    head = JSON.parse(fs.readFileSync(headFileOf(file), 'utf8')) as AuditHead;
  } catch {
    head = undefined;
  }
  return verifyAuditText(text, head);
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
