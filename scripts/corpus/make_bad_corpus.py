"""Generate the bad-input corpus: test/fixtures/bad/*.zip and MANIFEST.json.

Every zip is written byte by byte here (not with Python's zipfile) so that headers can lie, names can be
hostile and entries can be encrypted, which zipfile refuses to do. Output is deterministic (fixed
timestamps, fixed pseudo-random bytes, UIDs derived from fixed seeds): re-running gives identical files,
so the committed corpus can be checked against its generator.

Sources: test/fixtures/bad/sources/ (see README.md there for origin and license). Derived DICOMs are
made with pydicom at run time and exist only inside the zips.
"""
from __future__ import annotations

import hashlib
import io
import json
import struct
import sys
import unicodedata
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pydicom

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / 'test' / 'fixtures' / 'bad'
SRC = OUT / 'sources'

CHEST = (SRC / 'highdicom_dx_image_forpresentation_thorax.dcm').read_bytes()
CHEST_CR = (SRC / 'txv_siim_CR_chest_jpegbaseline.dcm').read_bytes()
CT = (SRC / 'pydicom_CT_small.dcm').read_bytes()
MR = (SRC / 'pydicom_MR_small_RLE.dcm').read_bytes()
NO_PIXELS = (SRC / 'orthanc_Issue56_DX_forpresentation_NoPixelData.dcm').read_bytes()
DICOMDIR = (SRC / 'pydicom_dicomdirtests_DICOMDIR').read_bytes()

# ---------------------------------------------------------------- zip writer

DOS_TIME = 0  # 00:00:00
DOS_DATE = (2020 - 1980) << 9 | 1 << 5 | 1  # 2020-01-01


