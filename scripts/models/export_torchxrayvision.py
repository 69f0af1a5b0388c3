#!/usr/bin/env python3
"""Export torchxrayvision models (DenseNet-121 weights sets, ResNet-50 512x512) to ONNX with their manifests.

Needs the model environment (torch + torchxrayvision): scripts/setup-models, then .tools/venv-models/bin/python.

  Real weights (internet, or weights already in --weights-dir; scripts/models/fetch-torchxrayvision does both):
    export_torchxrayvision.py --weights densenet121-res224-all --out models/txv-densenet121-all
  Seeded random weights in torchxrayvision's own weights format (offline; CI; NOT DIAGNOSTIC):
    export_torchxrayvision.py --random 7 --calibrate a.dcm b.dcm ... --weights-dir W --weights all nih --out DIR

Either way the model is built by torchxrayvision's own loader (xrv.models.DenseNet / ResNet with weights=NAME and
cache_dir=--weights-dir), so labels, operating points and input resolution are torchxrayvision's. With --random the
weights file is written first (the same format as the published one), and made image-sensitive: BatchNorm running
statistics re-estimated on the --calibrate images (read by torchxrayvision's pipeline) and the classifier scaled so
logits are of order 1 across them. torchxrayvision's default random initialisation saturates (two chest X-rays differ by
< 0.001 in probability), which would make any preprocessing "agree" in the oracle test. --random also replaces the
operating points by synthetic ones inside (0.2, 0.8), so op_norm is exercised on both of its branches.

The graph ends at the logits ('logits' output); sigmoid and op_norm go to the manifest ('activation' + 'calibration'),
where src/inference/manifest.ts applies them as torchxrayvision's op_norm does. A second output,
'class_activation_maps' [batch, labels, h, w] (manifest 'classActivationMaps', docs/viewer.md), is the last feature map
weighted by each named label's classifier row (einsum 'bkhw,ck->bchw'): its global average plus the bias is that
label's logit, which the export checks before writing (the worker then draws heatmaps and SR regions from it). Unnamed outputs (single-dataset
weights keep 18 outputs, some with the label '') are left out of the labels via output.labelIndices.

Preprocessing in the manifest is torchxrayvision's own: read_xray_dcm's defaults (stored values, no Rescale
Slope/Intercept, no VOI LUT/window, MONOCHROME1 inverted over 2^BitsStored - 1), XRayCenterCrop and XRayResizer
(skimage). --voi dicom-first / --modality apply / --resize area choose the pipeline's DICOM-faithful policies instead;
README "Models" explains when.

Manufacturer, name and version go into LO attributes of every SR (64 characters at most): the manifest texts are
checked here, and again by the worker at start.

The exported model keeps torchxrayvision's license (Apache-2.0) and the training datasets' terms (NIH, CheXpert,
MIMIC-CXR, PadChest, ...): check them before any use. diagnostic=false always: no export is a certified device.
"""
import argparse
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import TXV_ACCEPTS, write_manifest  # noqa: E402

DENSENETS = ['all', 'nih', 'pc', 'chex', 'mimic_nb', 'mimic_ch', 'rsna']
RESNETS = ['resnet50-res512-all']
LO_MAX = 64


def canonical(name):
    """'all' -> 'densenet121-res224-all'; full names pass through."""
    return name if name.startswith(('densenet', 'resnet')) else f'densenet121-res224-{name}'


def short(name):
    return name.replace('densenet121-res224-', 'densenet121-').replace('-res512-', '-')


def need_torch():
    try:
        import torch  # noqa: F401
        import torchxrayvision  # noqa: F401
    except ImportError as e:
        sys.exit(f'export_torchxrayvision: needs torch and torchxrayvision ({e}); run scripts/setup-models and use '
                 f'.tools/venv-models/bin/python')


# ------------------------------------------------------------------------------------------- reading like torchxrayvision

def txv_input(path, resolution, voi_lut=False):
    """torchxrayvision's own pipeline from a DICOM file to the model input [1, 1, R, R] (numpy float32)."""
    import numpy as np
    import torchxrayvision as xrv
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        img = xrv.utils.read_xray_dcm(path, voi_lut=voi_lut)
    img = img[None, :, :]
    img = xrv.datasets.XRayCenterCrop()(img)
    img = xrv.datasets.XRayResizer(resolution)(img)
    return np.asarray(img, dtype=np.float32)[None]


