/**
 * Rendering of ingest progress and results for terminals (live bar) and pipes/logs (plain lines).
 * Pure string functions plus one watcher loop that polls the workflow's progress query.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { progressQuery } from '../workflows/queries';
import type { ReportSummary } from '../dicom/sr';
import type { EntryOutcome, IngestProgress, IngestResult } from '../workflows/types';
import type { IngestListRow } from './ingests';

export function accounted(p: IngestProgress): number {
  return p.counts.done + p.counts.failed + p.counts.skipped;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}

export interface RateSample {
  at: number;
  accounted: number;
}

/** Instances per second over the samples' span, and the ETA for the rest. */
export function rateAndEta(samples: RateSample[], p: IngestProgress): { rate: number; etaSeconds: number } {
  if (samples.length < 2) return { rate: 0, etaSeconds: NaN };
  const first = samples[0],
    last = samples[samples.length - 1];
  const dt = (last.at - first.at) / 1000;
  const rate = dt > 0 ? (last.accounted - first.accounted) / dt : 0;
  const remaining = p.counts.total - accounted(p);
  return { rate, etaSeconds: rate > 0 ? remaining / rate : NaN };
}

export function progressBar(p: IngestProgress, rate: number, etaSeconds: number, width = 30): string {
  if (p.state === 'listing') return `listing and checking ${p.zipName}...`;
  const total = Math.max(p.counts.total, 1);
  const frac = Math.min(1, accounted(p) / total);
  const filled = Math.round(frac * width);
  const bar = '█'.repeat(filled) + '░'.repeat(width - filled);
  const c = p.counts;
  return `${bar} ${accounted(p)}/${p.counts.total} ${(frac * 100).toFixed(0).padStart(3)}% | done ${c.done} failed ${c.failed} skipped ${c.skipped} | ${rate.toFixed(1)}/s ETA ${formatDuration(etaSeconds)}`;
}

export function progressLine(p: IngestProgress, rate: number): string {
  const c = p.counts;
  return `[${new Date().toISOString()}] ${p.ingestId} ${p.state}: ${accounted(p)}/${c.total} (done ${c.done}, failed ${c.failed}, skipped ${c.skipped}, in flight ${p.inFlight}) ${rate.toFixed(1)}/s`;
}

export function pad(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s.padEnd(n);
}

export function problemsTable(problems: EntryOutcome[]): string {
  if (problems.length === 0) return '';
  const rows = problems.map(
    (p) =>
      `  ${String(p.index).padStart(5)}  ${pad(p.status, 7)}  ${pad(p.reason?.type ?? '', 24)}  ${pad(p.name, 40)}  ${p.reason?.message ?? ''}`,
  );
  return [`  ${'#'.padStart(5)}  ${pad('status', 7)}  ${pad('reason', 24)}  ${pad('entry', 40)}  detail`, ...rows].join(
    '\n',
  );
}

export function resultTable(r: IngestResult | IngestProgress): string {
  const c = r.counts;
  const what = r.kind === 'follow' ? 'Follower' : r.kind === 'reprocess' ? 'Reprocess' : 'Ingest';
  const lines = [
    `${what} ${r.ingestId}  (${r.zipName})  state: ${r.state}`,
    `  entries ${c.total}   done ${c.done}   failed ${c.failed}   skipped ${c.skipped}   accounted ${accounted(r)}/${c.total}`,
  ];
  if (r.kind === 'follow' || r.kind === 'reprocess') {
    lines.push(
      `  model ${r.model}   cursor ${r.cursor}   already reported ${r.current ?? 0}${r.pending ? `   would process ${r.pending}` : ''}`,
    );
  }
  if ('finishedAt' in r) {
    const secs = (Date.parse(r.finishedAt) - Date.parse(r.startedAt)) / 1000;
    lines.push(
      `  took ${formatDuration(secs)} (${secs > 0 ? (c.total / secs).toFixed(1) : '-'} entries/s), ${r.runs} workflow run(s)`,
    );
  }
  if (r.recentProblems.length > 0) {
    lines.push(
      '',
      'Failed and skipped entries' +
        (r.problemsDropped ? ` (latest ${r.recentProblems.length}; ${r.problemsDropped} more: use \`failures\`)` : '') +
        ':',
    );
    lines.push(problemsTable(r.recentProblems));
  }
  return lines.join('\n');
}

