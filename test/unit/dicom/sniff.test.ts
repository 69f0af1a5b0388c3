import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, it } from 'node:test';
import { encodingContradiction, sniffDicom } from '../../../src/dicom/sniff';
import { DEFAULT_ZIP_LIMITS, listEntries, readEntry } from '../../../src/zip';
import { BAD_DIR, PROJECT_ROOT, SOURCES_DIR } from '../zip/helpers';

const source = (name: string) => fs.readFileSync(path.join(SOURCES_DIR, name));

describe('sniffDicom', { timeout: 60_000 }, () => {
  it('accepts Part 10 files (preamble + DICM)', () => {
    for (const name of [
      'highdicom_dx_image_forpresentation_thorax.dcm',
      'txv_siim_CR_chest_jpegbaseline.dcm',
      'pydicom_CT_small.dcm',
      'pydicom_dicomdirtests_DICOMDIR',
    ]) {
      assert.deepEqual(sniffDicom(source(name)), { ok: true, hasPreamble: true }, name);
    }
  });

  it('accepts a bare implicit-LE dataset with no preamble or meta (fodicom CR-MONO1-10-chest_nometa)', () => {
    assert.deepEqual(sniffDicom(source('fodicom_CR-MONO1-10-chest_nometa.head4096.dcm')), {
      ok: true,
      hasPreamble: false,
    });
  });

  it('accepts a bare explicit-LE dataset (a Part 10 file with its preamble and meta cut off)', () => {
    const file = source('highdicom_dx_image_forpresentation_thorax.dcm');
    const metaLength = file.readUInt32LE(132 + 8); // (0002,0000) UL value
    const dataset = file.subarray(132 + 12 + metaLength);
    assert.equal(dataset.readUInt16LE(0), 0x0008);
    assert.deepEqual(sniffDicom(dataset), { ok: true, hasPreamble: false });
  });

  it('rejects other formats, naming what they are', () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200)]);
    const cases: [string, Buffer, RegExp][] = [
      ['empty', Buffer.alloc(0), /empty/],
      ['text', Buffer.from('Patient positioned PA.\n'.repeat(20)), /text file/],
      ['pdf', Buffer.from('%PDF-1.4\n' + 'x'.repeat(300)), /PDF/],
      ['png', png, /PNG/],
      ['jpeg', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(300)]), /JPEG/],
      ['zip', fs.readFileSync(path.join(SOURCES_DIR, '..', 'nested.zip')), /zip archive/],
      ['zeros', Buffer.alloc(1000), /not DICOM/],
      ['random', zlib.deflateSync(Buffer.from('seed'.repeat(500))), /not DICOM/],
    ];
    for (const [label, bytes, reason] of cases) {
      const result = sniffDicom(bytes);
      assert.equal(result.ok, false, label);
      if (!result.ok) assert.match(result.reason, reason, label);
    }
  });

  it('does not take a group-8 tag followed by garbage for DICOM', () => {
    const fake = Buffer.concat([
      Buffer.from([0x08, 0x00, 0x05, 0x00, 0xff, 0xff, 0xff, 0x7f]),
      Buffer.alloc(100, 0x41),
    ]);
    assert.equal(sniffDicom(fake).ok, false);
  });
});

describe('encodingContradiction (file meta header vs dataset encoding)', { timeout: 60_000 }, () => {
  it('names what the header declares and how the data is really written', async () => {
    const zip = path.join(BAD_DIR, 'meta-contradicts-encoding.zip');
    const found: string[] = [];
    for (const e of await listEntries(zip, 0, 10, DEFAULT_ZIP_LIMITS)) {
      const said = encodingContradiction(await readEntry(zip, e.index, e, DEFAULT_ZIP_LIMITS));
      assert.ok(said, e.name);
      found.push(
        said.replace(
          /^has a header that says its data is written as (.*?) \(.*but the data is written as (.*?):.*$/,
          '$1 -> $2',
        ),
      );
    }
    assert.deepEqual(found, [
      'Explicit VR Little Endian -> Implicit VR Little Endian',
      'Implicit VR Little Endian -> Explicit VR Little Endian',
      'Explicit VR Big Endian -> Explicit VR Little Endian',
    ]);
  });

  it('finds nothing wrong in any consistent DICOM file of test/fixtures (big endian, compressed, no meta, DICOMDIR)', () => {
    const files = (dir: string): string[] =>
      fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? files(p) : /\.dcm$|DICOMDIR$/i.test(e.name) ? [p] : [];
      });
    const all = files(path.join(PROJECT_ROOT, 'test', 'fixtures'));
    assert.ok(all.length > 30, `${all.length} files`);
    const flagged = all.filter((f) => encodingContradiction(fs.readFileSync(f)) !== undefined);
    assert.deepEqual(flagged, []);
    assert.ok(
      all.some((f) => f.endsWith('_bigendian.dcm')),
      'a real big-endian file is among them',
    );
  });
});
