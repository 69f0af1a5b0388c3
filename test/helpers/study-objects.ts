/**
 * What a study holds in Orthanc, split into the pipeline's heatmaps (DICOM SEG series, one per positive finding of a
 * model with class activation maps) and everything else (the images and their SRs), so tests can say "N images + N
 * SRs" whatever the findings were.
 */
import type { OrthancClient } from '../../src/orthanc/client';

export async function studyObjects(
  orthanc: OrthancClient,
  studyOrthancId: string,
): Promise<{ total: number; heatmaps: number; other: number }> {
  const instances = await orthanc.getStudyInstances(studyOrthancId);
  const modalityBySeries = new Map<string, string>();
  let heatmaps = 0;
  for (const i of instances) {
    let modality = modalityBySeries.get(i.ParentSeries);
    if (modality === undefined) {
      modality = (await orthanc.getSeries(i.ParentSeries)).MainDicomTags.Modality ?? '';
      modalityBySeries.set(i.ParentSeries, modality);
    }
    if (modality === 'SEG') heatmaps++;
  }
  return { total: instances.length, heatmaps, other: instances.length - heatmaps };
}
