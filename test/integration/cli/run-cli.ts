/**
 * Runs the compiled CLI (dist/src/client.js: `npm run build` first; scripts/test does) as a child
 * process, asynchronously so that the test's in-process workers keep running meanwhile.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { PROJECT_ROOT } from '../../../src/config';
import { TEST_OUTPUT } from '../../helpers/pipeline';
import { syntheticCr } from '../../helpers/synthetic-dicom';

export const CLI = path.join(PROJECT_ROOT, 'dist', 'src', 'client.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function assertBuilt(): void {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
}

/** `node dist/src/client.js <args>` with CXR_TASK_QUEUE set to the test's queue; stdout/stderr are pipes (not a TTY). */
export function runCli(
  args: string[],
  env: Record<string, string>,
  opts: { timeoutMs?: number } = {},
): Promise<CliRun> {
  return runProcess(process.execPath, [CLI, ...args], env, opts.timeoutMs);
}

/** The same under a pseudo-terminal (util-linux `script`): stdout and stderr both go to the pty, captured as stdout. */
export function runCliTty(
  args: string[],
  env: Record<string, string>,
  opts: { timeoutMs?: number; columns?: number } = {},
): Promise<CliRun> {
  const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const inner = `stty cols ${opts.columns ?? 120} rows 40 2>/dev/null; exec ${[process.execPath, CLI, ...args].map(quote).join(' ')}`;
  return runProcess('script', ['-qfec', `sh -c ${quote(inner)}`, '/dev/null'], env, opts.timeoutMs);
}

function runProcess(cmd: string, args: string[], env: Record<string, string>, timeoutMs = 240_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A zip of `n` small synthetic radiographs in one study (plus extra entries), written under test-output/. */
export function writeZip(name: string, seed: string, n: number, extra: { name: string; data: Buffer }[] = []): string {
  fs.mkdirSync(TEST_OUTPUT, { recursive: true });
  const zip = new AdmZip();
  for (let i = 0; i < n; i++)
    zip.addFile(`study/img${String(i).padStart(3, '0')}.dcm`, syntheticCr({ seed, index: i, studyKey: 'A' }));
  for (const e of extra) zip.addFile(e.name, e.data);
  const file = path.join(TEST_OUTPUT, name);
  zip.writeZip(file);
  return file;
}
