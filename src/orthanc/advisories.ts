/**
 * Published vulnerabilities of the Orthanc versions the pipeline may talk to, so that `cxr doctor` and the worker's
 * start-up can say which ones the running server carries (docs/security.md, "Orthanc's published vulnerabilities").
 * Pure: the version comes from Orthanc's GET /system.
 */

export interface OrthancAdvisory {
  /** CVE identifiers, first to last. */
  cves: string[];
  /** The first Orthanc version without them. */
  fixedIn: string;
  summary: string;
}

/** CERT/CC, April 2026: CVE-2026-5437 ... CVE-2026-5445, every Orthanc up to 1.12.10. */
export const ORTHANC_ADVISORIES: readonly OrthancAdvisory[] = [
  {
    cves: Array.from({ length: 9 }, (_, i) => `CVE-2026-${5437 + i}`),
    fixedIn: '1.12.11',
    summary:
      'heap overflows in frame-size, PALETTE COLOR and PAM decoding; gzip and Content-Length memory exhaustion; out-of-bounds reads leaking heap data into rendered images',
  },
];

/** A dotted version as numbers ("1.12.7" -> [1, 12, 7]); undefined when it is not one (e.g. "mainline"). */
export function parseVersion(v: string): number[] | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(v.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

function below(a: number[], b: number[]): boolean {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}

/** The advisories a version carries; undefined when the version cannot be read (then nothing can be said). */
export function advisoriesFor(version: string): OrthancAdvisory[] | undefined {
  const v = parseVersion(version);
  if (v === undefined) return undefined;
  return ORTHANC_ADVISORIES.filter((a) => below(v, parseVersion(a.fixedIn)!));
}

/** One line for operators: the version and the CVEs it carries, or that it carries none of the known ones. */
export function describeOrthancVersion(version: string): { vulnerable: boolean | undefined; text: string } {
  const found = advisoriesFor(version);
  if (found === undefined)
    return { vulnerable: undefined, text: `Orthanc ${version}: version not recognised, known CVEs not checked` };
  if (found.length === 0) return { vulnerable: false, text: `Orthanc ${version}: none of the known CVEs` };
  const list = found
    .map((a) => `${a.cves[0]} ... ${a.cves[a.cves.length - 1].slice(-4)} (${a.summary}; fixed in ${a.fixedIn})`)
    .join('; ');
  return {
    vulnerable: true,
    text: `Orthanc ${version} carries ${list}: upgrade Orthanc, keep its ports off the network (docs/security.md)`,
  };
}
