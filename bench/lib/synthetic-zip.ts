/**
 * Writes the benchmark's zip: N chest-X-ray-sized DICOM instances (DX, CHEST, 12 bits stored in 16, explicit VR
 * little endian) with UIDs unique to this run's seed, streamed to disk (the archive never sits in memory).
 *
 * Speed trick, invisible to readers: every instance is a small per-instance header (test/helpers/synthetic-dicom's
 * syntheticCr, so UIDs/patient/study follow the tests' conventions) followed by one of a few pixel-data templates
 * (a smooth two-lung phantom plus 4 bits of noise, so the data deflates about 2:1 like a real radiograph). The
 * template's Pixel Data element is deflated once; each entry's deflate stream is the header deflated with a sync
 * flush followed by the template's stream, which is a valid single deflate stream, and its CRC is chained. A
 * 300 x 10 MB zip is written in seconds instead of minutes, and each entry is a complete, distinct DICOM file.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import dcmjs from 'dcmjs';
import { syntheticCr } from '../../test/helpers/synthetic-dicom';

export interface ZipSpec {
  file: string;
  seed: string;
  count: number;
  rows: number;
  columns: number;
  /** Instances per study (and per fake patient). Default 2 (PA + lateral). */
  perStudy?: number;
  /** Distinct pixel templates. Default 4. */
  templates?: number;
  deflateLevel?: number;
}

export interface WrittenZip {
  file: string;
  sizeBytes: number;
  entries: number;
  uncompressedBytes: number;
  /** Bytes of one DICOM instance. */
  instanceBytes: number;
  patientIdPrefix: string;
  writeMs: number;
}

const PIXEL_ELEMENT_HEADER = 12; // (7FE0,0010) tag 4 + "OW" 2 + reserved 2 + length 4

/** Pixel Data element (tag .. value) of a rows x columns 12-bit image: a phantom plus noise. */
function pixelElement(seed: string, k: number, rows: number, columns: number): Buffer {
  // dcmjs's validation logger complains about the OW pixel data it writes; the file is right (checked with dcmdump).
  const validation = (dcmjs.log as unknown as { getLogger(name: string): { setLevel(level: string): void } }).getLogger(
    'validation.dcmjs',
  );
  validation.setLevel('silent');
  dcmjs.log.setLevel('silent');
  let full: Buffer;
  try {
    full = syntheticCr({ seed, index: k, rows, columns, bitsStored: 12 });
  } finally {
    validation.setLevel('error');
    dcmjs.log.setLevel('error');
  }
  const elem = Buffer.from(full.subarray(full.length - (PIXEL_ELEMENT_HEADER + rows * columns * 2)));
  if (elem.readUInt16LE(0) !== 0x7fe0 || elem.readUInt16LE(2) !== 0x0010 || elem.toString('latin1', 4, 6) !== 'OW') {
    throw new Error('unexpected layout of the synthetic instance: Pixel Data is not the last element');
  }
  // 4 bits of noise on 12-bit data: about 2:1 with deflate, like real radiographs.
  let x = (k + 1) * 0x9e3779b1;
  for (let p = PIXEL_ELEMENT_HEADER; p < elem.length; p += 2) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    elem.writeUInt16LE(Math.min(4095, elem.readUInt16LE(p) + ((x >>> 0) & 15)), p);
  }
  return elem;
}

/** Set a US element's value in an explicit-VR little-endian dataset (the header was written for 1x1). */
function patchUs(buf: Buffer, group: number, element: number, value: number): void {
  const needle = Buffer.alloc(8);
  needle.writeUInt16LE(group, 0);
  needle.writeUInt16LE(element, 2);
  needle.write('US', 4, 'latin1');
  needle.writeUInt16LE(2, 6);
  const at = buf.indexOf(needle, 132);
  if (at < 0)
    throw new Error(`element (${group.toString(16)},${element.toString(16)}) not found in the synthetic header`);
  buf.writeUInt16LE(value, at + 8);
}

function dosDateTime(d: Date): { time: number; date: number } {
  return {
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
    date: ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
  };
}

