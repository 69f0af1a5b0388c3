"""Shared bits for the model build scripts: the torchxrayvision label list and manifest writing."""
import json
import os

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


def write_manifest(out_dir, manifest):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')


def txv_manifest(*, id, name, version, manufacturer, license, provenance, intended_use, labels=None, diagnostic=False):
    """The manifest of a torchxrayvision-style classifier: one 1x224x224 input named 'input', sigmoid
    'logits' output, TXV preprocessing, default decision threshold 0.5. Callers add calibration if any."""
    return {
        'schemaVersion': 1,
        'id': id,
        'name': name,
        'version': version,
        'manufacturer': manufacturer,
        'license': license,
        'provenance': provenance,
        'intendedUse': intended_use,
        'diagnostic': diagnostic,
        'file': 'model.onnx',
        'input': {'name': 'input', 'shape': ['batch', 1, 224, 224], 'layout': 'NCHW', 'dtype': 'float32'},
        'output': {'name': 'logits', 'activation': 'sigmoid'},
        'preprocessing': TXV_PREPROCESSING,
        'labels': labels if labels is not None else TXV_LABELS,
        'thresholds': {'default': 0.5},
    }
