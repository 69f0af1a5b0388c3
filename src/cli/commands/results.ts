import { Command, Option } from 'commander';
import { cliConfig } from '../cli-config';
import { OrthancClient } from '../../orthanc/client';
import type { ReportSummary } from '../../dicom/sr';
import { readStudyReports } from '../../orthanc/reports';
import { CliError, EXIT, EXIT_HELP } from '../exit-codes';
import { looksLikeIngestId, resolveIngestRef } from '../ingest-id';
import { getIngest, listDone } from '../ingests';
import { positiveInt } from '../options';
import { reportsTable } from '../render';
import { withClient } from '../with-client';

const STUDY_UID = /^[0-9]+(\.[0-9]+)+$/;

export function resultsCommand(): Command {
  return new Command('results')
    .description(
      'Show the AI findings stored in Orthanc, read back from the structured reports (of a study, or of an ingest)',
    )
    .argument('<study-or-ingest>', 'a Study Instance UID, or an ingest (ID, zip SHA-256 or zip file)')
    .addOption(new Option('--top <n>', 'only the n most probable findings per image').argParser(positiveInt))
    .option('--json', 'print the reports as JSON')
    .addHelpText(
      'after',
      `
For a study: every AI result SR of this pipeline in that study. For an ingest: the reports written for
its done entries (the studies named in the children's outcomes, filtered to those SRs). The findings
are parsed from the SR documents in Orthanc, not from Temporal: this is what a PACS viewer sees.

Examples:
  $ cxr results 1.2.826.0.1.3680043.8.498.1234
  $ cxr results study.zip --top 3
  $ cxr results ingest-3f1c...e9 --json

${EXIT_HELP}`,
    )
    .action(async (ref: string, opts: { top?: number; json?: boolean }) => {
      const config = cliConfig();
      const orthanc = new OrthancClient(config.orthanc);
      let reports: ReportSummary[] = [];
      const names = new Map<string, string>();
      let what: string;
      if (STUDY_UID.test(ref) && !looksLikeIngestId(ref)) {
        what = `study ${ref}`;
        reports = await readStudyReports(orthanc, ref);
      } else {
        const { ingestId } = await resolveIngestRef(ref);
        what = `ingest ${ingestId}`;
        const done = await withClient(async (client) => {
          const view = await getIngest(client, ingestId);
          if (view.kind === 'not-found') throw new CliError(`No ingest ${ingestId}`, EXIT.notFound);
          return listDone(client, ingestId);
        });
        const wanted = new Set(done.map((o) => o.reportSopInstanceUid).filter((u): u is string => Boolean(u)));
        for (const o of done) if (o.sopInstanceUid) names.set(o.sopInstanceUid, `#${o.index} ${o.name}`);
        const studies = [...new Set(done.map((o) => o.studyInstanceUid).filter((u): u is string => Boolean(u)))];
        for (const study of studies) {
          for (const r of await readStudyReports(orthanc, study)) if (wanted.has(r.sopInstanceUid)) reports.push(r);
        }
      }
      if (opts.json) console.log(JSON.stringify(reports, null, 2));
      else if (reports.length === 0) console.error(`cxr: no AI reports found for ${what}`);
      else console.log(`${reports.length} report(s) for ${what}\n\n${reportsTable(reports, { top: opts.top, names })}`);
      process.exitCode = reports.length === 0 ? EXIT.notFound : EXIT.ok;
    });
}
