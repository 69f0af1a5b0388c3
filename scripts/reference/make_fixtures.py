#!/usr/bin/env python3
"""Derive the test fixtures that are not plain copies (run once; outputs are committed in test/fixtures/cxr/).

 - derived_CR-MONO1-10-chest_mono2.dcm: the MONOCHROME1 chest converted to MONOCHROME2 by hand: stored values
   mirrored (v' = 2^BitsStored - 1 - v) and the window centre mirrored to keep the same display
   (c' = 2^BitsStored - c, the exact mirror of PS3.3's LINEAR window formula). Same pixels on screen, so the
   pipeline must give the same tensor. New SOPInstanceUID (a different object).
 - derived_CR-MONO1-10-chest_corrupt_jpegll.dcm: the JPEG Lossless copy with its compressed stream cut short and
   garbage in its place, inside a structurally valid DICOM file (Orthanc stores it; decoding must fail cleanly).
Usage: make_fixtures.py SOURCE_DIR OUT_DIR (SOURCE_DIR holds the files named in test/fixtures/cxr/README.md)
"""
import os
import sys

import numpy as np
import pydicom
from pydicom.encaps import encapsulate, generate_pixel_data_frame

src, out = sys.argv[1], sys.argv[2]

ds = pydicom.dcmread(os.path.join(src, 'derived_CR-MONO1-10-chest_explicitLE.dcm'))
full = 2 ** int(ds.BitsStored) - 1
ds.PixelData = (full - ds.pixel_array.astype(np.int64)).astype(np.uint16).tobytes()
ds.PhotometricInterpretation = 'MONOCHROME2'
ds.WindowCenter = full + 1 - float(ds.WindowCenter)
ds.SOPInstanceUID = ds.SOPInstanceUID + '.2'
ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
ds.save_as(os.path.join(out, 'derived_CR-MONO1-10-chest_mono2.dcm'), write_like_original=False)

ds = pydicom.dcmread(os.path.join(src, 'derived_CR-MONO1-10-chest_jpeglossless14sv1.dcm'))
frame = next(generate_pixel_data_frame(ds.PixelData))
rng = np.random.RandomState(7)
bad = frame[:200] + rng.randint(0, 256, 300, dtype=np.uint8).tobytes()  # SOI/headers kept, scan data garbage
ds.PixelData = encapsulate([bad])
ds.SOPInstanceUID = ds.SOPInstanceUID + '.9'
ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
ds.save_as(os.path.join(out, 'derived_CR-MONO1-10-chest_corrupt_jpegll.dcm'), write_like_original=False)

# The dcmtk transcodes of the chest share one SOPInstanceUID (on purpose, in the shared data set). Orthanc keeps the
# first one it receives and answers AlreadyStored for the rest, so a test could never see its own transfer syntax
# decoded. The fixture copies get their own UIDs (source UID + '.1<n>'); pixels and everything else are untouched.
for n, name in enumerate(['explicitLE', 'bigendian', 'jpeglossless14sv1', 'rle']):
    path = os.path.join(out, f'derived_CR-MONO1-10-chest_{name}.dcm')
    ds = pydicom.dcmread(path)
    base = ds.SOPInstanceUID
    if not base.endswith(f'.1{n}'):
        ds.SOPInstanceUID = base + f'.1{n}'
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.save_as(path, enforce_file_format=False)
path = os.path.join(out, 'fodicom_CR-MONO1-10-chest_nometa.dcm')
ds = pydicom.dcmread(path, force=True)
if not ds.SOPInstanceUID.endswith('.15'):
    ds.SOPInstanceUID = ds.SOPInstanceUID + '.15'
    ds.save_as(path, enforce_file_format=False)  # still no preamble and no file meta, like the source
# Same for torchxrayvision's pair, which share one UID but not their photometric interpretation.
for name, suffix in [('txv_Fake_MONOHR1_CR_chest.dcm', '.1'), ('txv_siim_CR_chest_jpegbaseline.dcm', '.2')]:
    path = os.path.join(out, name)
    ds = pydicom.dcmread(path)
    if not ds.SOPInstanceUID.endswith('.850819' + suffix):
        ds.SOPInstanceUID = ds.SOPInstanceUID + suffix
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.save_as(path, enforce_file_format=False)
