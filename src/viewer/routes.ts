/**
 * Which DICOMweb requests the viewer's proxy forwards to Orthanc: the read-only routes OHIF uses (QIDO-RS searches,
 * WADO-RS metadata, whole instances, frames, bulk data), GET or HEAD only. Everything else (STOW, DELETE, Orthanc's
 * own REST API, other plugins' routes) is refused before it reaches Orthanc. Rendered images (`/rendered`) are not
 * forwarded: they run Orthanc's own decoders (PALETTE COLOR, PAM, frame sizes: CVE-2026-5437 ... 5445 in Orthanc
 * <= 1.12.10, docs/security.md), and OHIF renders from frames (app-config.ts: thumbnailRendering 'wadors').
 * A frames request names each frame once, at most MAX_FRAMES_PER_REQUEST of them: `frames/1,1,1,...` would make
 * Orthanc (or the proxy's 1-bit fallback) cut the same frame thousands of times. Pure.
 */

/** A DICOM UID: dot-separated numbers, at most 64 characters. */
const UID = '(?:0|[1-9][0-9]*)(?:\\.(?:0|[1-9][0-9]*))*';
const STUDY = `/studies/${UID}`;
const SERIES = `${STUDY}/series/${UID}`;
const INSTANCE = `${SERIES}/instances/${UID}`;

const ALLOWED: readonly RegExp[] = [
  '/studies', // QIDO-RS: the study list
  `${STUDY}/series`, // QIDO-RS: a study's series
  `${STUDY}/metadata`,
  `${SERIES}/metadata`,
  `${SERIES}/instances`, // QIDO-RS: a series' instances
  INSTANCE, // WADO-RS: one instance (SEG, SR and PDF loaders fetch the whole object)
  `${INSTANCE}/metadata`,
  `${INSTANCE}/frames/[1-9][0-9]{0,5}(?:,[1-9][0-9]{0,5})*`,
  `${INSTANCE}/bulk/[0-9A-Fa-f]{8}(?:/[0-9]+/[0-9A-Fa-f]{8})*`, // Orthanc's BulkDataURI form
].map((p) => new RegExp(`^${p}$`));

/** Most frames one request may name (a heatmap SEG has 3; OHIF asks for images one frame at a time). */
export const MAX_FRAMES_PER_REQUEST = 64;

export type RouteDecision = { forward: true } | { forward: false; status: 400 | 404 | 405; reason: string };

/**
 * Decide on one request to the proxy. `subPath` is the path below the DICOMweb root (e.g. `/studies`), already
 * separated from the query string; it is matched raw, so encoded or dotted tricks (`%2e%2e`, `..`) never match.
 */
export function decideDicomwebRoute(method: string, subPath: string): RouteDecision {
  if (!ALLOWED.some((re) => re.test(subPath))) {
    return { forward: false, status: 404, reason: 'not a DICOMweb route the viewer uses' };
  }
  if (method !== 'GET' && method !== 'HEAD') {
    return { forward: false, status: 405, reason: 'the viewer proxy is read-only (GET and HEAD)' };
  }
  for (const uid of subPath.match(/[0-9][0-9.]*/g) ?? []) {
    if (uid.includes('.') && uid.length > 64) return { forward: false, status: 404, reason: 'UID longer than 64' };
  }
  const frames = /\/frames\/([0-9,]+)$/.exec(subPath)?.[1].split(',');
  if (frames && frames.length > MAX_FRAMES_PER_REQUEST)
    return { forward: false, status: 400, reason: `more than ${MAX_FRAMES_PER_REQUEST} frames in one request` };
  if (frames && new Set(frames).size !== frames.length)
    return { forward: false, status: 400, reason: 'a frame is named more than once' };
  return { forward: true };
}

/**
 * The query string forwarded to Orthanc: every parameter as the browser sent it, except `_method` (any case, any
 * encoding), which some servers read as an override of the HTTP method (a GET that means DELETE).
 */
export function forwardedSearch(search: string): string {
  if (search === '' || search === '?') return '';
  const kept = search
    .slice(1)
    .split('&')
    .filter((part) => {
      const key = part.split('=', 1)[0];
      let decoded: string;
      try {
        decoded = decodeURIComponent(key.replace(/\+/g, ' '));
      } catch {
        return false; // an undecodable key is not forwarded either
      }
      return decoded.trim().toLowerCase() !== '_method';
    });
  return kept.length > 0 ? `?${kept.join('&')}` : '';
}
