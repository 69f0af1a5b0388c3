/**
 * A minimal reader for NumPy .npy files (format versions 1-3), as Orthanc's /frames/{n}/numpy answers them.
 * Only what a decoded DICOM frame can be: little-endian or single-byte integers and floats, C order.
 * Orthanc 1.10.1 always answers float32 with shape (rows, columns, samples); other versions may answer the stored
 * integer type, so every numeric dtype is accepted and converted to float64 without loss.
 */
import { UnsupportedPixelDataError } from '../errors';

export interface NpyArray {
  /** NumPy dtype string, e.g. '<f4', '<u2', '|u1'. */
  dtype: string;
  shape: number[];
  /** Values in C order. Float64 holds every integer and float32 value exactly. */
  values: Float64Array;
}

const MAGIC = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]); // \x93NUMPY

type Reader = (view: DataView, offset: number) => number;
const READERS: Record<string, { size: number; read: Reader }> = {
  u1: { size: 1, read: (v, o) => v.getUint8(o) },
  i1: { size: 1, read: (v, o) => v.getInt8(o) },
  u2: { size: 2, read: (v, o) => v.getUint16(o, true) },
  i2: { size: 2, read: (v, o) => v.getInt16(o, true) },
  u4: { size: 4, read: (v, o) => v.getUint32(o, true) },
  i4: { size: 4, read: (v, o) => v.getInt32(o, true) },
  f4: { size: 4, read: (v, o) => v.getFloat32(o, true) },
  f8: { size: 8, read: (v, o) => v.getFloat64(o, true) },
};

function refuse(detail: string): UnsupportedPixelDataError {
  return new UnsupportedPixelDataError(`Orthanc returned decoded pixels this pipeline cannot read (${detail})`);
}

export function parseNpy(buf: Buffer): NpyArray {
  if (buf.length < 10 || !buf.subarray(0, 6).equals(MAGIC)) throw refuse('not a .npy answer');
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const headerStart = major === 1 ? 10 : 12;
  const header = buf.toString(major === 3 ? 'utf8' : 'latin1', headerStart, headerStart + headerLen);
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw refuse(`unreadable .npy header ${header.trim()}`);
  if (fortran === 'True') throw refuse('Fortran-ordered array');
  const order = descr[0];
  const reader = READERS[descr.slice(1)];
  if (reader === undefined || order === '>' || (order === '|' && reader.size !== 1)) throw refuse(`dtype ${descr}`);
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (shape.some((n) => !Number.isInteger(n) || n < 0)) throw refuse(`shape (${shapeText})`);
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = headerStart + headerLen;
  if (buf.length - dataStart < count * reader.size) {
    throw refuse(`${buf.length - dataStart} bytes of data for shape (${shape.join(', ')}) of ${descr}`);
  }
  const view = new DataView(buf.buffer, buf.byteOffset + dataStart, count * reader.size);
  const values = new Float64Array(count);
  if (descr.slice(1) === 'f4' && (buf.byteOffset + dataStart) % 4 === 0) {
    values.set(new Float32Array(buf.buffer, buf.byteOffset + dataStart, count)); // fast path, little-endian hosts
  } else {
    for (let i = 0; i < count; i++) values[i] = reader.read(view, i * reader.size);
  }
  return { dtype: descr, shape, values };
}
