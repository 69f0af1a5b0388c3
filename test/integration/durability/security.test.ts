/**
 * Secrets and patient data stay out of Temporal; Orthanc requires credentials; optional payload encryption.
 *  1. An ingest of a radiograph with a distinctive (fake) patient name and ID: neither they nor the Orthanc
 *     password appear anywhere in the histories (parent runs and children; every payload decoded as text).
 *  2. Orthanc refuses requests without credentials or with wrong ones; no source file holds the password.
 *  3. With the AES-256-GCM payload codec on (src/codec), every payload in the raw history is ciphertext (the
 *     zip name appears only in search attributes, which Temporal never encodes), the ingest completes, and a
 *     client without the key (or with another key) cannot read the result.
 * Real dev server, real Orthanc, real workers (in this process).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import AdmZip from 'adm-zip';
import { Client } from '@temporalio/client';
import { startOrAttachIngest } from '../../../src/cli/start-ingest';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, payloadKey } from '../../../src/codec';
import { PROJECT_ROOT } from '../../../src/config';
import type { IngestResult } from '../../../src/workflows/types';
import {
  ingestHistories,
  leaks,
  OLD_DEMO_PASSWORD,
  payloadsOf,
  textsOf,
  withPatient,
} from '../../helpers/payload-scan';
import { startTestPipeline, TEST_OUTPUT, type TestPipeline } from '../../helpers/pipeline';
import { syntheticCr } from '../../helpers/synthetic-dicom';

const tag = crypto.randomBytes(4).toString('hex');
const PATIENT_NAME = `QUIZBLORT^ZEPHANIAH${tag.toUpperCase()}`;
const PATIENT_ID = `PIDX-${tag}-7731`;

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => (d.isDirectory() ? filesUnder(path.join(dir, d.name)) : [path.join(dir, d.name)]));
}

describe('no secrets or demographics in workflow history', { timeout: 10 * 60_000 }, () => {
  let p: TestPipeline;
  let zipPath: string;
  before(async () => {
    p = await startTestPipeline();
    fs.mkdirSync(TEST_OUTPUT, { recursive: true });
    const zip = new AdmZip();
    const seed = `sec-${tag}`;
    zip.addFile('a/1.dcm', withPatient(syntheticCr({ seed, index: 0 }), PATIENT_NAME, PATIENT_ID));
    zip.addFile('a/2.dcm', withPatient(syntheticCr({ seed, index: 1, modality: 'CT' }), PATIENT_NAME, PATIENT_ID));
    zip.addFile('a/3.txt', Buffer.from('not dicom'));
    zipPath = path.join(TEST_OUTPUT, `${seed}.zip`);
    zip.writeZip(zipPath);
  });
  after(async () => {
    await p?.stop();
    if (zipPath) fs.rmSync(zipPath, { force: true });
  });

  it('histories hold neither the Orthanc password nor the patient name or ID', async () => {
    const password = p.config.orthanc.password ?? '';
    assert.ok(password.length >= 8, 'the test needs a real password configured');
    const s = await startOrAttachIngest(p.env.client, p.config, zipPath, { continueAsNewEvery: 2 });
    const result = await s.handle.result();
    assert.deepEqual(result.counts, { total: 3, done: 1, failed: 1, skipped: 1 });
    // The image really carries the planted identity (so its absence from history means something).
    const [orthancId] = await p.orthanc.lookup(
      (await p.env.client.workflow.getHandle(`${s.ingestId}/0`).result()).sopInstanceUid,
      'Instance',
    );
    assert.equal((await p.orthanc.getInstanceTags(orthancId)).PatientID, PATIENT_ID);

    const histories = await ingestHistories(p.env.client, s.ingestId, 3);
    assert.ok(histories.length >= 4 + 1, 'two parent runs and three children');
    const found = histories.flatMap((h) => textsOf(h.history, h.id));
    assert.ok(
      found.some((f) => f.text.includes('a/1.dcm')),
      'the scan does see payload text',
    );
    const hits = leaks(found, [password, PATIENT_NAME, PATIENT_NAME.split('^')[0], PATIENT_ID]);
    console.log(
      `[security] scanned ${histories.length} histories, ${found.length} strings/payloads: ${hits.length} leaks`,
    );
    assert.deepEqual(hits, []);
  });

  it('Orthanc refuses unauthenticated and wrongly authenticated requests; no source file holds the password', async () => {
    const url = `${p.config.orthanc.url}/system`;
    assert.equal((await fetch(url)).status, 401);
    assert.equal((await fetch(`${p.config.orthanc.url}/instances`)).status, 401);
    const wrong = Buffer.from(`${p.config.orthanc.username}:not-the-password`).toString('base64');
    assert.equal((await fetch(url, { headers: { Authorization: `Basic ${wrong}` } })).status, 401);
    const right = Buffer.from(`${p.config.orthanc.username}:${p.config.orthanc.password}`).toString('base64');
    assert.equal((await fetch(url, { headers: { Authorization: `Basic ${right}` } })).status, 200);
    const password = p.config.orthanc.password ?? '';
    const inCode = filesUnder(path.join(PROJECT_ROOT, 'src')).filter((f) =>
      fs.readFileSync(f, 'utf8').includes(password),
    );
    assert.deepEqual(inCode, [], 'the password lives in configuration only');
  });

  it('the password is not the old demo one, and no tracked file, log or audit record holds it', () => {
    const password = p.config.orthanc.password ?? '';
    assert.notEqual(password, OLD_DEMO_PASSWORD);
    // Every file git tracks (a clean clone's whole content), plus the services' logs and the audit log.
    const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: PROJECT_ROOT, encoding: 'utf8' })
      .split('\0')
      .filter((f) => f && fs.existsSync(path.join(PROJECT_ROOT, f)))
      .map((f) => path.join(PROJECT_ROOT, f));
    assert.ok(tracked.length > 100, `git ls-files listed ${tracked.length} files`);
    const logs = [path.join(p.config.dataDir, 'logs'), path.dirname(p.config.audit.logFile)]
      .filter((d) => fs.existsSync(d))
      .flatMap(filesUnder);
    const holding = (needle: string) =>
      [...tracked, ...logs].filter((f) => fs.statSync(f).isFile() && fs.readFileSync(f).includes(needle));
    console.log(`[security] scanned ${tracked.length} tracked files and ${logs.length} log files`);
    assert.deepEqual(holding(password), [], 'the generated password is in no tracked file or log');
    assert.deepEqual(holding(OLD_DEMO_PASSWORD), [], 'the old demo password is gone from the repository');
  });
});

/**
 * The SDK records each local activity and each patch in a marker. A local activity's result is encrypted like every
 * payload; beside it, and for a patch, the SDK's core writes the marker's own bookkeeping as json/plain (seq,
 * attempt, activity id and type, times; a patch's id and deprecation), which no payload codec sees. It holds no user
 * data: accepted only at those places and with exactly those fields.
 */
