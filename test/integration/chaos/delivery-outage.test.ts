/**
 * Chaos: every receiver down for 60 s (issue 25). Four completions of a real processed study are delivered while the
 * webhook receiver, the MLLP listener and the FHIR server all refuse connections; the test proves they were down
 * (its own probes count refused connections, and every delivery's pending sink activities show retried attempts
 * whose last error is ECONNREFUSED), brings them back, and checks that each receiver then got every message exactly
 * once, counted by message id at the receiver.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import AdmZip from 'adm-zip';
import type { StudySummary } from '../../../src/contracts';
import { DELIVERY_SYSTEM, deliveryMessageId, type DeliveryResult } from '../../../src/delivery';
import { deliverStudyResult } from '../../../src/workflows';
import {
  dicomTag,
  FhirServer,
  MllpListener,
  probe,
  receiverPort,
  summaryFromStoredReports,
  WebhookReceiver,
} from '../../helpers/delivery';
import { FIXTURES, freshIngest, startTestPipeline, TEST_OUTPUT, type TestPipeline } from '../../helpers/pipeline';

const DOWN_S = Number(process.env.CXR_CHAOS_DELIVERY_DOWN_S ?? 60);
const N = 4;
const FIXTURE = path.join(FIXTURES, 'cxr', 'txv_siim_CR_chest_jpegbaseline.dcm');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe(`delivery chaos: every receiver down for ${DOWN_S} s`, { timeout: 12 * 60_000 }, () => {
  let p: TestPipeline;
  let summary: StudySummary;
  const secret = `chaos-secret-${Date.now()}`;
  const dir = path.join(TEST_OUTPUT, `delivery-chaos-${Date.now()}`);
  const secretFile = path.join(dir, 'webhook-secret');
  const mllp = new MllpListener(receiverPort(10));
  const webhook = new WebhookReceiver(receiverPort(11), secret);
  const fhir = new FhirServer(receiverPort(12));

  const studyUid = dicomTag(FIXTURE, 'StudyInstanceUID');
  const completions = Array.from({ length: N }, (_, i) => i + 1);
  const ids = (sink: 'webhook' | 'hl7' | 'fhir') => completions.map((c) => deliveryMessageId(studyUid, c, sink)).sort();

  before(async () => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(secretFile, secret, { mode: 0o600 });
    await Promise.all([mllp.start(), webhook.start()]);
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
    summary = await summaryFromStoredReports(p.orthanc, studyUid, 1, '2026-12-02T13:30:00.000Z');
  });

  after(async () => {
    await p?.stop();
    await Promise.all([mllp.stop(), webhook.stop(), fhir.stop()]);
  });

  it(`each of ${N} deliveries reaches every sink exactly once after the receivers come back`, async () => {
    // Up, then down: the webhook and MLLP receivers answered, now nothing listens on any of the three ports.
    assert.equal(await probe(mllp.port), 'open');
    assert.equal(await probe(webhook.port), 'open');
    await Promise.all([mllp.stop(), webhook.stop()]);
    const ports = [mllp.port, webhook.port, fhir.port];
    const down = Date.now();
    const handles = await Promise.all(
      completions.map((completion) =>
        p.env.client.workflow.start(deliverStudyResult, {
          taskQueue: p.config.temporal.taskQueue,
          workflowId: `deliver/${studyUid}/${completion}-${p.config.temporal.taskQueue}`,
          args: [{ summary: { ...summary, completion } }],
        }),
      ),
    );
    let refused = 0;
    let probes = 0;
    while (Date.now() - down < DOWN_S * 1000) {
      for (const port of ports) {
        probes += 1;
        if ((await probe(port)) === 'refused') refused += 1;
      }
      await sleep(2000);
    }
    assert.equal(refused, probes, 'every probe of every receiver was refused while it was down');
    // Every delivery is retrying all three sinks, each after connection refusals.
    let retrying = 0;
    for (const h of handles) {
      const pending = (await h.describe()).raw.pendingActivities ?? [];
      assert.equal(pending.length, 3, `${h.workflowId}: three sinks pending`);
      for (const a of pending) {
        assert.ok((a.attempt ?? 1) >= 2, `${a.activityType?.name} retried`);
        assert.match(a.lastFailure?.message ?? '', /ECONNREFUSED/);
        retrying += 1;
      }
    }
    await Promise.all([mllp.start(), webhook.start(), fhir.start()]);
    const back = Date.now();
    const results: DeliveryResult[] = await Promise.all(handles.map((h) => h.result()));
    const drained = Date.now();

    for (const r of results) assert.equal(r.state, 'delivered', JSON.stringify(r.sinks));
    const attempts = results.flatMap((r) => r.sinks.map((s) => s.receipt?.attempt ?? 0));
    assert.ok(
      attempts.every((a) => a >= 2),
      `every message needed a retry: ${attempts.join(',')}`,
    );
    // Exactly once at each receiver, counted by message id.
    assert.deepEqual(
      [...webhook.verifiedById()].sort(),
      ids('webhook').map((id) => [id, 1]),
    );
    assert.equal(webhook.received.length, N);
    assert.deepEqual(
      [...mllp.acceptedById()].sort(),
      ids('hl7').map((id) => [id, 1]),
    );
    assert.equal(mllp.received.length, N);
    const reports = await fhir.search('DiagnosticReport');
    const reportIds = reports
      .map(
        (r) => (r.identifier as { system: string; value: string }[]).find((i) => i.system === DELIVERY_SYSTEM)?.value,
      )
      .sort();
    assert.deepEqual(reportIds, ids('fhir'));
    for (const r of reports) assert.equal((r.meta as { versionId: string }).versionId, '1');
    assert.equal((await fhir.search('Observation')).length, N * summary.highestFindings.length);
    assert.equal((await fhir.search('ImagingStudy')).length, 1);
    console.log(
      `  [chaos: delivery] receivers down ${((back - down) / 1000).toFixed(0)} s (${refused}/${probes} probes refused; ` +
        `${retrying} sink activities retrying, last error ECONNREFUSED); all ${N * 3} messages delivered ` +
        `${((drained - back) / 1000).toFixed(1)} s after they returned (FHIR start included), each exactly once; ` +
        `attempts per message ${Math.min(...attempts)}-${Math.max(...attempts)}`,
    );
  });
});