@dataclass
class Entry:
    name: bytes | str
    data: bytes = b''
    method: int = 8  # 0 stored, 8 deflated; anything else is written as is (data stored raw)
    directory: bool = False
    # Lies, for forged entries: None means "tell the truth".
    declared_size: int | None = None
    declared_crc: int | None = None
    password: bytes | None = None
    raw_compressed: bytes | None = None  # pre-compressed payload (for bombs built without the whole input)
    true_size: int | None = None
    true_crc: int | None = None
    # Unix mode of the entry (external attributes' high 16 bits); None: a regular file (0o100644) or folder.
    mode: int | None = None
    # The UTF-8 name flag (general-purpose bit 11): None sets it when the name has non-ASCII bytes.
    utf8_flag: bool | None = None
    # Streamed entry (general-purpose bit 3): CRC and sizes are zero in the local header and follow the data in
    # a data descriptor, with its optional signature ('signed') or without ('unsigned').
    descriptor: str | None = None
    # WinZip AES-256 (method 99, extra field 0x9901, AE-2): the payload is laid out as salt, password verifier,
    # ciphertext and authentication code. Nothing here decrypts, so the ciphertext is pseudo-random bytes.
    aes: bool = False


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def deflate_zeros(n: int) -> tuple[bytes, int]:
    """Deflate n zero bytes without holding them all (a bomb's payload); returns (compressed, crc)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    out, crc, left = [], 0, n
    while left:
        piece = chunk[: min(left, len(chunk))]
        out.append(c.compress(piece))
        crc = zlib.crc32(piece, crc)
        left -= len(piece)
    out.append(c.flush())
    return b''.join(out), crc


class ZipCrypto:
    """Traditional PKWARE encryption (APPNOTE 6.1), enough to make a real password-protected entry."""

    def __init__(self, password: bytes):
        self.k = [0x12345678, 0x23456789, 0x34567890]
        for b in password:
            self._update(b)

    @staticmethod
    def _crc(crc: int, b: int) -> int:
        return zlib.crc32(bytes([b]), crc ^ 0xFFFFFFFF) ^ 0xFFFFFFFF

    def _update(self, b: int) -> None:
        k0, k1, k2 = self.k
        k0 = self._crc(k0, b)
        k1 = ((k1 + (k0 & 0xFF)) * 134775813 + 1) & 0xFFFFFFFF
        k2 = self._crc(k2, k1 >> 24)
        self.k = [k0, k1, k2]

    def encrypt(self, data: bytes) -> bytes:
        out = bytearray()
        for p in data:
            t = (self.k[2] | 2) & 0xFFFF
            out.append(p ^ (((t * (t ^ 1)) >> 8) & 0xFF))
            self._update(p)
        return bytes(out)


def build_zip(entries: list[Entry], zip64: bool = False, prefix: bytes = b'', adjust_offsets: bool = True,
              comment: bytes = b'') -> bytes:
    """zip64=True writes every size and offset through zip64 extra fields and the zip64 end records, as
    archivers do past 4 GiB, so the reader's zip64 path is tested without a 4 GiB file.
    prefix: bytes before the first entry (a self-extractor's stub); adjust_offsets says whether the offsets count
    them (as `zip -A` leaves them) or not (a stub simply concatenated in front). comment: the zip comment."""
    body = io.BytesIO()
    body.write(prefix)
    base = 0 if adjust_offsets else len(prefix)
    central = io.BytesIO()
    for e in entries:
        name = e.name.encode('utf-8') if isinstance(e.name, str) else e.name
        utf8 = e.utf8_flag if e.utf8_flag is not None else any(b > 0x7F for b in name)
        flags = 0x0800 if utf8 else 0  # EFS: the name is UTF-8
        data = b'' if e.directory else e.data
        method = 0 if e.directory else e.method
        if e.raw_compressed is not None:
            payload, size, crc = e.raw_compressed, e.true_size or 0, e.true_crc or 0
        else:
            size, crc = len(data), zlib.crc32(data)
            payload = deflate(data) if method == 8 else data
        if e.password is not None:
            flags |= 0x0001
            header = bytes((i * 37 + 11) & 0xFF for i in range(11)) + bytes([crc >> 24])
            payload = ZipCrypto(e.password).encrypt(header + payload)
        aes_extra = b''
        if e.aes:
            flags |= 0x0001
            # salt (16 bytes for AES-256), 2-byte password verifier, ciphertext, 10-byte HMAC-SHA1 code
            payload = pseudo_random(16 + 2 + len(payload) + 10, 'aes/' + name.decode('latin1'))
            # AE-2 (no CRC: 0), vendor 'AE', strength 3 (AES-256), actual compression method
            aes_extra = struct.pack('<HHH2sBH', 0x9901, 7, 2, b'AE', 3, method)
            method, crc = 99, 0
        size = e.declared_size if e.declared_size is not None else size
        crc = e.declared_crc if e.declared_crc is not None else crc
        offset = body.tell() - base
        F = 0xFFFFFFFF
        local_extra = (struct.pack('<HHQQ', 1, 16, size, len(payload)) if zip64 else b'') + aes_extra
        if e.descriptor:
            flags |= 0x0008
        local = (0, 0, 0) if e.descriptor else (crc, F if zip64 else len(payload), F if zip64 else size)
        body.write(struct.pack('<IHHHHHIIIHH', 0x04034B50, 45 if zip64 else 20, flags, method, DOS_TIME, DOS_DATE, *local,
                               len(name), len(local_extra)))
        body.write(name + local_extra)
        body.write(payload)
        if e.descriptor:
            body.write((struct.pack('<I', 0x08074B50) if e.descriptor == 'signed' else b'') +
                       struct.pack('<III', crc, len(payload), size))
        if e.directory:
            attr = 0o40755 << 16 | 0x10
        else:
            attr = (e.mode if e.mode is not None else 0o100644) << 16
        cen_extra = (struct.pack('<HHQQQ', 1, 24, size, len(payload), offset) if zip64 else b'') + aes_extra
        central.write(struct.pack('<IHHHHHHIIIHHHHHII', 0x02014B50, 0x031E, 45 if zip64 else 20, flags, method, DOS_TIME, DOS_DATE, crc,
                                  F if zip64 else len(payload), F if zip64 else size, len(name), len(cen_extra), 0, 0, 0, attr,
                                  F if zip64 else offset))
        central.write(name + cen_extra)
    cd = central.getvalue()
    cd_offset = body.tell() - base
    body.write(cd)
    n = len(entries)
    if zip64:
        record_offset = body.tell()
        body.write(struct.pack('<IQHHIIQQQQ', 0x06064B50, 44, 45, 45, 0, 0, n, n, len(cd), cd_offset))
        body.write(struct.pack('<IIQI', 0x07064B50, 0, record_offset, 1))
        body.write(struct.pack('<IHHHHIIH', 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))
    else:
        body.write(struct.pack('<IHHHHIIH', 0x06054B50, 0, 0, n, n, len(cd), cd_offset, len(comment)))
    body.write(comment)
    return body.getvalue()


# ---------------------------------------------------------------- derived DICOM

def uid(seed: str) -> str:
    return '2.25.' + str(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:16], 'big'))


def edit_dicom(source: bytes, **changes) -> bytes:
    ds = pydicom.dcmread(io.BytesIO(source))
    for keyword, value in changes.items():
        setattr(ds, keyword, value)
    if 'SOPInstanceUID' in changes and hasattr(ds, 'file_meta'):
        ds.file_meta.MediaStorageSOPInstanceUID = changes['SOPInstanceUID']
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=False)
    return out.getvalue()


def chest_copy(seed: str) -> bytes:
    """The small chest DX under a new SOPInstanceUID, so several copies are distinct instances."""
    return edit_dicom(CHEST, SOPInstanceUID=uid('cxr-bad-corpus/' + seed))


def multi_frame_chest(seed: str, sop_class: str | None = None) -> bytes:
    """The small chest DX as a two-frame object: frame 1 is the original image, frame 2 its negative. The
    pipeline classifies the first frame. sop_class: another SOP class (a multi-frame Secondary Capture)."""
    ds = pydicom.dcmread(io.BytesIO(CHEST))
    if sop_class is not None:
        ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = sop_class
    first = ds.PixelData
    second = bytes(255 - b for b in first[: ds.Rows * ds.Columns])
    ds.NumberOfFrames = 2
    ds.FrameIncrementPointer = pydicom.tag.Tag('FrameTime')
    ds.FrameTime = 1000
    ds.PixelData = first[: ds.Rows * ds.Columns] + second
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid('cxr-bad-corpus/' + seed)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=False)
    return out.getvalue()


def unsafe_chest(seed: str, rows_vr: str | None = None, palette: tuple[int, int] | None = None,
                 voi_lut: tuple[int, int] | None = None, meta_length_delta: int = 0, **changes) -> bytes:
    """The chest DX (8 bits, 211 x 169) with one lie in its header: Rows in another VR, a palette or VOI LUT whose
    descriptor declares more entries than its data holds, a file meta group length that is off, or attribute changes."""
    ds = pydicom.dcmread(io.BytesIO(CHEST))
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = uid('cxr-bad-corpus/unsafe/' + seed)
    for keyword, value in changes.items():
        setattr(ds, keyword, value)
    if rows_vr is not None:
        ds[0x00280010] = pydicom.DataElement(0x00280010, rows_vr, ds.Rows)
    if palette is not None:
        entries, words = palette
        ds.PhotometricInterpretation = 'PALETTE COLOR'
        for i in range(3):
            ds[0x00281101 + i] = pydicom.DataElement(0x00281101 + i, 'US', [entries, 0, 16])
            ds[0x00281201 + i] = pydicom.DataElement(0x00281201 + i, 'OW', b'\x00\x01' * words)
    if voi_lut is not None:
        entries, words = voi_lut
        item = pydicom.Dataset()
        item.LUTDescriptor = [entries, 0, 12]
        item[0x00283006] = pydicom.DataElement(0x00283006, 'OW', b'\x00\x01' * words)
        ds.VOILUTSequence = pydicom.Sequence([item])
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=False)
    data = bytearray(out.getvalue())
    if meta_length_delta:
        assert data[132:136] == b'\x02\x00\x00\x00'  # (0002,0000) first, UL
        length = struct.unpack_from('<I', data, 140)[0]
        struct.pack_into('<I', data, 140, length + meta_length_delta)
    return bytes(data)


def meta_contradicts(seed: str, declared: str, implicit_vr: bool, little_endian: bool) -> bytes:
    """The chest DX with a file meta header whose Transfer Syntax UID (declared) contradicts how the dataset
    after it is really written (implicit_vr, little_endian): the file a misconfigured exporter writes."""
    ds = pydicom.dcmread(io.BytesIO(CHEST))
    ds.SOPInstanceUID = uid('cxr-bad-corpus/' + seed)
    meta = pydicom.dataset.FileMetaDataset(ds.file_meta)
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    meta.TransferSyntaxUID = declared
    del ds.file_meta
    out = pydicom.filebase.DicomBytesIO()
    out.write(b'\x00' * 128 + b'DICM')
    pydicom.filewriter.write_file_meta_info(out, meta, enforce_standard=True)
    body = pydicom.filebase.DicomBytesIO()
    body.is_implicit_VR, body.is_little_endian = implicit_vr, little_endian
    pydicom.filewriter.write_dataset(body, ds)
    return out.getvalue() + body.getvalue()


def pseudo_random(n: int, seed: str) -> bytes:
    out, i = bytearray(), 0
    while len(out) < n:
        out += hashlib.sha256(f'{seed}/{i}'.encode()).digest()
        i += 1
    return bytes(out[:n])


def tiny_png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    ihdr = struct.pack('>IIBBBBB', 2, 2, 8, 0, 0, 0, 0)
    return b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(b'\x00\x00\x00\x00\x00\x00')) + chunk(b'IEND', b'')


def tiny_pdf() -> bytes:
    return (b'%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n'
            b'trailer<</Root 1 0 R>>\n%%EOF\n')


# ---------------------------------------------------------------- the corpus

@dataclass
class Case:
    zip: str
    description: str
    entries: list[Entry] = field(default_factory=list)
    # Per file entry (directories are not listed): (expect, type) in zip order.
    outcomes: list[tuple[str, str | None]] = field(default_factory=list)
    rejected: str | None = None  # messageIncludes, when the whole zip is rejected
    raw: bytes | None = None
    notes: dict[int, str] = field(default_factory=dict)
    # The outcomes are right as a multiset but which entry gets which depends on scheduling.
    any_order: bool = False
    # More expectations per file entry (position among the file entries -> fields added to its manifest row).
    extras: dict[int, dict] = field(default_factory=dict)


DONE = ('done', None)


def no_pixels_chest() -> bytes:
    """Issue56's DX header without PixelData, made a chest image under its own UID (the original's UID
    belongs to the unedited file, which other tests store)."""
    return edit_dicom(NO_PIXELS, BodyPartExamined='CHEST', SOPInstanceUID=uid('cxr-bad-corpus/no-pixels'))


def failed(t: str) -> tuple[str, str]:
    return ('failed', t)


def skipped(t: str) -> tuple[str, str]:
    return ('skipped', t)


def cases() -> list[Case]:
    out: list[Case] = []

    out.append(Case('empty.zip', 'a zip with no entries at all (only the end record)', rejected='empty zip',
                    raw=build_zip([])))
    out.append(Case('not-a-zip.zip', 'a text file renamed to .zip', rejected='not a zip',
                    raw=b'These are the radiology notes for today. Not a zip file.\n' * 4))
    whole = build_zip([Entry('chest-1.dcm', chest_copy('truncated-1')), Entry('chest-2.dcm', chest_copy('truncated-2'))])
    out.append(Case('truncated.zip', 'a valid zip cut short at 60% (an interrupted copy)', rejected='truncated',
                    raw=whole[: len(whole) * 6 // 10]))
    out.append(Case('encrypted.zip', 'a password-protected zip (ZipCrypto, password "secret")', rejected='password',
                    entries=[Entry('chest.dcm', CHEST, password=b'secret')]))
    out.append(Case('directories-only.zip', 'only folder entries, no files', rejected='only folders',
                    entries=[Entry('study/', directory=True), Entry('study/series/', directory=True)]))

    out.append(Case('zip-slip.zip', 'names that would escape the extraction folder, beside one safe chest X-ray', entries=[
        # The unsafe entries are never read, so a small MR stands in for their content.
        Entry('../evil.dcm', MR), Entry('/etc/evil.dcm', MR), Entry('C:\\evil.dcm', MR),
        Entry('study/../../evil.dcm', MR), Entry('..\\..\\evil.dcm', MR), Entry(b'nul\x00byte.dcm', MR),
        Entry('control\x01char.dcm', MR), Entry('safe/chest.dcm', chest_copy('zip-slip-safe')),
    ], outcomes=[failed('UnsafeEntryName')] * 7 + [DONE]))

    bomb, bomb_crc = deflate_zeros(100 * 1024 * 1024)
    out.append(Case('zip-bomb.zip', '100 MiB of zeros deflated ~1000:1, honestly declared, beside a chest X-ray', entries=[
        Entry('bomb.dcm', raw_compressed=bomb, true_size=100 * 1024 * 1024, true_crc=bomb_crc),
        Entry('chest.dcm', chest_copy('zip-bomb-chest')),
    ], outcomes=[failed('EntryTooLarge'), DONE]))

    small_bomb, small_bomb_crc = deflate_zeros(50 * 1024 * 1024)
    out.append(Case('damaged-entries.zip', 'entries whose headers lie (sizes, CRC), a bomb declaring 1000 bytes, '
                    'an unsupported compression method, and one good chest X-ray', entries=[
        Entry('declares-smaller.dcm', CHEST, declared_size=1000),
        Entry('declares-larger.dcm', CHEST, declared_size=len(CHEST) + 5000),
        Entry('bad-crc.dcm', CHEST, declared_crc=zlib.crc32(CHEST) ^ 0x5A5A5A5A),
        Entry('bomb-declares-1000-bytes.dcm', raw_compressed=small_bomb, true_size=1000, true_crc=small_bomb_crc),
        Entry('bzip2-method.dcm', CHEST, method=12),
        Entry('good.dcm', chest_copy('damaged-good')),
    ], outcomes=[failed('EntryUnreadable')] * 5 + [DONE]))

    out.append(Case('duplicate-names.zip', 'two different files under the same name', entries=[
        Entry('image.dcm', chest_copy('duplicate-first')), Entry('image.dcm', CT),
    ], outcomes=[DONE, failed('DuplicateEntryName')]))

    inner = build_zip([Entry('inner-chest.dcm', chest_copy('nested-inner'))])
    out.append(Case('nested.zip', 'a zip inside the zip (not opened) beside a chest X-ray', entries=[
        Entry('more-images.zip', inner, method=0), Entry('chest.dcm', chest_copy('nested-outer')),
    ], outcomes=[failed('NestedArchive'), DONE]))

    out.append(Case('non-dicom.zip', 'text, PNG, PDF, random bytes, and text named .dcm', entries=[
        Entry('notes.txt', b'Patient positioned PA, good inspiration.\n'), Entry('photo.png', tiny_png()),
        Entry('report.pdf', tiny_pdf()), Entry('random.bin', pseudo_random(4096, 'random')),
        Entry('looks-like.dcm', b'this is not DICOM at all, just text with a .dcm name\n' * 10),
    ], outcomes=[failed('NotDicom')] * 5))

    out.append(Case('no-pixel-data.zip', 'a DX header without PixelData (Issue56, BodyPartExamined set to CHEST)',
                    entries=[Entry('no-pixels.dcm', no_pixels_chest())],
                    outcomes=[failed('NoPixelData')]))

    out.append(Case('truncated-dicom.zip', 'a chest DX cut at 20000 of 37825 bytes, in the middle of its pixel data',
                    entries=[Entry('truncated.dcm', chest_copy('truncated-dicom')[:20000])],
                    outcomes=[failed('CorruptDicom')]))

    out.append(Case('wrong-modality.zip', 'a CT and an MR image: valid DICOM, not chest radiographs', entries=[
        Entry('ct.dcm', CT), Entry('mr.dcm', MR),
    ], outcomes=[skipped('NotChestXray'), skipped('NotChestXray')]))

    out.append(Case('huge-dimensions.zip', 'a chest DX header declaring 60000 x 60000 pixels over 35659 bytes of pixel '
                    'data: above the Rows x Columns ceiling, refused before upload',
                    entries=[Entry('huge.dcm', edit_dicom(CHEST, Rows=60000, Columns=60000, SOPInstanceUID=uid('huge')))],
                    outcomes=[failed('ImageTooLarge')]))

    out.append(Case('unsafe-headers.zip', 'chest DX headers that do not describe their pixel data (what overflows '
                    "decoders, Orthanc <= 1.12.10's among them): refused before upload, never stored", entries=[
        Entry('rows-as-ul.dcm', unsafe_chest('rows-as-ul', rows_vr='UL')),
        Entry('frames-overstated.dcm', unsafe_chest('frames-overstated', NumberOfFrames=4)),
        Entry('bits-stored-17.dcm', unsafe_chest('bits-stored-17', BitsStored=17)),
        Entry('palette-overflow.dcm', unsafe_chest('palette-overflow', palette=(256, 16))),
        Entry('voi-lut-overflow.dcm', unsafe_chest('voi-lut-overflow', voi_lut=(4096, 4))),
        Entry('meta-length-lies.dcm', unsafe_chest('meta-length-lies', meta_length_delta=20)),
    ], outcomes=[failed('UnsafeImageStructure')] * 6))

    out.append(Case('dicomdir.zip', 'a DICOMDIR index beside a chest X-ray', entries=[
        Entry('DICOMDIR', DICOMDIR), Entry('IMAGES/IM0001', chest_copy('dicomdir-image')),
    ], outcomes=[skipped('DicomDir'), DONE]))

    out.append(Case('zero-byte.zip', 'an empty file beside a chest X-ray', entries=[
        Entry('empty.dcm', b''), Entry('chest.dcm', chest_copy('zero-byte-chest')),
    ], outcomes=[failed('ZeroByteEntry'), DONE]))

    long_name = 'very-long-name-' + 'x' * 300 + '.dcm'
    out.append(Case('odd-names.zip', 'valid chest X-rays under unicode, space-filled and 319-character names', entries=[
        Entry('Ünïcödé 胸部 X線 👍.dcm', chest_copy('odd-unicode')), Entry('  spaces  in  name  .dcm', chest_copy('odd-spaces')),
        Entry(long_name, chest_copy('odd-long')), Entry('no-extension', chest_copy('odd-noext')),
    ], outcomes=[DONE] * 4))

    same_uid = uid('cxr-bad-corpus/same-sop-uid')
    out.append(Case('same-sop-uid.zip', 'two files with the same SOPInstanceUID but different content', entries=[
        Entry('original.dcm', edit_dicom(CHEST, SOPInstanceUID=same_uid)),
        Entry('edited-same-uid.dcm', edit_dicom(CHEST, SOPInstanceUID=same_uid, SeriesDescription='EDITED COPY, SAME UID')),
    ], outcomes=[DONE, skipped('DuplicateSopInstanceUid')], any_order=True, notes={
        1: 'same SOPInstanceUID as original.dcm, different bytes: the first one stored is classified, the other is skipped '
           '(DuplicateSopInstanceUid), never overwriting it; which is first depends on scheduling (anyOrder).',
    }))

    out.append(Case('zip64.zip', 'a good zip written in zip64 form (sizes and offsets in zip64 extra fields and end records)',
                    raw=build_zip([Entry('chest.dcm', chest_copy('zip64-chest')), Entry('notes.txt', b'zip64 sample\n')], zip64=True),
                    entries=[Entry('chest.dcm'), Entry('notes.txt')], outcomes=[DONE, failed('NotDicom')]))

    out.append(Case('mixed.zip', 'valid chest X-rays beside most kinds of bad entry, with folders and macOS metadata', entries=[
        Entry('study/', directory=True),
        Entry('study/chest-dx.dcm', chest_copy('mixed-dx')),
        Entry('study/chest-cr.dcm', CHEST_CR),
        Entry('study/notes.txt', b'Referral: cough for 3 weeks.\n'),
        Entry('study/ct.dcm', CT),
        Entry('study/empty.dcm', b''),
        Entry('../escape.dcm', CHEST),
        Entry('DICOMDIR', DICOMDIR),
        Entry('study/no-pixels.dcm', no_pixels_chest()),
        Entry('__MACOSX/study/._chest-dx.dcm', b'\x00\x05\x16\x07' + bytes(78)),
        Entry('.DS_Store', pseudo_random(512, 'ds_store')),
    ], outcomes=[DONE, DONE, failed('NotDicom'), skipped('NotChestXray'), failed('ZeroByteEntry'),
                 failed('UnsafeEntryName'), skipped('DicomDir'), failed('NoPixelData'),
                 skipped('SystemFile'), skipped('SystemFile')]))

    link = 0o120777  # S_IFLNK: the entry's data is the link's target path
    out.append(Case('symlinks.zip', 'symbolic links stored as links (zip -y): to a file and a folder in the zip, to '
                    'an absolute path, out of the zip, and to a file that is not in it', entries=[
        Entry('study/chest.dcm', chest_copy('symlink-target')),
        Entry('study/link-to-chest.dcm', b'chest.dcm', method=0, mode=link),
        Entry('latest', b'study', method=0, mode=link),
        Entry('passwd.dcm', b'/etc/passwd', method=0, mode=link),
        Entry('escape.dcm', b'../../outside/chest.dcm', method=8, mode=link),
        Entry('dangling.dcm', b'study/not-zipped.dcm', method=0, mode=link),
    ], outcomes=[DONE, skipped('SymbolicLink'), skipped('SymbolicLink'), failed('UnsafeEntryName'),
                 failed('UnsafeEntryName'), failed('DanglingSymbolicLink')]))

    out.append(Case('data-descriptors.zip', 'streamed entries (general-purpose bit 3): zero CRC and sizes in the local '
                    'headers, the real ones in data descriptors with and without their signature', entries=[
        Entry('streamed-signed.dcm', chest_copy('descriptor-signed'), descriptor='signed'),
        Entry('streamed-unsigned.dcm', chest_copy('descriptor-unsigned'), descriptor='unsigned'),
        Entry('streamed-stored.dcm', chest_copy('descriptor-stored'), method=0, descriptor='signed'),
    ], outcomes=[DONE] * 3))

    out.append(Case('aes-encrypted.zip', 'a WinZip AES-256 entry (method 99, AE-2 extra field) beside a plain one; the '
                    'ciphertext is pseudo-random bytes, since nothing decrypts it', rejected='password', entries=[
        Entry('chest.dcm', CHEST, aes=True), Entry('notes.txt', b'Referral: cough for 3 weeks.\n'),
    ]))

    stub = (b'MZ' + bytes(58) + struct.pack('<I', 64) + b'This program cannot be run in DOS mode.\r\r\n$' +
            pseudo_random(4096, 'sfx-stub'))
    comment = b'Self-extracting archive: run it to unpack the study. Exported 2020-01-01.'
    for adjusted in (True, False):
        zip_name = 'self-extractor.zip' if adjusted else 'self-extractor-unadjusted.zip'
        how = ('offsets counted from the stub, as zip -A leaves them' if adjusted
               else 'offsets counted from the zip part, as when the stub is simply concatenated in front')
        out.append(Case(zip_name, f'a self-extractor: a 4 KiB program stub before the zip, and a zip comment; {how}',
                        raw=build_zip([Entry('chest.dcm', chest_copy('sfx-' + zip_name))], prefix=stub,
                                      adjust_offsets=adjusted, comment=comment),
                        entries=[Entry('chest.dcm')], outcomes=[DONE]))

    out.append(Case('cp437-names.zip', 'names in the DOS code page (CP437) without the UTF-8 flag, as old Windows '
                    'archivers write them, and a UTF-8 name without the flag', entries=[
        Entry('RÖNTGEN THORAX.dcm'.encode('cp437'), chest_copy('cp437-roentgen'), utf8_flag=False),
        Entry('Ñandú/Tórax pä.dcm'.encode('cp437'), chest_copy('cp437-torax'), utf8_flag=False),
        Entry('Müller_Thorax.dcm'.encode('utf-8'), chest_copy('cp437-utf8-unflagged'), utf8_flag=False),
    ], outcomes=[DONE] * 3))

    roentgen = 'Röntgen.dcm'
    out.append(Case('name-twins.zip', 'names that differ only by case, or only by Unicode normalisation (NFC and NFD '
                    'of one name): different files, all processed', entries=[
        Entry('thorax.dcm', chest_copy('twin-lower')), Entry('THORAX.dcm', chest_copy('twin-upper')),
        Entry(unicodedata.normalize('NFC', roentgen), chest_copy('twin-nfc')),
        Entry(unicodedata.normalize('NFD', roentgen), chest_copy('twin-nfd')),
    ], outcomes=[DONE] * 4, notes={
        3: 'looks the same as entry 2 but is another byte string (NFD); the pipeline identifies entries by index, '
           'never by name, so both are read, stored and classified.',
    }))

    out.append(Case('multi-frame.zip', 'two-frame chest images (the image and its negative), as a DX (a single-frame '
                    'class) and as a Multi-frame Grayscale Byte Secondary Capture: classified on their first frame',
                    entries=[
        Entry('dx-two-frames.dcm', multi_frame_chest('multi-frame-dx')),
        Entry('sc-two-frames.dcm', multi_frame_chest('multi-frame-sc', '1.2.840.10008.5.1.4.1.1.7.2')),
    ], outcomes=[DONE] * 2, notes={
        1: 'the report references frame 1 of it (Referenced Frame Number); a DX cannot be referenced by frame.',
    }, extras={0: {'reportFrames': []}, 1: {'reportFrames': [1]}}))

    explicit_le, implicit_le, explicit_be = '1.2.840.10008.1.2.1', '1.2.840.10008.1.2', '1.2.840.10008.1.2.2'
    out.append(Case('meta-contradicts-encoding.zip', 'DICOM files whose file meta header names a transfer syntax '
                    'the dataset after it is not written in', entries=[
        Entry('says-explicit-is-implicit.dcm', meta_contradicts('meta-explicit', explicit_le, True, True)),
        Entry('says-implicit-is-explicit.dcm', meta_contradicts('meta-implicit', implicit_le, False, True)),
        Entry('says-big-endian-is-little.dcm', meta_contradicts('meta-big-endian', explicit_be, False, True)),
    ], outcomes=[failed('CorruptDicom')] * 3))
    return out


def decoded_name(e: Entry) -> str:
    """The name as a careful reader shows it: UTF-8 when flagged (or valid UTF-8), else the DOS code page CP437."""
    assert isinstance(e.name, bytes)
    if e.utf8_flag is False:
        try:
            return e.name.decode('utf-8')
        except UnicodeDecodeError:
            return e.name.decode('cp437')
    return e.name.decode('utf-8', 'replace')


def main(argv: list[str]) -> int:
    """--out DIR writes the corpus there instead (the drift test regenerates into a temporary folder)."""
    out_dir = OUT
    if argv[:1] == ['--out'] and len(argv) == 2:
        out_dir = Path(argv[1]).resolve()
    elif argv:
        print('usage: make_bad_corpus.py [--out DIR]', file=sys.stderr)
        return 2
    out_dir.mkdir(parents=True, exist_ok=True)
    manifest = []
    for case in cases():
        data = case.raw if case.raw is not None else build_zip(case.entries)
        (out_dir / case.zip).write_bytes(data)
        item: dict = {'zip': case.zip, 'description': case.description}
        if case.any_order:
            item['anyOrder'] = True
        if case.rejected is not None:
            item.update(expect='rejected', type='ZipRejected', messageIncludes=case.rejected)
        else:
            files = [(i, e) for i, e in enumerate(case.entries) if not e.directory]
            assert len(files) == len(case.outcomes), case.zip
            item['entries'] = []
            for n, ((index, e), (expect, kind)) in enumerate(zip(files, case.outcomes)):
                name = e.name if isinstance(e.name, str) else decoded_name(e)
                row = {'index': index, 'name': name, 'expect': expect}
                if kind:
                    row['type'] = kind
                if n in case.notes:
                    row['note'] = case.notes[n]
                row.update(case.extras.get(n, {}))
                item['entries'].append(row)
        manifest.append(item)
    (out_dir / 'MANIFEST.json').write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + '\n', encoding='utf-8')
    total = sum(p.stat().st_size for p in out_dir.rglob('*') if p.is_file())
    print(f'wrote {len(manifest)} zips and MANIFEST.json to {out_dir} ({total / 1024:.0f} KiB)')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
