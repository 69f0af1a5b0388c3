/** Shared helpers for the zip tests: locating fixtures (from test/ under tsx or dist/test/ when compiled). */
import fs from 'node:fs';
import path from 'node:path';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'test', 'fixtures', 'bad', 'MANIFEST.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`test/fixtures/bad not found above ${from}`);
  }
}

export const PROJECT_ROOT = findRoot(__dirname);
export const BAD_DIR = path.join(PROJECT_ROOT, 'test', 'fixtures', 'bad');
export const SOURCES_DIR = path.join(BAD_DIR, 'sources');

export type ManifestEntry = { index: number; name: string; expect: 'done' | 'failed' | 'skipped'; type?: string };
export type ManifestItem =
  | { zip: string; description: string; expect: 'rejected'; type: string; messageIncludes: string }
  | { zip: string; description: string; entries: ManifestEntry[] };

export function loadManifest(): ManifestItem[] {
  return JSON.parse(fs.readFileSync(path.join(BAD_DIR, 'MANIFEST.json'), 'utf8')) as ManifestItem[];
}

/** A stored (uncompressed) or deflated zip written with adm-zip, for generated test archives. */
export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', prefix));
}
