/**
 * Results to the clinician (issue 25, item 3), on the real dev server and Orthanc, against real receivers: a real
 * fixture radiograph is ingested, its study summary is built from the SR stored in Orthanc, and deliverStudyResult
 * sends it to the three sinks: a webhook receiver that verifies the HMAC-SHA256 signature, an MLLP listener that
 * parses the ORU^R01 and ACKs (or NAKs, then recovers), and HAPI FHIR (tools/fhir-server) validating what it stores.
 * Until the study workflow starts deliveries itself, the tests start deliverStudyResult directly (as it will).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import AdmZip from 'adm-zip';
import { readAuditLog } from '../../../src/audit';
import type { StudySummary } from '../../../src/contracts';
import { buildFhirBundle, DELIVERY_SYSTEM, deliveryMessageId, type DeliveryResult } from '../../../src/delivery';
import { deliverStudyResult } from '../../../src/workflows';
import { DELIVERIES, STATE } from '../../../src/workflows/search-attributes';
import {
  dicomTag,
  FhirServer,
  MllpListener,
  receiverPort,
  summaryFromStoredReports,
  WebhookReceiver,
} from '../../helpers/delivery';
import { runCli } from '../cli/run-cli';
import type { DeliveryListRow } from '../../../src/cli/deliveries';
import { FIXTURES, freshIngest, startTestPipeline, TEST_OUTPUT, type TestPipeline } from '../../helpers/pipeline';

// A human frontal film (the highdicom sample is a dog's lateral, skipped since issue 24).
const FIXTURE = path.join(FIXTURES, 'cxr', 'nih_chestxray14_DX_8bit_SC.dcm');

describe('deliverStudyResult: webhook, HL7 v2 over MLLP, FHIR R4, each exactly once', { timeout: 12 * 60_000 }, () => {
  let p: TestPipeline;
  let summary: StudySummary;
  const studyUid = dicomTag(FIXTURE, 'StudyInstanceUID');
  const patientId = dicomTag(FIXTURE, 'PatientID');
  const patientName = dicomTag(FIXTURE, 'PatientName');
  const secret = `test-secret-${Date.now()}`;
  const dir = path.join(TEST_OUTPUT, `delivery-${Date.now()}`);
  const secretFile = path.join(dir, 'webhook-secret');
  // AE for the first try of completion 2's message, AR for the second, AA after: the NAK-then-recover case.
  const nakFor = deliveryMessageId(studyUid, 2, 'hl7');
  let naks = 0;
  const mllp = new MllpListener(receiverPort(0), (id) =>
    id === nakFor && naks < 2 ? (naks++ === 0 ? 'AE' : 'AR') : 'AA',
  );
  const webhook = new WebhookReceiver(receiverPort(1), secret);
  const fhir = new FhirServer(receiverPort(2));

  const deliver = (completion: number, tag = ''): Promise<DeliveryResult> =>
    p.env.client.workflow.execute(deliverStudyResult, {
      taskQueue: p.config.temporal.taskQueue,
      // The contract's id, plus this run's queue: a kept dev server may hold an earlier run's delivery.
      workflowId: `deliver/${studyUid}/${completion}-${p.config.temporal.taskQueue}${tag}`,
      args: [{ summary: { ...summary, completion } }],
    });

  before(async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(secretFile, secret + '\n', { mode: 0o600 });
    await Promise.all([mllp.start(), webhook.start(), fhir.start()]);
    p = await startTestPipeline({
      configure: (c) => {
        c.delivery = {
          webhook: { url: webhook.url, secretFile },
          hl7: {
            host: '127.0.0.1',
            port: mllp.port,
            sendingApplication: 'CXR-PIPELINE',
            sendingFacility: 'CXR',
            receivingApplication: 'RIS',
            receivingFacility: 'HOSPITAL',
          },
          fhir: { url: fhir.url },
          timeoutMs: 10_000,
        };
      },
    });
    const zip = new AdmZip();
    zip.addLocalFile(FIXTURE);
    const zipPath = path.join(dir, 'study.zip');
    zip.writeZip(zipPath);
    const s = await freshIngest(p, zipPath);
    const r = await s.handle.result();
    assert.equal(r.counts.done, 1, 'the fixture is classified');
    summary = await summaryFromStoredReports(p.orthanc, studyUid, 1, '2026-12-02T13:00:00.000Z');
    assert.ok(summary.highestFindings.length > 0);
  });

  after(async () => {
    await p?.stop();
    await Promise.all([mllp.stop(), webhook.stop(), fhir.stop()]);
  });

  it('a completed study reaches every sink once, with its receipt recorded', async () => {
    const t0 = Date.now();
    const result = await deliver(1);
    const ms = Date.now() - t0;
    assert.equal(result.state, 'delivered', JSON.stringify(result.sinks));
    assert.deepEqual(
      result.sinks.map((s) => [s.sink, s.state, s.messageId]),
      (['webhook', 'hl7', 'fhir'] as const).map((k) => [k, 'delivered', deliveryMessageId(studyUid, 1, k)]),
    );
    const by = Object.fromEntries(result.sinks.map((s) => [s.sink, s]));

    // Webhook: one POST, signature verified, the message id as header and in the body.
    assert.deepEqual([...webhook.verifiedById()], [[by.webhook.messageId, 1]]);
    assert.equal(webhook.received.length, 1);
    const posted = JSON.parse(webhook.received[0].body) as { messageId: string; summary: StudySummary };
    assert.equal(posted.messageId, by.webhook.messageId);
    assert.deepEqual(posted.summary, summary);
    assert.match(by.webhook.receipt?.receipt ?? '', /^HTTP 200 /);

    // HL7: one ORU^R01, control id = message id, PID from the source's patient module, OBX per finding.
    assert.deepEqual([...mllp.acceptedById()], [[by.hl7.messageId, 1]]);
    const segs = mllp.received[0].segments;
    assert.equal(segs.find((s) => s[0] === 'PID')?.[3]?.split('^')[0], patientId);
    const nm = segs.filter((s) => s[0] === 'OBX' && s[2] === 'NM');
    assert.equal(nm.length, summary.highestFindings.length);
    assert.equal(by.hl7.receipt?.receipt, `MSA|AA|${by.hl7.messageId}`);

    // FHIR: the report (version 1), its ImagingStudy and one Observation per finding, all stored after validation.
    const reports = await fhir.search('DiagnosticReport', `identifier=${DELIVERY_SYSTEM}|${by.fhir.messageId}`);
    assert.equal(reports.length, 1);
    const report = reports[0] as {
      id: string;
      meta: { versionId: string };
      result: unknown[];
      imagingStudy: { reference: string }[];
    };
    assert.equal(report.meta.versionId, '1');
    assert.equal(report.result.length, summary.highestFindings.length);
    const studies = await fhir.search('ImagingStudy', `identifier=urn:dicom:uid|urn:oid:${studyUid}`);
    assert.equal(studies.length, 1);
    assert.equal(report.imagingStudy[0].reference, `ImagingStudy/${String(studies[0].id)}`);
    assert.equal(by.fhir.receipt?.receipt, `DiagnosticReport/${report.id}/_history/1`);

    // The receipts are visible without the worker: search attributes, memo, and the audit trail.
    const desc = await p.env.client.workflow
      .getHandle(`deliver/${studyUid}/1-${p.config.temporal.taskQueue}`)
      .describe();
    assert.equal(desc.typedSearchAttributes.get(STATE), 'delivered');
    assert.deepEqual(desc.typedSearchAttributes.get(DELIVERIES)?.sort(), [
      'fhir=delivered',
      'hl7=delivered',
      'webhook=delivered',
    ]);
    assert.deepEqual(Object.keys((desc.memo as { receipts: object }).receipts).sort(), ['fhir', 'hl7', 'webhook']);
    const audited = readAuditLog(p.config.audit.logFile).filter(
      (r) =>
        r.action === 'result-delivery' && r.what.studyInstanceUid === studyUid && r.what.workflowId === desc.workflowId,
    );
    assert.deepEqual(audited.map((r) => r.what.sink).sort(), ['fhir', 'hl7', 'webhook']);

    // No patient demographics in the history: the activities read them from Orthanc themselves.
    const history = JSON.stringify(await p.env.client.workflow.getHandle(desc.workflowId).fetchHistory());
    if (patientName) assert.ok(!history.includes(patientName), 'the patient name is not in the history');
    console.log(`  [delivery] three sinks delivered in ${ms} ms`);
  });

  it('the same completion delivered again creates nothing new at the FHIR server and reuses every message id', async () => {
    const before = {
      obs: (await fhir.search('Observation')).length,
      reports: (await fhir.search('DiagnosticReport')).length,
    };
    const again = await deliver(1, '-again');
    assert.equal(again.state, 'delivered');
    const reports = await fhir.search('DiagnosticReport');
    assert.equal(reports.length, before.reports);
    assert.equal((await fhir.search('Observation')).length, before.obs);
    assert.equal((reports[0] as { meta: { versionId: string } }).meta.versionId, '1', 'an identical PUT is a no-op');
    // Webhook and HL7 receivers see the same ids (what they deduplicate on), not new ones.
    assert.deepEqual([...webhook.verifiedById().keys()], [deliveryMessageId(studyUid, 1, 'webhook')]);
    assert.deepEqual([...mllp.acceptedById().keys()], [deliveryMessageId(studyUid, 1, 'hl7')]);
  });

  it('an HL7 AE then AR is retried; the AA that follows delivers it, on the third attempt', async () => {
    const result = await deliver(2);
    const hl7 = result.sinks.find((s) => s.sink === 'hl7');
    assert.equal(hl7?.state, 'delivered');
    assert.equal(hl7?.receipt?.attempt, 3);
    assert.deepEqual(
      mllp.received.filter((r) => r.controlId === nakFor).map((r) => r.answered),
      ['AE', 'AR', 'AA'],
    );
  });

  it('a receiver that refuses (bad signature: HTTP 401) fails that sink at once, typed; the others deliver', async () => {
    fs.writeFileSync(secretFile, 'not-the-receivers-secret\n');
    try {
      const result = await deliver(3);
      assert.equal(result.state, 'partly-delivered');
      const w = result.sinks.find((s) => s.sink === 'webhook');
      assert.equal(w?.state, 'failed');
      assert.equal(w?.reason?.type, 'DeliveryRejected');
      assert.match(w?.reason?.message ?? '', /HTTP 401/);
      const refused = webhook.received.filter((r) => r.deliveryId === deliveryMessageId(studyUid, 3, 'webhook'));
      assert.deepEqual(
        refused.map((r) => r.verified),
        [false],
        'refused once, not retried',
      );
    } finally {
      fs.writeFileSync(secretFile, secret + '\n');
    }
  });

  it('the FHIR server validates: a malformed resource is refused with 422 and nothing of its bundle is stored', async () => {
    const bad = buildFhirBundle({
      messageId: 'malformed-1',
      patient: { id: 'BAD-1' },
      study: { studyInstanceUid: '1.2.3.999' },
      summary: { ...summary, studyInstanceUid: '1.2.3.999' },
    });
    const obs = bad.entry.find((e) => e.resource.resourceType === 'Observation');
    assert.ok(obs);
    delete obs.resource.status; // Observation.status is 1..1 in R4
    const res = await fhir.post(bad);
    assert.equal(res.status, 422);
    const issues = (res.body.issue as { severity: string; diagnostics: string }[]).filter(
      (i) => i.severity === 'error',
    );
    assert.ok(
      issues.some((i) => /Observation\.status/.test(i.diagnostics)),
      JSON.stringify(issues),
    );
    assert.equal((await fhir.search('DiagnosticReport', `identifier=${DELIVERY_SYSTEM}|malformed-1`)).length, 0);
    assert.equal((await fhir.search('Patient', 'identifier=urn:cxr-pipeline:patient-id|BAD-1')).length, 0);
    // The same bundle, well-formed, is taken: the refusal was the validator's, not the store's.
    const good = await fhir.post(
      buildFhirBundle({
        messageId: 'malformed-1',
        patient: { id: 'BAD-1' },
        study: { studyInstanceUid: '1.2.3.999' },
        summary: { ...summary, studyInstanceUid: '1.2.3.999' },
      }),
    );
    assert.equal(good.status, 200, JSON.stringify(good.body).slice(0, 500));
  });

  it('cxr deliveries lists each delivery with per-sink state and receipt; `show` gives ids, receipts, reasons', async () => {
    const env = { CXR_TASK_QUEUE: p.config.temporal.taskQueue };
    const mine = (rows: DeliveryListRow[]) => rows.filter((r) => r.workflowId.includes(p.config.temporal.taskQueue));
    let rows: DeliveryListRow[] = [];
    for (let i = 0; i < 20 && rows.length < 4; i++) {
      const list = await runCli(['deliveries', '--study', studyUid, '--json', '--limit', '100'], env);
      assert.equal(list.code, 0, list.stderr);
      rows = mine(JSON.parse(list.stdout) as DeliveryListRow[]);
      if (rows.length < 4) await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(rows.length, 4, 'completions 1, 1 again, 2 and 3');
    const first = rows.find((r) => r.workflowId === `deliver/${studyUid}/1-${p.config.temporal.taskQueue}`);
    assert.equal(first?.state, 'delivered');
    assert.equal(first?.completion, 1);
    assert.deepEqual(first?.sinks.map((s) => s.sink).sort(), ['fhir', 'hl7', 'webhook']);
    assert.ok(first?.sinks.every((s) => s.state === 'delivered' && (s.receipt ?? '').length > 0));
    const third = rows.find((r) => r.completion === 3);
    assert.equal(third?.state, 'partly-delivered');
    assert.deepEqual(
      third?.sinks.find((s) => s.sink === 'webhook'),
      { sink: 'webhook', state: 'failed', receipt: 'DeliveryRejected' },
    );
    const failedOnly = await runCli(['deliveries', '--sink', 'webhook=failed', '--json', '--limit', '100'], env);
    assert.deepEqual(
      mine(JSON.parse(failedOnly.stdout) as DeliveryListRow[]).map((r) => r.completion),
      [3],
    );
    const table = await runCli(['deliveries', '--study', studyUid], env);
    assert.match(table.stdout, /partly-delivered/);
    assert.match(table.stdout, new RegExp(`hl7 +delivered +MSA\\|AA\\|${deliveryMessageId(studyUid, 1, 'hl7')}`));

    const show = await runCli(['deliveries', 'show', studyUid], env);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`message id ${deliveryMessageId(studyUid, 1, 'fhir')}`));
    assert.match(show.stdout, /receipt +DiagnosticReport\/[^/]+\/_history\/1/);
    assert.match(show.stdout, /delivered .*\(attempt 3\)/);
    assert.match(show.stdout, /reason +DeliveryRejected: .*HTTP 401/);
    const none = await runCli(['deliveries', 'show', '1.2.3.4.5.6.7.8.9.0.404'], env);
    assert.equal(none.code, 4);
  });
});
