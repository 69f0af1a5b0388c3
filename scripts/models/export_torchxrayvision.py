#!/usr/bin/env python3
"""Export a torchxrayvision DenseNet-121 to ONNX with its manifest (for users with internet access).

    pip install torch torchxrayvision   # not part of scripts/requirements.txt (large; not installable offline)
    python scripts/models/export_torchxrayvision.py --weights densenet121-res224-all --out models/txv-densenet121-all

torchxrayvision downloads the weights from its GitHub release page the first time (into ~/.torchxrayvision); on
machines without internet that download fails, so `--weights none` exports the same architecture with random
weights (a NON-DIAGNOSTIC model) to exercise this code path offline.

The graph outputs raw logits. torchxrayvision's own forward() applies sigmoid and then op_norm with the model's
operating thresholds (op_threshs); here op_threshs are written to the manifest instead
(activation 'sigmoid' + calibration 'op_norm'), which src/inference/manifest.ts applies identically, so the
calibration is visible and auditable. After calibration each label's operating point sits at 0.5, hence the
default decision threshold of 0.5.

The exported model keeps torchxrayvision's license (Apache-2.0) and the training datasets' terms (NIH, CheXpert,
MIMIC-CXR, PadChest, ...): check them before any use; the manifest sets diagnostic=false regardless, because no
export from this script is a certified medical device.
"""
import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import TXV_LABELS, TXV_PREPROCESSING, txv_manifest, write_manifest  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--weights', default='densenet121-res224-all', help="torchxrayvision weights name, or 'none' for random weights (offline test)")
    ap.add_argument('--out', required=True)
    ap.add_argument('--opset', type=int, default=17)
    args = ap.parse_args(argv)
    try:
        import torch
        import torchxrayvision as xrv
    except ImportError as e:
        sys.exit(f'export_torchxrayvision: needs torch and torchxrayvision ({e}); pip install torch torchxrayvision')

    offline = args.weights == 'none'
    model = xrv.models.DenseNet(weights=None if offline else args.weights)
    model.eval()
    labels = list(model.pathologies) if getattr(model, 'pathologies', None) else list(TXV_LABELS)
    if any(not label for label in labels):
        sys.exit(f'export_torchxrayvision: the model has unnamed outputs {labels}; pick weights with 18 named labels')
    op = getattr(model, 'op_threshs', None)
    operating_points = {}
    if op is not None:
        for label, t in zip(labels, op.tolist()):
            if t is not None and not math.isnan(t) and 0 < t < 1:
                operating_points[label] = float(t)
    model.op_threshs = None  # the graph ends at the logits; calibration goes to the manifest
    if hasattr(model, 'apply_sigmoid'):
        model.apply_sigmoid = False

    os.makedirs(args.out, exist_ok=True)
    dummy = torch.zeros(1, 1, 224, 224)
    torch.onnx.export(model, dummy, os.path.join(args.out, 'model.onnx'), input_names=['input'], output_names=['logits'],
                      dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=args.opset)
    manifest = txv_manifest(
        id=f'torchxrayvision-{"random-densenet121" if offline else args.weights}',
        name='torchxrayvision DenseNet-121' + (' (RANDOM WEIGHTS, export test only)' if offline else f' ({args.weights})'),
        version=f'txv-{getattr(xrv, "__version__", "unknown")}',
        manufacturer='torchxrayvision (Cohen et al., mlmed/torchxrayvision); exported by cxr-pipeline',
        license='Apache-2.0 (torchxrayvision code and weights); training data under their own terms',
        provenance=('torchxrayvision.models.DenseNet(weights=None), random initialisation' if offline else
                    f'torchxrayvision.models.DenseNet(weights="{args.weights}") exported to ONNX by scripts/models/export_torchxrayvision.py'),
        intended_use='Research on chest radiograph classification. Not a medical device; not for clinical decisions.',
        labels=labels,
    )
    if operating_points:
        manifest['calibration'] = {'method': 'op_norm', 'operatingPoints': operating_points}
    write_manifest(args.out, manifest)
    print(f'wrote {args.out}/model.onnx and manifest.json ({len(labels)} labels, {len(operating_points)} operating points)')


if __name__ == '__main__':
    main()
