/**
 * The FHIR sink's transaction Bundle (pure; the POST is in src/activities/deliver.ts): a DiagnosticReport with an
 * ImagingStudy reference and an Observation per finding, for FHIR R4.
 *
 * Idempotent on any FHIR server: the report and its observations are conditional PUTs on a stable identifier
 * (system DELIVERY_SYSTEM, value = the message id, `<id>-<n>` for the n-th observation), so a retried transaction
 * updates the same resources in place (a server that detects no-op updates keeps version 1); the Patient and the
 * ImagingStudy are conditional creates (ifNoneExist on their identifiers), so a record the server already holds is
 * referenced, never overwritten. fullUrls are urn:uuid's derived from the same names.
 */
import type { Finding, StudySummary } from '../contracts';
import { stableUuid } from './message-id';
import type { DeliveryPatient, DeliveryStudy } from './types';

export const DELIVERY_SYSTEM = 'urn:cxr-pipeline:delivery';
export const LABEL_SYSTEM = 'urn:cxr-pipeline:label';
export const DICOM_UID_SYSTEM = 'urn:dicom:uid';
const UCUM = 'http://unitsofmeasure.org';

export interface FhirResource {
  resourceType: string;
  [key: string]: unknown;
}

export interface FhirBundleEntry {
  fullUrl: string;
  resource: FhirResource;
  request: { method: 'POST' | 'PUT'; url: string; ifNoneExist?: string };
}

export interface FhirBundle {
  resourceType: 'Bundle';
  type: 'transaction';
  entry: FhirBundleEntry[];
}

export interface FhirBundleInput {
  messageId: string;
  patient: DeliveryPatient;
  study: DeliveryStudy;
  summary: StudySummary;
}

/** The identifier system of a patient ID: its issuer when the source names one. */
export function patientSystem(patient: DeliveryPatient): string {
  return patient.issuer
    ? `urn:cxr-pipeline:issuer:${encodeURIComponent(patient.issuer)}`
    : 'urn:cxr-pipeline:patient-id';
}

const query = (system: string, value: string): string => `identifier=${encodeURIComponent(`${system}|${value}`)}`;

/** DICOM DA (YYYYMMDD) -> FHIR date, or undefined. */
function fhirDate(da: string | undefined): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(da ?? '');
  return m ? `${m[1]}-${m[2]}-${m[3]}` : undefined;
}

function humanName(pn: string | undefined): Record<string, unknown>[] | undefined {
  if (!pn) return undefined;
  const [family = '', given = '', middle = '', prefix = '', suffix = ''] = pn.split('=')[0].split('^');
  const name: Record<string, unknown> = { text: [prefix, given, middle, family, suffix].filter(Boolean).join(' ') };
  if (family) name.family = family;
  const givens = [given, middle].filter(Boolean);
  if (givens.length) name.given = givens;
  if (prefix) name.prefix = [prefix];
  if (suffix) name.suffix = [suffix];
  return [name];
}

const GENDER: Record<string, string> = { M: 'male', F: 'female', O: 'other' };

const probability = (value: number): Record<string, unknown> => ({
  value: Math.round(value * 10000) / 10000,
  unit: 'probability',
  system: UCUM,
  code: '1',
});

function observation(
  f: Finding,
  n: number,
  input: FhirBundleInput,
  refs: { patient: string; study: string },
): FhirResource {
  const { summary, messageId } = input;
  return {
    resourceType: 'Observation',
    identifier: [{ system: DELIVERY_SYSTEM, value: `${messageId}-${n}` }],
    status: 'final',
    category: [
      {
        coding: [
          { system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'imaging', display: 'Imaging' },
        ],
      },
    ],
    code: { coding: [{ system: LABEL_SYSTEM, code: f.label, display: f.label }], text: f.label },
    subject: { reference: refs.patient },
    effectiveDateTime: summary.completedAt,
    issued: summary.completedAt,
    valueQuantity: probability(f.probability),
    interpretation: [
      {
        coding: [
          {
            system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
            code: f.positive ? 'POS' : 'NEG',
            display: f.positive ? 'Positive' : 'Negative',
          },
        ],
      },
    ],
    referenceRange: [{ high: probability(f.threshold), text: `positive at or above ${f.threshold}` }],
    method: { text: `AI classifier ${summary.model.id}@${summary.model.version}` },
    derivedFrom: [{ reference: refs.study }],
  };
}

