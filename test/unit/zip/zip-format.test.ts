/**
 * The zip record decoders: end records (classic and zip64), central directory headers with the zip64 extended
 * information field (all values saturated, and only some, where the field holds just those), names, CRC-32.
 */
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { describe, it } from 'node:test';
import {
  crc32,
  crc32Fallback,
  decodeCentralHeader,
  decodeEndRecord,
  decodeName,
  Zip,
} from '../../../src/zip/zip-format';

function centralHeader(fields: { size: number; compressedSize: number; offset: number; extra?: Buffer }): Buffer {
  const name = Buffer.from('a.dcm');
  const extra = fields.extra ?? Buffer.alloc(0);
  const h = Buffer.alloc(Zip.CENHDR);
  h.writeUInt32LE(Zip.CENSIG, 0);
  h.writeUInt16LE(0x031e, 4); // made by Unix
  h.writeUInt16LE(0x0800, 8);
  h.writeUInt16LE(Zip.DEFLATED, 10);
  h.writeUInt32LE(0x12345678, 16);
  h.writeUInt32LE(fields.compressedSize, 20);
  h.writeUInt32LE(fields.size, 24);
  h.writeUInt16LE(name.length, 28);
  h.writeUInt16LE(extra.length, 30);
  h.writeUInt32LE(0o100644 * 0x10000, 38);
  h.writeUInt32LE(fields.offset, 42);
  return Buffer.concat([h, name, extra]);
}

function zip64Extra(values: bigint[]): Buffer {
  const b = Buffer.alloc(4 + 8 * values.length);
  b.writeUInt16LE(0x0001, 0);
  b.writeUInt16LE(8 * values.length, 2);
  values.forEach((v, i) => b.writeBigUInt64LE(v, 4 + 8 * i));
  // An unrelated extra field before it (extended timestamp) must be stepped over.
  return Buffer.concat([Buffer.from([0x55, 0x54, 0x05, 0x00, 0x01, 0, 0, 0, 0]), b]);
}

describe('zip record decoding', { timeout: 10_000 }, () => {
  it('decodes a central directory header', () => {
    const h = decodeCentralHeader(centralHeader({ size: 100, compressedSize: 60, offset: 7 }), 0);
    assert.deepEqual(
      [h.made >> 8, h.flags, h.method, h.crc, h.size, h.compressedSize, h.offset, h.attr >>> 16],
      [3, 0x0800, Zip.DEFLATED, 0x12345678, 100, 60, 7, 0o100644],
    );
    assert.equal(h.centralHeaderSize, Zip.CENHDR + 5);
  });

  it('applies zip64 values for the saturated fields only, in the order the field holds them', () => {
    const all = decodeCentralHeader(
      centralHeader({
        size: 0xffffffff,
        compressedSize: 0xffffffff,
        offset: 0xffffffff,
        extra: zip64Extra([5_000_000_000n, 4_900_000_000n, 6_000_000_000n]),
      }),
      0,
    );
    assert.deepEqual([all.size, all.compressedSize, all.offset], [5_000_000_000, 4_900_000_000, 6_000_000_000]);
    // Only the offset is past 4 GiB: the field holds that one value.
    const offsetOnly = decodeCentralHeader(
      centralHeader({ size: 10, compressedSize: 8, offset: 0xffffffff, extra: zip64Extra([6_000_000_000n]) }),
      0,
    );
    assert.deepEqual([offsetOnly.size, offsetOnly.compressedSize, offsetOnly.offset], [10, 8, 6_000_000_000]);
  });

  it('decodes classic and zip64 end records and refuses anything else', () => {
    const end = Buffer.alloc(Zip.ENDHDR);
    end.writeUInt32LE(Zip.ENDSIG, 0);
    end.writeUInt16LE(3, 8);
    end.writeUInt16LE(3, 10);
    end.writeUInt32LE(150, 12);
    end.writeUInt32LE(1000, 16);
    assert.deepEqual(decodeEndRecord(end), { diskEntries: 3, totalEntries: 3, size: 150, offset: 1000 });
    const end64 = Buffer.alloc(Zip.ZIP64HDR);
    end64.writeUInt32LE(Zip.ZIP64SIG, 0);
    end64.writeBigUInt64LE(70_000n, 24);
    end64.writeBigUInt64LE(70_001n, 32);
    end64.writeBigUInt64LE(7_000_000n, 40);
    end64.writeBigUInt64LE(5_000_000_000n, 48);
    assert.deepEqual(decodeEndRecord(end64), {
      diskEntries: 70_000,
      totalEntries: 70_001,
      size: 7_000_000,
      offset: 5_000_000_000,
    });
    assert.throws(() => decodeEndRecord(Buffer.alloc(Zip.ENDHDR)), /invalid end of central directory/);
  });

  it('decodes names: flagged UTF-8, unflagged UTF-8, CP437', () => {
    assert.equal(decodeName(Buffer.from('Röntgen.dcm'), 0x0800), 'Röntgen.dcm');
    assert.equal(decodeName(Buffer.from('Röntgen.dcm'), 0), 'Röntgen.dcm');
    assert.equal(decodeName(Buffer.from([0x52, 0x99, 0x4e]), 0), 'RÖN');
    assert.equal(decodeName(Buffer.from([0x52, 0x99, 0x4e]), 0x0800), 'R\ufffdN');
  });

  it('computes CRC-32 as zlib does, the plain-JS fallback included', () => {
    const data = Buffer.from('The quick brown fox jumps over the lazy dog');
    assert.equal(crc32Fallback(data), 0x414fa339);
    assert.equal(crc32(data), 0x414fa339);
    if (typeof zlib.crc32 === 'function') assert.equal(zlib.crc32(data), 0x414fa339);
    // Continued chunk by chunk (how the reader checks an entry while it inflates): the same value.
    for (const f of [crc32, crc32Fallback]) assert.equal(f(data.subarray(9), f(data.subarray(0, 9))), 0x414fa339);
  });
});
