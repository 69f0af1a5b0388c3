/**
 * The audit log's hash chain. Every record (version 2) carries `seq` (1, 2, 3 ...) and `prev`, the SHA-256 of the
 * previous line exactly as written (GENESIS for the first record of a log). A head file next to the log
 * (`<log>.head`) names the last record's seq and hash, so that removing lines at the end, or editing the last line,
 * is seen too. `verifyAuditText` finds an edited line (the next record's `prev` no longer matches), a deleted line
 * (a gap in `seq` and a broken `prev`), a truncation (the head names a later record) and lines that are not records.
 * Pure: no I/O (the writer and `cxr audit verify` are in index.ts).
 *
 * What it does not stop: an account that can write both files can rewrite the whole chain. Ship the records to a
 * collector (CXR_AUDIT_SYSLOG) or make the log append-only (chattr +a) for that (docs/security.md).
 */
import crypto from 'node:crypto';

/** `prev` of the first record of a log. */
export const GENESIS = '0'.repeat(64);

/** SHA-256 (hex) of one line as written, without its newline. */
export function lineHash(line: string): string {
  return crypto.createHash('sha256').update(line, 'utf8').digest('hex');
}

/** The head file's content: the last record written. */
export interface AuditHead {
  seq: number;
  hash: string;
}

export type ChainProblemKind = 'unparseable' | 'edited-or-deleted' | 'sequence-gap' | 'truncated' | 'head-missing';

export interface ChainProblem {
  /** 1-based line number in the log (0: the log as a whole). */
  line: number;
  kind: ChainProblemKind;
  detail: string;
}

export interface ChainVerdict {
  ok: boolean;
  /** Chained records checked. */
  records: number;
  /** Lines written before the chain existed (version 1 records: not protected). */
  legacy: number;
  problems: ChainProblem[];
}

interface Chained {
  v?: number;
  seq?: unknown;
  prev?: unknown;
}

/** Where the next record goes: its seq and prev, given the log's last line (undefined: an empty log). */
export function nextLink(lastLine: string | undefined): { seq: number; prev: string } {
  if (lastLine === undefined || lastLine.trim() === '') return { seq: 1, prev: GENESIS };
  let seq = 0;
  try {
    const r = JSON.parse(lastLine) as Chained;
    if (typeof r.seq === 'number' && Number.isInteger(r.seq)) seq = r.seq;
  } catch {
    // A damaged last line still gets chained to: verify reports it, the chain goes on from its hash.
  }
  return { seq: seq + 1, prev: lineHash(lastLine) };
}

/** Check a whole log's text (and its head file's, when there is one). */
export function verifyAuditText(text: string, head: AuditHead | undefined): ChainVerdict {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const problems: ChainProblem[] = [];
  let records = 0;
  let legacy = 0;
  let prevLine: string | undefined;
  let prevSeq: number | undefined;
  let lastChained: AuditHead | undefined;
  lines.forEach((line, i) => {
    const n = i + 1;
    let r: Chained | undefined;
    try {
      r = JSON.parse(line) as Chained;
    } catch {
      problems.push({ line: n, kind: 'unparseable', detail: 'not a JSON record (edited, or a torn write)' });
    }
    if (r !== undefined) {
      if (typeof r.prev !== 'string' || typeof r.seq !== 'number') {
        if (records > 0) problems.push({ line: n, kind: 'edited-or-deleted', detail: 'a record without its chain' });
        else legacy++;
      } else {
        records++;
        const expected = prevLine === undefined ? GENESIS : lineHash(prevLine);
        if (r.prev !== expected)
          problems.push({
            line: n,
            kind: 'edited-or-deleted',
            detail:
              prevLine === undefined
                ? 'the first line is not the start of a chain (lines before it were deleted)'
                : `the line before it is not the one this record was chained to (line ${n - 1} edited, or lines deleted)`,
          });
        if (prevSeq !== undefined && r.seq !== prevSeq + 1)
          problems.push({ line: n, kind: 'sequence-gap', detail: `seq ${r.seq} follows seq ${prevSeq}` });
        else if (prevSeq === undefined && prevLine === undefined && r.seq !== 1)
          problems.push({ line: n, kind: 'sequence-gap', detail: `the log starts at seq ${r.seq}, not 1` });
        prevSeq = r.seq;
        lastChained = { seq: r.seq, hash: lineHash(line) };
      }
    }
    prevLine = line;
  });
  if (head === undefined) {
    if (records > 0)
      problems.push({
        line: 0,
        kind: 'head-missing',
        detail: 'the head file is missing: truncation cannot be ruled out',
      });
  } else if (lastChained === undefined || lastChained.seq !== head.seq || lastChained.hash !== head.hash) {
    problems.push({
      line: lines.length,
      kind: 'truncated',
      detail:
        lastChained === undefined
          ? `the head names record ${head.seq}, the log holds no chained record (emptied or truncated)`
          : lastChained.seq < head.seq
            ? `the log ends at record ${lastChained.seq}, the head names record ${head.seq} (truncated)`
            : `the last record (seq ${lastChained.seq}) is not the one the head names (seq ${head.seq}): edited, or written without the head`,
    });
  }
  return { ok: problems.length === 0, records, legacy, problems };
}
