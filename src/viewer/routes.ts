/**
 * Which DICOMweb requests the viewer's proxy forwards to Orthanc: the read-only routes OHIF uses (QIDO-RS searches,
 * WADO-RS metadata, whole instances, frames, bulk data, rendered images), GET or HEAD only. Everything else (STOW,
 * DELETE, Orthanc's own REST API, other plugins' routes) is refused before it reaches Orthanc. Pure.
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
  `${INSTANCE}/frames/[1-9][0-9]*(?:,[1-9][0-9]*)*`,
  `${INSTANCE}/(?:frames/[1-9][0-9]*/)?rendered`,
  `${SERIES}/rendered`,
  `${INSTANCE}/bulk/[0-9A-Fa-f]{8}(?:/[0-9]+/[0-9A-Fa-f]{8})*`, // Orthanc's BulkDataURI form
].map((p) => new RegExp(`^${p}$`));

export type RouteDecision = { forward: true } | { forward: false; status: 404 | 405; reason: string };

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
  return { forward: true };
}
