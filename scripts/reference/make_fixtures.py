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

# Two policy cases for the torchxrayvision oracle test (test/integration/inference/txv-oracle.test.ts):
#  - derived_CR-MONO1-10-chest_rescaled.dcm: the same chest with stored values v' = 2v + 100 in 12 bits and
#    Rescale Slope 0.5 / Intercept -50, so the modality values (and the window, unchanged) are the original's. A
#    pipeline that applies Rescale Slope shows the same image; one that reads stored values (torchxrayvision) does not.
#  - derived_txv_MONO1_jpeg_windowed.dcm: torchxrayvision's MONOCHROME1 8-bit JPEG with a narrow window added to
#    the header (pixels untouched), so window-or-not policies differ strongly.
ds = pydicom.dcmread(os.path.join(out, 'derived_CR-MONO1-10-chest_explicitLE.dcm'))
ds.PixelData = (ds.pixel_array.astype(np.int64) * 2 + 100).astype(np.uint16).tobytes()
ds.BitsStored, ds.HighBit = 12, 11
ds.RescaleSlope, ds.RescaleIntercept, ds.RescaleType = 0.5, -50, 'US'
ds.SOPInstanceUID = ds.SOPInstanceUID[: -len('.10')] + '.3'
ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
policy = os.path.join(out, '..', 'cxr-policy')  # outside cxr/: the end-to-end test zips every file of cxr/
os.makedirs(policy, exist_ok=True)
ds.save_as(os.path.join(policy, 'derived_CR-MONO1-10-chest_rescaled.dcm'), enforce_file_format=True)

ds = pydicom.dcmread(os.path.join(out, 'txv_Fake_MONOHR1_CR_chest.dcm'))
ds.WindowCenter, ds.WindowWidth = 110, 120
ds.SOPInstanceUID = ds.SOPInstanceUID[: -len('.1')] + '.3'
ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
ds.save_as(os.path.join(policy, 'derived_txv_MONO1_jpeg_windowed.dcm'), enforce_file_format=True)
