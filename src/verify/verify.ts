/**
 * Reconcile what Temporal recorded as done with what Orthanc holds: for every entry recorded as done, the
 * source instance must be in Orthanc (same SOP Instance UID, and the SHA-256 fingerprint CxrSourceSha256 the
 * upload recorded) and its structured report must be there (the derived SR SOP Instance UID).
 *
 * Independent of where the records come from: a source yields one loader per entry (a zip ingest's children
 * today, see src/cli/recorded-entries.ts; follow and reprocess runs can yield theirs the same way). Loading a
 * record and checking it run in a sliding window of `window` entries (each check is 2 Orthanc requests, 3 when
 * the recorded Orthanc ID is gone), so memory and load stay bounded whatever the number of entries: only the
 * entries with a problem are kept.
 */
import { type OrthancClient, SOURCE_SHA_METADATA } from '../orthanc/client';

/** What a run recorded about one entry it reported done. */
export interface RecordedEntry {
  /** The entry's index in its zip (zip ingests); the key a repair re-runs. */
  index: number;
  name: string;
  sopInstanceUid: string;
  orthancId?: string;
  /** SHA-256 of the uploaded bytes; absent in outcomes recorded before the pipeline returned it. */
  sourceSha256?: string;
  reportSopInstanceUid?: string;
}

/** One entry to check: its record is loaded inside the window (a zip ingest reads it from the child's result). */
export interface EntryLoader {
  index: number;
  name: string;
  /** The record, or null when the entry turns out not to be done after all (it is then not counted). */
  load(): Promise<RecordedEntry | null>;
}

export type SourceState = 'present' | 'missing' | 'mismatch';
export type ReportState = 'present' | 'missing' | 'not-recorded';

export interface EntryFinding {
  index: number;
  name: string;
  sopInstanceUid: string;
  reportSopInstanceUid?: string;
  source: SourceState;
  report: ReportState;
  /** Why, for an operator: which fingerprint differs, which Orthanc ID is gone. */
  detail?: string;
}

export interface VerifySummary {
  checked: number;
  ok: number;
  missingSource: number;
  missingReport: number;
  mismatched: number;
  /** Entries with any problem, sorted by index. */
  problems: EntryFinding[];
}

/** Check one recorded entry against Orthanc. */
export async function checkEntry(orthanc: OrthancClient, rec: RecordedEntry): Promise<EntryFinding> {
  const base = {
    index: rec.index,
    name: rec.name,
    sopInstanceUid: rec.sopInstanceUid,
    reportSopInstanceUid: rec.reportSopInstanceUid,
  };
  // The recorded Orthanc ID is a hash of the instance's UIDs: fetch its metadata directly (1 request). If it is
  // gone (a restored backup under other patient IDs, a different Orthanc), look the SOP Instance UID up.
  let metadata = rec.orthancId ? await orthanc.getInstanceMetadataAll(rec.orthancId) : null;
  let where = rec.orthancId;
  if (metadata === null) {
    const ids = await orthanc.lookup(rec.sopInstanceUid, 'Instance');
    for (const id of ids) {
      metadata = await orthanc.getInstanceMetadataAll(id);
      where = id;
      if (metadata !== null && (!rec.sourceSha256 || metadata[SOURCE_SHA_METADATA] === rec.sourceSha256)) break;
    }
  }
  let source: SourceState = 'present';
  let detail: string | undefined;
  if (metadata === null) {
    source = 'missing';
    detail = `no instance with SOP Instance UID ${rec.sopInstanceUid}`;
  } else if (rec.sourceSha256 && metadata[SOURCE_SHA_METADATA] !== rec.sourceSha256) {
    source = 'mismatch';
    const found = metadata[SOURCE_SHA_METADATA];
    detail = found
      ? `Orthanc instance ${where} has fingerprint ${found.slice(0, 12)}…, the upload recorded ${rec.sourceSha256.slice(0, 12)}…: a different file with the same SOP Instance UID`
      : `Orthanc instance ${where} carries no ${SOURCE_SHA_METADATA} fingerprint: it was stored by another route, not by this upload`;
  }
  let report: ReportState = 'not-recorded';
  if (rec.reportSopInstanceUid) {
    report = (await orthanc.lookup(rec.reportSopInstanceUid, 'Instance')).length > 0 ? 'present' : 'missing';
    if (report === 'missing') {
      const sr = `no SR with SOP Instance UID ${rec.reportSopInstanceUid}`;
      detail = detail ? `${detail}; ${sr}` : sr;
    }
  }
  return { ...base, source, report, detail };
}

export function isClean(f: EntryFinding): boolean {
  return f.source === 'present' && f.report !== 'missing';
}

/** Entries a repair can restore by re-running them: source or SR missing (a mismatch needs a person). */
export function repairable(f: EntryFinding): boolean {
  return f.source === 'missing' || (f.source === 'present' && f.report === 'missing');
}

/**
 * Check every entry the source yields, `window` at a time (loading the record included). Stops at the first
 * error (Orthanc or Temporal unreachable) and throws it once the entries in flight have settled.
 */
export async function verifyEntries(
  orthanc: OrthancClient,
  entries: AsyncIterable<EntryLoader>,
  opts: { window?: number; onProgress?: (s: VerifySummary) => void; progressEveryMs?: number } = {},
): Promise<VerifySummary> {
  const window = Math.max(1, opts.window ?? 16);
  const summary: VerifySummary = { checked: 0, ok: 0, missingSource: 0, missingReport: 0, mismatched: 0, problems: [] };
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  let lastProgress = Date.now();
  const one = async (e: EntryLoader): Promise<void> => {
    try {
      const rec = await e.load();
      if (rec === null) return;
      const f = await checkEntry(orthanc, rec);
      summary.checked++;
      if (f.source === 'missing') summary.missingSource++;
      if (f.source === 'mismatch') summary.mismatched++;
      if (f.report === 'missing') summary.missingReport++;
      if (isClean(f)) summary.ok++;
      else summary.problems.push(f);
      if (opts.onProgress && Date.now() - lastProgress >= (opts.progressEveryMs ?? 5000)) {
        lastProgress = Date.now();
        opts.onProgress(summary);
      }
    } catch (err) {
      failure ??= err;
    }
  };
  for await (const e of entries) {
    if (failure !== undefined) break;
    while (inFlight.size >= window) await Promise.race(inFlight);
    const p: Promise<void> = one(e).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  summary.problems.sort((a, b) => a.index - b.index);
  return summary;
}
