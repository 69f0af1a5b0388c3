/**
 * What a study holds in Orthanc, split into the pipeline's heatmaps (DICOM SEG series, one per positive finding of a
 * model with class activation maps) and everything else (the images and their SRs), so tests can say "N images + N
 * SRs" whatever the findings were.
 */
import type { OrthancClient, OrthancInstanceInfo } from '../../src/orthanc/client';

export interface StudyObjects {
  /** The study's instances other than heatmaps: images and reports. */
  instances: OrthancInstanceInfo[];
  heatmaps: number;
  /** Modality of each series of the study, by Orthanc series ID. */
  modality: Map<string, string>;
}

export async function studyObjects(orthanc: OrthancClient, studyOrthancId: string): Promise<StudyObjects> {
  const all = await orthanc.getStudyInstances(studyOrthancId);
  const modality = new Map<string, string>();
  for (const s of new Set(all.map((i) => i.ParentSeries))) {
    modality.set(s, (await orthanc.getSeries(s)).MainDicomTags.Modality ?? '');
  }
  const instances = all.filter((i) => modality.get(i.ParentSeries) !== 'SEG');
  return { instances, heatmaps: all.length - instances.length, modality };
}