# ------------------------------------------------------------------------------------------- architectures

class Arch:
    """What the export needs of one torchxrayvision architecture: the feature map before pooling and the head."""

    def __init__(self, model):
        self.model = model

    @staticmethod
    def of(model):
        import torchxrayvision as xrv
        return DenseNetArch(model) if isinstance(model, xrv.models.DenseNet) else ResNetArch(model)


class DenseNetArch(Arch):
    resolution = 224

    def feature_map(self, x):
        import torch.nn.functional as F
        return F.relu(self.model.features(x))

    def classify(self, fmap):
        import torch.nn.functional as F
        return self.model.classifier(F.adaptive_avg_pool2d(fmap, (1, 1)).flatten(1))

    @property
    def classifier(self):
        return self.model.classifier


class ResNetArch(Arch):
    resolution = 512

    def feature_map(self, x):
        m = self.model.model
        x = m.maxpool(m.relu(m.bn1(m.conv1(x))))
        return m.layer4(m.layer3(m.layer2(m.layer1(x))))

    def classify(self, fmap):
        return self.model.model.fc(self.model.model.avgpool(fmap).flatten(1))

    @property
    def classifier(self):
        return self.model.model.fc


CAM_OUTPUT = 'class_activation_maps'


def cam_fn(arch, named):
    """fmap -> [batch, named labels, h, w]: the feature map weighted by each named label's classifier row (no bias)."""
    import torch

    def fn(fmap):
        return torch.einsum('bkhw,ck->bchw', fmap, arch.classifier.weight[named])
    return fn


def check_cam(graph, arch, named, resolution):
    """GAP(cam) + bias must be the logits of the named labels (else the maps are not the model's): two inputs."""
    import torch
    g = torch.Generator().manual_seed(0)
    x = torch.randn(2, 1, resolution, resolution, generator=g) * 512
    with torch.no_grad():
        logits, cam = graph(x)
    gap = cam.mean(dim=(2, 3)) + arch.classifier.bias[named]
    err = (gap - logits[:, named]).abs().max().item()
    scale = logits[:, named].abs().max().item()
    if not err <= 1e-4 * max(1.0, scale):
        sys.exit(f'export_torchxrayvision: GAP(class activation maps) + bias differs from the logits by {err}')


def export_graph_class():
    import torch

    class ExportGraph(torch.nn.Module):
        """The exported graph. Outputs: 'logits' [batch, outputs], then one per entry of `extra` (name, fn(fmap)):
        a second output such as a class-activation feature map is added there without touching the rest."""

        def __init__(self, arch, extra=()):
            super().__init__()
            self.model = arch.model
            self.arch = arch
            self.extra = list(extra)

        def forward(self, x):
            fmap = self.arch.feature_map(x)
            logits = self.arch.classify(fmap)
            if not self.extra:
                return logits
            return (logits, *[fn(fmap) for _, fn in self.extra])

    return ExportGraph


# ------------------------------------------------------------------------------------------- random weights

def write_random_weights(name, weights_dir, seed, calibrate):
    """A seeded, image-sensitive random weights file where torchxrayvision's loader looks for NAME's download."""
    import numpy as np
    import torch
    import torchvision
    import torchxrayvision as xrv

    info = xrv.models.model_urls[name]
    labels = info['labels']
    torch.manual_seed(seed)
    if name.startswith('densenet'):
        model = xrv.models.DenseNet(weights=None, num_classes=len(labels))
        arch = DenseNetArch(model)
    else:
        model = torchvision.models.resnet50(num_classes=len(labels), weights=None)
        model.conv1 = torch.nn.Conv2d(1, 64, kernel_size=7, stride=2, padding=3, bias=False)

        class Holder:
            pass
        holder = Holder()
        holder.model = model
        arch = ResNetArch(holder)
    if calibrate:
        x = torch.from_numpy(np.concatenate([txv_input(p, arch.resolution) for p in calibrate]))
        bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        for bn in bns:
            bn.reset_running_stats()
            bn.momentum = None  # cumulative average over the calibration batch
        model.train()
        with torch.no_grad():
            arch.feature_map(x)
        model.eval()
        with torch.no_grad():
            feats = arch.feature_map(x)
            pooled = torch.nn.functional.adaptive_avg_pool2d(feats, (1, 1)).flatten(1)
            fc = arch.classifier
            g = torch.Generator().manual_seed(seed + 1)
            fc.weight.copy_(torch.randn(fc.weight.shape, generator=g))
            fc.bias.zero_()
            logits = fc(pooled)
            mean, std = logits.mean(0), logits.std(0).clamp_min(1e-12)
            # Logits of spread ~1.5 around a seeded offset per label: probabilities answer to the image.
            fc.weight.mul_((1.5 / std)[:, None])
            offset = torch.randn(len(labels), generator=g) * 0.5
            fc.bias.copy_(offset - mean * 1.5 / std)
    os.makedirs(weights_dir, exist_ok=True)
    path = os.path.join(weights_dir, os.path.basename(info['weights_url']))
    # The published files: a pickled DenseNet module, a ResNet-50 state_dict. Same formats here.
    torch.save(model if name.startswith('densenet') else model.state_dict(), path)
    return path