/** Poll the progress query until the workflow closes; draw a bar on a TTY, lines otherwise. */
export async function watchProgress(
  handle: WorkflowHandle,
  out: NodeJS.WriteStream,
  opts: { intervalMs?: number; plainEveryMs?: number; result?: () => Promise<unknown> } = {},
): Promise<void> {
  const tty = Boolean(out.isTTY);
  const samples: RateSample[] = [];
  let lastPlain = 0;
  let closed = false;
  // `result` waits out a Temporal outage (see temporal-wait.ts): the bar pauses and resumes with the server.
  const done = (opts.result ? opts.result() : handle.result()).then(
    () => {
      closed = true;
    },
    () => {
      closed = true;
    },
  );
  while (!closed) {
    try {
      const p = await handle.query(progressQuery);
      samples.push({ at: Date.now(), accounted: accounted(p) });
      while (samples.length > 2 && samples[samples.length - 1].at - samples[0].at > 30_000) samples.shift();
      const { rate, etaSeconds } = rateAndEta(samples, p);
      if (tty) {
        out.write(
          `\r\x1b[2K${progressBar(p, rate, etaSeconds, Math.max(10, Math.min(40, (out.columns ?? 100) - 80)))}`,
        );
      } else if (Date.now() - lastPlain >= (opts.plainEveryMs ?? 5000)) {
        lastPlain = Date.now();
        out.write(progressLine(p, rate) + '\n');
      }
    } catch {
      // The query fails briefly between runs (continue-as-new) or while no worker is up: keep waiting.
    }
    await Promise.race([done, new Promise((r) => setTimeout(r, opts.intervalMs ?? 500))]);
  }
  if (tty) out.write('\r\x1b[2K');
  await done;
}

/** `cxr list`: one line per ingest. */
export function ingestListTable(rows: IngestListRow[]): string {
  if (rows.length === 0) return 'No ingests found.';
  const head = `${pad('started', 20)}  ${pad('state', 11)}  ${'total'.padStart(6)} ${'done'.padStart(6)} ${'failed'.padStart(6)} ${'skip'.padStart(5)}  ${pad('zip', 28)}  ingest id`;
  const lines = rows.map(
    (r) =>
      `${pad(r.startTime.replace('T', ' ').slice(0, 19), 20)}  ${pad(r.state, 11)}  ${String(r.total).padStart(6)} ${String(r.done).padStart(6)} ${String(r.failed).padStart(6)} ${(r.skipped === undefined ? '-' : String(r.skipped)).padStart(5)}  ${pad(r.zipName, 28)}  ${r.ingestId}${r.retryOf ? `  (retry of ${r.retryOf})` : ''}`,
  );
  return [head, ...lines].join('\n');
}

/** `cxr results`: the findings of each report, most probable first. */
export function reportsTable(
  reports: ReportSummary[],
  opts: { top?: number; names?: Map<string, string> } = {},
): string {
  const out: string[] = [];
  for (const r of reports) {
    const name = opts.names?.get(r.sourceSopInstanceUid);
    out.push(`Image ${r.sourceSopInstanceUid}${name ? `  (${name})` : ''}`);
    out.push(`  study ${r.studyInstanceUid}   report SR ${r.sopInstanceUid}`);
    out.push(
      `  model ${r.algorithm.name} ${r.algorithm.version}${r.createdAt ? `  reported ${r.createdAt}` : ''}${r.diagnostic ? '' : '  [NOT DIAGNOSTIC: demo/benchmark model]'}`,
    );
    const findings = [...r.findings]
      .sort((a, b) => b.probability - a.probability)
      .slice(0, opts.top ?? r.findings.length);
    for (const f of findings) {
      out.push(
        `    ${pad(f.label, 28)} ${f.probability.toFixed(3)}  ${f.positive ? 'POSITIVE' : '        '}  (threshold ${f.threshold.toFixed(2)})`,
      );
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}
