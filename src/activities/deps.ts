import { ModelError } from '../errors';
import type { OrthancClient } from '../orthanc/client';
import type { Classifier } from '../inference';
import type { PreprocessPool } from '../inference/preprocess-pool';
import type { ArchiveCache, ZipLimits } from '../zip';
import type { AcceptedInput } from '../contracts';
import type { AuditConfig, DeliveryConfig } from '../config';

/** What the activities need, built once per worker process and injected (docs/STYLE.md: createActivities(deps)). */
export interface ActivityDeps {
  orthanc: OrthancClient;
  /** Loaded once at worker start; session reused by every classify call. Absent on an I/O-only worker. */
  classifier?: Classifier;
  /** Threads for frame -> model input (src/inference/preprocess-pool.ts); absent: preprocessing runs inline. */
  preprocessPool?: PreprocessPool;
  zipLimits: ZipLimits;
  /** The worker's cache of open zips (built from PipelineConfig.archiveCache); default: the process-wide one. */
  archives?: ArchiveCache;
  /**
   * What the model accepts (its manifest's `accepts`), for the eligibility decision in uploadInstance. An I/O-only
   * worker reads it from the manifest at start (no model loaded); otherwise the classifier's manifest is used.
   */
  accepts?: AcceptedInput;
  /** Ceiling of Rows x Columns (PipelineConfig.maxImagePixels, src/dicom/structure.ts); default DEFAULT_MAX_IMAGE_PIXELS. */
  maxImagePixels?: number;
  /**
   * The key the workers share to bind inference results to their requests (result-binding.ts): classifyInstance
   * signs with it, storeReport and storeHeatmaps check. resultKeyOf(config) in src/pipeline-worker.ts.
   */
  resultKey: Buffer;
  /** Heatmap SEGs per image (PipelineConfig.heatmapsMax); default DEFAULT_HEATMAPS_MAX. */
  heatmapsMax?: number;
  /** Result delivery sinks (PipelineConfig.delivery); default none. */
  delivery?: DeliveryConfig;
  /** Where delivery receipts are recorded (PipelineConfig.audit); default: not recorded in the audit log. */
  audit?: AuditConfig;
  /** Study completion timings (PipelineConfig.studies); absent: the study workflow's defaults. */
  studies?: { inactivityMs: number; reopenWindowMs: number };
}

/** The intended input eligibility is decided against; a worker without one refuses to start. */
export function acceptsOf(deps: ActivityDeps): AcceptedInput {
  const accepts = deps.accepts ?? deps.classifier?.manifest.accepts;
  if (accepts === undefined) {
    throw new ModelError(
      "The activities need the model manifest's accepts section (pass `accepts`, or a classifier): without it no image can be judged",
    );
  }
  return accepts;
}
