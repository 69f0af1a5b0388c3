/** Shared by the inference integration tests: repository paths, the Python reference, fixture upload. */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { OrthancClient } from '../../../src/orthanc/client';

/** The repository root, whether the test runs from test/ (tsx) or dist/test/ (compiled). */
export const ROOT = (() => {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'scripts'))) return dir;
  }
  throw new Error(`no repository root above ${__dirname}`);
})();

export const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'cxr');
export const PYTHON = path.join(ROOT, '.tools', 'venv', 'bin', 'python');
export const DEMO_MODEL = path.join(ROOT, 'models', 'demo-cxr');

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export interface ReferenceTensor {
  file: string;
  shape?: number[];
  tensor?: Float32Array;
  error?: string;
}

/** Run scripts/reference/preprocess.py on files; one result per file, in order. */
export function referenceTensors(manifestPath: string, files: string[]): ReferenceTensor[] {
  const out = execFileSync(PYTHON, [path.join(ROOT, 'scripts', 'reference', 'preprocess.py'), manifestPath, ...files], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out
    .trim()
    .split('\n')
    .map((line) => {
      const r = JSON.parse(line) as { file: string; shape?: number[]; tensor?: string; error?: string };
      if (r.tensor === undefined) return { file: r.file, error: r.error };
      const b = Buffer.from(r.tensor, 'base64');
      return {
        file: r.file,
        shape: r.shape,
        tensor: new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)),
      };
    });
}

/** Upload a fixture (idempotent) and return its Orthanc ID. */
export async function upload(orthanc: OrthancClient, name: string): Promise<string> {
  return (await orthanc.uploadInstance(fs.readFileSync(fixture(name)))).id;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
