/**
 * Which failure types mean "skipped" (the file is fine, it is just not something this model reads)
 * rather than "failed" (something is wrong with the file or the environment).
 */
export const SKIP_TYPES: ReadonlySet<string> = new Set([
  'NotChestXray',
  'DicomDir',
  'DuplicateSopInstanceUid',
  'NestedArchive',
]);

export function statusForType(type: string): 'failed' | 'skipped' {
  return SKIP_TYPES.has(type) ? 'skipped' : 'failed';
}
