import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildFhirBundle, DELIVERY_SYSTEM, DICOM_UID_SYSTEM, type FhirResource } from '../../../src/delivery';
import { PATIENT, STUDY, SUMMARY } from './fixtures';

describe('FHIR R4 transaction bundle', { timeout: 10_000 }, () => {
  const bundle = buildFhirBundle({ messageId: 'm1', patient: PATIENT, study: STUDY, summary: SUMMARY });
  const byType = (t: string): FhirResource[] =>
    bundle.entry.filter((e) => e.resource.resourceType === t).map((e) => e.resource);

  it('is a transaction: Patient, ImagingStudy, an Observation per finding, the DiagnosticReport', () => {
    assert.equal(bundle.type, 'transaction');
    assert.deepEqual(
      bundle.entry.map((e) => e.resource.resourceType),
      ['Patient', 'ImagingStudy', 'Observation', 'Observation', 'DiagnosticReport'],
    );
  });

  it('writes are conditional on stable identifiers, so a retry creates nothing new', () => {
    const [patient, study, obs1, obs2, report] = bundle.entry;
    assert.deepEqual(patient.request, {
      method: 'POST',
      url: 'Patient',
      ifNoneExist: `identifier=${encodeURIComponent('urn:cxr-pipeline:issuer:HOSP%20A|PAT-42')}`,
    });
    assert.equal(
      study.request.ifNoneExist,
      `identifier=${encodeURIComponent(`${DICOM_UID_SYSTEM}|urn:oid:${SUMMARY.studyInstanceUid}`)}`,
    );
    assert.equal(obs1.request.method, 'PUT');
    assert.equal(obs1.request.url, `Observation?identifier=${encodeURIComponent(`${DELIVERY_SYSTEM}|m1-1`)}`);
    assert.equal(obs2.request.url, `Observation?identifier=${encodeURIComponent(`${DELIVERY_SYSTEM}|m1-2`)}`);
    assert.equal(report.request.url, `DiagnosticReport?identifier=${encodeURIComponent(`${DELIVERY_SYSTEM}|m1`)}`);
    assert.deepEqual(buildFhirBundle({ messageId: 'm1', patient: PATIENT, study: STUDY, summary: SUMMARY }), bundle);
    for (const e of bundle.entry) assert.match(e.fullUrl, /^urn:uuid:[0-9a-f-]{36}$/);
  });

  it('the report references the ImagingStudy and every Observation; they reference the patient', () => {
    const [report] = byType('DiagnosticReport');
    const url = (t: string, n = 0) => bundle.entry.filter((e) => e.resource.resourceType === t)[n].fullUrl;
    assert.deepEqual(report.imagingStudy, [{ reference: url('ImagingStudy') }]);
    assert.deepEqual(report.result, [{ reference: url('Observation') }, { reference: url('Observation', 1) }]);
    assert.deepEqual(report.subject, { reference: url('Patient') });
    assert.deepEqual(report.code, {
      coding: [{ system: 'http://loinc.org', code: '18748-4', display: 'Diagnostic imaging study' }],
    });
    assert.match(String(report.conclusion), /positive: Cardiomegaly 0.81/);
    const [obs] = byType('Observation');
    assert.deepEqual(obs.valueQuantity, {
      value: 0.81,
      unit: 'probability',
      system: 'http://unitsofmeasure.org',
      code: '1',
    });
    assert.equal((obs.interpretation as { coding: { code: string }[] }[])[0].coding[0].code, 'POS');
    assert.deepEqual(obs.derivedFrom, [{ reference: url('ImagingStudy') }]);
  });

  it('maps the patient module: name parts, gender, birth date; the study: UID, accession, date', () => {
    const [p] = byType('Patient');
    assert.deepEqual(p.name, [
      { text: 'Dr Jane Q Doe III', family: 'Doe', given: ['Jane', 'Q'], prefix: ['Dr'], suffix: ['III'] },
    ]);
    assert.equal(p.gender, 'female');
    assert.equal(p.birthDate, '1970-01-31');
    const [s] = byType('ImagingStudy');
    assert.equal((s.identifier as { value: string }[])[0].value, `urn:oid:${SUMMARY.studyInstanceUid}`);
    assert.equal((s.identifier as { value: string }[])[1].value, 'ACC123');
    assert.equal(s.started, '2026-12-01');
    assert.equal(s.status, 'available');
  });
});