def synthetic_op_threshs(labels, seed):
    import numpy as np
    rng = np.random.RandomState(seed + 2)
    return [float(rng.uniform(0.2, 0.8)) if label else math.nan for label in labels]


def load_txv(name, weights_dir):
    import torchxrayvision as xrv
    kwargs = {'cache_dir': weights_dir} if weights_dir else {}
    return xrv.models.get_model(name, **kwargs)


# ------------------------------------------------------------------------------------------- manifest

def check_lo(field, value):
    if len(value) > LO_MAX or '\\' in value or any(ord(c) < 32 for c in value):
        sys.exit(f'export_torchxrayvision: manifest {field} {value!r} does not fit a DICOM LO value '
                 f'(at most {LO_MAX} characters, no backslash or control characters); it is written into every SR')
    return value


def manifest_for(name, model, op_threshs, random_seed, args):
    import torchxrayvision as xrv
    all_labels = list(model.targets)
    named = [(i, l) for i, l in enumerate(all_labels) if l]
    labels = [l for _, l in named]
    resolution = getattr(model, 'input_resolution', 224)
    random = random_seed is not None
    arch = 'ResNet-50' if name.startswith('resnet') else 'DenseNet-121'
    weights = short(name)
    version = f'txv-{xrv.__version__}' + (f'-random{random_seed}' if random else '')
    m = {
        'schemaVersion': 1,
        'id': f'torchxrayvision-{weights}' + ('-random' if random else ''),
        'name': check_lo('name', f'torchxrayvision {arch} {name}' + (' RANDOM' if random else '')),
        'version': check_lo('version', version),
        'manufacturer': check_lo('manufacturer', 'torchxrayvision (mlmed); ONNX export by cxr-pipeline'),
        'license': 'Apache-2.0 (torchxrayvision code and weights); training data under their own terms',
        'provenance': (
            f'RANDOM WEIGHTS (seed {random_seed}, BatchNorm statistics re-estimated on {len(args.calibrate or [])} '
            f'radiographs, classifier scaled; synthetic operating points) loaded by torchxrayvision {xrv.__version__} '
            f'as weights="{name}"; export test only, NOT a trained model'
            if random else
            f'torchxrayvision {xrv.__version__} weights="{name}" ({xrv.models.model_urls[name]["weights_url"]}), '
            f'exported to ONNX by scripts/models/export_torchxrayvision.py'),
        'intendedUse': ('Export and parity testing of the pipeline only. Random weights: the scores mean NOTHING.'
                        if random else
                        'Research on chest radiograph classification. Not a medical device; not for clinical decisions.'),
        'diagnostic': False,
        'file': 'model.onnx',
        'input': {'name': 'input', 'shape': ['batch', 1, resolution, resolution], 'layout': 'NCHW', 'dtype': 'float32'},
        'output': {'name': 'logits', 'activation': 'sigmoid'},
        'preprocessing': {
            'intensityRange': [-1024, 1024],
            'crop': 'center-square',
            'resize': {'method': args.resize, 'size': resolution},
            'voi': args.voi,
            'modalityTransform': args.modality,
        },
        'labels': labels,
        'thresholds': {'default': 0.5},
        # torchxrayvision's training images (scripts/models/txv-accepts.json), at least this model's input size.
        'accepts': {**TXV_ACCEPTS, 'minimumSize': {'rows': resolution, 'columns': resolution}},
    }
    if len(labels) != len(all_labels):
        m['output']['labelIndices'] = [i for i, _ in named]
        m['output']['size'] = len(all_labels)
    if op_threshs is not None:
        points = {l: float(op_threshs[i]) for i, l in named
                  if op_threshs[i] is not None and not math.isnan(op_threshs[i]) and 0 < op_threshs[i] < 1}
        if points:
            m['calibration'] = {'method': 'op_norm', 'operatingPoints': points}
    return m


