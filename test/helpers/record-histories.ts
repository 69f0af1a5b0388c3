/**
 * Re-record the replay fixtures in test/fixtures/histories/ from a real small ingest, after a deliberate
 * change to the workflow code (see docs/durability.md). Run: scripts/record-histories (needs the dev server
 * and Orthanc of scripts/services). What it records: every run of one IngestZipWorkflow (continue-as-new
 * every 3 entries, window 2) over 3 chest radiographs, a CT (skipped) and a text file (failed), plus one
 * child of each outcome.
 */
import fs from 'node:fs';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import type * as proto from '@temporalio/proto';
import { startOrAttachIngest } from '../../src/cli/start-ingest';
import { runsOf } from './history';
import { FIXTURES, startTestPipeline, TEST_OUTPUT } from './pipeline';
import { syntheticCr } from './synthetic-dicom';

/** A history as proto-JSON (the format of `temporal workflow show -o json`). */
function historyToJson(h: proto.temporal.api.history.v1.IHistory): unknown {
  return JSON.parse(historyToJSON(h));
}

export const HISTORIES_DIR = path.join(FIXTURES, 'histories');

export interface RecordedHistory {
  workflowId: string;
  workflowType: string;
  note: string;
  /** The history as `temporal workflow show --output json` prints it (historyToJSON). */
  history: unknown;
}

async function main(): Promise<void> {
  const p = await startTestPipeline();
  try {
    const seed = `replay-${Date.now()}`;
    const zip = new AdmZip();
    for (let i = 0; i < 3; i++) zip.addFile(`study/${i}-cxr.dcm`, syntheticCr({ seed, index: i, studyKey: 'A' }));
    zip.addFile('study/3-ct.dcm', syntheticCr({ seed, index: 3, modality: 'CT' }));
    zip.addFile('study/4-notes.txt', Buffer.from('not a dicom file\n'));
    fs.mkdirSync(TEST_OUTPUT, { recursive: true });
    const zipPath = path.join(TEST_OUTPUT, `${seed}.zip`);
    zip.writeZip(zipPath);
    const s = await startOrAttachIngest(p.env.client, p.config, zipPath, {
      window: 2,
      continueAsNewEvery: 3,
      pageSize: 2,
    });
    const result = await s.handle.result();
    const records: { file: string; rec: RecordedHistory }[] = [];
    const runs = await runsOf(p.env.client, s.ingestId);
    runs.forEach((h, i) => {
      records.push({
        file: `ingest-run${i + 1}.json`,
        rec: {
          workflowId: s.ingestId,
          workflowType: 'ingestZipWorkflow',
          note: `IngestZipWorkflow run ${i + 1} of ${runs.length}`,
          history: historyToJson(h),
        },
      });
    });
    const children: [number, string][] = [
      [0, 'done'],
      [3, 'skipped (CT)'],
      [4, 'failed (NotDicom)'],
    ];
    for (const [index, what] of children) {
      const id = `${s.ingestId}/${index}`;
      const h = await p.env.client.workflow.getHandle(id).fetchHistory();
      records.push({
        file: `instance-${what.split(' ')[0]}.json`,
        rec: {
          workflowId: id,
          workflowType: 'processInstanceWorkflow',
          note: `ProcessInstanceWorkflow, entry ${index}: ${what}`,
          history: historyToJson(h),
        },
      });
    }
    fs.mkdirSync(HISTORIES_DIR, { recursive: true });
    for (const f of fs.readdirSync(HISTORIES_DIR)) if (f.endsWith('.json')) fs.rmSync(path.join(HISTORIES_DIR, f));
    for (const { file, rec } of records)
      fs.writeFileSync(path.join(HISTORIES_DIR, file), JSON.stringify(rec, null, 1) + '\n');
    fs.rmSync(zipPath, { force: true });
    console.log(`recorded ${records.length} histories (${JSON.stringify(result.counts)}) into ${HISTORIES_DIR}`);
  } finally {
    await p.stop();
  }
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
