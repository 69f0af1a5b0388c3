/**
 * The contracts between the layers: activity payloads, the model identity and a finding. Pure types only
 * (bundled into the workflow sandbox; imported by activities, dicom/, inference/, the CLI). Payloads carry
 * references (zip path + entry index, Orthanc IDs, DICOM UIDs), never DICOM bytes, pixels or patient demographics.
 */
import type { AcceptedInput } from './dicom/eligibility';
import type { Reason } from './reasons';

/** The model that produced a classification: from its manifest, repeated in every SR it writes. */
export interface ModelIdentity {
  id: string;
  version: string;
  name: string;
  manufacturer: string;
  /** false puts NOT DIAGNOSTIC into the SR's series description and text. */
  diagnostic: boolean;
  intendedUse: string;
}

/** One label's result: the model's calibrated probability, the label's threshold and the thresholded decision. */
export interface Finding {
  label: string;
  probability: number;
  threshold: number;
  positive: boolean;
}

/** Where one DICOM file lives: the claim check every activity redeems itself. */
export interface ZipEntryRef {
  zipPath: string;
  zipSha256: string;
  index: number;
  name: string;
  size: number;
  compressedSize: number;
  crc32: number;
  /** Problem pre-flagged when listing (unsafe name, bomb, ...): the child fails/skips without reading. */
  problem?: Reason;
}

/** Optional overrides of the worker's zip limits (tests use small ones). */
export interface ZipLimitOverrides {
  maxEntries?: number;
  maxEntryBytes?: number;
  maxTotalUncompressedBytes?: number;
  maxCompressionRatio?: number;
  maxZipBytes?: number;
}

/**
 * Why an image was classified: what each rule of the model's intended input (manifest `accepts`) found, in words a
 * reader of the report can check against the image header. No patient demographics (an age rule says "within the
 * range", never the age). Decided by src/dicom/eligibility.ts.
 */
/**
 * The attribute an admitted image's view was read from: View Position, View Code Sequence, or (both empty) the texts
 * modalities write the protocol into, in the order src/dicom/eligibility.ts reads them.
 */
export type ViewSource =
  | 'ViewPosition'
  | 'ViewCodeSequence'
  | 'PerformedProtocolCodeSequence'
  | 'AcquisitionContextSequence'
  | 'ProtocolName'
  | 'AcquisitionDeviceProcessingDescription'
  | 'SeriesDescription';

export interface Admission {
  /**
   * The view the image was classified as, the attribute it was read from (`missing`: none recorded), and its CID 4010
   * code when known (from View Code Sequence, or the code of a View Position term): the SR records it as Image View.
   */
  view:
    | {
        value: string;
        from: ViewSource;
        code?: { value: string; scheme: string; meaning: string };
        /** The header text the view was read from (protocol texts only, when View Position and its code are empty). */
        text?: string;
      }
    | { value: null; from: 'missing' };
  /** One line per rule, in rule order. */
  rules: string[];
}

/** `admission` is absent only in histories recorded before eligibility came from the manifest. */
export type Eligibility = { classify: true; admission?: Admission } | ({ classify: false } & Reason);

export interface UploadOutput {
  orthancId: string;
  alreadyStored: boolean;
  sopInstanceUid: string;
  sopClassUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  modality: string;
  /** SHA-256 of the entry's bytes (the fingerprint recorded on the Orthanc instance). */
  sourceSha256: string;
  eligibility: Eligibility;
  /** Stored instances with a pinned model (follow, reprocess): the SR of that model version already exists. */
  reportExists?: boolean;
}

/** The model a run is pinned to (follow, reprocess): classify goes to its own task queue and is checked against it. */
export interface ModelRef {
  id: string;
  version: string;
  /**
   * The pinned model's intended input (its manifest's `accepts`, read by the CLI at start): eligibility is judged
   * against the model that will run, not whichever model the deciding I/O worker has. Small; no patient data.
   */
  accepts?: AcceptedInput;
}

/** Where the model's input came from in the source image (its input crop), in source pixels. */
export interface InputArea {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** One label's class activation map over the model's input crop: row-major, height x width, values in [0, 1]. */
export interface ActivationMap {
  height: number;
  width: number;
  values: number[];
}

export interface ClassifyOutput {
  model: ModelIdentity;
  findings: Finding[];
  timingsMs: Record<string, number>;
  /** The part of the source image the model saw (its input crop). Absent in histories recorded before it existed. */
  inputArea?: InputArea;
  /**
   * Per positive finding, its class activation map (a coarse grid, e.g. 14x14 numbers in [0, 1]), only for models
   * whose manifest declares classActivationMaps (src/inference/cam.ts). Derived numbers, no pixels: payload-sized.
   */
  activationMaps?: Record<string, ActivationMap>;
  /**
   * HMAC-SHA-256 binding this result to its request (workflow, instance) with the workers' shared key
   * (src/activities/result-binding.ts): storeReport refuses a result without a valid one.
   */
  binding?: string;
}

export interface StoreReportInput {
  orthancId: string;
  sourceSopInstanceUid: string;
  classification: ClassifyOutput;
  /** Content date/time of the SR (ISO), fixed by the workflow so every retry builds identical bytes. */
  reportedAt: string;
  /** Which rules admitted the image (from uploadInstance); the SR states it. */
  admission?: Admission;
}

/** Same claim check as the SR: the Orthanc ID, the UID to check it against, and the workflow's time. */
export type StoreHeatmapsInput = StoreReportInput;

export interface StoreHeatmapsOutput {
  /** One heatmap SEG per chosen finding (the most probable positives with a map, CXR_HEATMAPS_MAX), in finding order. */
  heatmapSopInstanceUids: string[];
}

export interface StoreReportOutput {
  reportSopInstanceUid: string;
  reportOrthancId: string;
  alreadyStored: boolean;
}

export interface ZipListing {
  zipSha256: string;
  fileEntryCount: number;
  directoryCount: number;
  sizeBytes: number;
}

/**
 * Study completion and delivery: the contract between the per-study workflow (which knows when a study's
 * images are all processed) and the delivery workflow (which sends the result to the configured sinks). Small,
 * payload-sized, no patient demographics: a delivery activity reads the patient module from Orthanc itself.
 */
export type WorkPriority = 'urgent' | 'routine' | 'backfill';

/** One image of a study as the study workflow saw it end. */
export interface StudyImageOutcome {
  sopInstanceUid: string;
  seriesInstanceUid: string;
  status: 'done' | 'failed' | 'skipped';
  /** Why it was skipped or failed. */
  reason?: Reason;
  /** The SR stored for it (done only). */
  reportSopInstanceUid?: string;
  /** Its positive findings, most probable first (at most 5). */
  positiveFindings: Finding[];
}

/** The study-level summary recorded when a study completes; what delivery sends. */
export interface StudySummary {
  studyInstanceUid: string;
  /** 1 for the first completion; +1 each time a late image re-opens the study and it completes again. */
  completion: number;
  /** ISO time the workflow decided completion (workflow time, deterministic). */
  completedAt: string;
  completedBy: 'inactivity' | 'operator';
  model: { id: string; version: string };
  images: StudyImageOutcome[];
  /** The highest-probability findings over the study's images, most probable first (at most 5). */
  highestFindings: Finding[];
}

/**
 * Input of the delivery workflow `deliverStudyResult` (src/workflows/deliver-study.ts), started by the study workflow
 * as a child with workflow id `deliver/<studyInstanceUid>/<completion>` (ParentClosePolicy ABANDON), so that a
 * completion is delivered once per sink whatever retries happen.
 */
export interface DeliverStudyInput {
  summary: StudySummary;
}
