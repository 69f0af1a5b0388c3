import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ReportBuildError } from '../../../../src/errors';
import { sourceImageFromTags } from '../../../../src/dicom/sr';

const TAGS = {
  PatientName: 'Doe^Jane',
  PatientID: 'P1',
  PatientBirthDate: '19700101',
  PatientSex: 'F',
  StudyInstanceUID: '1.2.3',
  StudyDate: '20200101',
  StudyTime: '101010.25',
  StudyID: 'S1',
  AccessionNumber: 'A1',
  ReferringPhysicianName: 'Ref^Doc',
  SeriesInstanceUID: '1.2.3.4',
  Modality: 'CR',
  SOPClassUID: '1.2.840.10008.5.1.4.1.1.1',
  SOPInstanceUID: '1.2.3.4.5',
  ReferencedImageSequence: [],
};

test('sourceImageFromTags reads the attributes the SR repeats', { timeout: 60_000 }, () => {
  assert.deepEqual(sourceImageFromTags(TAGS), {
    patient: { name: 'Doe^Jane', id: 'P1', birthDate: '19700101', sex: 'F' },
    study: {
      instanceUid: '1.2.3',
      date: '20200101',
      time: '101010.25',
      id: 'S1',
      accessionNumber: 'A1',
      referringPhysicianName: 'Ref^Doc',
    },
    series: { instanceUid: '1.2.3.4', modality: 'CR' },
    instance: { sopClassUid: '1.2.840.10008.5.1.4.1.1.1', sopInstanceUid: '1.2.3.4.5' },
  });
});

test('values that would make the SR invalid are left empty (Type 2), not copied', { timeout: 60_000 }, () => {
  const bad = { StudyDate: '2020.01.01', StudyTime: '10:10', PatientSex: 'male', PatientBirthDate: '' };
  const s = sourceImageFromTags({ ...TAGS, ...bad });
  assert.equal(s.study.date, '');
  assert.equal(s.study.time, '');
  assert.equal(s.patient.sex, '');
  assert.equal(s.patient.birthDate, '');
});

test('a source without usable UIDs is refused with a typed error', { timeout: 60_000 }, () => {
  for (const keyword of ['StudyInstanceUID', 'SeriesInstanceUID', 'SOPClassUID', 'SOPInstanceUID']) {
    assert.throws(
      () => sourceImageFromTags({ ...TAGS, [keyword]: null }),
      (err: unknown) => err instanceof ReportBuildError && err.message.includes(keyword),
    );
  }
});
