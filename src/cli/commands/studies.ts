import { Command, Option } from 'commander';
import { audited } from '../../audit';
import type { StudySummary } from '../../contracts';
import type { StudyView } from '../../workflows/study';
import { EXIT_HELP } from '../exit-codes';
import { positiveInt } from '../options';
import { completeStudy, getStudy, listStudies, type StudyRow } from '../studies';
import { withClient } from '../with-client';

const pad = (s: string, n: number) => (s.length >= n ? s : s + ' '.repeat(n - s.length));

export function studiesTable(rows: StudyRow[]): string {
  if (rows.length === 0) return 'No studies found.';
  const head = `${pad('started', 20)}  ${pad('state', 10)}  ${'#'.padStart(2)} ${'images'.padStart(6)} ${'done'.padStart(5)} ${'failed'.padStart(6)} ${'skip'.padStart(5)}  ${pad('priority', 8)}  study instance uid`;
  const lines = rows.map(
    (r) =>
      `${pad(r.startTime.replace('T', ' ').slice(0, 19), 20)}  ${pad(r.state, 10)}  ${String(r.completion).padStart(2)} ${String(r.total).padStart(6)} ${String(r.done).padStart(5)} ${String(r.failed).padStart(6)} ${String(r.skipped).padStart(5)}  ${pad(r.priority, 8)}  ${r.studyInstanceUid}`,
  );
  return [head, ...lines].join('\n');
}

export function summaryText(s: StudySummary): string {
  const out = [
    `Study ${s.studyInstanceUid}: completion ${s.completion} at ${s.completedAt} (${s.completedBy}), model ${s.model.id}@${s.model.version}`,
    `  highest findings: ${s.highestFindings.map((f) => `${f.label} ${f.probability.toFixed(3)}${f.positive ? ' POSITIVE' : ''}`).join(', ') || 'none'}`,
  ];
  for (const i of s.images) {
    const why = i.reason ? ` [${i.reason.type}] ${i.reason.message}` : '';
    const pos = i.positiveFindings.map((f) => f.label).join(', ');
    out.push(
      `  ${pad(i.status, 7)} ${i.sopInstanceUid}${i.reportSopInstanceUid ? `  SR ${i.reportSopInstanceUid}` : ''}${pos ? `  positive: ${pos}` : ''}${why}`,
    );
  }
  return out.join('\n');
}

function viewText(v: StudyView): string {
  const c = v.counts;
  const head = `Study ${v.studyInstanceUid}: ${v.state}${v.completesAt ? ` (completes at ${v.completesAt} unless an image arrives)` : ''}, ${c.total} image(s): ${c.done} done, ${c.failed} failed, ${c.skipped} skipped`;
  if (v.state === 'completed' && v.summary) return `${head}\n${summaryText(v.summary)}`;
  const lines = v.images.map(
    (i) => `  ${pad(i.status, 7)} ${i.sopInstanceUid}${i.reason ? ` [${i.reason.type}] ${i.reason.message}` : ''}`,
  );
  return [
    head,
    ...(v.summary ? [`  last completion: ${v.summary.completion} at ${v.summary.completedAt}`] : []),
    ...lines,
  ].join('\n');
}

export function studiesCommand(): Command {
  const studies = new Command('studies')
    .description('Studies and their completion: state, image counts, priority (list; show <uid>; complete <uid>)')
    .addOption(new Option('--limit <n>', 'at most this many').argParser(positiveInt).default(20))
    .option('--state <state>', 'only studies in this state: open | completed')
    .option('--query <visibility-query>', 'any extra visibility filter, ANDed (e.g. "CxrFailed > 0")')
    .option('--json', 'print the rows as JSON')
    .addHelpText(
      'after',
      `
Each study has a workflow (study/<Study Instance UID>) that hears of every image of the study as the
image's processing ends (ingests and the follower). A study completes after CXR_STUDY_INACTIVITY_S
(default 120 s) without a new image, or when an operator completes it; it then records one summary
(which images, skipped and failed ones with the reason, the highest findings). A late image re-opens
it; the next completion gets the next number (#). Needs no worker for the list.

Examples:
  $ cxr studies --state open
  $ cxr studies show 1.2.826.0.1.3680043.8.498.1234
  $ cxr studies complete 1.2.826.0.1.3680043.8.498.1234

${EXIT_HELP}`,
    )
    .action(async (opts: { limit: number; state?: string; query?: string; json?: boolean }) => {
      await withClient(async (client) => {
        const rows = await listStudies(client, { limit: opts.limit, state: opts.state, filter: opts.query });
        console.log(opts.json ? JSON.stringify(rows, null, 2) : studiesTable(rows));
      });
    });
  studies.addCommand(
    new Command('show')
      .description('One study: its images as they ended, and its summary once complete')
      .argument('<study-instance-uid>')
      .option('--json', 'print the state as JSON')
      .action(async (uid: string, opts: { json?: boolean }) => {
        await withClient(async (client) => {
          const s = await getStudy(client, uid);
          if (opts.json)
            console.log(JSON.stringify(s.running ? s.view : { state: 'closed', summary: s.summary }, null, 2));
          else if (s.running) console.log(viewText(s.view));
          else
            console.log(s.summary ? `(closed)\n${summaryText(s.summary)}` : `Study ${uid}: closed without a summary`);
        });
      })
      .showHelpAfterError()
      .exitOverride(),
  );
  studies.addCommand(
    new Command('complete')
      .description('Complete the study now (do not wait for the inactivity timer); prints its summary')
      .argument('<study-instance-uid>')
      .option('--json', 'print the summary as JSON')
      .action(async (uid: string, opts: { json?: boolean }) => {
        await withClient(async (client, config) => {
          const summary = await audited(config, 'study-complete', { studyInstanceUid: uid }, async (a) => {
            const s = await completeStudy(client, uid);
            a.what.workflowId = `study/${uid}`;
            return s;
          });
          console.log(opts.json ? JSON.stringify(summary, null, 2) : summaryText(summary));
        });
      })
      .showHelpAfterError()
      .exitOverride(),
  );
  return studies;
}
