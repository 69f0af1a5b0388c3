#!/usr/bin/env python3
"""The outside oracle: what torchxrayvision's own code computes from a DICOM file with the same weights.

xrv.utils.read_xray_dcm (its DICOM reader, voi_lut as asked), xrv.datasets.XRayCenterCrop, xrv.datasets.XRayResizer,
then the torchxrayvision model's own forward (xrv.models.get_model(NAME, cache_dir=WEIGHTS_DIR)), including sigmoid and
op_norm. Nothing of the pipeline's code is used. With --manifest, the model's operating points are the manifest's
(synthetic ones of a --random export live only there); labels whose operating point torchxrayvision lacks come out of
its op_norm as a constant 0.5, so for those the sigmoid of its logits is reported (as the pipeline does) and flagged.

Usage: txv_oracle.py --weights NAME --weights-dir DIR [--manifest M.json] [--voi-lut] FILE.dcm [FILE.dcm ...]
Prints one JSON object per file: {"file", "tensor" (base64 float32, the model input), "probabilities" (in the
manifest's label order, else torchxrayvision's named outputs), "labels"} or {"file", "error"}.
Run with the model environment: .tools/venv-models/bin/python (scripts/setup-models).
"""
import argparse
import base64
import contextlib
import io
import json
import math
import os
import sys
import tempfile
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'models'))
from export_torchxrayvision import canonical, txv_input  # noqa: E402


@contextlib.contextmanager
def with_file_meta(path):
    """read_xray_dcm cannot decode a file without file meta (no Transfer Syntax UID). Such a file is Implicit VR
    Little Endian (PS3.10 allows nothing else without meta; Orthanc reads it so): hand torchxrayvision a copy with that
    meta added, pixels and every other element untouched."""
    import pydicom
    from pydicom.uid import ImplicitVRLittleEndian
    ds = pydicom.dcmread(path, force=True, stop_before_pixels=True)
    if 'TransferSyntaxUID' in getattr(ds, 'file_meta', {}):
        yield path
        return
    ds = pydicom.dcmread(path, force=True)
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    with tempfile.TemporaryDirectory() as d:
        copy = os.path.join(d, os.path.basename(path))
        ds.save_as(copy, enforce_file_format=True)
        yield copy


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--weights', required=True)
    ap.add_argument('--weights-dir', required=True)
    ap.add_argument('--manifest')
    ap.add_argument('--voi-lut', action='store_true', help='read_xray_dcm(voi_lut=True) (default False, as torchxrayvision)')
    ap.add_argument('files', nargs='+')
    args = ap.parse_args()
    warnings.simplefilter('ignore')
    import numpy as np
    import torch
    import torchxrayvision as xrv
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))

    name = canonical(args.weights)
    model = xrv.models.get_model(name, cache_dir=args.weights_dir)
    model.eval()
    targets = list(model.targets)
    if args.manifest:
        with open(args.manifest) as f:
            manifest = json.load(f)
        labels = manifest['labels']
        index = manifest['output'].get('labelIndices', list(range(len(labels))))
        points = manifest.get('calibration', {}).get('operatingPoints', {})
        op = [math.nan] * len(targets)
        for label, i in zip(labels, index):
            if label in points:
                op[i] = points[label]
        model.op_threshs = torch.tensor(op, dtype=torch.float32)
    else:
        index = [i for i, t in enumerate(targets) if t]
        labels = [targets[i] for i in index]
    op = getattr(model, 'op_threshs', None)
    pinned = [op is not None and math.isnan(float(op[i])) for i in index]
    resolution = getattr(model, 'input_resolution', 224)

    for path in args.files:
        try:
            said = io.StringIO()  # torchxrayvision prints its warnings to stdout, which carries our JSON lines
            with contextlib.redirect_stdout(said), with_file_meta(path) as readable:
                x = txv_input(readable, resolution, voi_lut=args.voi_lut)
            with contextlib.redirect_stdout(said), torch.no_grad():
                out = model(torch.from_numpy(x))[0].numpy().astype(np.float64)
                if any(pinned):
                    # op_norm pins labels without an operating point to 0.5: report their sigmoid instead.
                    saved, model.op_threshs = model.op_threshs, None
                    model.apply_sigmoid = True
                    sig = model(torch.from_numpy(x))[0].numpy().astype(np.float64)
                    model.op_threshs, model.apply_sigmoid = saved, False
                    out = np.where(np.isnan(model.op_threshs.numpy()), sig, out) if saved is not None else sig
            probs = [float(out[i]) for i in index]
            print(json.dumps({
                'file': path, 'labels': labels, 'probabilities': probs, 'said': said.getvalue().strip(),
                'addedFileMeta': readable != path,
                'pinnedByOpNorm': [l for l, p in zip(labels, pinned) if p],
                'shape': list(x.shape), 'tensor': base64.b64encode(x.astype('<f4').tobytes()).decode(),
            }), flush=True)
        except Exception as e:  # one bad file must not hide the others' results
            print(json.dumps({'file': path, 'error': f'{type(e).__name__}: {e}'}), flush=True)


if __name__ == '__main__':
    main()
