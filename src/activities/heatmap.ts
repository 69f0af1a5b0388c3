/**
 * storeHeatmaps: for the most probable positive findings that have a class activation map (CAM-capable models only;
 * at most deps.heatmapsMax, CXR_HEATMAPS_MAX), build the heatmap SEG over the source image (src/dicom/heatmap.ts)
 * and store it in Orthanc, next to the SR.
 *
 * Idempotency: SOP Instance UIDs derive from the source SOP Instance UID + model id/version + label, content date
 * from the workflow (input.reportedAt): a retry rebuilds the same objects and Orthanc answers AlreadyStored.
 * Reads the geometry (rows, columns, spacing, orientation) and the patient/study attributes from Orthanc here: only
 * the coarse maps (e.g. 14x14 numbers per finding) travel through Temporal.
 */
import { buildHeatmap, deriveHeatmapUids, heatmapFindings } from '../dicom/heatmap';
import { asTemporalFailure, ReportBuildError } from '../errors';
import { mapOntoImage } from '../inference/cam';
import type { SimplifiedTags } from '../orthanc/client';
import { DEFAULT_HEATMAPS_MAX } from '../config';
import type { StoreHeatmapsInput, StoreHeatmapsOutput } from '../contracts';
import type { ActivityDeps } from './deps';
import { readSourceImage } from './report';
import { heartbeat, keepAlive } from './keep-alive';
import { assertResultBound } from './result-binding';

function numbers(tags: SimplifiedTags, keyword: string, n: number): number[] | undefined {
  const v = tags[keyword];
  if (typeof v !== 'string') return undefined;
  const xs = v.split('\\').map(Number);
  return xs.length === n && xs.every(Number.isFinite) ? xs : undefined;
}

export function makeHeatmapActivities(deps: ActivityDeps) {
  const { orthanc } = deps;
  return {
    async storeHeatmaps(input: StoreHeatmapsInput): Promise<StoreHeatmapsOutput> {
      return keepAlive(() =>
        asTemporalFailure(async () => {
          assertResultBound(deps.resultKey, input.orthancId, input.classification);
          const { model, findings, inputArea, activationMaps } = input.classification;
          if (inputArea === undefined || activationMaps === undefined) return { heatmapSopInstanceUids: [] };
          const { tags, source } = await readSourceImage(
            orthanc,
            input.orthancId,
            input.sourceSopInstanceUid,
            'draw on',
          );
          const rows = Number(tags.Rows);
          const columns = Number(tags.Columns);
          const spacing = numbers(tags, 'PixelSpacing', 2) ?? numbers(tags, 'ImagerPixelSpacing', 2);
          const orientation = numbers(tags, 'ImageOrientationPatient', 6);
          const out: string[] = [];
          const chosen = heatmapFindings(
            findings,
            (label) => activationMaps[label] !== undefined,
            deps.heatmapsMax ?? DEFAULT_HEATMAPS_MAX,
          );
          for (const f of chosen) {
            const map = activationMaps[f.label];
            if (map === undefined) continue;
            let bytes: Buffer;
            try {
              bytes = buildHeatmap({
                source,
                rows,
                columns,
                algorithm: {
                  name: model.name,
                  version: model.version,
                  manufacturer: model.manufacturer,
                  modelId: model.id,
                  diagnostic: model.diagnostic,
                },
                finding: f,
                levels: mapOntoImage(map, inputArea, rows, columns),
                ...(spacing ? { pixelSpacing: [spacing[0], spacing[1]] as [number, number] } : {}),
                ...(orientation ? { imageOrientation: orientation } : {}),
                createdAt: new Date(input.reportedAt),
              });
            } catch (err) {
              throw new ReportBuildError(`Cannot build the heatmap of '${f.label}': ${(err as Error).message}`, {
                cause: err,
              });
            }
            heartbeat(`built ${f.label}`);
            await orthanc.uploadInstance(bytes);
            out.push(
              deriveHeatmapUids(source.instance.sopInstanceUid, model.id, model.version, f.label).sopInstanceUid,
            );
          }
          return { heatmapSopInstanceUids: out };
        }),
      );
    },
  };
}
