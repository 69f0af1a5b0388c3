import { Command, Option } from 'commander';
import { audited, auditReport } from '../../audit';
import { OrthancClient } from '../../orthanc/client';
import { type EntryFinding, repairable, verifyEntries, type VerifySummary } from '../../verify/verify';
import { CliError, EXIT, EXIT_HELP } from '../exit-codes';
import { watchIngest, type IngestReport } from '../watch-ingest';
import { resolveIngestRef, webUiUrl } from '../ingest-id';
import { getIngest } from '../ingests';
import { runningLinked, startLinkedIngest, zipOfIngest } from '../linked-ingest';
import { positiveInt } from '../options';
import { storedRunDoneEntries, zipIngestDoneEntries } from '../recorded-entries';
import { summariseIndexes } from './retry-failed';
import { withClient } from '../with-client';

export interface VerifyOutput extends Omit<VerifySummary, 'problems'> {
  ingestId: string;
  zipName: string;
  state: string;
  orthancUrl: string;
  seconds: number;
  problems: EntryFinding[];
  repair?: { ingestId: string; entries: number; attached: boolean; report?: IngestReport };
}

/** verify outlives a Temporal outage while it reads the ingest and follows a repair. */
const WAIT = { waitForTemporal: true } as const;

function pad(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s.padEnd(n);
}

export function verifyTable(v: VerifyOutput): string {
  const lines = [
    `Verify ${v.ingestId}  (${v.zipName})  state: ${v.state}`,
    `  recorded done ${v.checked}   in Orthanc ${v.ok}   missing source ${v.missingSource}   missing SR ${v.missingReport}   mismatched ${v.mismatched}   (${v.seconds.toFixed(1)} s, ${v.orthancUrl})`,
  ];
  if (v.problems.length > 0) {
    lines.push('', `  ${'#'.padStart(5)}  ${pad('source', 8)}  ${pad('SR', 8)}  ${pad('entry', 40)}  detail`);
    for (const p of v.problems)
      lines.push(
        `  ${String(p.index).padStart(5)}  ${pad(p.source, 8)}  ${pad(p.report, 8)}  ${pad(p.name, 40)}  ${p.detail ?? ''}`,
      );
  }
  return lines.join('\n');
}