def export_one(name, out, args):
    import torch
    name = canonical(name)
    random = args.random is not None
    if random:
        write_random_weights(name, args.weights_dir, args.random, args.calibrate)
    model = load_txv(name, args.weights_dir)
    model.eval()
    op = getattr(model, 'op_threshs', None)
    op_threshs = synthetic_op_threshs(model.targets, args.random) if random else (op.tolist() if op is not None else None)
    arch = Arch.of(model)
    named = [i for i, label in enumerate(model.targets) if label]
    graph = export_graph_class()(arch, [(CAM_OUTPUT, cam_fn(arch, named))]).eval()
    resolution = getattr(model, 'input_resolution', arch.resolution)
    os.makedirs(out, exist_ok=True)
    tmp = os.path.join(out, 'model.onnx.tmp')
    dummy = torch.zeros(1, 1, resolution, resolution)
    output_names = ['logits'] + [n for n, _ in graph.extra]
    with torch.no_grad():
        torch.onnx.export(graph, (dummy,), tmp, input_names=['input'], output_names=output_names,
                          dynamic_axes={n: {0: 'batch'} for n in ['input', *output_names]},
                          opset_version=args.opset, dynamo=False)
    check_cam(graph, arch, named, resolution)
    os.replace(tmp, os.path.join(out, 'model.onnx'))  # a half-written model never looks done
    manifest = manifest_for(name, model, op_threshs, args.random, args)
    manifest['classActivationMaps'] = {'output': CAM_OUTPUT}
    write_manifest(out, manifest)
    n_op = len(manifest.get('calibration', {}).get('operatingPoints', {}))
    print(f'wrote {out}/model.onnx and manifest.json ({name}: {len(manifest["labels"])} labels of '
          f'{len(model.targets)} outputs, {n_op} operating points{", RANDOM weights" if random else ""})')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--weights', nargs='+', default=['densenet121-res224-all'],
                    help=f'torchxrayvision weights names ({", ".join(DENSENETS)} or full names, {", ".join(RESNETS)}); '
                         f'"every" = all of them')
    ap.add_argument('--out', required=True, help='output folder (with several --weights: one subfolder per name)')
    ap.add_argument('--weights-dir', default=None,
                    help='where torchxrayvision finds (or downloads) the weights files; default ~/.torchxrayvision/models_data')
    ap.add_argument('--random', type=int, metavar='SEED', default=None,
                    help='write seeded random weights into --weights-dir first (offline export test; NOT DIAGNOSTIC)')
    ap.add_argument('--calibrate', nargs='*', default=[], metavar='DICOM',
                    help='with --random: radiographs to re-estimate BatchNorm statistics and scale the classifier on')
    ap.add_argument('--voi', choices=['full-range', 'dicom-first'], default='full-range',
                    help="manifest preprocessing.voi; torchxrayvision's reader default is full-range (voi_lut=False)")
    ap.add_argument('--modality', choices=['ignore', 'apply'], default='ignore',
                    help="manifest preprocessing.modalityTransform; torchxrayvision's reader ignores Rescale Slope")
    ap.add_argument('--resize', choices=['skimage', 'area'], default='skimage',
                    help="manifest preprocessing.resize.method; torchxrayvision's XRayResizer is skimage")
    ap.add_argument('--opset', type=int, default=17)
    args = ap.parse_args(argv)
    need_torch()
    if args.random is not None and not args.weights_dir:
        ap.error('--random needs --weights-dir (never write random weights where real ones are cached)')
    names = [canonical(n) for n in args.weights]
    if names == [canonical('every')]:
        names = [canonical(n) for n in DENSENETS] + RESNETS
    import torch
    torch.set_num_threads(max(1, min(4, os.cpu_count() or 1)))
    for name in names:
        export_one(name, args.out if len(names) == 1 else os.path.join(args.out, short(name)), args)


if __name__ == '__main__':
    main()
