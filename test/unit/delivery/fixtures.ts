/** A study summary and patient for the builders' tests (shaped like one the study workflow records). */
import type { StudySummary } from '../../../src/contracts';
import type { DeliveryPatient, DeliveryStudy } from '../../../src/delivery';

export const SUMMARY: StudySummary = {
  studyInstanceUid: '1.2.826.0.1.3680043.8.498.1',
  completion: 1,
  completedAt: '2026-12-02T13:05:07.250Z',
  completedBy: 'inactivity',
  model: { id: 'cxr-pipeline-demo-cxr', version: '1.0.0' },
  images: [
    {
      sopInstanceUid: '1.2.3.1',
      seriesInstanceUid: '1.2.3',
      status: 'done',
      reportSopInstanceUid: '2.25.1',
      positiveFindings: [{ label: 'Cardiomegaly', probability: 0.81, threshold: 0.5, positive: true }],
    },
    {
      sopInstanceUid: '1.2.3.2',
      seriesInstanceUid: '1.2.3',
      status: 'skipped',
      reason: { type: 'NotFrontalView', message: 'lateral' },
      positiveFindings: [],
    },
  ],
  highestFindings: [
    { label: 'Cardiomegaly', probability: 0.81, threshold: 0.5, positive: true },
    { label: 'Effusion|left^right', probability: 0.42, threshold: 0.5, positive: false },
  ],
};

export const PATIENT: DeliveryPatient = {
  id: 'PAT-42',
  issuer: 'HOSP A',
  name: 'Doe^Jane^Q^Dr^III',
  birthDate: '19700131',
  sex: 'F',
};
export const STUDY: DeliveryStudy = {
  studyInstanceUid: SUMMARY.studyInstanceUid,
  accessionNumber: 'ACC123',
  description: 'CHEST PA',
  studyDate: '20261201',
  studyTime: '101500.123',
};