/** The transaction for one study completion. Deterministic: the same input gives the same bundle. */
export function buildFhirBundle(input: FhirBundleInput): FhirBundle {
  const { summary, patient, study, messageId } = input;
  if (!patient.id) throw new Error('the Patient needs its ID');
  const pSystem = patientSystem(patient);
  const studyId = `urn:oid:${summary.studyInstanceUid}`;
  const refs = {
    patient: `urn:uuid:${stableUuid(`patient|${pSystem}|${patient.id}`)}`,
    study: `urn:uuid:${stableUuid(`study|${summary.studyInstanceUid}`)}`,
  };
  const started = fhirDate(study.studyDate);
  const birthDate = fhirDate(patient.birthDate);
  const gender = GENDER[patient.sex ?? ''] ?? 'unknown';
  const patientResource: FhirResource = {
    resourceType: 'Patient',
    identifier: [{ system: pSystem, value: patient.id }],
    ...(humanName(patient.name) ? { name: humanName(patient.name) } : {}),
    gender,
    ...(birthDate ? { birthDate } : {}),
  };
  const imagingStudy: FhirResource = {
    resourceType: 'ImagingStudy',
    identifier: [
      { system: DICOM_UID_SYSTEM, value: studyId },
      ...(study.accessionNumber
        ? [
            {
              type: {
                coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'ACSN' }],
              },
              value: study.accessionNumber,
            },
          ]
        : []),
    ],
    status: 'available',
    subject: { reference: refs.patient },
    ...(started ? { started } : {}),
    ...(study.description ? { description: study.description } : {}),
    numberOfInstances: summary.images.length,
  };
  const findings = summary.highestFindings;
  const obsUrls = findings.map((_, n) => `urn:uuid:${stableUuid(`${messageId}/observation/${n + 1}`)}`);
  const positives = findings.filter((f) => f.positive).map((f) => `${f.label} ${f.probability.toFixed(2)}`);
  const done = summary.images.filter((i) => i.status === 'done').length;
  const report: FhirResource = {
    resourceType: 'DiagnosticReport',
    identifier: [{ system: DELIVERY_SYSTEM, value: messageId }],
    status: 'final',
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'RAD', display: 'Radiology' }] },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '18748-4', display: 'Diagnostic imaging study' }] },
    subject: { reference: refs.patient },
    effectiveDateTime: summary.completedAt,
    issued: summary.completedAt,
    imagingStudy: [{ reference: refs.study }],
    result: obsUrls.map((reference) => ({ reference })),
    conclusion:
      `AI result of ${summary.model.id}@${summary.model.version} over ${done} of ${summary.images.length} images ` +
      `(completion ${summary.completion}): ${positives.length ? `positive: ${positives.join(', ')}` : 'no positive finding'}.`,
  };
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      {
        fullUrl: refs.patient,
        resource: patientResource,
        request: { method: 'POST', url: 'Patient', ifNoneExist: query(pSystem, patient.id) },
      },
      {
        fullUrl: refs.study,
        resource: imagingStudy,
        request: { method: 'POST', url: 'ImagingStudy', ifNoneExist: query(DICOM_UID_SYSTEM, studyId) },
      },
      ...findings.map((f, n): FhirBundleEntry => ({
        fullUrl: obsUrls[n],
        resource: observation(f, n + 1, input, refs),
        request: { method: 'PUT', url: `Observation?${query(DELIVERY_SYSTEM, `${messageId}-${n + 1}`)}` },
      })),
      {
        fullUrl: `urn:uuid:${stableUuid(`${messageId}/report`)}`,
        resource: report,
        request: { method: 'PUT', url: `DiagnosticReport?${query(DELIVERY_SYSTEM, messageId)}` },
      },
    ],
  };
}