export function writeSyntheticZip(spec: ZipSpec): WrittenZip {
  const t0 = performance.now();
  const perStudy = spec.perStudy ?? 2;
  const nTemplates = Math.min(spec.templates ?? 4, spec.count);
  const level = spec.deflateLevel ?? 6;
  const templates = Array.from({ length: nTemplates }, (_, k) => {
    const elem = pixelElement(spec.seed, k, spec.rows, spec.columns);
    return { elem, deflated: zlib.deflateRawSync(elem, { level }) };
  });
  const { time, date } = dosDateTime(new Date());
  const fd = fs.openSync(spec.file, 'w');
  const central: Buffer[] = [];
  let offset = 0;
  let uncompressed = 0;
  let instanceBytes = 0;
  const write = (b: Buffer) => {
    fs.writeSync(fd, b);
    offset += b.length;
  };
  try {
    for (let i = 0; i < spec.count; i++) {
      const header = syntheticCr({
        seed: spec.seed,
        index: i,
        rows: 1,
        columns: 1,
        bitsStored: 12,
        noPixelData: true,
        studyKey: `st${Math.floor(i / perStudy)}`,
      });
      patchUs(header, 0x0028, 0x0010, spec.rows);
      patchUs(header, 0x0028, 0x0011, spec.columns);
      const t = templates[i % nTemplates]!;
      const data = Buffer.concat([
        zlib.deflateRawSync(header, { level, finishFlush: zlib.constants.Z_SYNC_FLUSH }),
        t.deflated,
      ]);
      const size = header.length + t.elem.length;
      const crc = zlib.crc32(t.elem, zlib.crc32(header));
      const name = Buffer.from(
        `bench/study${String(Math.floor(i / perStudy)).padStart(5, '0')}/IM${String(i).padStart(6, '0')}.dcm`,
      );
      if (offset + 30 + name.length + data.length > 0xfffffffe)
        throw new Error('benchmark zip would pass 4 GiB (no zip64 in this writer): lower --n or the image size');
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(20, 4);
      local.writeUInt16LE(0x0800, 6); // UTF-8 names
      local.writeUInt16LE(8, 8); // deflate
      local.writeUInt16LE(time, 10);
      local.writeUInt16LE(date, 12);
      local.writeUInt32LE(crc, 14);
      local.writeUInt32LE(data.length, 18);
      local.writeUInt32LE(size, 22);
      local.writeUInt16LE(name.length, 26);
      local.writeUInt16LE(0, 28);
      const cen = Buffer.alloc(46);
      cen.writeUInt32LE(0x02014b50, 0);
      cen.writeUInt16LE(0x031e, 4); // made by unix, 3.0
      cen.writeUInt16LE(20, 6);
      cen.writeUInt16LE(0x0800, 8);
      cen.writeUInt16LE(8, 10);
      cen.writeUInt16LE(time, 12);
      cen.writeUInt16LE(date, 14);
      cen.writeUInt32LE(crc, 16);
      cen.writeUInt32LE(data.length, 20);
      cen.writeUInt32LE(size, 24);
      cen.writeUInt16LE(name.length, 28);
      cen.writeUInt32LE((0o100644 << 16) >>> 0, 38);
      cen.writeUInt32LE(offset, 42);
      central.push(cen, name);
      write(local);
      write(name);
      write(data);
      uncompressed += size;
      instanceBytes = size;
    }
    const cdStart = offset;
    for (const b of central) write(b);
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(spec.count, 8);
    end.writeUInt16LE(spec.count, 10);
    end.writeUInt32LE(offset - cdStart, 12);
    end.writeUInt32LE(cdStart, 16);
    if (spec.count > 0xffff) throw new Error('more than 65535 entries needs zip64, which this writer does not do');
    write(end);
  } finally {
    fs.closeSync(fd);
  }
  return {
    file: spec.file,
    sizeBytes: offset,
    entries: spec.count,
    uncompressedBytes: uncompressed,
    instanceBytes,
    patientIdPrefix: `SYN-${spec.seed}-`,
    writeMs: performance.now() - t0,
  };
}
