import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  buildAck,
  buildOruR01,
  escapeHl7,
  field,
  hl7Time,
  parseAck,
  parseHl7,
  unescapeHl7,
  xpnFromDicom,
} from '../../../src/delivery';
import { PATIENT, STUDY, SUMMARY } from './fixtures';

const PARTIES = {
  sendingApplication: 'CXR-PIPELINE',
  sendingFacility: 'CXR',
  receivingApplication: 'RIS',
  receivingFacility: 'HOSPITAL',
};

describe('HL7 v2.5 ORU^R01', { timeout: 10_000 }, () => {
  const msg = buildOruR01({
    ...PARTIES,
    controlId: '0123456789abcdef0123',
    patient: PATIENT,
    study: STUDY,
    summary: SUMMARY,
  });
  const segs = parseHl7(msg);

  it('has MSH (stable control id, ORU^R01, 2.5), PID, OBR, then OBX per finding, CR-separated', () => {
    assert.deepEqual(
      segs.map((s) => s[0]),
      ['MSH', 'PID', 'OBR', 'OBX', 'OBX', 'OBX', 'OBX', 'OBX'],
    );
    assert.ok(msg.endsWith('\r') && !msg.includes('\n'));
    assert.equal(field(segs, 'MSH', 2), '^~\\&');
    assert.equal(field(segs, 'MSH', 3), 'CXR-PIPELINE');
    assert.equal(field(segs, 'MSH', 5), 'RIS');
    assert.equal(field(segs, 'MSH', 7), '20261202130507+0000');
    assert.equal(field(segs, 'MSH', 9), 'ORU^R01^ORU_R01');
    assert.equal(field(segs, 'MSH', 10), '0123456789abcdef0123');
    assert.equal(field(segs, 'MSH', 11), 'P');
    assert.equal(field(segs, 'MSH', 12), '2.5');
  });

  it('PID carries the patient module: CX id^^^issuer^PI, XPN name reordered, birth date, sex', () => {
    assert.equal(field(segs, 'PID', 3), 'PAT-42^^^HOSP A^PI');
    assert.equal(field(segs, 'PID', 5), 'Doe^Jane^Q^III^Dr');
    assert.equal(field(segs, 'PID', 7), '19700131');
    assert.equal(field(segs, 'PID', 8), 'F');
  });

  it('OBR names the study: accession as filler order, study time, result time, RAD, final', () => {
    const obr = segs[2];
    assert.equal(obr[3], 'ACC123^CXR-PIPELINE');
    assert.equal(obr[4], 'CXR-AI^CHEST PA^99CXR');
    assert.equal(obr[7], '20261201101500');
    assert.equal(obr[22], '20261202130507+0000');
    assert.equal(obr[24], 'RAD');
    assert.equal(obr[25], 'F');
  });

  it('OBX: study UID, one NM per finding (probability, UCUM 1, threshold, A/N flag, final), then model and counts', () => {
    const obx = segs.filter((s) => s[0] === 'OBX');
    assert.deepEqual(
      obx.map((s) => s[1]),
      ['1', '2', '3', '4', '5'],
    );
    assert.equal(obx[0][5], SUMMARY.studyInstanceUid);
    assert.deepEqual(
      [obx[1][2], obx[1][3], obx[1][5], obx[1][6], obx[1][7], obx[1][8], obx[1][11]],
      ['NM', 'Cardiomegaly^Cardiomegaly^99CXR', '0.8100', '1^^UCUM', '<0.5', 'A', 'F'],
    );
    // A label with delimiters in it is escaped, and reads back as written.
    assert.equal(obx[2][3], 'Effusion\\F\\left\\S\\right^Effusion\\F\\left\\S\\right^99CXR');
    assert.equal(unescapeHl7(obx[2][3].split('^')[0]), 'Effusion|left^right');
    assert.equal(obx[2][8], 'N');
    assert.equal(obx[3][5], 'cxr-pipeline-demo-cxr@1.0.0');
    assert.equal(obx[4][5], '1 of 2 classified');
  });

  it('is deterministic, refuses a control id HL7 cannot carry or a missing patient id', () => {
    const again = buildOruR01({
      ...PARTIES,
      controlId: '0123456789abcdef0123',
      patient: PATIENT,
      study: STUDY,
      summary: SUMMARY,
    });
    assert.equal(again, msg);
    assert.throws(
      () => buildOruR01({ ...PARTIES, controlId: 'x'.repeat(21), patient: PATIENT, study: STUDY, summary: SUMMARY }),
      /MSH-10/,
    );
    assert.throws(
      () => buildOruR01({ ...PARTIES, controlId: 'a', patient: { id: '' }, study: STUDY, summary: SUMMARY }),
      /PID-3/,
    );
  });

  it('escapes every delimiter and round-trips', () => {
    const text = 'a|b^c&d~e\\f\ng';
    assert.equal(escapeHl7(text), 'a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\.br\\g');
    assert.equal(unescapeHl7(escapeHl7('a|b^c&d~e\\f')), 'a|b^c&d~e\\f');
    assert.equal(xpnFromDicom('Doe^Jane'), 'Doe^Jane');
    assert.equal(xpnFromDicom(undefined), '');
    assert.equal(hl7Time('2026-01-02T03:04:05Z'), '20260102030405+0000');
  });
});

describe('HL7 ACK', { timeout: 10_000 }, () => {
  const msg = buildOruR01({ ...PARTIES, controlId: 'ctrl1', patient: PATIENT, study: STUDY, summary: SUMMARY });

  it('an AA answers the control id; sender and receiver are swapped', () => {
    const ack = buildAck(msg, 'AA', 'ack1', '2026-12-02T13:05:08Z');
    const segs = parseHl7(ack);
    assert.equal(field(segs, 'MSH', 3), 'RIS');
    assert.equal(field(segs, 'MSH', 5), 'CXR-PIPELINE');
    assert.equal(field(segs, 'MSH', 9), 'ACK^R01^ACK');
    assert.deepEqual(parseAck(ack), { code: 'AA', controlId: 'ctrl1' });
  });

  it('an AE or AR carries its text and ERR; parseAck refuses what is not an ACK', () => {
    const ae = parseAck(buildAck(msg, 'AE', 'ack2', '2026-12-02T13:05:08Z', 'database down'));
    assert.deepEqual(ae, { code: 'AE', controlId: 'ctrl1', text: 'database down', error: 'database down' });
    assert.equal(parseAck(buildAck(msg, 'AR', 'ack3', '2026-12-02T13:05:08Z')).code, 'AR');
    assert.throws(() => parseAck('PID|1'), /no MSH/);
    assert.throws(() => parseAck('MSH|^~\\&|A\rMSA|XX|1\r'), /MSA-1/);
  });
});