export function verifyCommand(): Command {
  return new Command('verify')
    .description(
      'Check that Orthanc still holds what an ingest recorded as done (each source image and its SR); --repair re-runs what is missing',
    )
    .argument('<ingest>', "an ingest ID (also a retry, repair or re-run), the zip's SHA-256, or the zip file")
    .option('--repair', 're-run exactly the entries whose source or SR is missing, as a new ingest linked to this one')
    .option('--zip <path>', 'with --repair: the zip moved, read it from here (same content, checked by SHA-256)')
    .option('--no-wait', 'with --repair: start the repair and return (prints its ID)')
    .option('--json', 'print the findings (and the repair) as JSON')
    .addOption(
      new Option('--window <n>', 'entries checked at once (Orthanc requests in flight)').argParser(positiveInt),
    )
    .addHelpText(
      'after',
      `
Temporal's history says what the pipeline did; Orthanc is what radiologists see. For every entry the
ingest recorded as done, verify checks in Orthanc that the source instance is there (same SOP Instance
UID, same SHA-256 fingerprint CxrSourceSha256 the upload recorded) and that its structured report is
there (the derived SR SOP Instance UID). It names each missing source, missing SR and mismatch (a
different file under the same UID). Entries that were failed or skipped are not checked.

--repair starts <ingest>-repair-<n> over the same zip for the missing entries only (visible in the Web
UI, CxrRetryOf = the ingest): what is still present answers AlreadyStored and is not touched. If a
repair of this ingest is already running, it is followed instead of starting a second one. Mismatches
are never repaired automatically: a different file holds that UID; decide which one is right.

Verify works as long as the ingest's history exists (the namespace retention, see \`cxr doctor\`).

Examples:
  $ cxr verify study.zip
  $ cxr verify study.zip --repair
  $ cxr verify ingest-3f1c...e9 --json | jq '.problems[].name'

Exit codes: 0 everything recorded as done is in Orthanc (or the repair completed), 5 something is
missing or mismatched (nothing repaired), 2 the repair finished with failed entries.
${EXIT_HELP}`,
    )
    .action(
      async (ref: string, opts: { repair?: boolean; zip?: string; wait: boolean; json?: boolean; window?: number }) => {
        const { ingestId } = await resolveIngestRef(ref);
        await withClient(async (client, config, wait) => {
          const view = await wait.call(`reading ${ingestId}`, () => getIngest(client, ingestId));
          if (view.kind === 'not-found')
            throw new CliError(
              `No ingest ${ingestId} (never started, or its history passed the namespace retention: see \`cxr doctor\`)`,
              EXIT.notFound,
            );
          const zipName =
            view.kind === 'completed'
              ? view.result.zipName
              : view.kind === 'running'
                ? view.progress.zipName
                : (view.progress?.zipName ?? '');
          if (view.kind === 'running' && !opts.json)
            console.error(`note: ingest ${ingestId} is still running: checking the entries done so far`);
          const orthanc = new OrthancClient(config.orthanc);
          const t0 = Date.now();
          // Follow and reprocess runs record their entries as children <run>/<model>/<instance>; zips as <ingest>/<index>.
          const stored = /^(follow|reprocess)-/.test(ingestId);
          const entries = stored ? storedRunDoneEntries(client, ingestId) : zipIngestDoneEntries(client, ingestId);
          const summary = await verifyEntries(orthanc, entries, {
            window: opts.window,
            onProgress: opts.json
              ? undefined
              : (s) => console.error(`  ... ${s.checked} checked, ${s.checked - s.ok} with problems`),
          });
          const out: VerifyOutput = {
            ingestId,
            zipName,
            state: view.kind,
            orthancUrl: config.orthanc.url,
            seconds: (Date.now() - t0) / 1000,
            ...summary,
          };
          const toRepair = summary.problems.filter(repairable).map((p) => p.index);
          let exit: number = summary.problems.length === 0 ? EXIT.ok : EXIT.checkFailed;
          if (!opts.json) console.log(verifyTable(out));

          if (opts.repair) {
            const what = { retryOf: ingestId, counts: { missing: toRepair.length, mismatched: summary.mismatched } };
            await audited(config, 'verify-repair', what, async (a) => {
              const running = await runningLinked(client, ingestId, 'repair');
              let repairId: string | undefined = running[0];
              if (repairId !== undefined) {
                if (!opts.json) console.error(`a repair of ${ingestId} is already running: following ${repairId}`);
                out.repair = { ingestId: repairId, entries: toRepair.length, attached: true };
              } else if (toRepair.length > 0) {
                const { orig, zipPath } = await zipOfIngest(client, ingestId, opts.zip);
                repairId = await startLinkedIngest(client, config, {
                  kind: 'repair',
                  of: ingestId,
                  orig,
                  zipPath,
                  options: { onlyEntries: toRepair },
                  summary: (n) => `Repair ${n} of ${orig.zipName}: ${toRepair.length} entries missing in Orthanc`,
                  details: `\`cxr verify\` found these entries missing in Orthanc: ${summariseIndexes(toRepair)}.`,
                });
                out.repair = { ingestId: repairId, entries: toRepair.length, attached: false };
                if (!opts.json)
                  console.error(
                    `started ${repairId}: re-running ${toRepair.length} entries of ${ingestId}\n  Web UI: ${webUiUrl(config.webUiUrl, config.temporal.namespace, repairId)}`,
                  );
              } else if (!opts.json) {
                console.log(
                  summary.problems.length === 0
                    ? 'Nothing to repair.'
                    : 'Nothing to repair automatically: the problems are mismatches (see above).',
                );
              }
              if (repairId !== undefined && out.repair) {
                if (opts.wait) {
                  const r = await watchIngest(client, repairId, { json: opts.json, zipName, wait });
                  out.repair.report = r.report;
                  const mismatches = summary.problems.length - toRepair.length;
                  exit = r.exit !== EXIT.ok ? r.exit : mismatches > 0 ? EXIT.checkFailed : EXIT.ok;
                  if (!opts.json && r.exit === EXIT.ok)
                    console.log(`Repaired. Check again with: cxr verify ${ingestId}`);
                } else if (!opts.json) {
                  console.log(repairId);
                }
              }
              if (out.repair) Object.assign(a.what, { ingestId: out.repair.ingestId });
              if (out.repair?.report) auditReport(a, { report: out.repair.report, exit });
            });
          } else if (toRepair.length > 0 && !opts.json) {
            console.log(`\nRe-run the missing entries with: cxr verify ${ingestId} --repair`);
          }
          if (opts.json) console.log(JSON.stringify(out, null, 2));
          process.exitCode = exit;
        }, WAIT);
      },
    );
}
