/**
 * Published vulnerabilities of the services the pipeline runs, by version (docs/security.md, "Known
 * vulnerabilities"). `cxr doctor` names the ones the running versions carry. Pure: no I/O.
 */

export type Component = 'temporal-server';

export interface KnownVulnerability {
  component: Component;
  id: string;
  summary: string;
  /** Affected versions, both ends included. */
  affected: { from: string; through: string };
  fixedIn: string;
}

export const KNOWN_VULNERABILITIES: readonly KnownVulnerability[] = [
  {
    component: 'temporal-server',
    id: 'CVE-2025-14986',
    summary: 'namespace limits bypassed through the Update-with-Start API path',
    affected: { from: '1.24.0', through: '1.29.1' },
    fixedIn: '1.29.2',
  },
];

/** major.minor.patch of a version string ("1.32.0", "v1.29.1", "1.30.0-rc.1"); undefined when there is none. */
export function parseVersion(version: string): [number, number, number] | undefined {
  const m = /^v?(\d+)\.(\d+)\.(\d+)/.exec(version.trim());
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

function compare(a: [number, number, number], b: [number, number, number]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/** The known vulnerabilities of `component` at `version`; an unparsable version matches none. */
export function vulnerabilitiesOf(component: Component, version: string): KnownVulnerability[] {
  const v = parseVersion(version);
  if (!v) return [];
  return KNOWN_VULNERABILITIES.filter((k) => {
    if (k.component !== component) return false;
    const from = parseVersion(k.affected.from);
    const through = parseVersion(k.affected.through);
    return from !== undefined && through !== undefined && compare(v, from) >= 0 && compare(v, through) <= 0;
  });
}
