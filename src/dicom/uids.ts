/**
 * Deterministic DICOM UIDs for the objects this pipeline creates.
 *
 * Why deterministic: a retried storeReport activity must produce the *same* SOPInstanceUID, so Orthanc
 * answers AlreadyStored instead of filing a second report. We derive UUIDs from names (RFC 4122 version 5:
 * SHA-1 over a fixed namespace plus the name) and write them as `2.25.<decimal of the 128-bit UUID>`
 * (PS3.5 B.2). Anyone can recompute them, e.g. in Python:
 *   int(uuid.uuid5(uuid.UUID(UID_NAMESPACE), json.dumps(parts, separators=(',', ':'), ensure_ascii=False)))
 * The name is a JSON array, so 'a|b' + 'c' can never collide with 'a' + 'b|c'.
 */
import { createHash } from 'node:crypto';

/** The namespace UUID of this project (generated once at random; never change it, or every UID changes). */
export const UID_NAMESPACE = '5b0c3e8e-7f0a-4b9e-9a43-1f6d2c7e9a31';

/** SOP classes written or read by the report code. */
export const SOP_CLASS = {
  comprehensive3dSr: '1.2.840.10008.5.1.4.1.1.88.34',
  comprehensiveSr: '1.2.840.10008.5.1.4.1.1.88.33',
} as const;

export const TRANSFER_SYNTAX_EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';

const UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

/** True for a syntactically valid DICOM UID (PS3.5 9.1): digits and dots, no leading zeros, at most 64 chars. */
export function isValidUid(uid: string): boolean {
  return uid.length > 0 && uid.length <= 64 && UID_PATTERN.test(uid);
}

/** RFC 4122 version-5 UUID bytes for `name` in `namespace`. */
function uuidV5(namespace: string, name: string): Buffer {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(Buffer.from(name, 'utf8')).digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6] & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // RFC 4122 variant
  return Buffer.from(bytes);
}

/** A `2.25.` UID derived from the name parts (at most 44 characters: 2.25. + up to 39 digits). */
export function deriveUid(...parts: string[]): string {
  const bytes = uuidV5(UID_NAMESPACE, JSON.stringify(parts));
  return `2.25.${BigInt(`0x${bytes.toString('hex')}`).toString(10)}`;
}

/** UID that identifies this software as the writer of Part-10 files (File Meta ImplementationClassUID). */
export const IMPLEMENTATION_CLASS_UID = deriveUid('implementation-class', 'cxr-pipeline');
export const IMPLEMENTATION_VERSION_NAME = 'CXR_PIPELINE_1';

/**
 * UIDs of the SR made for one source image by one model version. Each source image gets its own SR series:
 * the series UID must be known from the same three inputs, and a per-image series never mixes reports of
 * different images (Orthanc and viewers then show one "AI" series per analysed image).
 */
export function deriveReportUids(
  sourceSopInstanceUid: string,
  modelId: string,
  modelVersion: string,
): { sopInstanceUid: string; seriesInstanceUid: string } {
  if (!isValidUid(sourceSopInstanceUid)) {
    throw new TypeError(`deriveReportUids: source SOPInstanceUID '${sourceSopInstanceUid}' is not a valid DICOM UID`);
  }
  if (modelId.trim() === '' || modelVersion.trim() === '') {
    throw new TypeError('deriveReportUids: model id and model version must not be empty');
  }
  return {
    sopInstanceUid: deriveUid('sr-instance', sourceSopInstanceUid, modelId, modelVersion),
    seriesInstanceUid: deriveUid('sr-series', sourceSopInstanceUid, modelId, modelVersion),
  };
}

/** Device Observer UID (TID 1004): one per model id and version, the same in every report it writes. */
export function deriveDeviceObserverUid(modelId: string, modelVersion: string): string {
  return deriveUid('device-observer', modelId, modelVersion);
}

/** Tracking Unique Identifier (TID 1501 row 3) of one label's measurement group within one report. */
export function deriveTrackingUid(reportSopInstanceUid: string, label: string): string {
  return deriveUid('tracking', reportSopInstanceUid, label);
}
