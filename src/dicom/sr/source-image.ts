/**
 * The patient / study / series / instance attributes of the analysed image that the SR must repeat so it files
 * in the same study. Read from Orthanc's `/instances/{id}/simplified-tags` inside the activity, so no patient
 * data ever travels through Temporal's history.
 */
import { type SimplifiedTags, tagString } from '../tags';
import { ReportBuildError } from '../../errors';
import { isValidUid } from '../uids';

export interface SourceImage {
  patient: {
    name: string;
    id: string;
    issuerOfPatientId?: string;
    birthDate: string;
    sex: string;
  };
  study: {
    instanceUid: string;
    date: string;
    time: string;
    id: string;
    accessionNumber: string;
    referringPhysicianName: string;
    description?: string;
  };
  series: { instanceUid: string; modality: string };
  /** numberOfFrames: only for a multi-frame image (more than one frame), whose first frame is analysed. */
  instance: { sopClassUid: string; sopInstanceUid: string; numberOfFrames?: number };
}

function str(tags: SimplifiedTags, keyword: string): string {
  return tagString(tags, keyword) ?? '';
}

/** Values that do not parse as DA/TM/CS are dropped (Type 2 allows empty) rather than copied into an invalid SR. */
function dateOrEmpty(v: string): string {
  return /^\d{8}$/.test(v) ? v : '';
}
function timeOrEmpty(v: string): string {
  return /^\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?$/.test(v) ? v : '';
}
function sexOrEmpty(v: string): string {
  return ['M', 'F', 'O'].includes(v) ? v : '';
}

function requireUid(tags: SimplifiedTags, keyword: string): string {
  const v = str(tags, keyword);
  if (!isValidUid(v)) {
    throw new ReportBuildError(
      `The source image has no valid ${keyword} ('${v}'), so no report can be filed with it; check the image's header`,
    );
  }
  return v;
}

export function sourceImageFromTags(tags: SimplifiedTags): SourceImage {
  const issuer = str(tags, 'IssuerOfPatientID');
  const description = str(tags, 'StudyDescription');
  const frames = Number.parseInt(str(tags, 'NumberOfFrames'), 10);
  return {
    patient: {
      name: str(tags, 'PatientName'),
      id: str(tags, 'PatientID'),
      ...(issuer !== '' ? { issuerOfPatientId: issuer } : {}),
      birthDate: dateOrEmpty(str(tags, 'PatientBirthDate')),
      sex: sexOrEmpty(str(tags, 'PatientSex')),
    },
    study: {
      instanceUid: requireUid(tags, 'StudyInstanceUID'),
      date: dateOrEmpty(str(tags, 'StudyDate')),
      time: timeOrEmpty(str(tags, 'StudyTime')),
      id: str(tags, 'StudyID'),
      accessionNumber: str(tags, 'AccessionNumber'),
      referringPhysicianName: str(tags, 'ReferringPhysicianName'),
      ...(description !== '' ? { description } : {}),
    },
    series: { instanceUid: requireUid(tags, 'SeriesInstanceUID'), modality: str(tags, 'Modality') },
    instance: {
      sopClassUid: requireUid(tags, 'SOPClassUID'),
      sopInstanceUid: requireUid(tags, 'SOPInstanceUID'),
      ...(frames > 1 ? { numberOfFrames: frames } : {}),
    },
  };
}

/**
 * The Patient and General Study attributes a derived object (SR, heatmap SEG) copies from its source image, so that it
 * files with that image; optional ones are left out when the source has none.
 */
export function copiedPatientAndStudy(source: SourceImage): Record<string, unknown> {
  const p = source.patient;
  const s = source.study;
  return {
    PatientName: p.name,
    PatientID: p.id,
    ...(p.issuerOfPatientId !== undefined ? { IssuerOfPatientID: p.issuerOfPatientId } : {}),
    PatientBirthDate: p.birthDate,
    PatientSex: p.sex,
    StudyInstanceUID: s.instanceUid,
    StudyDate: s.date,
    StudyTime: s.time,
    ReferringPhysicianName: s.referringPhysicianName,
    StudyID: s.id,
    AccessionNumber: s.accessionNumber,
    ...(s.description !== undefined ? { StudyDescription: s.description } : {}),
  };
}
