/**
 * The one reader of Orthanc's `simplified-tags` (keyword -> string, nested arrays for sequences, null for binary
 * elements such as Pixel Data or LUT Data). Pure: the upload activity, the pixel pipeline and the SR's source-image
 * reader all read tags through these functions.
 */

/** Orthanc's `simplified-tags`: keyword -> string, or nested arrays for sequences. */
export type SimplifiedTags = { [keyword: string]: string | SimplifiedTags[] | null };

/** The value, trimmed; undefined when absent, not a string, or empty. */
export function tagString(tags: SimplifiedTags, keyword: string): string | undefined {
  const v = tags[keyword];
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
}

/** A multi-valued numeric element (DS/IS, backslash-separated); undefined when absent or not all numbers. */
export function tagNumbers(tags: SimplifiedTags, keyword: string): number[] | undefined {
  const s = tagString(tags, keyword);
  if (s === undefined) return undefined;
  const out = s.split('\\').map((x) => Number(x.trim()));
  return out.every((n) => Number.isFinite(n)) ? out : undefined;
}

/** The first item of a sequence; undefined when absent or empty. */
export function tagItem(tags: SimplifiedTags, keyword: string): SimplifiedTags | undefined {
  const v = tags[keyword];
  return Array.isArray(v) && v.length > 0 ? v[0] : undefined;
}

/** Whether the element is present at all (simplified-tags lists binary elements such as Pixel Data with null). */
export function hasTag(tags: SimplifiedTags, keyword: string): boolean {
  return Object.prototype.hasOwnProperty.call(tags, keyword);
}