const MARKER_BOOKKEEPING = /markerRecordedEventAttributes\.details\.(data|patch-data)\.payloads\[\d+\]$/;
const MARKER_FIELDS = new Set([
  'id',
  'deprecated',
  'seq',
  'attempt',
  'activity_id',
  'activity_type',
  'complete_time',
  'backoff',
  'original_schedule_time',
]);
function isMarkerBookkeeping(x: { path: string; encoding: string; data: Buffer }): boolean {
  if (!MARKER_BOOKKEEPING.test(x.path) || x.encoding !== 'json/plain') return false;
  try {
    const o: unknown = JSON.parse(x.data.toString('utf8'));
    return (
      typeof o === 'object' &&
      o !== null &&
      Object.keys(o).length > 0 &&
      Object.keys(o).every((k) => MARKER_FIELDS.has(k))
    );
  } catch {
    return false;
  }
}

describe('payload encryption codec on the real server', { timeout: 10 * 60_000 }, () => {
  const codec = new AesGcmPayloadCodec(payloadKey(crypto.randomBytes(32).toString('base64')));
  let p: TestPipeline;
  let zipPath: string;
  const zipName = `zz-confidential-${tag}.zip`;
  before(async () => {
    p = await startTestPipeline({ payloadCodec: codec });
    const zip = new AdmZip();
    zip.addFile('b/1.dcm', withPatient(syntheticCr({ seed: `enc-${tag}`, index: 0 }), PATIENT_NAME, PATIENT_ID));
    zip.addFile('b/2.dcm', syntheticCr({ seed: `enc-${tag}`, index: 1 }));
    zipPath = path.join(TEST_OUTPUT, zipName);
    zip.writeZip(zipPath);
  });
  after(async () => {
    await p?.stop();
    if (zipPath) fs.rmSync(zipPath, { force: true });
  });

  it('stores only ciphertext, completes, and is unreadable without the key', async () => {
    const keyed = new Client({
      connection: p.env.client.connection,
      namespace: p.config.temporal.namespace,
      dataConverter: { payloadCodecs: [codec] },
    });
    const s = await startOrAttachIngest(keyed, p.config, zipPath);
    const result = (await keyed.workflow.getHandle(s.ingestId).result()) as IngestResult;
    assert.deepEqual(result.counts, { total: 2, done: 2, failed: 0, skipped: 0 });
    assert.equal(result.zipName, zipName);

    // Raw history, as the server stores it (p.env.client has no codec).
    const histories = await ingestHistories(p.env.client, s.ingestId, 2);
    const payloads = histories.flatMap((h) => payloadsOf(h.history, h.id));
    const outsideSearchAttributes = payloads.filter((x) => !/searchAttributes/i.test(x.path));
    assert.ok(outsideSearchAttributes.length >= 10, `payloads found: ${outsideSearchAttributes.length}`);
    const plain = outsideSearchAttributes
      .filter((x) => x.encoding !== ENCRYPTED_ENCODING && !isMarkerBookkeeping(x))
      .map((x) => `${x.path} (${x.encoding})`);
    assert.deepEqual(plain, [], 'every payload outside search attributes is encrypted');
    const found = histories.flatMap((h) => textsOf(h.history, h.id));
    const visible = leaks(found, [zipName, 'b/1.dcm', PATIENT_NAME, PATIENT_ID]);
    const unexpected = visible.filter((v) => !/searchAttributes/i.test(v));
    console.log(
      `[security:codec] ${payloads.length} payloads, ${outsideSearchAttributes.length} encrypted (key ${codec.active.id}); ` +
        `plaintext names only in search attributes: ${visible.length - unexpected.length} occurrences`,
    );
    assert.deepEqual(unexpected, [], 'the zip and entry names appear only in search attributes');

    const keyless = p.env.client.workflow.getHandle(s.ingestId);
    await assert.rejects(keyless.result(), 'a client without the key cannot decode the result');
    const otherKey = new Client({
      connection: p.env.client.connection,
      namespace: p.config.temporal.namespace,
      dataConverter: { payloadCodecs: [new AesGcmPayloadCodec(payloadKey(crypto.randomBytes(32).toString('base64')))] },
    });
    await assert.rejects(otherKey.workflow.getHandle(s.ingestId).result(), /does not hold/);
  });
});
