/**
 * Measurements of the zip reader (not a test: prints numbers, asserts nothing about time).
 *   node --import tsx test/unit/zip/measure.ts            # all three
 * 1. inspect + list of a zip of 1000 small entries (cold cache)
 * 2. readEntry of a 10 MB deflated entry (warm cache), mean of 20
 * 3. RSS while inspecting, listing and reading every entry of a ~500 MB zip (built in /tmp with `zip`, removed after)
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import AdmZip from 'adm-zip';
import { DEFAULT_ZIP_LIMITS as limits, archiveCache, inspectZip, listEntries, readEntry } from '../../../src/zip';
import { tmpDir } from './helpers';

const dir = tmpDir('cxr-zip-measure-');
const mb = (n: number) => (n / 1024 / 1024).toFixed(0);

/** DICOM-like content: 12-bit noise in 16-bit words, deflates about 2:1 like real radiographs. */
function radiographLike(bytes: number, seed: number): Buffer {
  const buf = crypto.randomBytes(bytes);
  for (let i = 1; i < bytes; i += 2) buf[i] = buf[i]! & 0x0f;
  buf.writeUInt32LE(seed, 0);
  return buf;
}

async function thousandEntries(): Promise<void> {
  const zip = new AdmZip();
  for (let i = 0; i < 1000; i++)
    zip.addFile(`study/series/IM${String(i).padStart(5, '0')}.dcm`, radiographLike(4096, i));
  const file = path.join(dir, 'thousand.zip');
  zip.writeZip(file);
  await archiveCache.clear();
  const t0 = performance.now();
  await inspectZip(file, limits);
  const t1 = performance.now();
  const entries = await listEntries(file, 0, 1000, limits);
  const t2 = performance.now();
  console.log(
    `1000 entries (${mb(fs.statSync(file).size)} MB zip): inspect ${(t1 - t0).toFixed(1)} ms, list ${(t2 - t1).toFixed(1)} ms, ` +
      `listing JSON ${JSON.stringify(entries).length} bytes`,
  );
}

async function tenMegabyteEntry(): Promise<void> {
  const zip = new AdmZip();
  zip.addFile('big.dcm', radiographLike(10 * 1024 * 1024, 1));
  const file = path.join(dir, 'ten.zip');
  zip.writeZip(file);
  const [e] = await listEntries(file, 0, 1, limits);
  await readEntry(file, e!.index, e!, limits); // warm up
  const n = 20;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await readEntry(file, e!.index, e!, limits);
  const per = (performance.now() - t0) / n;
  const t1 = performance.now();
  for (let i = 0; i < 5; i++) new AdmZip(file).readFile('big.dcm');
  const adm = (performance.now() - t1) / 5;
  console.log(
    `10 MB entry (${mb(e!.compressedSize)} MB deflated): readEntry ${per.toFixed(1)} ms; new AdmZip(path).readFile ${adm.toFixed(1)} ms`,
  );
}

async function largeZipRss(): Promise<void> {
  const src = path.join(dir, 'large');
  fs.mkdirSync(src);
  for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(src, `IM${i}.dcm`), radiographLike(10 * 1024 * 1024, i));
  const file = path.join(dir, 'large.zip');
  execFileSync('zip', ['-q', '-1', '-r', file, 'large'], { cwd: dir });
  fs.rmSync(src, { recursive: true });
  global.gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = rss0;
  const sample = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t0 = performance.now();
  const inspection = await inspectZip(file, limits);
  const t1 = performance.now();
  const entries = await listEntries(file, 0, 100, limits);
  for (const e of entries) await readEntry(file, e.index, e, limits);
  const t2 = performance.now();
  clearInterval(sample);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(
    `${mb(inspection.sizeBytes)} MB zip, ${entries.length} x 10 MB entries: inspect (sha256) ${(t1 - t0).toFixed(0)} ms, ` +
      `read all ${(t2 - t1).toFixed(0)} ms; RSS before ${mb(rss0)} MB, peak ${mb(peak)} MB (+${mb(peak - rss0)} MB)`,
  );
  const a0 = process.memoryUsage().rss;
  const t3 = performance.now();
  const adm = new AdmZip(file);
  adm.getEntries();
  console.log(
    `for contrast, new AdmZip(path): ${(performance.now() - t3).toFixed(0)} ms, RSS +${mb(process.memoryUsage().rss - a0)} MB`,
  );
}

async function main(): Promise<void> {
  try {
    await thousandEntries();
    await tenMegabyteEntry();
    await largeZipRss();
  } finally {
    await archiveCache.clear();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
