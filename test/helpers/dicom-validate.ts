/**
 * Validators for DICOM objects the pipeline writes, for any test to import:
 *  - validateSr: dicom3tools' dciodvfy (IOD + attribute checks) and dcmtk's dsrdump (SR tree renderer, exit 1
 *    on an SR it cannot read). Install with `apt-get install -y dicom3tools dcmtk` (scripts/setup does).
 *  - readWithPydicom: pydicom from .tools/venv (scripts/setup creates it), as a third independent reader.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SrValidation {
  /** dciodvfy "Error" lines, plus dsrdump "E:" lines prefixed with "dsrdump: ". */
  errors: string[];
  /** dciodvfy "Warning" lines, plus dsrdump "W:" lines prefixed with "dsrdump: ". */
  warnings: string[];
  /** The IOD dciodvfy recognised and checked against (its verdict line, e.g. Comprehensive3DSR). */
  iod: string;
  /** dsrdump rendered the document and exited 0. */
  dsrdumpOk: boolean;
  /** dsrdump's rendering (for assertions on the tree text). */
  dump: string;
}

async function withFile<T>(input: Buffer | string, fn: (file: string) => Promise<T>): Promise<T> {
  if (typeof input === 'string') return fn(input);
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'cxr-validate-'));
  const file = path.join(dir, 'object.dcm');
  try {
    await fs.promises.writeFile(file, input);
    return await fn(file);
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function tool(cmd: string, args: string[]): Promise<ToolResult> {
  try {
    const { stdout, stderr } = await run(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') {
      throw new Error(`${cmd} is not installed: run 'apt-get install -y dicom3tools dcmtk' (or scripts/setup)`, {
        cause: err,
      });
    }
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

export async function validateSr(input: Buffer | string): Promise<SrValidation> {
  return withFile(input, async (file) => {
    const iod = await tool('dciodvfy', [file]);
    const lines = `${iod.stdout}\n${iod.stderr}`.split('\n').map((l) => l.trim());
    const errors = lines.filter((l) => l.startsWith('Error') || l.startsWith('Abort'));
    const warnings = lines.filter((l) => l.startsWith('Warning'));
    // A validator that did not run, aborted or checked nothing must not read as "no errors": dciodvfy exits 0 and
    // names the IOD it checked against (a bare identifier line) before its messages.
    if (iod.code !== 0) errors.push(`dciodvfy exited with status ${iod.code}`);
    const verdict = lines.find((l) => /^[A-Za-z][A-Za-z0-9]*$/.test(l));
    if (verdict === undefined) errors.push('dciodvfy printed no IOD verdict (nothing was checked)');
    const sr = await tool('dsrdump', ['+Pu', '+Pl', file]);
    for (const l of sr.stderr.split('\n').map((x) => x.trim())) {
      if (l.startsWith('E:') || l.startsWith('F:')) errors.push(`dsrdump: ${l}`);
      else if (l.startsWith('W:')) warnings.push(`dsrdump: ${l}`);
    }
    return { errors, warnings, iod: verdict ?? '', dsrdumpOk: sr.code === 0, dump: sr.stdout };
  });
}

function venvPython(): string {
  // Tests run from test/ (tsx) or dist/test/ (compiled): look upwards for .tools/venv.
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const candidate = path.join(dir, '.tools', 'venv', 'bin', 'python');
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('.tools/venv/bin/python not found: run scripts/setup to create the Python environment');
}

export interface PydicomView {
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  modality: string;
  /** Content items below the root, counted recursively. */
  contentItems: number;
}

/** What pydicom sees in the file: a few header attributes and the number of content items. */
export async function readWithPydicom(input: Buffer | string): Promise<PydicomView> {
  return withFile(input, async (file) => {
    const script = [
      'import json, sys, pydicom',
      'ds = pydicom.dcmread(sys.argv[1])',
      'def count(items):',
      '    return sum(1 + count(getattr(i, "ContentSequence", [])) for i in items)',
      'print(json.dumps({"sopClassUid": str(ds.SOPClassUID), "sopInstanceUid": str(ds.SOPInstanceUID),',
      '  "studyInstanceUid": str(ds.StudyInstanceUID), "modality": str(ds.Modality),',
      '  "contentItems": count(ds.ContentSequence)}))',
    ].join('\n');
    const { stdout } = await run(venvPython(), ['-c', script, file]);
    return JSON.parse(stdout) as PydicomView;
  });
}
