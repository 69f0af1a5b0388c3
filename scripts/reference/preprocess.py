#!/usr/bin/env python3
"""Reference implementation of the pipeline's preprocessing, from the DICOM file (pydicom + pylibjpeg decode),
independent of Orthanc and of the TypeScript code. Used by test/integration/inference/parity.test.ts.

Same policy as src/dicom/pixels.ts (first frame; Modality LUT else rescale; first VOI LUT item else first window
else full stored range; MONOCHROME1 inverted after VOI) and src/inference/preprocess.ts (centre square crop, exact
area averaging when shrinking / half-pixel bilinear when enlarging, scaled to the manifest's intensity range).

Usage: preprocess.py MANIFEST.json FILE.dcm [FILE.dcm ...]
Prints one JSON object per file: {"file", "shape", "tensor" (base64 little-endian float32)} or {"file", "error"}.
"""
import base64
import json
import math
import sys

import numpy as np
import pydicom
from pydicom.uid import ImplicitVRLittleEndian


def read(path):
    ds = pydicom.dcmread(path, force=True)
    if 'TransferSyntaxUID' not in ds.file_meta:  # files without a meta header: implicit VR LE, as Orthanc assumes
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    return ds


def lut_of(item):
    entries, first, bits = [int(v) for v in item.LUTDescriptor]
    entries = entries or 65536
    raw = item['LUTData'].value
    if isinstance(raw, bytes):
        data = np.frombuffer(raw, '<u2') if len(raw) == 2 * entries else np.frombuffer(raw[:entries], 'u1')
    else:
        data = np.asarray(raw if isinstance(raw, (list, tuple, pydicom.multival.MultiValue)) else [raw])
    first = first - 65536 if 32767 < first < 65536 else first
    return first, bits, data.astype(np.float64)


def apply_lut(lut, x):
    first, _, data = lut
    i = np.clip(np.floor(x + 0.5).astype(np.int64) - first, 0, len(data) - 1)  # Math.round for non-negative .5 ties
    return data[i]


def grey(ds, voi_policy='dicom-first'):
    pi = ds.PhotometricInterpretation
    if pi not in ('MONOCHROME1', 'MONOCHROME2'):
        raise ValueError(f'unsupported photometric {pi}')
    arr = ds.pixel_array
    if int(getattr(ds, 'NumberOfFrames', 1) or 1) > 1:
        arr = arr[0]
    x = arr.astype(np.float64)
    bits, signed = int(ds.BitsStored), int(ds.PixelRepresentation) == 1
    if 'ModalityLUTSequence' in ds:
        lut = lut_of(ds.ModalityLUTSequence[0])
        x = apply_lut(lut, x)
        lo, hi = float(lut[2].min()), float(lut[2].max())
    else:
        slope, inter = float(getattr(ds, 'RescaleSlope', 1) or 1), float(getattr(ds, 'RescaleIntercept', 0) or 0)
        x = x * slope + inter
        smin, smax = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2 ** bits - 1)
        lo, hi = sorted([smin * slope + inter, smax * slope + inter])

    def first(v):
        return float(v[0]) if isinstance(v, pydicom.multival.MultiValue) else float(v)

    if voi_policy == 'dicom-first' and 'VOILUTSequence' in ds:
        lut = lut_of(ds.VOILUTSequence[0])
        y = apply_lut(lut, x) / (2.0 ** lut[1] - 1)
    elif voi_policy == 'dicom-first' and 'WindowCenter' in ds and 'WindowWidth' in ds and first(ds.WindowWidth) > 0:
        c, w = first(ds.WindowCenter), first(ds.WindowWidth)
        fn = str(getattr(ds, 'VOILUTFunction', 'LINEAR') or 'LINEAR')
        if fn == 'LINEAR':
            y = np.where(x <= c - 0.5 - (w - 1) / 2, 0.0, np.where(x > c - 0.5 + (w - 1) / 2, 1.0, (x - (c - 0.5)) / (w - 1) + 0.5))
        elif fn == 'LINEAR_EXACT':
            y = np.where(x <= c - w / 2, 0.0, np.where(x > c + w / 2, 1.0, (x - c) / w + 0.5))
        else:
            y = 1 / (1 + np.exp(-4 * (x - c) / w))
    else:
        y = np.clip((x - lo) / (hi - lo), 0, 1) if hi > lo else np.zeros_like(x)
    return 1 - y if pi == 'MONOCHROME1' else y


def weights(method, n_in, n_out):
    """Dense (n_out x n_in) resampling matrix; rows sum to 1."""
    W = np.zeros((n_out, n_in))
    s = n_in / n_out
    if method == 'area' and n_out <= n_in:
        for o in range(n_out):
            a, b = o * s, (o + 1) * s
            for i in range(math.floor(a), min(n_in, math.ceil(b))):
                w = min(b, i + 1) - max(a, i)
                if w > 1e-12:
                    W[o, i] = w / s
    else:
        for o in range(n_out):
            x = min(max((o + 0.5) * s - 0.5, 0), n_in - 1)
            i0 = math.floor(x)
            f = x - i0
            W[o, i0] += 1 - f
            if f > 0 and i0 + 1 < n_in:
                W[o, i0 + 1] += f
    return W


def tensor(ds, manifest):
    p = manifest['preprocessing']
    _, _, h, w = manifest['input']['shape']
    if p.get('modalityTransform', 'apply') != 'apply' or p['resize']['method'] not in ('area', 'bilinear'):
        raise ValueError('this reference implements modalityTransform apply and area/bilinear resizing only; '
                         'torchxrayvision policies are checked against torchxrayvision itself (scripts/reference/txv_oracle.py)')
    img = grey(ds, p.get('voi', 'dicom-first'))
    if p['crop'] == 'center-square':
        r, c = img.shape
        size = min(r, c)
        top, left = r // 2 - size // 2, c // 2 - size // 2  # torchxrayvision's XRayCenterCrop offsets
        img = img[top:top + size, left:left + size]
    m = p['resize']['method']
    out = weights(m, img.shape[0], h) @ img @ weights(m, img.shape[1], w).T
    lo, hi = p['intensityRange']
    return (lo + out * (hi - lo)).astype(np.float32)


def main():
    manifest = json.load(open(sys.argv[1]))
    for path in sys.argv[2:]:
        try:
            t = tensor(read(path), manifest)
            print(json.dumps({'file': path, 'shape': list(t.shape), 'tensor': base64.b64encode(t.astype('<f4').tobytes()).decode()}))
        except Exception as e:  # reported per file so one bad file does not hide the others
            print(json.dumps({'file': path, 'error': f'{type(e).__name__}: {e}'}))


if __name__ == '__main__':
    main()
