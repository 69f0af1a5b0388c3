"""Shared bits for the model build scripts: the torchxrayvision label list, intended input and manifest writing."""
import json
import os

_HERE = os.path.dirname(os.path.abspath(__file__))

# torchxrayvision.datasets.default_pathologies, in its order (the order of the DenseNet "all" model's outputs).
TXV_LABELS = [
    'Atelectasis', 'Consolidation', 'Infiltration', 'Pneumothorax', 'Edema', 'Emphysema', 'Fibrosis', 'Effusion',
    'Pneumonia', 'Pleural_Thickening', 'Cardiomegaly', 'Nodule', 'Mass', 'Hernia', 'Lung Lesion', 'Fracture',
    'Lung Opacity', 'Enlarged Cardiomediastinum',
]

# torchxrayvision preprocessing: one channel, [-1024, 1024], centre crop, 224x224.
TXV_PREPROCESSING = {
    'intensityRange': [-1024, 1024],
    'crop': 'center-square',
    'resize': {'method': 'area', 'size': 224},
    'voi': 'dicom-first',
}


# What a torchxrayvision DenseNet accepts (the manifest's "accepts" section; rules in src/dicom/eligibility.ts):
# frontal CR/DX chest films, FOR PRESENTATION, greyscale, at least the 224x224 input, adults. Kept in JSON so the
# pipeline's tests read the very same defaults (test/integration/pipeline/eligibility.test.ts).
with open(os.path.join(_HERE, 'txv-accepts.json')) as _f:
    TXV_ACCEPTS = json.load(_f)

# The demo model (random weights, never trained) reads what the pipeline's own samples and synthetic test images
# are: the torchxrayvision views, intent and photometrics, but any age and any size from 64x64 up (the bundled
# highdicom sample is a 5-year-old's 211x169 film; synthetic test images are 64x64). Not a clinical claim. The
# benchmark model stands in for a torchxrayvision DenseNet and declares TXV_ACCEPTS (its images are adult 256x256+).
DEMO_ACCEPTS = {
    **{k: v for k, v in TXV_ACCEPTS.items() if k not in ('basis', 'patientAgeYears')},
    'basis': 'Demo model with random weights: the torchxrayvision views, presentation intent and '
             'photometric interpretations, any patient age, any size from 64x64 (the smallest synthetic test image). '
             'Its scores mean nothing whatever it reads.',
    'minimumSize': {'rows': 64, 'columns': 64},
}


def write_manifest(out_dir, manifest):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')


def txv_manifest(*, id, name, version, manufacturer, license, provenance, intended_use, labels=None, diagnostic=False,
                 accepts=None):
    """The manifest of a torchxrayvision-style classifier: one 1x224x224 input named 'input', sigmoid
    'logits' output, TXV preprocessing, default decision threshold 0.5, TXV_ACCEPTS unless `accepts` says
    otherwise. Callers add calibration if any."""
    return {
        'schemaVersion': 1,
        'id': id,
        'name': name,
        'version': version,
        'manufacturer': manufacturer,
        'license': license,
        'provenance': provenance,
        'intendedUse': intended_use,
        'accepts': accepts if accepts is not None else TXV_ACCEPTS,
        'diagnostic': diagnostic,
        'file': 'model.onnx',
        'input': {'name': 'input', 'shape': ['batch', 1, 224, 224], 'layout': 'NCHW', 'dtype': 'float32'},
        'output': {'name': 'logits', 'activation': 'sigmoid'},
        'preprocessing': TXV_PREPROCESSING,
        'labels': labels if labels is not None else TXV_LABELS,
        'thresholds': {'default': 0.5},
    }
