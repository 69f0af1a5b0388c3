/**
 * Which failure types mean "skipped" (the file is fine, it is just not something this model reads)
 * rather than "failed" (something is wrong with the file or the environment). A nested zip is a failure:
 * its content is not ingested, and the operator has to unzip it and ingest it separately.
 */
export const SKIP_TYPES: ReadonlySet<string> = new Set([
  'NotChestXray',
  'DicomDir',
  'DuplicateSopInstanceUid',
  'SystemFile',
  // Stored instances (follow, reprocess): the model's SR for this image exists already.
  'AlreadyReported',
]);

export function statusForType(type: string): 'failed' | 'skipped' {
  return SKIP_TYPES.has(type) ? 'skipped' : 'failed';
}
